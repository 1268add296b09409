"""RFC 6238 / RFC 4226 known answers, the verification window and the otpauth URI."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlparse

import pytest

from anxin.console.totp import hotp, matching_step, provisioning_uri, totp_code

RFC_KEY = b"12345678901234567890"


@pytest.mark.parametrize(("t", "code"), [(59, "94287082"), (1111111109, "07081804"),
                                         (1111111111, "14050471"), (1234567890, "89005924"),
                                         (2000000000, "69279037"), (20000000000, "65353130")])
def test_rfc6238_sha1_vectors(t: int, code: str) -> None:
    assert totp_code(RFC_KEY, t, digits=8) == code


def test_rfc4226_vectors() -> None:
    assert [hotp(RFC_KEY, i) for i in range(3)] == ["755224", "287082", "359152"]


def test_window_is_one_step_either_side() -> None:
    t = 1_700_000_000
    step = t // 30
    assert matching_step(RFC_KEY, totp_code(RFC_KEY, t), t) == step
    assert matching_step(RFC_KEY, totp_code(RFC_KEY, t - 30), t) == step - 1
    assert matching_step(RFC_KEY, totp_code(RFC_KEY, t + 30), t) == step + 1
    assert matching_step(RFC_KEY, totp_code(RFC_KEY, t - 90), t) is None
    assert matching_step(RFC_KEY, "12345", t) is None
    assert matching_step(RFC_KEY, "abcdef", t) is None


def test_provisioning_uri_carries_the_secret() -> None:
    uri = provisioning_uri(RFC_KEY, "alice")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth"
    assert parsed.netloc == "totp"
    assert parsed.path == "/Anxin%3Aalice"
    q = parse_qs(parsed.query)
    secret = q["secret"][0]
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == RFC_KEY
    assert q["issuer"] == ["Anxin"]
    assert q["digits"] == ["6"]
    assert q["period"] == ["30"]
