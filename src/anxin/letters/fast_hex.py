"""A fast path for pyHanko's reading of PDF hex strings, while a letter is being opened.

pyHanko reads a hex string (``<3082…>``) one byte at a time, each byte through
``read_non_whitespace``: a signed letter's ``/Contents`` (the CMS of its signature and of
each document timestamp, about 33 KB of hex) then costs some 18 ms of the 20 ms its parse
takes, the largest single cost of opening it. :func:`fast_hex_strings` makes pyHanko's
reader take a fast path within it: when the string up to its closing ``>`` holds only hex
digits and PDF whitespace, it is decoded in one step, exactly as pyHanko would decode it
(whitespace dropped, an odd final digit completed by ``0``); anything else — a comment, a
character that is not hex, a string with no end — is read by pyHanko's own code from the
same position, with its own result or error.

The switch is a context variable: the reader is pyHanko's own everywhere else (the signing
path, and the benchmark's baseline, which must stay stock pyHanko). Installing the hook
replaces ``pyhanko.pdf_utils.generic.read_hex_string_from_stream`` once, by a function
that defers to the original unless the switch is on.
"""

from __future__ import annotations

import binascii
import contextlib
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from pyhanko.pdf_utils import generic

_ACTIVE: ContextVar[bool] = ContextVar("anxin_fast_hex_strings", default=False)
_WHITESPACE = b" \n\r\t\f\x00"  # pyhanko.pdf_utils.misc.PDF_WHITESPACE
_HEX_OR_WHITESPACE = re.compile(rb"[0-9A-Fa-f \n\r\t\f\x00]*")
_CHUNK = 64 * 1024


def _fast_path(stream: Any, original: Callable[[Any], Any]) -> Any:
    start = stream.tell()
    body = bytearray()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:  # no closing '>': pyHanko's own error
            stream.seek(start)
            return original(stream)
        end = chunk.find(b">")
        if end >= 0:
            body += chunk[:end]
            break
        body += chunk
    digits = bytes(body[1:])  # body[0] is the opening '<' (pyHanko skips one byte)
    if not body or _HEX_OR_WHITESPACE.fullmatch(digits) is None:
        stream.seek(start)
        return original(stream)
    stream.seek(start + len(body) + 1)
    digits = digits.translate(None, _WHITESPACE)
    if len(digits) % 2:
        digits += b"0"
    return generic.pdf_string(binascii.unhexlify(digits))


def _install() -> Callable[[Any], Any]:
    current = generic.read_hex_string_from_stream
    original: Callable[[Any], Any] = getattr(current, "__anxin_original__", current)

    def read_hex_string_from_stream(stream: Any) -> Any:
        if not _ACTIVE.get():
            return original(stream)
        return _fast_path(stream, original)

    read_hex_string_from_stream.__anxin_original__ = original  # type: ignore[attr-defined]
    read_hex_string_from_stream.__doc__ = original.__doc__
    generic.read_hex_string_from_stream = read_hex_string_from_stream
    return original


ORIGINAL = _install()
"""pyHanko's own reader (for tests comparing the two)."""


@contextlib.contextmanager
def fast_hex_strings() -> Iterator[None]:
    """Within this block (this thread or task), pyHanko reads hex strings fast."""
    token = _ACTIVE.set(True)
    try:
        yield
    finally:
        _ACTIVE.reset(token)
