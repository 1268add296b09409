"""The webhook signature: HMAC-SHA256 of ``<t>.<body>``, checked with a replay window."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from anxin.errors import ValidationFailed
from anxin.services.notifications import sign_payload, signature_header, verify_signature

SECRET = b"whsec_test"
BODY = b'{"event":"authorization:revoked","id":"7"}'


def test_header_is_hmac_of_timestamp_dot_body() -> None:
    header = sign_payload(SECRET, BODY, 1700000000)
    want = hmac.new(SECRET, b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={want}"
    verify_signature(SECRET, BODY, header, now=1700000100)


@pytest.mark.parametrize(("body", "secret", "now", "code"), [
    (BODY + b" ", SECRET, 1700000000, "signature_invalid"),
    (BODY, b"other", 1700000000, "signature_invalid"),
    (BODY, SECRET, 1700000000 + 301, "signature_stale"),
])
def test_tampering_other_secret_and_replay_are_refused(body: bytes, secret: bytes, now: int,
                                                       code: str) -> None:
    header = sign_payload(SECRET, BODY, 1700000000)
    with pytest.raises(ValidationFailed) as exc:
        verify_signature(secret, body, header, now=now)
    assert exc.value.code == code


def test_malformed_header() -> None:
    with pytest.raises(ValidationFailed) as exc:
        verify_signature(SECRET, BODY, "v1=abc", now=0)
    assert exc.value.code == "signature_malformed"


def test_several_secrets_give_one_v1_each_and_any_one_verifies() -> None:
    header = signature_header([b"new", b"old", b"new"], BODY, 1700000000)
    t, *v1s = header.split(",")
    assert t == "t=1700000000"
    assert v1s == [f"v1={hmac.new(k, b'1700000000.' + BODY, hashlib.sha256).hexdigest()}"
                   for k in (b"new", b"old")]  # a repeated secret signs once
    verify_signature(b"new", BODY, header, now=1700000000)
    verify_signature(b"old", BODY, header, now=1700000000)
    with pytest.raises(ValidationFailed) as exc:
        verify_signature(b"other", BODY, header, now=1700000000)
    assert exc.value.code == "signature_invalid"


@pytest.mark.parametrize("header", ["t=1,t=2,v1=ab", "t=x,v1=ab", "t=1700000000", ""])
def test_headers_without_one_timestamp_and_a_v1_are_malformed(header: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        verify_signature(SECRET, BODY, header, now=1700000000)
    assert exc.value.code == "signature_malformed"


def test_a_delivery_is_never_signed_with_no_secret() -> None:
    with pytest.raises(ValueError, match="unsigned"):
        signature_header([], BODY, 1700000000)
