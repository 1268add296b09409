"""SM2 receipts (``SM2SM3`` compact JWS) checked by a second implementation and tampered.

gmssl (pure Python, Z recomputed by the test) verifies our receipts; GmSSL (gmssl-fast)
signs a receipt that ours must accept: the format is not only self-consistent.
"""

from __future__ import annotations

import hashlib
import json

import gmssl_fast
import pytest

from anxin.encoding import b64url, b64url_decode
from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.pki import sm2
from anxin.pki.seal_sm2 import (
    ALG,
    Sm2Seal,
    public_key_from_jwk,
    sm2_jwk_thumbprint,
    sm2_jwks_entry,
    verify_sm2_jws,
)
from tests.common.gmssl_check import gm_verify

PAYLOAD = {"typ": "anxin-use-receipt", "use_id": "u-1", "authorization_id": "a-1",
           "purpose": "loan_approval", "max_uses": 3, "名": "张三"}


@pytest.fixture(scope="module")
def key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture(scope="module")
def token(key: sm2.SM2PrivateKey) -> str:
    return Sm2Seal(key, "seal-sm2-1").sign_jws(PAYLOAD)


def _code(token: str, public: sm2.SM2PublicKey) -> Code:
    with pytest.raises(IntegrityFailure) as caught:
        verify_sm2_jws(token, public)
    return caught.value.code


def test_round_trip_and_header(key: sm2.SM2PrivateKey, token: str) -> None:
    assert verify_sm2_jws(token, key.public_key()) == PAYLOAD
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header == {"alg": "SM2SM3", "typ": "JWT", "kid": "seal-sm2-1"}
    assert len(b64url_decode(token.split(".")[2])) == 64


def test_gmssl_verifies_the_receipt_over_the_signing_input(key: sm2.SM2PrivateKey,
                                                           token: str) -> None:
    h64, p64, s64 = token.split(".")
    raw = b64url_decode(s64)
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    assert gm_verify(key.public_key(), f"{h64}.{p64}".encode(), r, s)
    assert not gm_verify(key.public_key(), f"{h64}.{p64}x".encode(), r, s)


def test_a_receipt_signed_by_gmssl_fast_verifies_here(key: sm2.SM2PrivateKey) -> None:
    theirs = gmssl_fast.SM2(private_key=key.d.to_bytes(32, "big").hex(),
                            public_key=key.public.point.hex())
    signing_input = (b64url(json.dumps({"alg": ALG, "kid": "k"}).encode()) + "."
                     + b64url(json.dumps(PAYLOAD).encode()))
    token = signing_input + "." + b64url(theirs.sign(signing_input.encode()))
    assert verify_sm2_jws(token, key.public_key()) == PAYLOAD


@pytest.mark.parametrize("part", [0, 1, 2])
def test_a_changed_byte_of_each_part_is_refused(key: sm2.SM2PrivateKey, token: str,
                                                part: int) -> None:
    parts = token.split(".")
    raw = bytearray(b64url_decode(parts[part]))
    if part == 0:  # keep the header JSON with alg SM2SM3: change the kid
        raw = bytearray(bytes(raw).replace(b"seal-sm2-1", b"seal-sm2-2"))
    else:
        raw[len(raw) // 2] ^= 0x01
    parts[part] = b64url(bytes(raw))
    assert _code(".".join(parts), key.public_key()) is Code.RECEIPT_INVALID


def test_wrong_alg_wrong_key_and_malformed(key: sm2.SM2PrivateKey, token: str) -> None:
    h64, p64, s64 = token.split(".")
    for alg in ("ES256", "none", "sm2sm3"):
        header = b64url(json.dumps({"alg": alg, "kid": "seal-sm2-1"}).encode())
        assert _code(f"{header}.{p64}.{s64}", key.public_key()) is Code.RECEIPT_MALFORMED
    other = sm2.generate_private_key().public_key()
    assert _code(token, other) is Code.RECEIPT_INVALID
    for bad in ("", "a.b", f"{h64}.{p64}", f"{h64}.{p64}.{s64}.x", f"!!.{p64}.{s64}",
                f"{b64url(b'[1]')}.{p64}.{s64}",
                f"{h64}.{p64}.{b64url(b64url_decode(s64)[:63])}",
                f"{h64}.{p64}.{b64url(b64url_decode(s64) + b'0')}"):
        assert _code(bad, key.public_key()) is Code.RECEIPT_MALFORMED


@pytest.mark.parametrize("which", ["r", "s"])
@pytest.mark.parametrize("value", [0, sm2.ORDER, 2**256 - 1])
def test_r_or_s_out_of_range_is_refused(key: sm2.SM2PrivateKey, token: str, which: str,
                                        value: int) -> None:
    h64, p64, s64 = token.split(".")
    raw = b64url_decode(s64)
    r, s = raw[:32], raw[32:]
    if which == "r":
        r = value.to_bytes(32, "big")
    else:
        s = value.to_bytes(32, "big")
    with pytest.raises(IntegrityFailure, match="out of") as caught:
        verify_sm2_jws(f"{h64}.{p64}.{b64url(r + s)}", key.public_key())
    assert caught.value.code is Code.RECEIPT_INVALID


def test_the_jwk_names_the_key_and_reads_back(key: sm2.SM2PrivateKey) -> None:
    entry = sm2_jwks_entry(key.public_key())
    assert (entry["kty"], entry["crv"], entry["alg"], entry["use"]) == ("EC", "SM2", "SM2SM3",
                                                                         "sig")
    assert b64url_decode(entry["x"]) + b64url_decode(entry["y"]) == key.public.point[1:]
    assert entry["kid"] == sm2_jwk_thumbprint(key.public_key()) == Sm2Seal(key).kid
    assert public_key_from_jwk(entry) == key.public_key()
    canon = '{"crv":"SM2","kty":"EC","x":"' + entry["x"] + '","y":"' + entry["y"] + '"}'
    assert entry["kid"] == b64url(hashlib.sha256(canon.encode()).digest())
    with pytest.raises(sm2.SM2KeyInvalid):
        public_key_from_jwk(entry | {"crv": "P-256"})
    with pytest.raises(sm2.SM2KeyInvalid):
        public_key_from_jwk(entry | {"x": entry["y"]})  # not on the curve
    # A receipt verifies with the key read back from the published JWK.
    token = Sm2Seal(key).sign_jws({"a": 1})
    assert verify_sm2_jws(token, public_key_from_jwk(entry)) == {"a": 1}


def test_x5t_names_the_seal_certificate(key: sm2.SM2PrivateKey) -> None:
    token = Sm2Seal(key, "k", cert_der=b"certificate").sign_jws({})
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header["x5t#S256"] == b64url(hashlib.sha256(b"certificate").digest())
