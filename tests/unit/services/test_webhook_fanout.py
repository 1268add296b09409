"""Where one event goes: one destination per distinct URL (the callback URL and the
subscribed endpoints), URLs compared after normalisation."""

from __future__ import annotations

import pytest

from anxin.services.webhook_fanout import plan, subscribed, url_key
from anxin.storage.webhook_models import WebhookEndpoint

SIGNED = "authorization:signed"


def endpoint(ep_id: str, url: str, events: list[str]) -> WebhookEndpoint:
    return WebhookEndpoint(id=ep_id, institution_id="i", url=url, url_sha256=url_key(url),
                           events=events, secret_enc=b"")


@pytest.mark.parametrize(("a", "b"), [
    ("https://Bank.Example/hook", "https://bank.example/hook"),
    ("https://bank.example:443/hook", "https://bank.example/hook"),
    ("http://bank.example:80/hook?x=1", "HTTP://bank.example/hook?x=1"),
    ("https://bank.example/hook#frag", "https://bank.example/hook"),
])
def test_the_same_destination_written_two_ways_is_one_url(a: str, b: str) -> None:
    assert url_key(a) == url_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("https://bank.example/hook", "http://bank.example/hook"),
    ("https://bank.example/hook", "https://bank.example/Hook"),
    ("https://bank.example/hook", "https://bank.example:8443/hook"),
    ("https://bank.example/hook?a=1", "https://bank.example/hook?a=2"),
    ("http://[::1", "http://[::1]"),  # a URL that does not parse is compared as written
])
def test_different_destinations_stay_apart(a: str, b: str) -> None:
    assert url_key(a) != url_key(b)


def test_an_endpoint_at_the_callback_url_shares_its_delivery() -> None:
    eps = [endpoint("we_a", "https://BANK.example/hook", ["*"]),
           endpoint("we_b", "https://bank.example/other", [SIGNED]),
           endpoint("we_c", "https://bank.example/revoked", ["authorization:revoked"])]
    targets = list(plan("https://bank.example:443/hook", eps, SIGNED).values())
    assert [(t.url, t.endpoint_id, t.to_callback) for t in targets] == [
        ("https://bank.example:443/hook", "we_a", True),
        ("https://bank.example/other", "we_b", False)]


def test_no_callback_and_no_subscriber_is_nowhere() -> None:
    eps = [endpoint("we_c", "https://bank.example/revoked", ["authorization:revoked"])]
    assert plan(None, eps, SIGNED) == {}
    assert subscribed(["*"], "authorization:anything_later")
    assert not subscribed([SIGNED], "authorization:revoked")
