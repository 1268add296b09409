"""Time-based one-time passwords, RFC 6238 (HMAC-SHA1, 6 digits, 30-second steps), the
profile every authenticator app reads from an ``otpauth://`` URI.

>>> secret = base64.b32decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")  # RFC 6238 test key
>>> totp_code(secret, 59, digits=8)
'94287082'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP = 30


def new_secret() -> bytes:
    return secrets.token_bytes(20)


def secret_b32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


def hotp(secret: bytes, counter: int, digits: int = 6) -> str:
    """RFC 4226."""
    mac = hmac.new(secret, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def totp_code(secret: bytes, unix_time: float, digits: int = 6) -> str:
    return hotp(secret, int(unix_time // STEP), digits)


def matching_step(secret: bytes, code: str, unix_time: float, *, window: int = 1) -> int | None:
    """The time step whose code is ``code`` (now, or ``window`` steps either side)."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    now_step = int(unix_time // STEP)
    for step in range(now_step - window, now_step + window + 1):
        if hmac.compare_digest(hotp(secret, step), code):
            return step
    return None


def provisioning_uri(secret: bytes, username: str, issuer: str = "Anxin") -> str:
    label = quote(f"{issuer}:{username}")
    query = urlencode({"secret": secret_b32(secret), "issuer": issuer, "algorithm": "SHA1",
                       "digits": 6, "period": STEP})
    return f"otpauth://totp/{label}?{query}"
