"""The SM2 TSA (``anxin.pki.sm2_tsa``) and the SM2 token verifier (``sm2_tsa_verify``).

The TSA certificate and key are made by the ``openssl`` command (tests/common/sm2_tsa_ca.py);
the token's SM3 digests and its SM2 signature are checked again with the pure-Python
``gmssl``, an implementation Anxin never signs with (Z recomputed by the test).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509

from anxin.error_codes import Code, spec
from anxin.pki import sm2, sm2_tsa
from anxin.pki.authority import Pki
from anxin.pki.profiles import TSA_POLICY_OID
from anxin.pki.serials import InMemorySerialSource, ReservedSerialSource, SerialUnavailable
from anxin.pki.sm2_tsa import (
    SM2_TSA_POLICY_OID,
    Sm2TimestampAuthority,
    TimestampFailed,
    sm3_request,
    timestamp_sm3,
    token_of_reply,
)
from anxin.pki.sm2_tsa_client import InProcessSm2TimeStamper, Sm2TimeStamper
from anxin.pki.sm2_tsa_verify import Sm2TokenCheck, Sm2TokenInvalid, verify_sm2_token
from anxin.pki.tsa import TimestampAuthority, timestamp_data
from tests.common.gmssl_check import gmssl_fast_verify
from tests.common.sm2_tsa_ca import Sm2TsaCa, make_sm2_tsa_ca
from tests.unit.pki.test_sm2 import _gm, _gm_sm3, _z

OID_SM3 = "1.2.156.10197.1.401"
OID_SM2_WITH_SM3 = "1.2.156.10197.1.501"
OID_TST_INFO = "1.2.840.113549.1.9.16.1.4"
DIGEST = sm2.sm3("一份授权书 / a letter".encode())


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Sm2TsaCa:
    return make_sm2_tsa_ca(tmp_path_factory.mktemp("sm2-tsa-ca"))


def fixed_time(ca: Sm2TsaCa) -> dt.datetime:
    not_before: dt.datetime = asn1_x509.Certificate.load(ca.cert).not_valid_before
    return not_before + dt.timedelta(minutes=10, microseconds=891234)


def make_tsa(ca: Sm2TsaCa, cert: str = "tsa.pem", **kw: Any) -> Sm2TimestampAuthority:
    kw.setdefault("clock", lambda: fixed_time(ca))
    kw.setdefault("serials", InMemorySerialSource())
    return Sm2TimestampAuthority(ca.key, ca.der(cert), [ca.root], **kw)


def request(digest: bytes = DIGEST, algorithm: str = "sm3", **fields: Any) -> bytes:
    req: dict[str, Any] = {"version": "v1", "message_imprint": {
        "hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest}}
    req.update(fields)
    return bytes(tsp.TimeStampReq(req).dump())


def granted(reply: bytes) -> tuple[bytes, cms.SignedData, tsp.TSTInfo]:
    resp = tsp.TimeStampResp.load(reply, strict=True)
    assert resp["status"]["status"].native == "granted"
    token = resp["time_stamp_token"]
    signed_data = token["content"]
    return token.dump(), signed_data, signed_data["encap_content_info"]["content"].parsed


def rejected(reply: bytes) -> set[str]:
    outer = core.Sequence.load(reply, strict=True)
    assert len(outer) == 1  # a rejection is SEQUENCE { status } with no token
    status = tsp.PKIStatusInfo.load(outer[0].dump())
    assert status["status"].native == "rejection"
    assert status["status_string"].native
    return set(status["fail_info"].native)


# --- the token --------------------------------------------------------------------------

def test_token_fields(ca: Sm2TsaCa) -> None:
    _, signed_data, info = granted(make_tsa(ca).respond(
        request(nonce=2**70 + 5, cert_req=True)))
    assert info["version"].native == "v1"
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].dotted == OID_SM3
    assert info["message_imprint"]["hashed_message"].native == DIGEST
    assert info["nonce"].native == 2**70 + 5
    assert info["policy"].dotted == SM2_TSA_POLICY_OID == TSA_POLICY_OID + ".1"
    assert info["gen_time"].native == fixed_time(ca).replace(microsecond=891000)
    assert info["accuracy"]["seconds"].native == 1
    assert info["ordering"].native is False
    assert info["tsa"].chosen == asn1_x509.Certificate.load(ca.cert).subject
    assert [c.chosen.dump() for c in signed_data["certificates"]] == [ca.cert, ca.root]


def test_token_profile_oids(ca: Sm2TsaCa) -> None:
    token, signed_data, _ = granted(make_tsa(ca).respond(request(cert_req=True)))
    assert cms.ContentInfo.load(token)["content_type"].native == "signed_data"
    assert signed_data["version"].native == "v3"
    assert signed_data["encap_content_info"]["content_type"].dotted == OID_TST_INFO
    [algorithm] = signed_data["digest_algorithms"]
    assert algorithm["algorithm"].dotted == OID_SM3
    assert algorithm["parameters"].native is None
    signer = signed_data["signer_infos"][0]
    assert signer["version"].native == "v1"
    assert signer["digest_algorithm"]["algorithm"].dotted == OID_SM3
    assert signer["signature_algorithm"]["algorithm"].dotted == OID_SM2_WITH_SM3
    assert signer["signature_algorithm"]["parameters"].native is None
    cert = asn1_x509.Certificate.load(ca.cert)
    assert signer["sid"].chosen["serial_number"].native == cert.serial_number
    assert signer["sid"].chosen["issuer"] == cert.issuer
    assert {a["type"].native for a in signer["signed_attrs"]} == {
        "content_type", "message_digest", "signing_certificate_v2"}


def test_digests_agree_with_the_second_implementation(ca: Sm2TsaCa) -> None:
    _, signed_data, _ = granted(make_tsa(ca).respond(request(cert_req=True)))
    signer = signed_data["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    tst_bytes = signed_data["encap_content_info"]["content"].contents
    assert attrs["content_type"].native == "tst_info"
    assert attrs["message_digest"].native == _gm_sm3(tst_bytes)
    [ess] = attrs["signing_certificate_v2"]["certs"]
    assert ess["hash_algorithm"]["algorithm"].dotted == OID_SM3
    assert ess["cert_hash"].native == _gm_sm3(ca.cert)
    assert ess["issuer_serial"]["serial_number"].native == (
        asn1_x509.Certificate.load(ca.cert).serial_number)


def test_signature_verifies_with_gmssl_over_the_signed_attributes(ca: Sm2TsaCa) -> None:
    _, signed_data, _ = granted(make_tsa(ca).respond(request()))
    signer = signed_data["signer_infos"][0]
    signed = signer["signed_attrs"].untag().dump(force=True)
    assert signed[0] == 0x31  # the DER SET OF, not the [0] of the SignerInfo
    r, s = sm2.decode_signature(signer["signature"].native)  # DER SEQUENCE {r, s}
    raw = r.to_bytes(32, "big").hex() + s.to_bytes(32, "big").hex()
    public = ca.key.public_key()
    e = _gm_sm3(_z(sm2.DEFAULT_USER_ID, public.point[1:].hex()) + signed)
    try:
        assert _gm(None, public).verify_with_sm3(raw, signed)
        assert _gm(None, public).verify(raw, e)
        assert not _gm(None, public).verify_with_sm3(raw, signed + b"\x00")
    except TypeError:
        # gmssl 3.2.2's point arithmetic fails ("a None point") for about one key in
        # sixty, for every signature of it (tests/common/gmssl_check.py): this fixture's
        # key is new each run. For such a key the verdicts are GmSSL's (gmssl-fast).
        assert gmssl_fast_verify(public, signed, r, s)
        assert not gmssl_fast_verify(public, signed + b"\x00", r, s)


def test_cert_req_false_leaves_certificates_out(ca: Sm2TsaCa) -> None:
    token, signed_data, info = granted(make_tsa(ca).respond(request()))
    assert signed_data["certificates"].native is None
    assert info["nonce"].native is None
    with pytest.raises(Sm2TokenInvalid) as caught:
        verify_sm2_token(token, digest=DIGEST)
    assert caught.value.check is Sm2TokenCheck.TSA_CERTIFICATE_MISSING
    assert verify_sm2_token(token, digest=DIGEST, certificates=[ca.cert]).certificates == ()


def test_a_null_parameter_imprint_is_accepted(ca: Sm2TsaCa) -> None:
    """``openssl ts -query -sm3`` writes the imprint's algorithm with NULL parameters."""
    req = tsp.TimeStampReq.load(request())
    imprint = req["message_imprint"]
    imprint["hash_algorithm"] = {"algorithm": "sm3", "parameters": core.Null()}
    assert b"\x05\x00" in req.dump(force=True)
    granted(make_tsa(ca).respond(req.dump(force=True)))


# --- verify_sm2_token -----------------------------------------------------------------------

def test_verify_returns_what_the_caller_needs(ca: Sm2TsaCa) -> None:
    tsa = make_tsa(ca)
    token = token_of_reply(tsa.respond(request(nonce=77, cert_req=True)))
    info = verify_sm2_token(token, digest=DIGEST, nonce=77)
    _, _, tst = granted(tsa.respond(request(nonce=77, cert_req=True)))
    assert info.gen_time == fixed_time(ca).replace(microsecond=891000)
    assert info.policy_oid == SM2_TSA_POLICY_OID
    assert info.nonce == 77
    assert info.digest == DIGEST
    assert info.tsa_certificate == ca.cert
    assert info.certificates == (ca.cert, ca.root)
    assert info.serial_number > 0
    assert tst["serial_number"].native != info.serial_number  # a second token, a new serial
    sm2.verify(ca.key.public_key(), info.signed_attributes, info.signature)
    assert sm2.sm3(info.tst_info) in info.signed_attributes


def test_timestamp_sm3_and_the_in_process_stamper(ca: Sm2TsaCa) -> None:
    tsa = make_tsa(ca)
    info = verify_sm2_token(timestamp_sm3(tsa, DIGEST), digest=DIGEST)
    assert info.tsa_certificate == ca.cert
    stamper: Sm2TimeStamper = InProcessSm2TimeStamper(tsa)
    other = verify_sm2_token(stamper.timestamp(DIGEST), digest=DIGEST)
    assert other.serial_number != info.serial_number
    assert other.nonce is not None
    _, signed_data, info = granted(tsa.respond(sm3_request(DIGEST, nonce=None, cert_req=False)))
    assert info["nonce"].native is None
    assert signed_data["certificates"].native is None


def test_serials_differ(ca: Sm2TsaCa) -> None:
    tsa = make_tsa(ca)
    serials = {verify_sm2_token(timestamp_sm3(tsa, DIGEST), digest=DIGEST).serial_number
               for _ in range(30)}
    assert len(serials) == 30


class _Counters:
    """A SerialStore in memory: the named counters both TSAs share."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}
        self.lock = threading.Lock()

    def reserve(self, name: str, count: int) -> int:
        with self.lock:
            self.values[name] = self.values.get(name, 0) + count
            return self.values[name]


def test_one_serial_sequence_for_the_intl_and_sm2_tsas(ca: Sm2TsaCa, pki: Pki) -> None:
    serials = ReservedSerialSource(_Counters(), block_size=4)
    intl = TimestampAuthority(pki, serials)
    national = make_tsa(ca, serials=serials, clock=lambda: dt.datetime.now(dt.UTC))
    seen: list[int] = []
    for i in range(6):
        data = f"letter {i}".encode()
        seen.append(verify_sm2_token(timestamp_sm3(national, sm2.sm3(data)),
                                     digest=sm2.sm3(data)).serial_number)
        token = cms.ContentInfo.load(timestamp_data(intl, data))
        seen.append(token["content"]["encap_content_info"]["content"].parsed[
            "serial_number"].native)
    assert seen == list(range(1, 13))


# --- refusals: a rejection, never an exception ----------------------------------------------

@pytest.mark.parametrize(("request_der", "fail_info"), [
    (b"", "bad_data_format"),
    (b"garbage, not DER", "bad_data_format"),
    (b"\x30\x03\x02\x01\x01", "bad_data_format"),
    (request(hashlib.sha256(b"x").digest(), "sha256"), "bad_alg"),
    (request(hashlib.sha512(b"x").digest(), "sha512"), "bad_alg"),
    (request(hashlib.md5(b"x").digest(), "md5"), "bad_alg"),  # noqa: S324 - the point
    (request(DIGEST[:31]), "bad_data_format"),
    (request(DIGEST + b"\x00"), "bad_data_format"),
    (request(b""), "bad_data_format"),
    (request(version="v2"), "bad_request"),
    (request(req_policy="1.2.3.4"), "unaccepted_policy"),
    (request(req_policy=TSA_POLICY_OID), "unaccepted_policy"),  # the intl policy
    (request(extensions=[{"extn_id": "1.2.3.4", "critical": True, "extn_value": b"\x05\x00"}]),
     "unaccepted_extensions"),
    (request() + b"\x00", "bad_data_format"),
    (b"\x30" + b"\x84\xff\xff\xff\xff", "bad_data_format"),
    (b"\x30\x80" * 20000, "bad_data_format"),
    # an unknown element (universal tag 0) after the nonce, found by the fuzz test
    (request(nonce=7)[:1] + bytes([request(nonce=7)[1] + 3]) + request(nonce=7)[2:]
     + b"\x00\x01\xff", "bad_data_format"),
])
def test_bad_requests_are_rejected_not_raised(ca: Sm2TsaCa, request_der: bytes,
                                              fail_info: str) -> None:
    assert rejected(make_tsa(ca).respond(request_der)) == {fail_info}


def test_own_policy_may_be_requested(ca: Sm2TsaCa) -> None:
    granted(make_tsa(ca).respond(request(req_policy=SM2_TSA_POLICY_OID)))


def test_serial_outage_is_a_system_failure_and_timestamp_sm3_raises(ca: Sm2TsaCa) -> None:
    class Broken:
        def next_serial(self) -> int:
            raise SerialUnavailable("database down")

    tsa = make_tsa(ca, serials=Broken())
    assert rejected(tsa.respond(request())) == {"system_failure"}
    with pytest.raises(TimestampFailed,
                       match=r"rejection \(system_failure\).*serial numbers") as caught:
        timestamp_sm3(tsa, DIGEST)
    assert caught.value.code == Code.TSA_FAILED
    with pytest.raises(TimestampFailed, match="bad_alg"):
        token_of_reply(tsa.respond(request(hashlib.sha256(b"x").digest(), "sha256")))
    with pytest.raises(TimestampFailed, match="not a TimeStampResp"):
        token_of_reply(b"\x04\x00")


@pytest.mark.parametrize(("cert", "match"), [
    ("tsa-noncritical.pem", "critical timeStamping"),
    ("tsa-noeku.pem", "critical timeStamping"),
    ("root.pem", "not the TSA key's"),
])
def test_the_tsa_refuses_to_start_with_a_certificate_no_verifier_accepts(
        ca: Sm2TsaCa, cert: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_tsa(ca, cert)


# --- tampering: one byte → a typed failure naming the check --------------------------------

def _token(ca: Sm2TsaCa, **fields: Any) -> bytes:
    return token_of_reply(make_tsa(ca).respond(request(cert_req=True, **fields)))


def _check_of(token: bytes, digest: bytes = DIGEST, **kw: Any) -> Sm2TokenCheck:
    with pytest.raises(Sm2TokenInvalid) as caught:
        verify_sm2_token(token, digest=digest, **kw)
    error = caught.value
    assert error.code == Code.SM2_TIMESTAMP_INVALID
    assert error.extra["check"] == error.check.value
    assert error.detail.startswith(error.check.value)
    return error.check


def _flip(data: bytes, at: int) -> bytes:
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def test_one_byte_of_the_tst_info_changed(ca: Sm2TsaCa) -> None:
    token = _token(ca)
    tst = cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].contents
    gen_time = tst.index(b"\x18")  # the GeneralizedTime's tag; flip a digit of its year
    tampered = token.replace(tst, _flip(tst, gen_time + 5))
    assert tampered != token
    assert _check_of(tampered) is Sm2TokenCheck.MESSAGE_DIGEST_MISMATCH


def test_one_byte_of_the_imprint_changed(ca: Sm2TsaCa) -> None:
    token = _token(ca)
    at = token.index(DIGEST) + 7
    assert _check_of(_flip(token, at)) is Sm2TokenCheck.IMPRINT_MISMATCH
    assert _check_of(token, _flip(DIGEST, 7)) is Sm2TokenCheck.IMPRINT_MISMATCH


def test_one_byte_of_the_signature_changed(ca: Sm2TsaCa) -> None:
    token = _token(ca)
    assert token.endswith(cms.ContentInfo.load(token)["content"]["signer_infos"][0][
        "signature"].native)
    assert _check_of(_flip(token, len(token) - 3)) is Sm2TokenCheck.SIGNATURE_INVALID


def test_one_byte_of_the_signed_attributes_changed(ca: Sm2TsaCa) -> None:
    token = _token(ca)
    ess_hash = sm2.sm3(ca.cert)
    assert _check_of(token.replace(ess_hash, _flip(ess_hash, 0))) is (
        Sm2TokenCheck.SIGNING_CERTIFICATE_MISMATCH)
    message_digest = sm2.sm3(verify_sm2_token(token, digest=DIGEST).tst_info)
    assert _check_of(token.replace(message_digest, _flip(message_digest, 31))) is (
        Sm2TokenCheck.MESSAGE_DIGEST_MISMATCH)


def test_a_forged_signing_certificate_attribute_is_refused(ca: Sm2TsaCa) -> None:
    """A token that signs its ESS attribute over another certificate: the signature holds,
    the signingCertificateV2 check does not."""
    tsa = make_tsa(ca)
    other = tsp.SigningCertificateV2({"certs": [tsp.ESSCertIDv2({
        "hash_algorithm": {"algorithm": "sm3"}, "cert_hash": sm2.sm3(ca.root)})]})
    tsa._tokens.static_attrs = (tsa._tokens.static_attrs[0], cms.CMSAttribute(  # a forgery
        {"type": "signing_certificate_v2", "values": [other]}).dump())
    token = token_of_reply(tsa.respond(request(cert_req=True)))
    assert _check_of(token) is Sm2TokenCheck.SIGNING_CERTIFICATE_MISMATCH


def test_the_nonce_must_be_the_one_sent(ca: Sm2TsaCa) -> None:
    token = _token(ca, nonce=1234)
    verify_sm2_token(token, digest=DIGEST, nonce=1234)
    assert _check_of(token, nonce=1235) is Sm2TokenCheck.NONCE_MISMATCH
    assert _check_of(_token(ca), nonce=1234) is Sm2TokenCheck.NONCE_MISMATCH


def test_an_intl_token_is_not_sm3(pki: Pki) -> None:
    data = b"a letter"
    token = timestamp_data(TimestampAuthority(pki, InMemorySerialSource()), data)
    assert _check_of(token, hashlib.sha256(data).digest()) is Sm2TokenCheck.NOT_SM3


@pytest.mark.parametrize("cert", ["tsa-noncritical.pem", "tsa-noeku.pem"])
def test_a_tsa_certificate_without_the_critical_eku_is_refused(
        ca: Sm2TsaCa, cert: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sm2_tsa, "_check_tsa_certificate", lambda key, cert: None)
    token = token_of_reply(make_tsa(ca, cert).respond(request(cert_req=True)))
    assert _check_of(token) is Sm2TokenCheck.TSA_CERTIFICATE_INVALID


def test_gen_time_outside_the_certificate_validity_is_refused(ca: Sm2TsaCa) -> None:
    late = fixed_time(ca) + dt.timedelta(days=400)
    token = token_of_reply(make_tsa(ca, clock=lambda: late).respond(request(cert_req=True)))
    assert _check_of(token) is Sm2TokenCheck.TSA_CERTIFICATE_INVALID


def test_a_foreign_or_look_alike_certificate_is_not_the_signer(ca: Sm2TsaCa,
                                                               tmp_path: Path) -> None:
    other = make_sm2_tsa_ca(tmp_path / "other")  # the same names and serials, other keys
    token = token_of_reply(make_tsa(ca).respond(request()))  # no certificates inside
    assert _check_of(token, certificates=[other.root, b"not DER"]) is (
        Sm2TokenCheck.TSA_CERTIFICATE_MISSING)
    # The look-alike matches the signer's issuer and serial: signingCertificateV2 (the
    # certificate's SM3 hash, checked before the signature) tells it apart.
    assert _check_of(token, certificates=[other.cert]) is (
        Sm2TokenCheck.SIGNING_CERTIFICATE_MISMATCH)


@pytest.mark.parametrize("token", [b"", b"\x30\x00", b"not DER at all",
                                   cms.ContentInfo({"content_type": "data",
                                                    "content": b"x"}).dump()])
def test_malformed_tokens(token: bytes) -> None:
    assert _check_of(token) is Sm2TokenCheck.MALFORMED


def test_a_truncated_or_extended_token_is_malformed(ca: Sm2TsaCa) -> None:
    token = _token(ca)
    assert _check_of(token[:-1]) is Sm2TokenCheck.MALFORMED
    assert _check_of(token + b"\x00") is Sm2TokenCheck.MALFORMED


def test_the_error_is_registered_as_an_integrity_failure() -> None:
    assert spec(Code.SM2_TIMESTAMP_INVALID).status == 422
    assert spec(Code.TSA_FAILED).status == 502
    error = Sm2TokenInvalid(Sm2TokenCheck.NOT_SM3, "x")
    assert error.extra == {"check": "not_sm3"}
