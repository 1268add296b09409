"""The DER writer agrees with asn1crypto's encoder."""

from __future__ import annotations

import datetime as dt

from asn1crypto import core
from hypothesis import given
from hypothesis import strategies as st

from anxin.pki import der


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
