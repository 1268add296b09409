"""verify_letter: ETSI indications for good, tampered, foreign, revoked and swapped letters."""

from __future__ import annotations

import datetime as dt
import time
from io import BytesIO

import pytest
from cryptography import x509
from pyhanko.pdf_utils.generic import DictionaryObject, NameObject, NumberObject, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure, ValidationFailed
from anxin.letters.letter_data import SignedLetter
from anxin.letters.render import render_letter_pdf
from anxin.letters.sign import sign_letter
from anxin.letters.verify import TOTAL_FAILED, TOTAL_PASSED, verify_letter
from tests.common.letters import flip_byte_in_signed_range, letter_spec, sign_spec, upgrade
from tests.common.test_ca import TestPKI, build_test_pki

# A test binding extension (the product's lives in anxin.pki): "<authorization id> <sha256>".
BINDING_OID = x509.ObjectIdentifier("2.25.329800735698586629295641978511506172918")


def binding_extension(authorization_id: str, letter_sha256: str) -> x509.UnrecognizedExtension:
    return x509.UnrecognizedExtension(BINDING_OID,
                                      f"{authorization_id} {letter_sha256}".encode())


def check_binding(cert: x509.Certificate, letter: SignedLetter) -> None:
    raw = cert.extensions.get_extension_for_oid(BINDING_OID).value
    assert isinstance(raw, x509.UnrecognizedExtension)
    authorization_id, digest = raw.value.decode().split()
    if (authorization_id, digest) != (letter.authorization_id, letter.text_sha256):
        raise IntegrityFailure(
            f"certificate binds {authorization_id}/{digest}, the letter is "
            f"{letter.authorization_id}/{letter.text_sha256}", code=Code.EVENT_BINDING_MISMATCH)


@pytest.fixture(scope="module")
def pki() -> TestPKI:
    return build_test_pki()


@pytest.fixture(scope="module")
def lta_letter(pki: TestPKI) -> bytes:
    spec = letter_spec()
    signed, cert = sign_spec(pki, spec, extra_extensions=[
        (binding_extension(spec.authorization_id, spec.letter_sha256), False)])
    return upgrade(pki, signed, cert)


def test_lta_letter_passes_every_check(pki, lta_letter):
    result = verify_letter(lta_letter, [pki.root_cert], binding_check=check_binding)
    assert (result.indication, result.sub_indication) == (TOTAL_PASSED, None)
    assert [c.name for c in result.checks] == [
        "document_integrity", "signature_value", "signer_certificate_chain",
        "signature_timestamp", "document_timestamp", "letter_text",
        "event_certificate_binding"]
    assert all(c.status == "passed" for c in result.checks), result.checks
    assert result.signer_name == "张三"
    assert result.signer_certificate is not None
    assert result.letter is not None
    assert result.letter.letter_text == letter_spec().letter_text
    assert result.signature_timestamp is not None
    assert len(result.archive_timestamps) == 1
    assert result.as_dict()["letter_sha256"] == letter_spec().letter_sha256


def _sign_with_cert(pki: TestPKI, key, cert) -> bytes:
    signed = sign_letter(render_letter_pdf(letter_spec()), signer_key=key, signer_cert=cert,
                         chain=pki.chain, timestamper=pki.timestamper(), signer_name="张三",
                         method_label="短信验证", reason="r", location="l",
                         signing_time=dt.datetime.now(dt.UTC))
    return upgrade(pki, signed, cert)


@pytest.mark.slow
def test_lta_letter_still_passes_after_its_short_lived_certificate_expired(pki):
    key, cert = pki.issue_event_cert("张三", minutes=0.2)
    letter = _sign_with_cert(pki, key, cert)
    time.sleep(max(0.0, (cert.not_valid_after_utc - dt.datetime.now(dt.UTC)).total_seconds())
               + 1.5)
    result = verify_letter(letter, [pki.root_cert])
    assert result.indication == TOTAL_PASSED, result.checks
    assert "short-lived" in result.check("signer_certificate_chain").detail


def test_certificate_expired_before_the_signature_time_never_passes(pki):
    key, cert = pki.issue_event_cert("张三", minutes=-0.5)
    result = verify_letter(_sign_with_cert(pki, key, cert), [pki.root_cert])
    assert result.indication == "INDETERMINATE"
    assert result.check("signer_certificate_chain").status != "passed"


def test_one_changed_byte_is_total_failed_hash_failure(pki, lta_letter):
    result = verify_letter(flip_byte_in_signed_range(lta_letter), [pki.root_cert])
    assert (result.indication, result.sub_indication) == (TOTAL_FAILED, "HASH_FAILURE")
    assert result.check("document_integrity").status == "failed"


def test_an_update_after_signing_is_detected(pki, lta_letter):
    writer = IncrementalPdfFileWriter(BytesIO(lta_letter))
    writer.set_info(DictionaryObject({NameObject("/Title"): pdf_string("A different letter")}))
    page = writer.root["/Pages"]["/Kids"][0]
    page[NameObject("/Rotate")] = NumberObject(90)
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)
    result = verify_letter(out.getvalue(), [pki.root_cert])
    assert result.indication == TOTAL_FAILED
    assert result.check("document_integrity").status == "failed"


def test_letter_from_another_root_is_indeterminate_no_chain(pki):
    stranger = build_test_pki("Stranger")
    signed, cert = sign_spec(stranger, letter_spec())
    result = verify_letter(upgrade(stranger, signed, cert), [pki.root_cert])
    assert (result.indication, result.sub_indication) == (
        "INDETERMINATE", "NO_CERTIFICATE_CHAIN_FOUND")
    assert result.check("signer_certificate_chain").status != "passed"


def test_revoked_event_certificate_never_passes(pki):
    signed, cert = sign_spec(pki, letter_spec())
    pki.revoke(cert)
    try:
        result = verify_letter(upgrade(pki, signed, cert), [pki.root_cert])
    finally:
        pki.revoked.clear()
    assert result.indication != TOTAL_PASSED
    assert "REVOKED" in (result.sub_indication or "")


def test_b_t_letter_without_revocation_data_is_indeterminate(pki):
    signed, _ = sign_spec(pki, letter_spec())
    result = verify_letter(signed, [pki.root_cert])
    assert result.indication == "INDETERMINATE"
    assert result.check("document_integrity").status == "passed"
    assert result.check("signature_timestamp").status == "passed"
    assert result.check("document_timestamp").status == "indeterminate"


def test_certificate_bound_to_another_letter_is_refused(pki):
    bound = letter_spec()
    other = letter_spec(text=bound.letter_text + "\n另：本人同意查询司法记录。")
    signed, cert = sign_spec(pki, other, extra_extensions=[
        (binding_extension(bound.authorization_id, bound.letter_sha256), False)])
    result = verify_letter(upgrade(pki, signed, cert), [pki.root_cert],
                           binding_check=check_binding)
    assert result.indication == TOTAL_FAILED
    assert result.check("event_certificate_binding").status == "failed"
    assert result.check("document_integrity").status == "passed"


@pytest.mark.parametrize("data", [b"", b"hello", b"PK\x03\x04zip", b"%PDF-1.7\ngarbage"])
def test_unreadable_input_is_refused_with_its_code(pki, data):
    with pytest.raises(ValidationFailed) as info:
        verify_letter(data, [pki.root_cert])
    assert info.value.code == "unreadable_input"


def test_unsigned_pdf_is_unreadable_input(pki):
    with pytest.raises(ValidationFailed) as info:
        verify_letter(render_letter_pdf(letter_spec()), [pki.root_cert])
    assert info.value.code == "unreadable_input"
