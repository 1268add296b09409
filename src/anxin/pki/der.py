"""Minimal DER writing for the hot path of the TSA and OCSP responder.

asn1crypto builds and re-encodes whole object trees (certificates included) on every
``dump()``, which costs milliseconds per token; the constant parts of a response are
encoded once with asn1crypto and only the few variable fields are written here.

>>> tlv(0x04, b"ab").hex()
'04026162'
>>> der_integer(128).hex()
'02020080'
"""

from __future__ import annotations

import datetime as dt

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
GENERALIZED_TIME = 0x18


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    return bytes([tag]) + _length(len(content)) + content


def sequence(*parts: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(parts))


def der_set_of(*parts: bytes) -> bytes:
    """A DER SET OF: the member encodings in ascending byte order."""
    return tlv(SET, b"".join(sorted(parts)))


def der_integer(value: int) -> bytes:
    length = (value + (value < 0)).bit_length() // 8 + 1
    return tlv(INTEGER, value.to_bytes(length, "big", signed=True))


def der_generalized_time(moment: dt.datetime) -> bytes:
    """UTC GeneralizedTime, fraction without trailing zeros (RFC 3161 §2.4.2, X.690)."""
    moment = moment.astimezone(dt.UTC)
    text = moment.strftime("%Y%m%d%H%M%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return tlv(GENERALIZED_TIME, (text + "Z").encode("ascii"))
