"""Leaves are canonical JSON of hashes, ids, codes and counts: never floats or objects."""

import datetime as dt

import pytest

from anxin.errors import ValidationFailed
from anxin.ledger.leaf import canonical_json, make_leaf, parse_leaf

AT = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)


def test_same_fields_same_bytes_whatever_the_order():
    a = make_leaf("authorization:use:granted", at=AT, authorization_id="a1", use_id="u1",
                  uses=2)
    b = canonical_json({"uses": 2, "use_id": "u1", "authorization_id": "a1", "v": 2,
                        "event": "authorization:use:granted",
                        "at": "2026-11-29T08:00:00.000000+00:00"})
    assert a == b
    assert parse_leaf(a)["uses"] == 2


@pytest.mark.parametrize("bad", [{"x": 1.5}, {"x": [1, 2.0]}, {"x": {"y": 0.1}},
                                 {"x": object()}, {"x": {1: "a"}}, {1: "a"}])
def test_floats_objects_and_non_string_keys_are_refused(bad):
    with pytest.raises(ValidationFailed):
        canonical_json(bad)


def test_nested_lists_and_maps_of_scalars_are_kept():
    assert canonical_json({"b": [1, "x", None, True], "a": {"k": "v"}}) == \
        b'{"a":{"k":"v"},"b":[1,"x",null,true]}'
