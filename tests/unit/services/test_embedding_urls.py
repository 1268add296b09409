"""The pure URL rules of embedding (anxin.services.embedding): origins, prefixes and the
outcome added to a return URL."""

from __future__ import annotations

import pytest

from anxin.errors import ValidationFailed
from anxin.services.embedding import normalise_origin, normalise_prefix, with_outcome


@pytest.mark.parametrize(("given", "dev", "origin"), [
    ("https://App.Bank.example", False, "https://app.bank.example"),
    ("https://app.bank.example:443/", False, "https://app.bank.example"),
    ("https://app.bank.example:8443", False, "https://app.bank.example:8443"),
    ("http://127.0.0.1:5000", True, "http://127.0.0.1:5000"),
    ("http://localhost:80", True, "http://localhost"),
    ("https://[::1]:9000", False, "https://[::1]:9000"),
])
def test_origins_are_normalised(given: str, dev: bool, origin: str) -> None:
    assert normalise_origin(given, field="f", dev=dev) == origin


@pytest.mark.parametrize(("given", "dev"), [
    ("http://127.0.0.1:5000", False),          # http only in development
    ("http://bank.example", True),             # and only for a loopback host
    ("https://bank.example/x", False),
    ("https://bank.example?x", False),
    ("https://bank.example#x", False),
    ("https://*.bank.example", False),
    ("https://u@bank.example", False),
    ("data:text/html,hi", False),
    ("https://bank.example https://evil.example", False),
])
def test_bad_origins_are_refused_naming_the_field(given: str, dev: bool) -> None:
    with pytest.raises(ValidationFailed) as caught:
        normalise_origin(given, field="frame_ancestors[3]", dev=dev)
    assert caught.value.field == "frame_ancestors[3]"


def test_a_prefix_always_ends_its_host() -> None:
    assert normalise_prefix("https://Bank.example", field="p", dev=False) == \
        "https://bank.example/"
    assert normalise_prefix("https://bank.example/anxin", field="p", dev=False) == \
        "https://bank.example/anxin"
    with pytest.raises(ValidationFailed):
        normalise_prefix("https://bank.example/done?x=1", field="p", dev=False)


def test_the_outcome_is_added_to_the_query_before_the_fragment() -> None:
    assert with_outcome("https://b.example/done?loan=4#top", "A1", "signed") == \
        "https://b.example/done?loan=4&authorization_id=A1&status=signed#top"
    # A return URL that carried its own status is not trusted over the outcome.
    assert with_outcome("https://b.example/d?status=signed", "A2", "declined") == \
        "https://b.example/d?authorization_id=A2&status=declined"
