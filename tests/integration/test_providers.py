"""Pluggable providers over real HTTP: the SMS webhook gateway and the real-name check."""

import pytest
from fastapi.testclient import TestClient

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.services.institutions import add_institution
from anxin.web.app import create_app
from tests.common.factories import Api, mobile, resident_id, token_of
from tests.common.ledger_view import event_names
from tests.common.receiver import receiver


@pytest.fixture
def app_with(settings):
    made = []

    def build(**overrides):
        # The providers listen on 127.0.0.1: allow-listed explicitly (anxin.net.outbound).
        s = load_settings(data_dir=settings.data_dir,
                          database_url=settings.effective_database_url,
                          **{"outbound_allow": "127.0.0.1", **overrides})
        ctx = build_services(s)
        client = TestClient(create_app(s, ctx))
        inst = add_institution(ctx, "Webhook Bank")
        made.append(ctx)
        return ctx, Api(client, inst.api_key, inst.id)

    yield build
    for ctx in made:
        ctx.close()


def test_sms_webhook_gateway_posts_the_code(app_with):
    with receiver() as (url, got):
        _ctx, api = app_with(sms=f"webhook:{url}/sms")
        api.template()
        auth = api.request(seq=7)
        assert api.client.post(f"/s/{token_of(auth)}/otp").status_code == 204
    assert got[0]["path"] == "/sms"
    assert got[0]["body"]["to"] == "+86" + mobile(7)
    assert "Webhook Bank" in got[0]["body"]["text"]


def test_sms_gateway_failure_spends_no_code(app_with):
    with receiver(lambda body: (500, {})) as (url, _got):
        ctx, api = app_with(sms=f"webhook:{url}")
        api.template()
        auth = api.request()
        r = api.client.post(f"/s/{token_of(auth)}/otp")
        assert (r.status_code, r.json()["code"]) == (502, "sms_failed")
    assert "authorization:otp:sent" not in event_names(ctx, auth["id"])


def test_realname_mismatch_refuses_the_first_code_and_is_recorded(app_with):
    def provider(body):
        return 200, {"match": body["id_number"] != resident_id(9)}

    with receiver(provider) as (url, got):
        ctx, api = app_with(realname=f"webhook:{url}")
        api.template()
        bad = api.request(seq=9)
        good = api.request(seq=8)
        r = api.client.post(f"/s/{token_of(bad)}/otp")
        assert (r.status_code, r.json()["code"]) == (422, "realname_mismatch")
        assert api.client.post(f"/s/{token_of(good)}/otp").status_code == 204
    assert {g["body"]["id_number"] for g in got} == {resident_id(9), resident_id(8)}
    assert "authorization:realname:checked" in event_names(ctx, bad["id"])
    assert "authorization:otp:sent" not in event_names(ctx, bad["id"])


def test_default_realname_records_that_it_trusted_the_institution(api, client, ctx):
    from sqlalchemy import select

    from anxin.storage.models import Authorization
    api.template()
    auth = api.request()
    client.post(f"/s/{token_of(auth)}/otp")
    with ctx.db.transaction() as s:
        row = s.scalars(select(Authorization).where(Authorization.id == auth["id"])).one()
        assert row.realname["provider"] == "none"
        assert row.realname["result"] == "not_checked"
