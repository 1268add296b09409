"""Small encodings used on every layer: unpadded base64url (JOSE, WebAuthn) and the hex
SHA-256 that names bytes and texts throughout the product. Standard library only, so
libraries, services and the offline verifier may all use it.

>>> b64url(b"\\xfb\\xff")
'-_8'
>>> b64url_decode("-_8")
b'\\xfb\\xff'
>>> sha256_hex("abc")[:16]
'ba7816bf8f01cfea'
"""

from __future__ import annotations

import base64
import hashlib


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The inverse of :func:`b64url`; raises ``binascii.Error`` (a ``ValueError``) on
    input that is not base64url."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sha256_hex(data: bytes | str) -> str:
    """The SHA-256 of ``data`` (a text as its UTF-8) in lower-case hex."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()
