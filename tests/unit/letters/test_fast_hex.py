"""The fast hex-string path reads what pyHanko's reader reads, stops where it stops, and
fails where it fails; outside ``fast_hex_strings`` pyHanko's own reader runs."""

import os
from io import BytesIO

import pytest
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfStreamError

from anxin.letters import fast_hex
from anxin.letters.fast_hex import ORIGINAL, fast_hex_strings

CASES = [
    b"<3082ABcdef0123456789>",
    b"<>",
    b"<7>",  # an odd digit: completed by 0
    b"<30 82\n0a\r\t\f\x0001>",  # whitespace anywhere
    b"<" + b"00" * 40000 + b"> rest",  # longer than one read chunk
    b"<" + os.urandom(20000).hex().encode() + b">",
    b"<FEFF0041>",  # a UTF-16 text string
    b"<30 % a comment\n82>",  # a comment: pyHanko's own path
    b"<30G2>",  # not hex: pyHanko's error
    b"<3082",  # no end: pyHanko's error
    b"<30<82>",
]


def _read(data: bytes, fast: bool) -> tuple[object, int]:
    stream = BytesIO(data)
    try:
        if fast:
            with fast_hex_strings():
                value = generic.read_hex_string_from_stream(stream)
        else:
            value = ORIGINAL(stream)
    except PdfStreamError as exc:
        return ("error", str(exc)), stream.tell()
    return (type(value).__name__, bytes(value.original_bytes)), stream.tell()


@pytest.mark.parametrize("data", CASES, ids=range(len(CASES)))
def test_same_value_position_and_error_as_pyhanko(data: bytes) -> None:
    assert _read(data, fast=True) == _read(data, fast=False)


def test_objects_around_a_hex_string_read_the_same() -> None:
    pdf = b"[<3082 01ff> (x) <7> 12]"
    with fast_hex_strings():
        fast = generic.read_object(BytesIO(pdf), None)
    assert fast == generic.read_object(BytesIO(pdf), None)
    assert fast[0].original_bytes == b"\x30\x82\x01\xff"
    assert fast[3] == 12


def test_outside_the_block_pyhanko_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    used: list[bool] = []
    monkeypatch.setattr(fast_hex, "_fast_path",
                        lambda stream, original: used.append(True) or original(stream))
    generic.read_hex_string_from_stream(BytesIO(b"<30>"))
    assert used == []
    with fast_hex_strings():
        generic.read_hex_string_from_stream(BytesIO(b"<30>"))
    assert used == [True]
