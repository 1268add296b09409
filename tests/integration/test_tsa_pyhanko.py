"""pyHanko signs a PDF with an event certificate and a B-T timestamp from our TSA
(in-process), and its validator trusts both against our root."""

from __future__ import annotations

import asyncio
import hashlib
import io
import subprocess
import sys
import warnings
from pathlib import Path

from asn1crypto import crl as asn1_crl
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from anxin.pki.events import (
    issue_event_certificate,
    make_id_commitment,
    read_event_binding,
    record_certificate,
)
from anxin.pki.revocation import current_crls
from anxin.pki.serials import InMemorySerialSource
from anxin.pki.tsa import InProcessTimeStamper, TimestampAuthority
from anxin.storage.certificate_store import SqlCertificateStore
from tests.integration.pki_support import TEST_KEYS, make_pki, sqlite_db, utcnow


def _letter() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Authorization letter")
    return bytes(pdf.output())


def _asn1(cert: object) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))  # type: ignore[attr-defined]


def test_pades_b_t_with_the_builtin_tsa(tmp_path: Path) -> None:
    _, pki = make_pki(tmp_path)
    letter = _letter()
    letter_sha256 = hashlib.sha256(letter).hexdigest()
    key, cert = issue_event_certificate(
        pki, name="张三", id_commitment_hex=make_id_commitment("1")[1],
        authorization_id="auth-1", letter_sha256_hex=letter_sha256, now=utcnow())
    signer = signers.SimpleSigner(
        signing_cert=_asn1(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            Encoding.DER, PrivateFormat.PKCS8, NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(pki.issuing_cert)]))
    stamper = InProcessTimeStamper(TimestampAuthority(pki, InMemorySerialSource()))
    signed = signers.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(letter)),
        signers.PdfSignatureMetadata(field_name="Signature",
                                     subfilter=SigSeedSubFilter.PADES),
        signer=signer, timestamper=stamper)

    context = ValidationContext(trust_roots=[_asn1(pki.root_cert)], allow_fetching=False,
                                revocation_mode="soft-fail")
    reader = PdfFileReader(signed)
    embedded = reader.embedded_signatures[0]
    status = asyncio.run(async_validate_pdf_signature(
        embedded, signer_validation_context=context, ts_validation_context=context))
    assert status.intact
    assert status.valid
    assert status.trusted
    assert status.timestamp_validity is not None
    assert status.timestamp_validity.intact
    assert status.timestamp_validity.valid
    assert status.timestamp_validity.trusted
    assert read_event_binding(embedded.signer_cert).letter_sha256 == letter_sha256

    # poppler's pdfsig, offline, with an NSS database that trusts only our root
    (tmp_path / "signed.pdf").write_bytes(signed.getvalue())
    (tmp_path / "root.pem").write_bytes(pki.pem("root.crt"))
    nss = tmp_path / "nss"
    nss.mkdir()
    _run("certutil", "-N", "-d", f"sql:{nss}", "--empty-password")
    _run("certutil", "-A", "-d", f"sql:{nss}", "-n", "anxin-root", "-t", "CT,C,C",
         "-i", str(tmp_path / "root.pem"))
    report = _run("pdfsig", "-nssdir", f"sql:{nss}", str(tmp_path / "signed.pdf"))
    assert "Signature Validation: Signature is Valid." in report
    assert "Certificate Validation: Certificate is Trusted." in report


def _run(*args: str) -> str:
    done = subprocess.run(list(args), capture_output=True, check=True, timeout=60)
    return (done.stdout + done.stderr).decode()


def test_pades_b_lta_with_our_crls_is_valid_offline(tmp_path: Path) -> None:
    """Validation data from current_crls() (no network), then pyHanko's AdES validation."""
    _, pki = make_pki(tmp_path)
    db = sqlite_db(tmp_path)
    letter = _letter()
    key, cert = issue_event_certificate(
        pki, name="张三", id_commitment_hex=make_id_commitment("1")[1],
        authorization_id="auth-2", letter_sha256_hex=hashlib.sha256(letter).hexdigest(),
        now=utcnow())
    with db.transaction() as session:
        store = SqlCertificateStore(session)
        record_certificate(store, cert, keys=TEST_KEYS, kind="event",
                           authorization_id="auth-2")
        crls = current_crls(pki, store, utcnow())
    db.dispose()
    context = ValidationContext(
        trust_roots=[_asn1(pki.root_cert)], allow_fetching=False,
        crls=[asn1_crl.CertificateList.load(c) for c in crls], revocation_mode="hard-fail")
    signer = signers.SimpleSigner(
        signing_cert=_asn1(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            Encoding.DER, PrivateFormat.PKCS8, NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(pki.issuing_cert)]))
    stamper = InProcessTimeStamper(TimestampAuthority(pki, InMemorySerialSource()))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*fetching is not allowed.*")
        signed = signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(letter)),
            signers.PdfSignatureMetadata(
                field_name="Signature", subfilter=SigSeedSubFilter.PADES,
                embed_validation_info=True, use_pades_lta=True, validation_context=context),
            signer=signer, timestamper=stamper)
    (tmp_path / "lta.pdf").write_bytes(signed.getvalue())
    (tmp_path / "root.pem").write_bytes(pki.pem("root.crt"))
    report = _run(sys.executable, "-m", "pyhanko", "sign", "adesverify", "--trust",
                  str(tmp_path / "root.pem"), "--trust-replace", "--pretty-print",
                  str(tmp_path / "lta.pdf"))
    assert "The signer's certificate is trusted." in report
    assert "The TSA certificate is trusted." in report
    assert "The signature is judged VALID." in report
