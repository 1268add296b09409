"""The evidence package of one authorization: one ZIP a court can check offline.

This module assembles and seals the files (pure: no storage); collecting them from the
database is the use case :mod:`anxin.services.evidence_package`.

Layout::

    README.txt                  what this is and how to check it
    letter.pdf                  the signed letter (PAdES B-LTA)
    authorization.json          the record: terms, status, uses, how it was signed
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
    manifest.json               SHA-256 of every file above
    manifest.p7s                detached CMS of manifest.json by the platform seal, timestamped
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import zipfile
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from anxin.evidence.seal_cms import sign_detached
from anxin.letters.letter_data import open_signed_letter
from anxin.pki.authority import Pki

REPORT_FILES = ("report.json", "report.pdf", "report.xml")


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


def seal_package(pki: Pki, files: dict[str, bytes], auth_id: str, timestamper: Any) -> bytes:
    """Verify what was collected, add the report, then the signed manifest; the ZIP."""
    from anxin.evidence.etsi import report_xml
    from anxin.evidence.package_verify import verify_files
    from anxin.evidence.report_pdf import render_report_pdf

    signed = with_manifest(pki, dict(files), timestamper)
    report = verify_files(signed, f"{auth_id}-evidence.zip", [pki.root_cert],
                          "the platform's own root certificate (at issuance)",
                          report_files=REPORT_FILES)
    files["report.json"] = report.to_json().encode()
    files["report.pdf"] = render_report_pdf(report, seal=(pki, timestamper))
    files["report.xml"] = report_xml(report)
    return zip_files(with_manifest(pki, files, timestamper))


def with_manifest(pki: Pki, files: dict[str, bytes], timestamper: Any) -> dict[str, bytes]:
    """``files`` plus ``manifest.json`` (SHA-256 of each) and its sealed ``manifest.p7s``."""
    manifest = {"format": "anxin-evidence/1",
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "files": {n: hashlib.sha256(b).hexdigest() for n, b in sorted(files.items())}}
    files["manifest.json"] = package_json(manifest)
    files["manifest.p7s"] = sign_detached(pki, files["manifest.json"], timestamper)
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
