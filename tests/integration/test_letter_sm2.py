"""The letter's SM2 signature field (`sm` and `dual` profiles), checked by Anxin's reader and by
ordinary tools: the byte range re-digested with ``openssl dgst -sm3``, the signature over the
signed attributes verified with ``openssl pkeyutl -rawin -digest sm3`` and with the pure-Python
``gmssl``; in `dual`, pdfsig and pyHanko still judge the PAdES field valid and trusted.

The SM2 certificates come from the ``openssl`` command (tests/common/sm2_openssl_ca.py)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from pyhanko.pdf_utils.generic import DictionaryObject, NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from anxin.errors import IntegrityFailure
from anxin.letters.checks import FAILED, PASSED, Check
from anxin.letters.render import render_letter_pdf
from anxin.letters.sign_sm2 import (
    SM2_ARCHIVE_TIMESTAMP_FIELD,
    SM2_SIGNATURE_FIELD,
    SUBFILTER_DUAL,
    SUBFILTER_PKCS7,
    add_sm2_document_timestamp,
    sign_letter_sm2,
)
from anxin.letters.verify import verify_letter
from anxin.letters.verify_sm2 import Sm2Signatures, sm2_signatures
from anxin.pki import sm2, sm2_cms
from tests.common.letters import (
    flip_byte_in_signed_range,
    letter_spec,
    nss_db_trusting,
    pdfsig,
    pdftotext,
    pyhanko_cli,
    sign_spec,
    upgrade,
)
from tests.common.sm2_openssl_ca import (
    DISTID,
    Sm2TestPki,
    build_sm2_test_pki,
    openssl,
    openssl_ok,
    sm2_timestamp_token,
)
from tests.common.test_ca import TestPKI, build_test_pki
from tests.unit.pki.test_sm2_cms import _gm_verify


def _verify_cms(der: bytes, digest: bytes) -> sm2_cms.Sm2SignedInfo:
    return sm2_cms.parse_and_verify_detached(der, content_digest=digest)


def read(pdf: bytes) -> Sm2Signatures:
    return sm2_signatures(pdf, verify_cms=_verify_cms)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sm2letters")


@pytest.fixture(scope="module")
def sm_pki(folder: Path) -> Sm2TestPki:
    return build_sm2_test_pki(folder / "pki")


@pytest.fixture(scope="module")
def parts(sm_pki: Sm2TestPki) -> dict[str, object]:
    key, cert, cert_pem = sm_pki.issue("event", "张三")
    tsa_key, tsa_cert, _ = sm_pki.issue("tsa", "Test SM2 TSA", tsa=True)

    def timestamp(digest: bytes) -> bytes:
        return sm2_timestamp_token(digest, tsa_key=tsa_key, tsa_cert=tsa_cert,
                                   chain=sm_pki.chain)

    sign_cms = functools.partial(sm2_cms.sign_detached, signer_key=key, signer_cert=cert,
                                 chain=sm_pki.chain, timestamp=timestamp)
    return {"key": key, "cert": cert, "cert_pem": cert_pem, "tsa_cert": tsa_cert,
            "timestamp": timestamp, "sign_cms": sign_cms}


NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


@pytest.fixture(scope="module")
def sm_letter(parts, sm_pki) -> bytes:
    """The `sm` profile: the SM2 signature with a visible stamp, then an SM3 archive
    timestamp after a DSS."""
    signed = sign_letter_sm2(render_letter_pdf(letter_spec()), sign_cms=parts["sign_cms"],
                             signer_name="张三", reason="个人信息查询授权", location="Anxin",
                             signing_time=NOW, stamp_method_label="短信验证")
    return add_sm2_document_timestamp(
        signed, timestamp=parts["timestamp"],
        certificates=[parts["cert"], *sm_pki.chain, parts["tsa_cert"]])


@pytest.fixture(scope="module")
def intl_pki() -> TestPKI:
    return build_test_pki()


@pytest.fixture(scope="module")
def dual_letter(parts, intl_pki, folder) -> Path:
    """The `dual` profile: PAdES B-T, then the SM2 field, then DSS + document timestamp."""
    pades, cert = sign_spec(intl_pki, letter_spec())
    both = sign_letter_sm2(pades, sign_cms=parts["sign_cms"], signer_name="张三",
                           reason="个人信息查询授权", location="Anxin", signing_time=NOW,
                           subfilter=SUBFILTER_DUAL)
    path = folder / "dual.pdf"
    path.write_bytes(upgrade(intl_pki, both, cert))
    return path


def _byte_range(pdf: bytes, field_offset: int = 0) -> list[int]:
    match = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]").search(
        pdf, field_offset)
    assert match is not None
    return [int(g) for g in match.groups()]


def _sm2_contents(pdf: bytes) -> tuple[list[int], bytes]:
    """The byte range and the CMS of the SM2 field, cut out as an auditor would."""
    at = pdf.index(b"/SubFilter /adbe.pkcs7.detached")
    start = pdf.rindex(b"<<", 0, at)
    ranges = _byte_range(pdf, start)
    hex_contents = pdf[ranges[1] + 1:ranges[2] - 1]
    raw = bytes.fromhex(hex_contents.decode())
    return ranges, bytes(cms.ContentInfo.load(raw).dump())


# --- the `sm` profile ---------------------------------------------------------------------------

def test_the_sm_letter_reads_back_with_everything_the_callers_check(sm_letter, parts, sm_pki):
    found = read(sm_letter)
    assert len(found.signatures) == 1
    signature = found.signatures[0]
    assert signature.field_name == SM2_SIGNATURE_FIELD
    assert signature.signer_certificate == parts["cert"]
    assert signature.certificates == (parts["cert"], *sm_pki.chain)
    assert signature.signing_time == NOW
    assert signature.revision == 1
    assert signature.timestamp_token is not None
    token = sm2_cms.parse_and_verify_encapsulated(signature.timestamp_token)
    imprint = tsp.TSTInfo.load(token.content)["message_imprint"]["hashed_message"].native
    assert imprint == sm2.sm3(signature.cms.signature)  # type: ignore[attr-defined]
    [archive] = found.document_timestamps
    assert archive.field_name == SM2_ARCHIVE_TIMESTAMP_FIELD
    assert archive.revision == 2  # one update: the DSS and the timestamp (as upgrade_to_lta)
    assert archive.imprint == archive.byte_range_digest


def test_the_sm_letter_profile_in_the_pdf(sm_letter, tmp_path):
    assert b"/Filter /Adobe.PPKLite" in sm_letter
    assert b"/SubFilter /adbe.pkcs7.detached" in sm_letter
    assert b"/SubFilter /ETSI.RFC3161" in sm_letter
    assert "签署人: 张三" in pdftotext(sm_letter, tmp_path)
    assert "(SM2)" in pdftotext(sm_letter, tmp_path)


def test_ordinary_tools_check_the_sm2_signature(sm_letter, parts, folder):
    """The auditor's procedure of docs/pki.md "The letter's SM2 signature", step by step."""
    ranges, contents = _sm2_contents(sm_letter)
    signed_bytes = (sm_letter[ranges[0]:ranges[0] + ranges[1]]
                    + sm_letter[ranges[2]:ranges[2] + ranges[3]])
    (folder / "signed-range.bin").write_bytes(signed_bytes)
    dgst = openssl_ok("dgst", "-sm3", "-r", folder / "signed-range.bin").decode().split()[0]
    signer_info = cms.ContentInfo.load(contents)["content"]["signer_infos"][0]
    attrs = {a["type"].dotted: a["values"][0] for a in signer_info["signed_attrs"]}
    assert attrs["1.2.840.113549.1.9.4"].native.hex() == dgst
    signed_attrs = b"\x31" + bytes(signer_info["signed_attrs"].dump())[1:]
    (folder / "signed-attrs.der").write_bytes(signed_attrs)
    (folder / "signature.der").write_bytes(bytes(signer_info["signature"].native))
    openssl_ok("x509", "-in", parts["cert_pem"], "-pubkey", "-noout", "-out",
               folder / "event-pub.pem")
    out = openssl_ok("pkeyutl", "-verify", "-pubin", "-inkey", folder / "event-pub.pem",
                     "-rawin", "-digest", "sm3", "-pkeyopt", DISTID,
                     "-in", folder / "signed-attrs.der", "-sigfile", folder / "signature.der")
    assert b"Signature Verified Successfully" in out
    assert _gm_verify(parts["cert"], signed_attrs, bytes(signer_info["signature"].native))
    (folder / "signed-attrs-x.der").write_bytes(signed_attrs[:-1] + bytes([signed_attrs[-1] ^ 1]))
    refused = openssl("pkeyutl", "-verify", "-pubin", "-inkey", folder / "event-pub.pem",
                      "-rawin", "-digest", "sm3", "-pkeyopt", DISTID,
                      "-in", folder / "signed-attrs-x.der", "-sigfile", folder / "signature.der")
    assert refused.returncode != 0


def test_pyhanko_computes_the_byte_range_digest_with_sm3(sm_letter):
    ranges, _ = _sm2_contents(sm_letter)
    data = sm_letter[:ranges[1]] + sm_letter[ranges[2]:ranges[2] + ranges[3]]
    assert read(sm_letter).signatures[0].byte_range_digest == sm2.sm3(data)


def test_one_byte_of_the_signed_range_is_a_digest_mismatch(sm_letter):
    with pytest.raises(sm2_cms.Sm2CmsDigestMismatch) as info:
        read(flip_byte_in_signed_range(sm_letter))
    assert info.value.code == "sm2_cms_digest_mismatch"


def test_one_byte_of_the_cms_signature_is_a_bad_signature(sm_letter):
    ranges, contents = _sm2_contents(sm_letter)
    signature = bytes(cms.ContentInfo.load(contents)["content"]["signer_infos"][0]
                      ["signature"].native)
    at = ranges[1] + 1 + 2 * (contents.index(signature) + len(signature) - 2)
    changed = bytearray(sm_letter)
    changed[at:at + 2] = b"%02x" % (int(sm_letter[at:at + 2], 16) ^ 1)
    with pytest.raises(sm2.SM2SignatureInvalid) as info:
        read(bytes(changed))
    assert info.value.code == "sm2_signature_invalid"


def test_one_byte_of_a_signed_attribute_is_a_bad_signature(sm_letter, parts):
    ranges, contents = _sm2_contents(sm_letter)
    at = ranges[1] + 1 + 2 * (contents.index(sm2.sm3(parts["cert"])) + 3)  # the ESS hash
    changed = bytearray(sm_letter)
    changed[at:at + 2] = b"%02x" % (int(sm_letter[at:at + 2], 16) ^ 1)
    with pytest.raises(sm2.SM2SignatureInvalid):
        read(bytes(changed))


def test_a_later_revision_leaves_the_signature_on_its_own_revision(sm_letter):
    appended = sm_letter + b"\n% a comment after the last revision\n"
    found = read(appended)
    assert found.signatures[0].revision == 1


def test_an_unsigned_pdf_has_no_sm2_signature():
    found = read(render_letter_pdf(letter_spec()))
    assert found.signatures == ()
    assert found.document_timestamps == ()


# --- the `dual` profile ---------------------------------------------------------------------------

def test_dual_letter_carries_the_sm2_field_between_pades_and_archive(dual_letter, parts):
    found = read(dual_letter.read_bytes())
    [signature] = found.signatures
    assert signature.revision == 2  # after the PAdES revision
    assert signature.signer_certificate == parts["cert"]
    assert found.document_timestamps == ()  # the archive timestamp is the intl (SHA-256) one


def test_dual_letter_pades_field_still_valid_and_trusted_for_pdfsig(
        dual_letter, intl_pki, folder):
    nss = nss_db_trusting(intl_pki.write_root_pem(folder / "intl-root.pem"), folder / "nss")
    report = pdfsig(dual_letter, nss)
    first, second = report.split("Signature #2")[0], report.split("Signature #2")[1]
    assert "Signature Validation: Signature is Valid." in first
    assert "Certificate Validation: Certificate is Trusted." in first
    assert f"Signature Field Name: {SM2_SIGNATURE_FIELD}" in second
    # listed, not judged: its SubFilter is Anxin's and NSS has no SM2
    assert "Signature Type: unknown" in second.split("Signature #3")[0]
    assert "Signature is Valid." not in second.split("Signature #3")[0]


def test_dual_letter_pades_field_judged_by_stock_pyhanko(dual_letter, intl_pki, folder):
    """pyHanko as an auditor installs it (no Anxin code in its process) judges the PAdES
    field INTACT:TRUSTED with a trusted timestamp and the LTA update, and passes over the
    SM2 field (its private SubFilter)."""
    root = intl_pki.write_root_pem(folder / "intl-root2.pem")
    result = pyhanko_cli("sign", "adesverify", "--trust", str(root), "--trust-replace",
                         str(dual_letter))
    lines = result.stdout.splitlines()
    pades = [line for line in lines if line.startswith("AnxinSignature:")]
    assert pades, result.stdout + result.stderr
    assert ":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>" in pades[0]
    assert not [line for line in lines if line.startswith(SM2_SIGNATURE_FIELD)]
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_sm_letter_uses_the_readers_subfilter_and_dual_its_own(sm_letter, dual_letter):
    assert b"/SubFilter /adbe.pkcs7.detached" in sm_letter
    assert SUBFILTER_DUAL.encode() in dual_letter.read_bytes()
    assert SUBFILTER_DUAL.encode() not in sm_letter


# --- document integrity of a dual letter: the SM2 field is the one form change allowed -----

def _integrity_of(pdf: bytes, pki: TestPKI) -> Check:
    [check] = [c for c in verify_letter(pdf, [pki.root_cert]).checks
               if c.name == "document_integrity"]
    return check


def test_the_dual_sm2_field_is_the_one_later_form_change_accepted(dual_letter, intl_pki):
    check = _integrity_of(dual_letter.read_bytes(), intl_pki)
    assert check.status == PASSED, check.detail
    assert SM2_SIGNATURE_FIELD in check.detail


def test_an_sm2_field_under_another_subfilter_after_pades_is_a_modification(parts, intl_pki):
    pades, cert = sign_spec(intl_pki, letter_spec())
    other = sign_letter_sm2(pades, sign_cms=parts["sign_cms"], signer_name="张三",
                            reason="x", location="Anxin", signing_time=NOW,
                            subfilter=SUBFILTER_PKCS7)
    # a second signature pyHanko sees: not a letter at all (one signature per letter)
    with pytest.raises(IntegrityFailure, match="one signature"):
        _integrity_of(upgrade(intl_pki, other, cert), intl_pki)


def test_a_text_field_added_beside_the_dual_sm2_field_is_a_modification(dual_letter, intl_pki):
    writer = IncrementalPdfFileWriter(io.BytesIO(dual_letter.read_bytes()))
    text_field = writer.add_object(DictionaryObject({
        NameObject("/FT"): NameObject("/Tx"), NameObject("/T"): TextStringObject("amount"),
        NameObject("/V"): TextStringObject("1,000,000")}))
    form = writer.root["/AcroForm"]
    form["/Fields"].append(text_field)
    writer.update_container(form["/Fields"])
    out = io.BytesIO()
    writer.write(out)
    assert _integrity_of(out.getvalue(), intl_pki).status == FAILED


def test_a_signature_of_another_content_type_fails_integrity(dual_letter, intl_pki):
    """One byte of the PAdES CMS's eContentType (id-data → id-signedData), as the dual
    journey's tamper step once hit: pyHanko then raises AttributeError (it never sets the
    signature's digest algorithm); the letter is FAILED, not an unreadable file."""
    pdf = dual_letter.read_bytes()
    id_data = b"06092a864886f70d010701"
    at = pdf.lower().index(id_data) + len(id_data) - 1
    changed = pdf[:at] + b"2" + pdf[at + 1:]
    check = _integrity_of(changed, intl_pki)
    assert check.status == FAILED, check.detail
    assert "cannot be processed" in check.detail, check.detail


def test_a_document_timestamp_of_another_content_type_fails_integrity(dual_letter, intl_pki):
    """One byte of the archive timestamp's eContentType OID (id-ct-TSTInfo → …1.5)."""
    pdf = dual_letter.read_bytes()
    tst_info = b"060b2a864886f70d0109100104"
    at = pdf.lower().rindex(tst_info) + len(tst_info) - 1
    changed = pdf[:at] + b"5" + pdf[at + 1:]
    check = _integrity_of(changed, intl_pki)
    assert check.status == FAILED, check.detail
    assert "cannot be processed" in check.detail
