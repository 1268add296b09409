"""The platform PKI on disk: create it once (``ensure_pki``), load it once (``load_pki``).

Layout of ``<data dir>/keys`` (0700, private keys 0600)::

    root.crt   root.crl        root CA, EC P-384, 20 years, pathlen 1; its key is NOT here
                               (``<data dir>/offline/root.key`` or off the machine, see
                               :mod:`anxin.pki.rootkey`; the server never opens it)
    issuing.key issuing.crt    issuing CA, EC P-256, pathlen 0: event certs, CRL, OCSP
    tsa.key    tsa.crt         TSA, EC P-256, EKU timeStamping (critical); tsa.crt = TSA
                               certificate followed by the issuing CA (the chain to root)
    seal.key   seal.crt        platform seal, EC P-256 (use receipts, manifests, reports)
    archive/<stamp>/           earlier issuing CA, TSA and seal generations (rotation)

Example::

    created = ensure_pki(settings)
    pki = load_pki(settings)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from anxin.config import Settings
from anxin.errors import ConfigurationError
from anxin.pki import profiles
from anxin.pki.keyfiles import (
    check_key_matches,
    load_certificate,
    load_certificates,
    load_private_key,
    write_certificates,
    write_private_key,
)
from anxin.pki.profiles import PkiUrls
from anxin.pki.rootkey import (
    move_legacy_root_key,
    offline_root_key_path,
    open_root_key,
    write_root_key,
)
from anxin.private_files import private_dir

# The root is offline: its CRL is signed at `anxin init` and at every issuing-CA rotation,
# and announces no update before the current issuing CA expires (at least a year), so that
# the issuing CA's status stays provable offline for as long as its certificates matter.
ROOT_CRL_MIN_LIFETIME = dt.timedelta(days=365)
PUBLISHED = ("root.crt", "issuing.crt", "tsa.crt", "seal.crt")


@dataclass(frozen=True)
class Pki:
    """Loaded certificates and (online) private keys; load once per process."""

    urls: PkiUrls
    root_cert: x509.Certificate
    issuing_cert: x509.Certificate
    issuing_key: ec.EllipticCurvePrivateKey
    tsa_cert: x509.Certificate
    tsa_key: ec.EllipticCurvePrivateKey
    seal_cert: x509.Certificate
    seal_key: ec.EllipticCurvePrivateKey
    root_crl_der: bytes
    archived_certs: tuple[x509.Certificate, ...] = ()
    # Retired issuing CAs' final CRLs (``archive/*/issuing-final.crl``) by their key id.
    retired_crls: Mapping[str, bytes] = field(default_factory=dict)
    # Their last OCSP responses (``archive/*/final-ocsp/<serial hex>.der``) by serial.
    retired_ocsps: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def issuing_key_id(self) -> str:
        return subject_key_id(self.issuing_cert)

    def pem(self, name: str) -> bytes:
        """The published PEM files (``tsa.crt`` carries its chain up to the root)."""
        chains = {"root.crt": [self.root_cert], "issuing.crt": [self.issuing_cert],
                  "tsa.crt": [self.tsa_cert, self.issuing_cert], "seal.crt": [self.seal_cert]}
        if name not in chains:
            raise KeyError(name)
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chains[name])


def subject_key_id(cert: x509.Certificate) -> str:
    return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()


def authority_key_id(cert: x509.Certificate) -> str:
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    if aki.key_identifier is None:
        raise ConfigurationError("certificate without an authority key identifier")
    return aki.key_identifier.hex()


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ensure_key(path: Path, passphrase: str | None,
                curve: ec.EllipticCurve) -> ec.EllipticCurvePrivateKey:
    """Reuse a key left by an earlier (possibly interrupted) run, or make a new one."""
    if path.exists():
        return load_private_key(path, passphrase)
    key = ec.generate_private_key(curve)
    write_private_key(path, key, passphrase)
    return key


def build_root_crl(root_cert: x509.Certificate, root_key: ec.EllipticCurvePrivateKey,
                   now: dt.datetime, revoked: list[x509.RevokedCertificate] | None = None,
                   *, until: dt.datetime | None = None) -> bytes:
    """The root's CRL (revoked issuing CAs), long-lived because the root stays offline:
    ``nextUpdate`` is ``until`` (the current issuing CA's expiry), at least a year."""
    next_update = max(until or now, now + ROOT_CRL_MIN_LIFETIME)
    builder = (x509.CertificateRevocationListBuilder()
               .issuer_name(root_cert.subject)
               .last_update(now).next_update(next_update)
               .add_extension(x509.CRLNumber(int(now.timestamp() * 1000)), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                   root_key.public_key()), critical=False))
    for entry in revoked or []:
        builder = builder.add_revoked_certificate(entry)
    crl = builder.sign(root_key, profiles.sign_hash(root_key))
    return crl.public_bytes(serialization.Encoding.DER)


def issue_generation(keys_dir: Path, settings: Settings, root_cert: x509.Certificate,
                     root_key: ec.EllipticCurvePrivateKey | None, now: dt.datetime, *,
                     urls: PkiUrls | None = None, label: str = "") -> None:
    """Create the issuing CA, TSA and seal certificates that are missing (keys reused);
    ``root_key`` is needed only when the issuing CA itself is missing. ``urls`` and
    ``label``: the test CA's (:mod:`anxin.pki.test_ca`)."""
    urls = urls or PkiUrls(settings.effective_base_url)
    pw = settings.key_passphrase
    issuing_path = keys_dir / "issuing.crt"
    issuing_key = _ensure_key(keys_dir / "issuing.key", pw, ec.SECP256R1())
    if issuing_path.exists():
        issuing_cert = load_certificate(issuing_path)
    else:
        if root_key is None:
            raise ConfigurationError("a new issuing CA needs the root key")
        issuing_cert = profiles.sign(
            profiles.issuing_ca_builder(issuing_key.public_key(), root_cert, urls, now,
                                        label=label),
            root_key)
        write_certificates(issuing_path, [issuing_cert])
    tsa_key = _ensure_key(keys_dir / "tsa.key", pw, ec.SECP256R1())
    if not (keys_dir / "tsa.crt").exists():
        tsa_cert = profiles.sign(
            profiles.tsa_builder(tsa_key.public_key(), issuing_cert, urls, now, label=label),
            issuing_key)
        write_certificates(keys_dir / "tsa.crt", [tsa_cert, issuing_cert])
    seal_key = _ensure_key(keys_dir / "seal.key", pw, ec.SECP256R1())
    if not (keys_dir / "seal.crt").exists():
        seal_cert = profiles.sign(
            profiles.seal_builder(seal_key.public_key(), issuing_cert, urls, now, label=label),
            issuing_key)
        write_certificates(keys_dir / "seal.crt", [seal_cert])


def ensure_pki(settings: Settings, *, now: dt.datetime | None = None,
               root_key_path: Path | None = None) -> bool:
    """Create whatever part of the PKI is missing; True if anything was created or moved.

    A new root key goes to ``root_key_path`` (default ``<data dir>/offline/root.key``),
    never to ``keys/``. Once ``root.crt`` exists the root key is opened only if the issuing
    CA or the root CRL is missing, and only from an explicit ``root_key_path``: a complete
    PKI (what ``anxin serve`` finds) never touches it."""
    now = now or _utcnow()
    keys_dir = private_dir(settings.keys_dir)
    moved = move_legacy_root_key(settings)
    wanted = ["root.crt", "root.crl", *PUBLISHED[1:], "issuing.key", "tsa.key", "seal.key"]
    if all((keys_dir / name).exists() for name in wanted):
        return moved
    root_path = keys_dir / "root.crt"
    root_key: ec.EllipticCurvePrivateKey | None = None
    if not root_path.exists():
        key_path = root_key_path or offline_root_key_path(settings)
        if key_path.exists():  # left by an interrupted init
            root_key = open_root_key(key_path, settings)
        else:
            root_key = ec.generate_private_key(ec.SECP384R1())
            write_root_key(key_path, root_key, settings)
        root_cert = profiles.sign(profiles.root_ca_builder(root_key.public_key(), now),
                                  root_key)
        write_certificates(root_path, [root_cert])
    else:
        root_cert = load_certificate(root_path)
        needs_root = [n for n in ("issuing.crt", "root.crl") if not (keys_dir / n).exists()]
        if needs_root:
            if root_key_path is None:
                raise ConfigurationError(
                    f"{keys_dir} lacks {', '.join(needs_root)}, which the root CA signs: "
                    "run `anxin init --root-key PATH` with the offline root key")
            root_key = open_root_key(root_key_path, settings, root_cert)
    issue_generation(keys_dir, settings, root_cert, root_key, now)
    if not (keys_dir / "root.crl").exists():
        assert root_key is not None
        issuing = load_certificate(keys_dir / "issuing.crt")
        (keys_dir / "root.crl").write_bytes(build_root_crl(
            root_cert, root_key, now, until=issuing.not_valid_after_utc))
    return True


def load_pki(settings: Settings, *, keys_dir: Path | None = None,
             urls: PkiUrls | None = None) -> Pki:
    """Load and cross-check the online part of the PKI (not the root key); ``keys_dir``
    and ``urls``: another PKI of the same layout (the test CA, :mod:`anxin.pki.test_ca`)."""
    keys_dir = keys_dir or settings.keys_dir
    missing = [n for n in (*PUBLISHED, "root.crl") if not (keys_dir / n).is_file()]
    if missing:
        raise ConfigurationError(
            f"the PKI in {keys_dir} is incomplete (missing {', '.join(missing)}): run "
            "`anxin init`")
    pw = settings.key_passphrase
    root_cert = load_certificate(keys_dir / "root.crt")
    issuing_cert = load_certificate(keys_dir / "issuing.crt")
    tsa_cert = load_certificate(keys_dir / "tsa.crt")
    seal_cert = load_certificate(keys_dir / "seal.crt")
    pki = Pki(
        urls=urls or PkiUrls(settings.effective_base_url),
        root_cert=root_cert,
        issuing_cert=issuing_cert,
        issuing_key=load_private_key(keys_dir / "issuing.key", pw),
        tsa_cert=tsa_cert,
        tsa_key=load_private_key(keys_dir / "tsa.key", pw),
        seal_cert=seal_cert,
        seal_key=load_private_key(keys_dir / "seal.key", pw),
        root_crl_der=(keys_dir / "root.crl").read_bytes(),
        archived_certs=tuple(_archived(keys_dir / "archive")),
        retired_crls=_retired_crls(keys_dir / "archive"),
        retired_ocsps={path.stem: path.read_bytes() for path in
                       sorted((keys_dir / "archive").glob("*/final-ocsp/*.der"))},
    )
    check_key_matches(pki.issuing_key, issuing_cert, "issuing CA")
    check_key_matches(pki.tsa_key, tsa_cert, "TSA")
    check_key_matches(pki.seal_key, seal_cert, "seal")
    if authority_key_id(issuing_cert) != subject_key_id(root_cert):
        raise ConfigurationError("issuing.crt was not issued by root.crt")
    for cert, what in ((tsa_cert, "tsa.crt"), (seal_cert, "seal.crt")):
        if authority_key_id(cert) != pki.issuing_key_id:
            raise ConfigurationError(f"{what} was not issued by the current issuing CA")
    return pki


def _retired_crls(archive_dir: Path) -> dict[str, bytes]:
    """The final CRL of each retired issuing CA, by the key id of the CA that signed it."""
    out: dict[str, bytes] = {}
    if not archive_dir.is_dir():
        return out
    for path in sorted(archive_dir.glob("*/issuing-final.crl")):
        der = path.read_bytes()
        crl = x509.load_der_x509_crl(der)
        try:
            aki = crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        except x509.ExtensionNotFound:
            continue
        if aki.key_identifier is not None:
            out[aki.key_identifier.hex()] = der
    return out


def _archived(archive_dir: Path) -> list[x509.Certificate]:
    if not archive_dir.is_dir():
        return []
    certs: list[x509.Certificate] = []
    for path in sorted(archive_dir.glob("*/*.crt")):
        certs.extend(c for c in load_certificates(path) if c not in certs)
    return certs
