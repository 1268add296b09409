"""The console shows an institution's webhook endpoints and their delivery log (read
only), and never a secret."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from anxin.config import Settings
from anxin.notify.worker import DeliveryWorker, RetryPolicy
from anxin.services.context import Context
from anxin.services.institutions import add_institution
from tests.common.factories import Api
from tests.common.listener import listener
from tests.common.portal_fixtures import client
from tests.integration.test_console import operator
from tests.integration.test_webhook_endpoints import create, drain

__all__ = ["client", "operator"]

FAST = RetryPolicy(base_seconds=0.05, max_seconds=0.2, lease_seconds=30, max_attempts=2)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"outbound_allow": "127.0.0.1"})


def test_the_console_shows_endpoints_and_their_deliveries(client: TestClient, ctx: Context,
                                                          operator: str) -> None:
    new = add_institution(ctx, "Console Hook Bank")
    api = Api(client, new.api_key, new.id)
    page = client.get(f"/console/institutions/{new.id}/webhooks?lang=en")
    assert page.status_code == 200
    assert 'id="no-endpoints"' in page.text
    assert 'data-set="yes"' in page.text  # the default secret exists from creation
    worker = DeliveryWorker(ctx, policy=FAST)
    try:
        with listener(status=500) as rx:
            ep = create(api, rx.url(path="/console-hook"), ["authorization:signed"])
            api.post(f"/v1/webhook-endpoints/{ep['id']}/ping")
            drain(worker, ctx, new.id)
    finally:
        worker.stop()
    page = client.get(f"/console/institutions/{new.id}/webhooks?lang=en")
    assert page.status_code == 200
    text = page.text
    assert rx.url(path="/console-hook") in text
    assert f'data-id="{ep["id"]}"' in text
    assert 'data-status="failed"' in text
    assert "HTTP 500" in text
    assert "Webhook test (ping)" in text
    assert ep["secret"] not in text
    assert new.webhook_secret not in text
    listing = client.get("/console/institutions?lang=en").text
    assert f"/console/institutions/{new.id}/webhooks" in listing
    assert client.get("/console/institutions/nope/webhooks").status_code == 404


def test_the_webhooks_page_needs_a_session(client: TestClient, ctx: Context) -> None:
    new = add_institution(ctx, "Anonymous Hook Bank")
    r = client.get(f"/console/institutions/{new.id}/webhooks", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/console/login")
