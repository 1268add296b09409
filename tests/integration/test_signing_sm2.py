"""Signing through the API in the `sm` and `dual` profiles (SQLite and PostgreSQL): what the
letter holds, checked by Anxin's readers and by a second SM2 implementation (`gmssl`), and
what the signing records.

- the signature fields in the contract's order, with their SubFilters;
- the SM2 CMS verifies over the SM3 of its byte range, and gmssl verifies its signature;
- the SM2 event certificate chains to the SM2 root and binds the authorization id and both
  digests of the letter text (the same bytes whose SHA-256 is ``letter_sha256``);
- the SM2 signature timestamp verifies over SM3 of the signature value (and gmssl agrees);
- the DSS holds the SM2 CRL and OCSP response of the SM2 event certificate (and, in dual,
  the intl ones); in sm the SM2 archive timestamp imprints its byte range;
- both certificates recorded, under their issuing CAs, with one id commitment; the
  ``signing`` keys and ``timestamp_at`` as the contract says; a losing signing records
  neither; one byte changed fails the SM2 CMS check by name;
- dual: pdfsig and stock pyHanko still judge the PAdES field valid and trusted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from sqlalchemy import select

from anxin.errors import AnxinError
from anxin.letters.sign_sm2 import SUBFILTER_DUAL, SUBFILTER_PKCS7
from anxin.letters.verify_sm2 import Sm2Signatures, sm2_signatures
from anxin.pki import sm2, sm2_cms
from anxin.pki.authority import authority_key_id
from anxin.pki.sm2_cms import Sm2CmsDigestMismatch
from anxin.pki.sm2_events import read_sm2_event_binding, verify_sm2_event_binding
from anxin.pki.sm2_revocation import verify_sm2_crl, verify_sm2_ocsp_response
from anxin.pki.sm2_tsa_verify import verify_sm2_token
from anxin.pki.sm2_x509 import END_ENTITY_PARTITION, verify_sm2_chain
from anxin.services import signing
from anxin.services.context import Context
from anxin.services.ports import CertificateStatus, LetterToSign, SignatureOutcome
from anxin.storage.models import Authorization, IssuedCertificate
from tests.common.factories import last_code, sign, token_of
from tests.common.letters import flip_byte_in_signed_range, nss_db_trusting, pdfsig, pyhanko_cli
from tests.unit.pki.test_sm2_cms import _gm_verify

# Every test runs on an sm and a dual data directory, but those about the PAdES field, which
# only a dual letter has (the sm letter's only signature is SM2, which pdfsig cannot judge).
DUAL_ONLY = {"test_the_dual_pades_field_still_passes_pdfsig_and_pyhanko"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "signature_profile" in metafunc.fixturenames:
        dual_only = metafunc.function.__name__ in DUAL_ONLY
        metafunc.parametrize("signature_profile", ["dual"] if dual_only else ["sm", "dual"])


FIELDS = {"sm": [("AnxinSignatureSM2", SUBFILTER_PKCS7),
                 ("AnxinArchiveTimestampSM2", "/ETSI.RFC3161")],
          "dual": [("AnxinSignature", "/ETSI.CAdES.detached"),
                   ("AnxinSignatureSM2", SUBFILTER_DUAL),
                   ("AnxinArchiveTimestamp", "/ETSI.RFC3161")]}


def _verify_cms(der: bytes, digest: bytes) -> sm2_cms.Sm2SignedInfo:
    return sm2_cms.parse_and_verify_detached(der, content_digest=digest)


def read(pdf: bytes) -> Sm2Signatures:
    return sm2_signatures(pdf, verify_cms=_verify_cms)


@pytest.fixture
def signed(api, client, outbox, ctx) -> dict[str, Any]:
    api.template(locale="zh-CN", body="本人{{ subject_name }}授权{{ institution }}查询"
                                      "{{ scope }}，用途：{{ purpose }}。业务编号{{ reference }}。")
    auth = api.request()
    sign(client, outbox, auth)
    pdf = api.get(f"/v1/authorizations/{auth['id']}/letter.pdf").content
    with ctx.db.transaction() as s:
        a = s.get(Authorization, auth["id"])
        assert a is not None
        text = ctx.keys.decrypt_text(a.letter_enc, aad=f"{a.id}/letter")
        rows = [(r.serial, r.issuer_key_id, r.kind) for r in s.scalars(
            select(IssuedCertificate).where(IssuedCertificate.authorization_id == a.id))]
        signing_keys = dict(a.signing or {})
    return {"id": auth["id"], "pdf": pdf, "text": text, "rows": rows,
            "signing": signing_keys, "record": api.get(f"/v1/authorizations/{auth['id']}").json()}


def _fields(pdf: bytes) -> list[tuple[str, str]]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return [(name, str(value.get_object()["/SubFilter"])) for name, value, _ref
            in enumerate_sig_fields(reader, filled_status=True)]


def _dss(pdf: bytes) -> dict[str, list[bytes]]:
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    dss = reader.root["/DSS"]
    return {kind: [stream.get_object().data for stream in dss.get(f"/{kind}", [])]
            for kind in ("Certs", "CRLs", "OCSPs")}


def test_the_letter_has_the_contracts_fields_in_order(signed, signature_profile):
    assert _fields(signed["pdf"]) == FIELDS[signature_profile]


def test_the_sm2_signature_verifies_and_gmssl_agrees(signed, ctx):
    [signature] = read(signed["pdf"]).signatures
    assert signature.field_name == "AnxinSignatureSM2"
    info = signature.cms
    assert isinstance(info, sm2_cms.Sm2SignedInfo)
    assert _gm_verify(signature.signer_certificate, info.signed_attributes, info.signature)
    tampered = bytearray(info.signed_attributes)
    tampered[-1] ^= 1
    assert not _gm_verify(signature.signer_certificate, bytes(tampered), info.signature)
    pki = ctx.sm2.pki
    assert signature.certificates[1:] == (pki.issuing_cert.dump(), pki.root_cert.dump())


def test_the_sm2_event_certificate_chains_and_binds_the_letter(signed, ctx):
    [signature] = read(signed["pdf"]).signatures
    cert = asn1_x509.Certificate.load(signature.signer_certificate)
    pki = ctx.sm2.pki
    path = verify_sm2_chain(cert, [pki.issuing_cert], pki.root_cert,
                            at=signature.signing_time, key_usage=("non_repudiation",))
    assert path[-1].dump() == pki.root_cert.dump()
    text = signed["text"].encode("utf-8")
    assert hashlib.sha256(text).hexdigest() == signed["record"]["letter_sha256"]
    binding = verify_sm2_event_binding(
        cert, letter_sha256_hex=signed["record"]["letter_sha256"],
        letter_sm3_hex=sm2.sm3(text).hex(), authorization_id=signed["id"])
    assert binding.authorization_id == signed["id"]
    with pytest.raises(AnxinError) as wrong:
        verify_sm2_event_binding(cert, letter_sha256_hex=signed["record"]["letter_sha256"],
                                 letter_sm3_hex=sm2.sm3(text + b" ").hex())
    assert wrong.value.code == "event_binding_mismatch"


def test_the_sm2_signature_timestamp_verifies(signed, ctx, signature_profile):
    [signature] = read(signed["pdf"]).signatures
    info = signature.cms
    assert isinstance(info, sm2_cms.Sm2SignedInfo)
    assert signature.timestamp_token is not None
    token = verify_sm2_token(signature.timestamp_token, digest=sm2.sm3(info.signature))
    assert token.tsa_certificate == ctx.sm2.pki.tsa_cert.dump()
    inner = sm2_cms.parse_and_verify_encapsulated(signature.timestamp_token)
    assert _gm_verify(inner.signer_certificate, inner.signed_attributes, inner.signature)
    with pytest.raises(AnxinError):
        verify_sm2_token(signature.timestamp_token, digest=sm2.sm3(info.signature + b"x"))
    # timestamp_at: the SM2 token's genTime in sm, the intl token's in dual.
    stored = signed["record"]["timestamp"]
    if signature_profile == "sm":
        assert stored.replace("Z", "+00:00") == token.gen_time.isoformat()
    else:
        assert stored is not None


def test_the_dss_holds_the_sm2_crl_and_ocsp(signed, ctx, signature_profile):
    [signature] = read(signed["pdf"]).signatures
    cert = asn1_x509.Certificate.load(signature.signer_certificate)
    pki = ctx.sm2.pki
    dss = _dss(signed["pdf"])
    assert {pki.issuing_cert.dump(), pki.root_cert.dump(), pki.tsa_cert.dump(),
            cert.dump()} <= set(dss["Certs"])
    at = signature.signing_time
    statuses = {}
    for der in dss["OCSPs"]:
        for name, about in (("event", cert), ("tsa", pki.tsa_cert)):
            try:
                statuses[name] = verify_sm2_ocsp_response(der, pki.issuing_cert, about,
                                                          at=at).status
            except AnxinError:
                continue
    assert statuses == {"event": "good", "tsa": "good"}
    partitions = []
    for der in dss["CRLs"]:
        try:
            partitions.append(verify_sm2_crl(der, pki.issuing_cert, at=at).partition)
        except AnxinError:
            continue
    assert END_ENTITY_PARTITION in partitions
    assert any(p and p.startswith("SM2 TSA") for p in partitions), partitions
    verify_sm2_crl(pki.root_crl_der, pki.root_cert, at=at)
    assert pki.root_crl_der in dss["CRLs"]  # the SM2 issuing CA's status
    # dual also carries the intl event certificate's and TSA's OCSP responses.
    assert len(dss["OCSPs"]) == (4 if signature_profile == "dual" else 2)


def test_in_sm_the_archive_timestamp_is_sm2(signed, ctx, signature_profile):
    stamps = read(signed["pdf"]).document_timestamps
    if signature_profile == "dual":
        assert stamps == ()  # dual's archive timestamp is the intl one (it covers both)
        return
    [stamp] = stamps
    assert stamp.field_name == "AnxinArchiveTimestampSM2"
    assert stamp.imprint == stamp.byte_range_digest
    info = verify_sm2_token(stamp.token, digest=stamp.byte_range_digest)
    assert info.tsa_certificate == ctx.sm2.pki.tsa_cert.dump()


def _subject_serial(der: bytes) -> str:
    cert = asn1_x509.Certificate.load(der)
    return str(read_sm2_event_binding(cert).id_commitment)


def test_both_certificates_are_recorded_with_one_commitment(signed, ctx, signature_profile):
    keys = signed["signing"]
    [signature] = read(signed["pdf"]).signatures
    sm2_cert = asn1_x509.Certificate.load(signature.signer_certificate)
    assert keys["event_certificate_sm2_serial"] == format(sm2_cert.serial_number, "x")
    assert keys["event_certificate_sm2_pem"].startswith("-----BEGIN CERTIFICATE-----")
    rows = {serial: issuer for serial, issuer, kind in signed["rows"] if kind == "event"}
    assert rows[keys["event_certificate_sm2_serial"]] == ctx.sm2.pki.issuing_key_id
    commitment = _subject_serial(signature.signer_certificate)
    assert commitment == keys["id_commitment"]
    salt = bytes.fromhex(keys["id_commitment_salt"])
    assert len(salt) == 16
    if signature_profile == "sm":
        assert "event_certificate_serial" not in keys
        assert "event_certificate_pem" not in keys
        assert len(rows) == 1
        return
    intl = x509.load_pem_x509_certificate(keys["event_certificate_pem"].encode())
    assert keys["event_certificate_serial"] == format(intl.serial_number, "x")
    assert rows[keys["event_certificate_serial"]] == authority_key_id(intl)
    assert len(rows) == 2
    intl_commitment = intl.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value
    assert intl_commitment == commitment


def test_one_byte_changed_fails_the_sm2_cms_digest(signed):
    with pytest.raises(Sm2CmsDigestMismatch) as failed:
        read(flip_byte_in_signed_range(signed["pdf"]))
    assert failed.value.code == Sm2CmsDigestMismatch.code


def test_the_dual_pades_field_still_passes_pdfsig_and_pyhanko(signed, settings, tmp_path,
                                                             signature_profile):
    assert signature_profile == "dual"
    path = tmp_path / "letter.pdf"
    path.write_bytes(signed["pdf"])
    root = settings.keys_dir / "root.crt"
    report = pdfsig(path, nss_db_trusting(root, tmp_path / "nss"))
    first = report.split("Signature #2")[0]
    assert "Signature Field Name: AnxinSignature" in first
    assert "Signature Validation: Signature is Valid." in first
    assert "Certificate Validation: Certificate is Trusted." in first
    # As for intl letters (test_signed_letter_e2e): pyHanko's AdES validation, which reads
    # the DSS (the SM2 validation data in it included) and passes over the SM2 field.
    ades = pyhanko_cli("sign", "adesverify", "--trust", str(root), "--trust-replace", str(path))
    [line] = [x for x in ades.stdout.splitlines() if x.startswith("AnxinSignature:")]
    assert ":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>" in line, ades.stdout + ades.stderr


class _Losing:
    """The real signer, after which the subject declines: the signing then loses."""

    def __init__(self, ctx: Context, token: str) -> None:
        self.real = ctx.letter_signer
        self.ctx = ctx
        self.token = token
        self.outcome: SignatureOutcome | None = None

    def __call__(self, letter: LetterToSign, status: CertificateStatus) -> SignatureOutcome:
        self.outcome = self.real(letter, status)
        signing.decline(self.ctx, self.token)
        return self.outcome


def test_a_losing_signing_records_neither_certificate(api, client, outbox, ctx,
                                                      signature_profile):
    api.template()
    auth = api.request(seq=7)
    token = token_of(auth)
    assert client.post(f"/s/{token}/otp").status_code == 204
    losing = _Losing(ctx, token)
    lost = dataclasses.replace(ctx, letter_signer=losing)
    with pytest.raises(AnxinError) as refused:
        signing.sign(lost, token, otp=last_code(outbox), read_confirmed=True,
                     client_ip=None, user_agent=None)
    assert refused.value.code == "authorization_not_pending"
    outcome = losing.outcome
    assert outcome is not None
    assert outcome.sm2_certificate is not None
    assert (outcome.certificate is None) == (signature_profile == "sm")
    serials = [format(outcome.sm2_certificate.serial_number, "x")]
    if outcome.certificate is not None:
        serials.append(format(outcome.certificate.serial_number, "x"))
    with ctx.db.transaction() as s:
        assert s.scalars(select(IssuedCertificate.serial).where(
            IssuedCertificate.serial.in_(serials))).all() == []
