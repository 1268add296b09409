"""The one DER writer: the few primitives (X.690 definite-length encoding) from which the
hot paths assemble their constant-shaped structures -- the letter's CMS SignedData
(:mod:`anxin.letters.cms_der`) and the TSA's tokens (:mod:`anxin.pki.tsa`).

asn1crypto builds and re-encodes whole object trees (certificates included) on every
``dump()``, which costs milliseconds per signature; the constant parts are encoded once
and only the variable fields are written here. Standard library only: libraries of any
layer may use it. The unit tests check every primitive against asn1crypto's encoder.

>>> tlv(OCTET_STRING, b"ab").hex()
'04026162'
>>> der_integer(128).hex()
'02020080'
>>> der_oid("1.2.840.113549.1.7.1").hex()
'06092a864886f70d010701'
"""

from __future__ import annotations

import datetime as dt

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
OID = 0x06
GENERALIZED_TIME = 0x18


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def sequence(*parts: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(parts))


def der_set_of(*parts: bytes) -> bytes:
    """A DER SET OF: the member encodings in ascending byte order (X.690 §11.6)."""
    return tlv(SET, b"".join(sorted(parts)))


def der_integer(value: int) -> bytes:
    """An INTEGER in the fewest two's-complement octets."""
    length = (value + (value < 0)).bit_length() // 8 + 1
    return tlv(INTEGER, value.to_bytes(length, "big", signed=True))


def der_oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER from its dotted form."""
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray()
    for number in [parts[0] * 40 + parts[1], *parts[2:]]:
        chunk = [number & 0x7F]
        number >>= 7
        while number:
            chunk.append(0x80 | (number & 0x7F))
            number >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def der_generalized_time(moment: dt.datetime) -> bytes:
    """UTC GeneralizedTime, fraction without trailing zeros (RFC 3161 §2.4.2, X.690)."""
    moment = moment.astimezone(dt.UTC)
    text = moment.strftime("%Y%m%d%H%M%S")
    if moment.microsecond:
        text += "." + f"{moment.microsecond:06d}".rstrip("0")
    return tlv(GENERALIZED_TIME, (text + "Z").encode("ascii"))
