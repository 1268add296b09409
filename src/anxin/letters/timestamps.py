"""The RFC 3161 timestamps inside a signed letter, and the TSA certificate of each.

A letter carries a signature timestamp (in the CMS, unsigned attribute) and, once B-LTA,
one document timestamp per archive renewal; renewal and packaging need to know which TSA
certificates they used, to supply the status of each.

Example::

    every_tsa, newest_archive_tsa = timestamp_certificates(pdf)
"""

from __future__ import annotations

from io import BytesIO

from asn1crypto import cms
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader


def _token_signer(signed_data: cms.SignedData) -> x509.Certificate | None:
    sid = signed_data["signer_infos"][0]["sid"]
    for choice in signed_data["certificates"] or []:
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number":
            wanted = sid.chosen
            if (cert.serial_number == wanted["serial_number"].native
                    and cert.issuer == wanted["issuer"]):
                return x509.load_der_x509_certificate(cert.dump())
        elif cert.key_identifier == sid.chosen.native:
            return x509.load_der_x509_certificate(cert.dump())
    return None


def timestamp_certificates(pdf: bytes) -> tuple[list[x509.Certificate], x509.Certificate | None]:
    """The TSA certificates of every timestamp in ``pdf`` (signature timestamps and
    document timestamps), and the newest document timestamp's (None before B-LTA)."""
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    found: list[x509.Certificate] = []
    latest: x509.Certificate | None = None
    for sig in reader.embedded_regular_signatures:
        for attr in sig.signer_info["unsigned_attrs"] or []:
            if attr["type"].native == "signature_time_stamp_token":
                cert = _token_signer(attr["values"][0]["content"])
                if cert is not None and cert not in found:
                    found.append(cert)
    for stamp in sorted(reader.embedded_timestamp_signatures, key=lambda s: s.signed_revision):
        cert = _token_signer(stamp.signed_data)
        if cert is not None:
            latest = cert
            if cert not in found:
                found.append(cert)
    return found, latest
