"""``anxin.pki.sm2_cms``: the SM2 SignedData profile, read back by asn1crypto, its signature
checked by a second SM2 implementation (the pure-Python ``gmssl``, Z recomputed here), and
every tamper met by the typed error that names the check.

The certificates are made by the ``openssl`` command (tests/common/sm2_openssl_ca.py), not by
Anxin's own SM2 CA."""

from __future__ import annotations

import io

import pytest
from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader

from anxin.pki import sm2, sm2_cms
from tests.common.gmssl_check import gm_verify
from tests.common.letters import letter_spec, sign_spec
from tests.common.sm2_openssl_ca import Sm2TestPki, build_sm2_test_pki, sm2_timestamp_token
from tests.common.test_ca import build_test_pki

CONTENT = "个人信息查询授权书 — the letter's signed bytes".encode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Sm2TestPki:
    return build_sm2_test_pki(tmp_path_factory.mktemp("sm2pki"))


@pytest.fixture(scope="module")
def signer(pki: Sm2TestPki) -> tuple[sm2.SM2PrivateKey, bytes]:
    key, cert, _ = pki.issue("event", "张三")
    return key, cert


@pytest.fixture(scope="module")
def tsa(pki: Sm2TestPki) -> tuple[sm2.SM2PrivateKey, bytes]:
    key, cert, _ = pki.issue("tsa", "Test SM2 TSA", tsa=True)
    return key, cert


@pytest.fixture(scope="module")
def signed(pki: Sm2TestPki, signer: tuple[sm2.SM2PrivateKey, bytes],
           tsa: tuple[sm2.SM2PrivateKey, bytes]) -> bytes:
    key, cert = signer

    def timestamp(digest: bytes) -> bytes:
        return sm2_timestamp_token(digest, tsa_key=tsa[0], tsa_cert=tsa[1], chain=pki.chain)

    return sm2_cms.sign_detached(sm2.sm3(CONTENT), signer_key=key, signer_cert=cert,
                                 chain=pki.chain, timestamp=timestamp)


def _gm_verify(cert_der: bytes, data: bytes, signature_der: bytes) -> bool:
    """gmssl's verdict on an SM2 signature of ``data`` (user id 1234567812345678), with the
    GB/T 32918.2 Z value computed by the test, not by the library under test
    (tests/common/gmssl_check.py; GmSSL's for the keys gmssl's arithmetic fails on)."""
    cert = asn1_x509.Certificate.load(cert_der)
    public = sm2.SM2PublicKey.from_point(cert.public_key["public_key"].native)
    r, s = sm2.decode_signature(signature_der)
    return gm_verify(public, data, r, s)


# --- the profile --------------------------------------------------------------------------------

def test_the_cms_has_the_documented_oids_and_attributes(signed, signer, pki):
    info = cms.ContentInfo.load(signed)
    assert info["content_type"].dotted == "1.2.840.113549.1.7.2"
    data = info["content"]
    assert [a["algorithm"].dotted for a in data["digest_algorithms"]] == ["1.2.156.10197.1.401"]
    assert data["encap_content_info"]["content_type"].dotted == "1.2.840.113549.1.7.1"
    assert data["encap_content_info"]["content"].native is None  # detached
    assert [c.chosen.dump() for c in data["certificates"]] == [signer[1], *pki.chain]
    signer_info = data["signer_infos"][0]
    assert signer_info["digest_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.401"
    assert signer_info["signature_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.501"
    attrs = {a["type"].dotted: a["values"][0] for a in signer_info["signed_attrs"]}
    assert set(attrs) == {"1.2.840.113549.1.9.3", "1.2.840.113549.1.9.4",
                          "1.2.840.113549.1.9.16.2.47"}
    assert attrs["1.2.840.113549.1.9.4"].native == sm2.sm3(CONTENT)
    ess = attrs["1.2.840.113549.1.9.16.2.47"]["certs"][0]
    assert ess["hash_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.401"
    assert ess["cert_hash"].native == sm2.sm3(signer[1])
    unsigned = signer_info["unsigned_attrs"][0]
    assert unsigned["type"].dotted == "1.2.840.113549.1.9.16.2.14"


def test_parse_and_verify_returns_what_the_callers_check(signed, signer, pki):
    info = sm2_cms.parse_and_verify_detached(signed, content_digest=sm2.sm3(CONTENT))
    assert info.signer_certificate == signer[1]
    assert info.certificates == (signer[1], *pki.chain)
    assert info.content_type == sm2_cms.OID_DATA
    assert info.signed_attributes[0] == 0x31  # the explicit SET OF that was signed
    assert info.timestamp_token is not None
    token = sm2_cms.parse_and_verify_encapsulated(info.timestamp_token)
    imprint = tsp.TSTInfo.load(token.content)["message_imprint"]
    assert imprint["hash_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.401"
    assert imprint["hashed_message"].native == sm2.sm3(info.signature) == info.signature_digest


def test_a_second_implementation_verifies_the_signature_over_the_signed_attributes(
        signed, signer):
    info = sm2_cms.parse_and_verify_detached(signed, content_digest=sm2.sm3(CONTENT))
    assert _gm_verify(signer[1], info.signed_attributes, info.signature)
    assert not _gm_verify(signer[1], info.signed_attributes + b"x", info.signature)


def test_gm_t_0010_content_types_on_request(signer):
    key, cert = signer
    der = sm2_cms.sign_detached(sm2.sm3(CONTENT), signer_key=key, signer_cert=cert, chain=[],
                                timestamp=None, content_types="gmt0010")
    assert cms.ContentInfo.load(der)["content_type"].dotted == "1.2.156.10197.6.1.4.2.2"
    info = sm2_cms.parse_and_verify_detached(der, content_digest=sm2.sm3(CONTENT))
    assert info.content_type == "1.2.156.10197.6.1.4.2.1"
    assert info.timestamp_token is None


def test_encapsulated_form_round_trips_and_checks_its_content(signer):
    key, cert = signer
    der = sm2_cms.sign_encapsulated(b"manifest", content_type=sm2_cms.OID_DATA,
                                    signer_key=key, signer_cert=cert)
    assert sm2_cms.parse_and_verify_encapsulated(der).content == b"manifest"
    with pytest.raises(sm2_cms.Sm2CmsMalformed):
        sm2_cms.parse_and_verify_detached(der, content_digest=sm2.sm3(b"manifest"))
    tampered = der.replace(b"manifest", b"manifesT")
    with pytest.raises(sm2_cms.Sm2CmsDigestMismatch):
        sm2_cms.parse_and_verify_encapsulated(tampered)


# --- tampering ----------------------------------------------------------------------------------

def _flip(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def test_another_content_is_a_digest_mismatch(signed):
    with pytest.raises(sm2_cms.Sm2CmsDigestMismatch) as info:
        sm2_cms.parse_and_verify_detached(signed, content_digest=sm2.sm3(CONTENT + b"!"))
    assert info.value.code == "sm2_cms_digest_mismatch"


def test_one_byte_of_the_signature_is_a_bad_signature(signed):
    info = sm2_cms.parse_and_verify_detached(signed, content_digest=sm2.sm3(CONTENT))
    at = signed.index(info.signature) + len(info.signature) - 3  # inside s
    with pytest.raises(sm2_cms.Sm2CmsSignatureInvalid) as caught:
        sm2_cms.parse_and_verify_detached(_flip(signed, at), content_digest=sm2.sm3(CONTENT))
    assert caught.value.code == "sm2_signature_invalid"


def test_one_byte_of_a_signed_attribute_is_a_bad_signature(signed, signer):
    ess_hash = sm2.sm3(signer[1])
    at = signed.index(ess_hash) + 5  # inside signingCertificateV2's certHash
    with pytest.raises(sm2_cms.Sm2CmsSignatureInvalid):
        sm2_cms.parse_and_verify_detached(_flip(signed, at), content_digest=sm2.sm3(CONTENT))


def test_one_byte_of_the_message_digest_attribute_is_a_digest_mismatch(signed):
    at = signed.index(sm2.sm3(CONTENT)) + 7
    with pytest.raises(sm2_cms.Sm2CmsDigestMismatch):
        sm2_cms.parse_and_verify_detached(_flip(signed, at), content_digest=sm2.sm3(CONTENT))


def test_a_missing_signer_certificate_is_named(signer, pki):
    key, cert = signer
    der = sm2_cms.sign_detached(sm2.sm3(CONTENT), signer_key=key, signer_cert=cert,
                                chain=pki.chain, timestamp=None)
    for attempt in range(20):  # a stranger's certificate of the same length, in its place
        _, other_cert, _ = pki.issue(f"other{attempt}", "李四")
        if len(other_cert) == len(cert):
            break
    assert len(other_cert) == len(cert)
    with pytest.raises(sm2_cms.Sm2CmsSignerNotFound) as info:
        sm2_cms.parse_and_verify_detached(der.replace(cert, other_cert),
                                          content_digest=sm2.sm3(CONTENT))
    assert info.value.code == "sm2_cms_signer_not_found"


def test_a_signature_by_another_key_is_a_bad_signature(signer, pki):
    _, cert = signer
    der = sm2_cms.sign_detached(sm2.sm3(CONTENT), signer_key=sm2.generate_private_key(),
                                signer_cert=cert, chain=[], timestamp=None)
    with pytest.raises(sm2_cms.Sm2CmsSignatureInvalid):
        sm2_cms.parse_and_verify_detached(der, content_digest=sm2.sm3(CONTENT))


@pytest.mark.parametrize("garbage", [b"", b"\x30\x00", b"not der at all", b"\x30\x03\x06\x01\x00"])
def test_garbage_is_malformed(garbage):
    with pytest.raises(sm2_cms.Sm2CmsMalformed) as info:
        sm2_cms.parse_and_verify_detached(garbage, content_digest=bytes(32))
    assert info.value.code == "sm2_cms_malformed"


def test_a_truncated_cms_is_malformed(signed):
    with pytest.raises(sm2_cms.Sm2CmsMalformed):
        sm2_cms.parse_and_verify_detached(signed[:-10], content_digest=sm2.sm3(CONTENT))


def test_an_ecdsa_cms_is_outside_the_profile() -> None:
    pdf, _ = sign_spec(build_test_pki(), letter_spec("en"))
    padded = bytes(PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0].pkcs7_content)
    contents = bytes(cms.ContentInfo.load(padded).dump())  # without /Contents' zero padding
    with pytest.raises(sm2_cms.Sm2CmsMalformed) as info:
        sm2_cms.parse_and_verify_detached(contents, content_digest=bytes(32))
    assert "not SM3" in info.value.detail
