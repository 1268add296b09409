"""The evidence package of one authorization: one ZIP a court can check offline.

This module assembles and seals the files (pure: no storage); collecting them from the
database is the use case :mod:`anxin.services.evidence_package`.

Layout::

    README.txt                  what this is and how to check it
    letter.pdf                  the signed letter (PAdES B-LTA)
    authorization.json          the record: terms, status, uses, how it was signed
    consent-receipt.json        the person's signed consent receipt (JSON-LD + JWS), the
                                same bytes /me and the signing page download
    identity/id-commitment.json salt and commitment of the id number in the certificate
    identity/sms.json           the SMS evidence (masked number, times)
    identity/passkey.json       the WebAuthn assertion and credential key (if used)
    certificates/*.crt          root, issuing CA, TSA, seal, event certificate (PEM)
    revocation/*.crl|.der       CRLs and OCSP responses for every certificate used (event,
                                TSAs, seal, issuing CAs), for the checks outside the letter
    timestamps/signature.tst    the letter signature's RFC 3161 token
    ledger/entries.json         every leaf of this authorization with its inclusion proof
    ledger/checkpoint.txt       the signed checkpoint the proofs lead to (+ .tst)
    ledger/verifier-key.txt     the ledger's signed-note verifier key
    ledger/commitment-key.json  the key that opens this authorization's commitments
    report.json, report.pdf     the verification report at issuance (two answers: the
    report.xml                  consent's validity, its status at package time; the XML
                                per ETSI TS 119 102-2)
    manifest.json               SHA-256 of every file above (``files``), the ``profile``
                                and, in sm and dual, their SM3 (``files_sm3``)
    manifest.p7s                detached CMS of manifest.json by the platform seal, timestamped

In the ``sm`` and ``dual`` signature profiles (issue 14) everything SM2 lives under ``sm2/``,
so the code that reads ``certificates/*.crt`` and ``revocation/*`` never meets an SM2 file::

    sm2/certificates/*.crt      SM2 root, issuing CA, TSA, seal, event certificate (PEM)
    sm2/revocation/*.crl|.der   SM2-signed CRLs and OCSP responses (event, TSA, seal, issuing)
    sm2/timestamps/signature.tst  the SM2 signature's RFC 3161 token (SM3 imprint, SM2 TSA)
    sm2/ledger/verifier-key.txt the checkpoint's SM2 line's verifier key
    sm2/ledger/leaves-sm3.json  SM3(0x00 || leaf) of every leaf in ledger/entries.json
    manifest.sm2.p7s            SM2 CMS (detached, over SM3 of manifest.json) by the SM2
                                seal, SM2-timestamped; not listed in the manifest

In ``sm`` there is no intl evidence file (no ``manifest.p7s``, ``certificates/*``,
``revocation/*``, ``timestamps/signature.tst``), ``ledger/checkpoint.tst`` is the SM2 token
the ledger stored, and report.pdf is sealed SM2 (:func:`seal_report_sm2`); in ``dual`` the
intl files stay as in ``intl`` and the SM2 ones are added.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from anxin.errors import ConfigurationError
from anxin.evidence.seal_cms import sign_detached
from anxin.letters.letter_data import open_signed_letter
from anxin.pki import sm2, sm2_cms
from anxin.pki.authority import Pki
from anxin.pki.signature_profile import Profile

REPORT_FILES = ("report.json", "report.pdf", "report.xml")
MANIFEST: Final = "manifest.json"
MANIFEST_P7S: Final = "manifest.p7s"
MANIFEST_SM2_P7S: Final = "manifest.sm2.p7s"
SM2_PREFIX: Final = "sm2/"


@dataclass(frozen=True)
class Sm2Sealer:
    """The SM2 seal of an ``sm``/``dual`` package: the SM2 seal's key and certificate, its
    chain (issuing CA, root) and the SM2 timestamp source (SM3 digest → token DER)."""

    key: sm2.SM2PrivateKey
    cert: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]
    timestamp: Callable[[bytes], bytes]

    @classmethod
    def of(cls, pki: Any, timestamp: Callable[[bytes], bytes]) -> Sm2Sealer:
        """From an :class:`~anxin.pki.sm2_authority.Sm2Pki` and a timestamper's
        ``timestamp`` (:class:`~anxin.pki.sm2_tsa_client.Sm2TimeStamper`)."""
        return cls(key=pki.seal_key, cert=pki.seal_cert,
                   chain=(pki.issuing_cert, pki.root_cert), timestamp=timestamp)

    @property
    def root(self) -> asn1_x509.Certificate:
        """The SM2 root (the chain's last certificate)."""
        return self.chain[-1]

    def sign_detached_sm3(self, digest: bytes) -> bytes:
        """The SM2 CMS (detached, GB/T 35275) over content whose SM3 is ``digest``."""
        return sm2_cms.sign_detached(digest, signer_key=self.key, signer_cert=self.cert.dump(),
                                     chain=[c.dump() for c in self.chain],
                                     timestamp=self.timestamp)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def signature_token(pdf: bytes) -> bytes | None:
    signer = open_signed_letter(pdf).signature.signed_data["signer_infos"][0]
    for attr in signer["unsigned_attrs"] or []:
        if attr["type"].native == "signature_time_stamp_token":
            token: bytes = attr["values"][0].dump()
            return token
    return None


def seal_package(pki: Pki, files: dict[str, bytes], auth_id: str, timestamper: Any, *,
                 profile: Profile = Profile.INTL, sm2_sealer: Sm2Sealer | None = None,
                 test: bool = False) -> bytes:
    """Verify what was collected, add the report, then the signed manifest; the ZIP.

    In ``sm`` and ``dual`` ``sm2_sealer`` is required (it seals ``manifest.sm2.p7s`` and,
    in ``sm``, report.pdf)."""
    from anxin.evidence.etsi import report_xml
    from anxin.evidence.package_verify import verify_files
    from anxin.evidence.report_pdf import render_report_pdf
    from anxin.evidence.sm_trust import from_asn1

    signed = with_manifest(pki, dict(files), timestamper, profile=profile,
                           sm2_sealer=sm2_sealer, test=test)
    roots = [pki.root_cert]  # sm, dual: the SM2 root too (its checks need it)
    if profile.has_sm:
        roots.append(from_asn1(_required(sm2_sealer, profile).root))
    report = verify_files(signed, f"{auth_id}-evidence.zip", roots,
                          "the platform's own test root certificate (test mode)" if test
                          else "the platform's own root certificate (at issuance)",
                          report_files=REPORT_FILES)
    files["report.json"] = report.to_json().encode()
    if profile.has_intl:
        files["report.pdf"] = render_report_pdf(report, seal=(pki, timestamper), files=files)
    else:
        files["report.pdf"] = seal_report_sm2(render_report_pdf(report, files=files),
                                              _required(sm2_sealer, profile))
    files["report.xml"] = report_xml(report)
    return zip_files(with_manifest(pki, files, timestamper, profile=profile,
                                   sm2_sealer=sm2_sealer, test=test))


def seal_report_sm2(pdf: bytes, sealer: Sm2Sealer) -> bytes:
    """report.pdf of an ``sm`` package: an invisible SM2 signature field (SM2 CMS over the
    SM3 of the byte range, ``/adbe.pkcs7.detached`` as the ``sm`` letter's) by the SM2
    seal, SM2-timestamped, in place of the intl PAdES seal (no intl signature in ``sm``)."""
    from anxin.letters.sign_sm2 import SUBFILTER_PKCS7, sign_letter_sm2

    return sign_letter_sm2(pdf, sign_cms=sealer.sign_detached_sm3,
                           signer_name="Anxin SM2 Platform Seal",
                           reason="Anxin verification report", location="Anxin",
                           signing_time=dt.datetime.now(dt.UTC), subfilter=SUBFILTER_PKCS7)


def _required(sealer: Sm2Sealer | None, profile: Profile) -> Sm2Sealer:
    if sealer is None:
        raise ConfigurationError(f"the {profile.value} profile's package needs the SM2 seal")
    return sealer


def manifest_document(files: dict[str, bytes], profile: Profile = Profile.INTL, *,
                      test: bool = False) -> bytes:
    """``manifest.json``: SHA-256 of every file, the profile and, in ``sm``/``dual``, the
    SM3 of the same files (``files_sm3``); ``"test": true`` for a test authorization's."""
    manifest: dict[str, Any] = {
        "format": "anxin-evidence/1",
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": profile.value,
        "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())}}
    if test:
        manifest["test"] = True
    if profile.has_sm:
        manifest["files_sm3"] = {n: sm2.sm3(b).hex() for n, b in sorted(files.items())}
    return package_json(manifest)


def with_manifest(pki: Pki, files: dict[str, bytes], timestamper: Any, *,
                  profile: Profile = Profile.INTL,
                  sm2_sealer: Sm2Sealer | None = None, test: bool = False) -> dict[str, bytes]:
    """``files`` plus ``manifest.json`` and its seals: ``manifest.p7s`` (intl seal, intl
    and dual) and ``manifest.sm2.p7s`` (SM2 seal over its SM3, sm and dual)."""
    files["manifest.json"] = manifest_document(files, profile, test=test)
    if profile.has_intl:
        files[MANIFEST_P7S] = sign_detached(pki, files[MANIFEST], timestamper)
    if profile.has_sm:
        files[MANIFEST_SM2_P7S] = _required(sm2_sealer, profile).sign_detached_sm3(
            sm2.sm3(files[MANIFEST]))
    return files


def package_json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


def zip_files(files: dict[str, bytes]) -> bytes:
    """The package's ZIP: sorted names, fixed dates, deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    return buf.getvalue()
