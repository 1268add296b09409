"""The TSA answers RFC 3161 requests; checked here with asn1crypto, cryptography, pyHanko."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from typing import Any

import pytest
from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext

from anxin.config import load_settings
from anxin.pki.authority import Pki
from anxin.pki.profiles import TSA_POLICY_OID
from anxin.pki.serials import InMemorySerialSource, SerialUnavailable
from anxin.pki.tsa import InProcessTimeStamper, TimestampAuthority, make_timestamper
from anxin.pki.tsa_client import GuardedHTTPTimeStamper


def fixed_time(pki: Pki) -> dt.datetime:
    """A fixed clock inside the TSA certificate's validity, however late the shared PKI
    fixture was made (a clock read at import went out of it on a loaded machine)."""
    return (pki.tsa_cert.not_valid_before_utc + dt.timedelta(minutes=10)).replace(
        microsecond=891234)


def _tsa(pki: Pki, **kw: Any) -> TimestampAuthority:
    return TimestampAuthority(pki, InMemorySerialSource(), clock=lambda: fixed_time(pki),
                              **kw)


def _request(digest: bytes, algorithm: str = "sha256", **fields: Any) -> bytes:
    req: dict[str, Any] = {"version": "v1", "message_imprint": {
        "hash_algorithm": {"algorithm": algorithm}, "hashed_message": digest}}
    req.update(fields)
    return tsp.TimeStampReq(req).dump()


def _with_trailing_element(der: bytes) -> bytes:
    """``der`` (a short-form SEQUENCE) with an unknown universal-0 element inside, at its end."""
    assert der[1] < 0x7D
    return der[:1] + bytes([der[1] + 3]) + der[2:] + b"\x00\x01\xff"


def _granted(reply: bytes) -> tuple[cms.SignedData, tsp.TSTInfo]:
    resp = tsp.TimeStampResp.load(reply, strict=True)
    assert resp["status"]["status"].native == "granted"
    signed_data = resp["time_stamp_token"]["content"]
    return signed_data, signed_data["encap_content_info"]["content"].parsed


def _rejected(reply: bytes) -> set[str]:
    # asn1crypto's TimeStampResp insists on a token; a rejection is SEQUENCE { status }
    outer = core.Sequence.load(reply, strict=True)
    assert len(outer) == 1
    status = tsp.PKIStatusInfo.load(outer[0].dump())
    assert status["status"].native == "rejection"
    assert status["status_string"].native
    return set(status["fail_info"].native)


@pytest.mark.parametrize("algorithm", ["sha256", "sha384", "sha512"])
def test_token_fields(pki: Pki, algorithm: str) -> None:
    digest = hashlib.new(algorithm, b"data").digest()
    signed_data, info = _granted(_tsa(pki).respond(
        _request(digest, algorithm, nonce=2**70 + 5, cert_req=True)))
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == algorithm
    assert info["message_imprint"]["hashed_message"].native == digest
    assert info["nonce"].native == 2**70 + 5
    assert info["policy"].dotted == TSA_POLICY_OID
    assert info["gen_time"].native == fixed_time(pki).replace(microsecond=891000)
    assert info["accuracy"]["seconds"].native == 1
    assert info["tsa"].chosen.native == info["tsa"].chosen.native  # a directory name
    assert info["ordering"].native is False
    certs = [c.chosen.dump() for c in signed_data["certificates"]]
    assert certs == [pki.tsa_cert.public_bytes(Encoding.DER),
                     pki.issuing_cert.public_bytes(Encoding.DER)]


def test_signature_and_signed_attributes(pki: Pki) -> None:
    signed_data, _ = _granted(_tsa(pki).respond(_request(b"\x01" * 32, cert_req=True)))
    signer = signed_data["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert attrs["content_type"].native == "tst_info"
    tst_bytes = signed_data["encap_content_info"]["content"].contents
    assert attrs["message_digest"].native == hashlib.sha256(tst_bytes).digest()
    ess = attrs["signing_certificate_v2"]["certs"][0]
    assert ess["cert_hash"].native == hashlib.sha256(
        pki.tsa_cert.public_bytes(Encoding.DER)).digest()
    assert ess["issuer_serial"]["serial_number"].native == pki.tsa_cert.serial_number
    sid = signer["sid"].chosen
    assert sid["serial_number"].native == pki.tsa_cert.serial_number
    # the signature covers the DER SET OF the signed attributes
    signed = signer["signed_attrs"].untag().dump(force=True)
    pki.tsa_cert.public_key().verify(  # type: ignore[call-arg,union-attr]
        signer["signature"].native, signed, ec.ECDSA(hashes.SHA256()))


def test_cert_req_false_leaves_certificates_out(pki: Pki) -> None:
    signed_data, info = _granted(_tsa(pki).respond(_request(b"\x02" * 32)))
    assert signed_data["certificates"].native is None
    assert info["nonce"].native is None


def test_serials_differ(pki: Pki) -> None:
    tsa = _tsa(pki)
    serials = {_granted(tsa.respond(_request(b"\x03" * 32)))[1]["serial_number"].native
               for _ in range(50)}
    assert len(serials) == 50


@pytest.mark.parametrize(("request_der", "fail_info"), [
    (b"", "bad_data_format"),
    (b"garbage, not DER", "bad_data_format"),
    (b"\x30\x03\x02\x01\x01", "bad_data_format"),
    (_request(hashlib.md5(b"x").digest(), "md5"), "bad_alg"),  # noqa: S324 - the point
    (_request(hashlib.sha1(b"x").digest(), "sha1"), "bad_alg"),  # noqa: S324
    (_request(b"\x00" * 31), "bad_data_format"),
    (_request(b"\x00" * 32, "sha512"), "bad_data_format"),
    (_request(b"\x00" * 32, version="v2"), "bad_request"),
    (_request(b"\x00" * 32, req_policy="1.2.3.4"), "unaccepted_policy"),
    (_request(b"\x00" * 32, extensions=[{"extn_id": "1.2.3.4", "critical": True,
                                          "extn_value": b"\x05\x00"}]),
     "unaccepted_extensions"),
    (_request(b"\x00" * 32) + b"\x00", "bad_data_format"),
    (b"\x30" + b"\x84\xff\xff\xff\xff", "bad_data_format"),
    (b"\x30\x80" * 20000, "bad_data_format"),
    # an element no field names, after the nonce (found by the SM2 TSA's fuzz test)
    (_with_trailing_element(_request(b"\x00" * 32, nonce=7)), "bad_data_format"),
])
def test_bad_requests_are_rejected_not_raised(pki: Pki, request_der: bytes,
                                              fail_info: str) -> None:
    assert _rejected(_tsa(pki).respond(request_der)) == {fail_info}


def test_own_policy_may_be_requested(pki: Pki) -> None:
    _granted(_tsa(pki).respond(_request(b"\x00" * 32, req_policy=TSA_POLICY_OID)))


def test_serial_outage_is_a_system_failure(pki: Pki) -> None:
    class Broken:
        def next_serial(self) -> int:
            raise SerialUnavailable("database down")

    reply = TimestampAuthority(pki, Broken()).respond(_request(b"\x00" * 32))
    assert _rejected(reply) == {"system_failure"}


def test_genuine_clock_is_used_by_default(pki: Pki) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    _, info = _granted(TimestampAuthority(pki, InMemorySerialSource()).respond(
        _request(b"\x00" * 32)))
    assert before <= info["gen_time"].native <= dt.datetime.now(dt.UTC)


def test_pyhanko_accepts_in_process_tokens(pki: Pki) -> None:
    stamper = InProcessTimeStamper(_tsa(pki))
    digest = hashlib.sha256(b"document").digest()
    token = asyncio.run(stamper.async_timestamp(digest, "sha256"))
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(pki.root_cert.public_bytes(Encoding.DER))],
        allow_fetching=False, revocation_mode="soft-fail", moment=fixed_time(pki))
    status = asyncio.run(validate_tst_signed_data(token["content"], context,
                                                  lambda _alg: digest))
    assert status["intact"]
    assert status["valid"]
    assert status["trust_problem_indic"] is None  # the path to our root validated
    assert status["validation_path"] is not None
    assert status["timestamp"] == fixed_time(pki).replace(microsecond=891000)


def test_make_timestamper_prefers_the_configured_url(pki: Pki, tmp_path: Any) -> None:
    external = make_timestamper(
        load_settings(data_dir=tmp_path, tsa_url="https://tsa.example.test/"), _tsa(pki))
    assert isinstance(external, GuardedHTTPTimeStamper)  # pyHanko's client is not guarded
    assert external.url == "https://tsa.example.test/"
    builtin = make_timestamper(load_settings(data_dir=tmp_path), _tsa(pki))
    assert isinstance(builtin, InProcessTimeStamper)
    with pytest.raises(ValueError, match="TSA"):
        make_timestamper(load_settings(data_dir=tmp_path), None)


def test_digest_algorithm_objects_are_plain(pki: Pki) -> None:
    signed_data, _ = _granted(_tsa(pki).respond(_request(b"\x00" * 32)))
    assert [a.native for a in signed_data["digest_algorithms"]] == [
        algos.DigestAlgorithm({"algorithm": "sha256"}).native]
    assert x509.load_der_x509_certificate(pki.tsa_cert.public_bytes(Encoding.DER))
