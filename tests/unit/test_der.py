"""The one DER writer (anxin.der) agrees with asn1crypto's encoder. Moved here, with
their assertions, from tests/unit/pki/test_pki_der.py and the primitives test of
tests/unit/letters/test_cms_der.py, when the two writers became one."""

from __future__ import annotations

import datetime as dt

from asn1crypto import core
from hypothesis import given
from hypothesis import strategies as st

from anxin import der


@given(st.integers(min_value=-(2**200), max_value=2**200))
def test_integers(value: int) -> None:
    assert der.der_integer(value) == core.Integer(value).dump()


@given(st.datetimes(min_value=dt.datetime(1950, 1, 1), max_value=dt.datetime(9999, 1, 1),
                    timezones=st.just(dt.UTC)))
def test_generalized_time(moment: dt.datetime) -> None:
    assert der.der_generalized_time(moment) == core.GeneralizedTime(moment).dump()


@given(st.binary(max_size=70000))
def test_octet_strings_of_any_length(data: bytes) -> None:
    assert der.tlv(der.OCTET_STRING, data) == core.OctetString(data).dump()


def test_set_of_is_sorted() -> None:
    assert der.der_set_of(b"\x02\x01\x05", b"\x02\x01\x01") == bytes.fromhex("3106020101020105")


def test_der_primitives_match_asn1crypto() -> None:
    for value in (0, 1, 127, 128, 255, 256, 2**64 + 3, 2**159 - 1):
        assert der.der_integer(value) == core.Integer(value).dump()
    for oid in ("1.2.840.113549.1.9.16.2.47", "2.25.329800735698586629295641978511506172918"):
        assert der.der_oid(oid) == core.ObjectIdentifier(oid).dump()
    assert der.tlv(0x04, b"x" * 300) == core.OctetString(b"x" * 300).dump()


@given(st.lists(st.integers(min_value=0, max_value=2**64), min_size=2, max_size=12))
def test_any_oid(arcs: list[int]) -> None:
    first = arcs[0] % 3
    second = arcs[1] % 40 if first < 2 else arcs[1]
    dotted = ".".join(str(a) for a in [first, second, *arcs[2:]])
    assert der.der_oid(dotted) == core.ObjectIdentifier(dotted).dump()
