"""Trust for the SM2 checks of a verification (issue 14): which trusted roots are SM2 ones,
the SM2 certificates a package carries, and chaining a leaf to any trusted SM2 root.

The roots of a verification come in as ``cryptography`` certificates (``--trust``,
``--trust-fingerprint``, the data directory's roots): ``cryptography`` reads an SM2
certificate but cannot use its key, so an SM2 root (one whose self-signature is
SM2-with-SM3, 1.2.156.10197.1.501) is handed to the SM2 checks as asn1crypto (their
verifier, :func:`anxin.pki.sm2_x509.verify_sm2_chain`) and kept away from pyHanko's
context, which judges the intl (ECDSA/RSA) signatures only.

A leaf that chains to no trusted SM2 root raises
:class:`~anxin.pki.sm2_x509.Sm2CertificateInvalid` with ``check="trust_anchor"``: the
checks report that as INDETERMINATE (trust not proven), any other failed check as FAILED.

Example::

    intl_roots, sm2_roots = split_roots(roots)
    path = chain_to_sm2_root(event_cert, sm2_pool(files), sm2_roots, at=gen_time)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from anxin.errors import AnxinError
from anxin.pki.sm2_x509 import Sm2CertificateInvalid, load_certificates, verify_sm2_chain

SM2_WITH_SM3: Final = "1.2.156.10197.1.501"
SM2_CERTIFICATES: Final = "sm2/certificates/"


def is_sm2_certificate(cert: x509.Certificate) -> bool:
    """Whether ``cert`` is signed SM2-with-SM3 (a root: its own key is SM2)."""
    return cert.signature_algorithm_oid.dotted_string == SM2_WITH_SM3


def to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def from_asn1(cert: asn1_x509.Certificate) -> x509.Certificate:
    """An SM2 root (asn1crypto, as :class:`anxin.pki.sm2_authority.Sm2Pki` holds it) as
    a verification's roots come in: e.g. ``[pki.root_cert, from_asn1(sm2.pki.root_cert)]``."""
    return x509.load_der_x509_certificate(cert.dump())


def split_roots(roots: Iterable[x509.Certificate]
                ) -> tuple[list[x509.Certificate], list[asn1_x509.Certificate]]:
    """The intl roots (for pyHanko) and the SM2 roots (asn1crypto, for the SM2 checks)."""
    intl: list[x509.Certificate] = []
    national: list[asn1_x509.Certificate] = []
    for root in roots:
        if is_sm2_certificate(root):
            national.append(to_asn1(root))
        else:
            intl.append(root)
    return intl, national


def sm2_pool(files: Mapping[str, bytes]) -> list[asn1_x509.Certificate]:
    """Every readable certificate under ``sm2/certificates/`` (``root.crt`` first); an
    unreadable file is left out (what it should have proven then stays unproven)."""
    out: list[asn1_x509.Certificate] = []
    for name in sorted(files, key=lambda n: (n != SM2_CERTIFICATES + "root.crt", n)):
        if name.startswith(SM2_CERTIFICATES) and name.endswith(".crt"):
            try:
                out.extend(load_certificates(files[name]))
            except AnxinError:
                continue
    return out


def sm2_package_certificates(files: Mapping[str, bytes]) -> list[x509.Certificate]:
    """The same certificates as ``cryptography`` objects (fingerprints, the claimed root)."""
    out: list[x509.Certificate] = []
    for cert in sm2_pool(files):
        try:
            out.append(x509.load_der_x509_certificate(cert.dump()))
        except ValueError:
            continue
    return out


def load_der_certificates(ders: Iterable[bytes]) -> list[asn1_x509.Certificate]:
    out: list[asn1_x509.Certificate] = []
    for der in ders:
        try:
            cert = asn1_x509.Certificate.load(der)
            cert.native  # noqa: B018 - parse it all now
        except (ValueError, TypeError, KeyError):
            continue
        out.append(cert)
    return out


def chain_to_sm2_root(leaf: asn1_x509.Certificate, pool: Sequence[asn1_x509.Certificate],
                      roots: Sequence[asn1_x509.Certificate], *, at: dt.datetime,
                      key_usage: Iterable[str] = ("digital_signature",),
                      eku: str | None = None) -> tuple[list[asn1_x509.Certificate],
                                                       asn1_x509.Certificate]:
    """Verify or raise: ``leaf`` chains through ``pool`` to one of the trusted ``roots``,
    valid at ``at``. Returns the path and the root. A failure against every root raises
    the most telling error: a broken link (signature, validity, usage) before "not
    chained to a trusted root"."""
    if not roots:
        raise Sm2CertificateInvalid("no SM2 root is trusted (give it with --trust or "
                                    "--trust-fingerprint)", check="trust_anchor")
    usage = tuple(key_usage)
    errors: list[Sm2CertificateInvalid] = []
    for root in roots:
        try:
            return verify_sm2_chain(leaf, pool, root, at=at, key_usage=usage, eku=eku), root
        except Sm2CertificateInvalid as exc:
            errors.append(exc)
    telling = [e for e in errors if e.check != "trust_anchor"]
    raise (telling or errors)[0]


def subject_of(cert: asn1_x509.Certificate) -> str:
    """The certificate's common name (or its whole subject)."""
    for rdn in cert.subject.chosen:
        for attribute in rdn:
            if attribute["type"].native == "common_name":
                return str(attribute["value"].native)
    return str(cert.subject.human_friendly)
