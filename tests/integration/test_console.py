"""The operator console: operators from the CLI, sign-in with password + TOTP, CSRF,
institutions (suspend → 401, rotate key), search by id number, templates diff, the
dispute view, the dashboard's charts; every action a ledger leaf without personal data."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, union_all
from typer.testing import CliRunner

from anxin.config import Settings
from anxin.console.cli import operator_app
from anxin.console.totp import totp_code
from anxin.services.context import Context
from anxin.storage.models import LedgerLeaf, LedgerQueued
from tests.common.factories import EN_BODY, Api, resident_id, sign, token_of
from tests.common.portal_fixtures import client, csrf_of

__all__ = ["client"]
PASSWORD = "correct horse battery"


def _unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}"  # the database outlives one test


def _add_operator(settings: Settings, name: str) -> bytes:
    out = CliRunner().invoke(operator_app, ["add", name, "--data-dir", str(settings.data_dir),
                                            "--password", PASSWORD],
                             env={"ANXIN_DATABASE_URL": settings.database_url})
    assert out.exit_code == 0, out.output
    uri = next(line for line in out.output.splitlines() if line.startswith("otpauth://"))
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def _login(client: TestClient, user: str, password: str, code: str) -> object:
    page = client.get("/console/login")
    return client.post("/console/login", data={
        "username": user, "password": password, "totp": code, "csrf": csrf_of(page.text)},
        follow_redirects=False)


@pytest.fixture
def operator(client: TestClient, settings: Settings, ctx: Context) -> str:
    name = _unique("alice")
    secret = _add_operator(settings, name)
    r = _login(client, name, PASSWORD, totp_code(secret, ctx.clock().timestamp()))
    assert r.status_code == 303, r.text  # type: ignore[attr-defined]
    return name


def _console_leaves(ctx: Context) -> list[dict]:
    # ONE statement: between two, the sequencer may move a row from the queue to the
    # leaves (READ COMMITTED gives each statement its own snapshot) and it would be missed.
    both = union_all(select(LedgerLeaf.data), select(LedgerQueued.data)).subquery()
    with ctx.db.transaction() as s:
        data = list(s.scalars(select(both.c.data)))
    return [e for e in map(json.loads, data) if e["event"] == "console:action"]


def test_login_wrong_totp_replay_and_csrf(client: TestClient, settings: Settings,
                                          ctx: Context, clock) -> None:
    bob = _unique("bob")
    secret = _add_operator(settings, bob)
    now = ctx.clock().timestamp()
    good = totp_code(secret, now)
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    r = _login(client, bob, PASSWORD, wrong)
    assert r.status_code == 401
    assert 'data-code="login_failed"' in r.text
    assert _login(client, bob, "not the password", good).status_code == 401
    assert _login(client, "nobody", PASSWORD, good).status_code == 401
    # No CSRF token: refused even with the right credentials.
    client.get("/console/login")
    r = client.post("/console/login", data={"username": bob, "password": PASSWORD,
                                            "totp": good}, follow_redirects=False)
    assert r.status_code == 403
    r = _login(client, bob, PASSWORD, good)
    assert r.status_code == 303
    assert "anxin_console" in client.cookies
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "Path=/console" in cookie
    # The same code cannot be used twice.
    client.cookies.clear()
    assert _login(client, bob, PASSWORD, good).status_code == 401
    actions = [e["action"] for e in _console_leaves(ctx)]
    assert "login" in actions
    assert "login.failed" in actions


def test_suspend_makes_the_key_answer_401_and_rotate(client: TestClient, api: Api,
                                                    operator: str, ctx: Context) -> None:
    assert api.get("/v1/templates").status_code == 200
    page = client.get("/console/institutions")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    # CSRF refused: nothing changes.
    assert client.post(f"/console/institutions/{api.institution_id}/suspend",
                       data={"csrf": "forged"}).status_code == 403
    assert api.get("/v1/templates").status_code == 200
    # Suspending asks first (issue 15): the first post only shows the question.
    r = client.post(f"/console/institutions/{api.institution_id}/suspend",
                    data={"csrf": csrf})
    assert r.status_code == 200
    assert 'id="confirm" data-action="suspend"' in r.text
    assert 'name="confirmed" value="yes"' in r.text
    assert api.get("/v1/templates").status_code == 200  # not suspended yet
    r = client.post(f"/console/institutions/{api.institution_id}/suspend",
                    data={"csrf": csrf, "confirmed": "yes"})
    assert r.status_code == 200
    refused = api.get("/v1/templates")
    assert refused.status_code == 401
    assert refused.json()["code"] == "institution_suspended"
    assert api.use("00000000-0000-0000-0000-000000000000").status_code == 401
    client.post(f"/console/institutions/{api.institution_id}/activate", data={"csrf": csrf})
    assert api.get("/v1/templates").status_code == 200
    r = client.post(f"/console/institutions/{api.institution_id}/rotate-key",
                    data={"csrf": csrf})
    assert 'id="confirm" data-action="rotate-key"' in r.text
    assert 'id="new-key"' not in r.text
    assert api.get("/v1/templates").status_code == 200  # the old key still works
    r = client.post(f"/console/institutions/{api.institution_id}/rotate-key",
                    data={"csrf": csrf, "confirmed": "yes"})
    new_key = re.search(r'id="new-key">.*?<code>([^<]+)</code>', r.text, re.S)
    assert new_key
    assert api.get("/v1/templates").status_code == 401
    assert client.get("/v1/templates", headers={
        "Authorization": f"Bearer {new_key.group(1)}"}).status_code == 200
    leaves = _console_leaves(ctx)
    acts = {e["action"] for e in leaves if e.get("institution_id") == api.institution_id}
    assert {"institution.suspend", "institution.activate", "institution.rotate_key"} <= acts
    assert all(e.get("operator_id") for e in leaves)


def test_create_institution_and_webhook(client: TestClient, operator: str) -> None:
    csrf = csrf_of(client.get("/console/institutions").text)
    r = client.post("/console/institutions", data={"csrf": csrf, "name": "New Bank"})
    key = re.search(r'id="new-key">.*?<code>([^<]+)</code>', r.text, re.S)
    assert key
    assert client.get("/v1/templates", headers={
        "Authorization": f"Bearer {key.group(1)}"}).status_code == 200
    inst_id = re.search(r'data-id="([^"]+)" data-status="active"><td>New Bank', r.text)
    assert inst_id
    # The default webhook secret exists from creation and is shown then, once.
    first = re.search(r'id="new-secret">.*?<code>(whsec_[^<]+)</code>', r.text, re.S)
    assert first
    r = client.post(f"/console/institutions/{inst_id.group(1)}/webhook",
                    data={"csrf": csrf, "callback_url": "https://bank.example/hook"})
    assert 'id="new-secret"' not in r.text  # kept, not shown again
    assert "https://bank.example/hook" in r.text
    r = client.post(f"/console/institutions/{inst_id.group(1)}/webhook",
                    data={"csrf": csrf, "callback_url": "https://bank.example/hook",
                          "new_secret": "on"})
    rotated = re.search(r'id="new-secret">.*?<code>(whsec_[^<]+)</code>', r.text, re.S)
    assert rotated
    assert rotated.group(1) != first.group(1)
    r = client.post(f"/console/institutions/{inst_id.group(1)}/webhook",
                    data={"csrf": csrf, "callback_url": "ftp://nope"})
    assert 'data-code="validation_failed"' in r.text


def test_search_by_id_number_and_dispute_view(client: TestClient, api: Api, other_api: Api,
                                              outbox, operator: str, ctx: Context) -> None:
    api.template()
    other_api.template()
    a = api.request(seq=120)
    sign(client, outbox, a)
    assert api.use(a["id"]).status_code == 201
    b = other_api.request(seq=120, reference="OTHER-1")
    c = api.request(seq=121)
    csrf = csrf_of(client.get("/console/authorizations").text)
    r = client.post("/console/authorizations", data={
        "csrf": csrf, "id_type": "resident_id", "id_number": resident_id(120)})
    assert r.status_code == 200
    found = re.findall(r'class="result" data-id="([^"]+)"', r.text)
    assert sorted(found) == sorted([a["id"], b["id"]])
    assert c["id"] not in found
    r = client.post("/console/authorizations", data={
        "csrf": csrf, "institution": api.institution_id, "status": "exhausted"})
    assert a["id"] in r.text
    assert c["id"] not in r.text
    r = client.post("/console/authorizations", data={
        "csrf": csrf, "id_type": "resident_id", "id_number": "110105199001011230"})
    assert 'data-code="invalid_id_number"' in r.text
    assert client.post("/console/authorizations", data={
        "id_number": resident_id(120)}).status_code == 403
    view = client.get(f"/console/authorizations/{a['id']}")
    assert view.status_code == 200
    for event in ("authorization:requested", "authorization:signed",
                  "authorization:use:granted", "authorization:exhausted"):
        assert event in view.text
    assert client.get("/console/authorizations/nope").status_code == 404
    leaves = _console_leaves(ctx)
    assert any(e["action"] == "authorizations.search_by_id" for e in leaves)
    assert not any(resident_id(120) in json.dumps(e) for e in leaves)


def test_templates_and_diff(client: TestClient, api: Api, operator: str) -> None:
    api.template()
    api.template(title="Credit check (revised)", body=EN_BODY + " Revised.")
    page = client.get("/console/templates")
    assert f"institution={api.institution_id}&code=credit&a=1&b=2" in page.text
    r = client.get("/console/templates/diff", params={
        "institution": api.institution_id, "code": "credit", "a": 1, "b": 2})
    assert r.status_code == 200
    assert '<span class="add">+title: &#34;Credit check (revised)&#34;' in r.text or (
        "+title:" in r.text and "Credit check (revised)" in r.text)
    assert "-title:" in r.text


def test_dashboard_shows_the_figures_of_the_period(client: TestClient, api: Api, outbox,
                                                  operator: str, ctx: Context) -> None:
    api.template(max_uses=2)
    a = api.request(seq=130)
    sign(client, outbox, a)
    assert api.use(a["id"]).status_code == 201
    assert api.use(a["id"], purpose="account_opening").status_code == 403
    api.request(seq=131)
    today = ctx.clock().astimezone(ctx.settings.zone).date().isoformat()
    r = client.get("/console", params={"from": today, "to": today})
    assert r.status_code == 200
    row = re.search(rf'<tr data-id="{api.institution_id}">.*?</tr>', r.text, re.S)
    assert row
    cells = dict(re.findall(r'data-k="(\w+)">([^<]*)<', row.group(0)))
    assert {k: cells[k] for k in ("requested", "signed", "declined", "uses_granted",
                                  "uses_refused")} == {
        "requested": "2", "signed": "1", "declined": "0", "uses_granted": "1",
        "uses_refused": "1"}
    assert cells["sign_rate"] == "50%"
    assert 'data-code="purpose_mismatch"' in r.text  # refusals by reason, labelled
    for series in ("requested", "signed"):
        m = re.search(rf'data-series="{series}".*?</svg>', r.text, re.S)
        assert m
        values = [int(v) for v in re.findall(r'data-value="(\d+)"', m.group(0))]
        assert len(values) == 1, series  # one day: today
        assert values[0] >= 1, series
    assert "Example Bank" in r.text
    bad = client.get("/console", params={"from": today, "to": "2000-01-01"})
    assert 'data-code="validation_failed"' in bad.text


def test_console_needs_a_session(client: TestClient) -> None:
    for path in ("/console", "/console/institutions", "/console/authorizations"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/console/login")


def test_operator_cli_refuses_short_password_and_duplicates(settings: Settings,
                                                            tmp_path: Path) -> None:
    env = {"ANXIN_DATABASE_URL": settings.database_url}
    out = CliRunner().invoke(operator_app, ["add", "carol", "--data-dir",
                                            str(settings.data_dir), "--password", "short"],
                             env=env)
    assert out.exit_code == 1
    dave = _unique("dave")
    _add_operator(settings, dave)
    out = CliRunner().invoke(operator_app, ["add", dave, "--data-dir",
                                            str(settings.data_dir), "--password", PASSWORD],
                             env=env)
    assert out.exit_code == 1
    assert "operator_exists" in out.output


def test_operator_app_mounts_under_anxin_operator() -> None:
    import typer
    root = typer.Typer()
    root.add_typer(operator_app, name="operator")
    out = CliRunner().invoke(root, ["operator", "add", "--help"])
    assert out.exit_code == 0
    assert "USERNAME" in out.output.upper()


def test_dashboard_counts_exactly_per_institution_and_day(client: TestClient, api: Api, outbox,
                                                          ctx: Context, clock) -> None:
    from anxin.services.console_stats import Period, dashboard
    from anxin.services.revocation import revoke_authorization

    zone = ctx.settings.zone
    today = ctx.clock().astimezone(zone).date()
    period = Period.last_days(today, zone)
    before = dashboard(ctx, period)
    api.template(max_uses=2)
    a = api.request(seq=140)
    clock.advance(minutes=10)  # signed 10 minutes after the request
    sign(client, outbox, a)
    assert api.use(a["id"]).status_code == 201
    assert api.use(a["id"], purpose="account_opening").status_code == 403
    assert api.use(a["id"], data_item="judicial_records").status_code == 403
    revoke_authorization(ctx, a["id"], subject_index=None, channel="console")
    b = api.request(seq=141)
    assert client.post(f"/s/{token_of(b)}/decline").status_code == 200
    api.request(seq=142)
    after = dashboard(ctx, Period.last_days(ctx.clock().astimezone(zone).date(), zone))
    mine = next(i for i in after["per_institution"] if i["id"] == api.institution_id)
    expected = {"requested": 3, "signed": 1, "declined": 1, "lapsed": 0, "pending": 1,
                "uses_granted": 1, "uses_refused": 2, "revocations": 1}
    assert {k: mine[k] for k in expected} == expected
    assert mine["sign_rate"] == pytest.approx(1 / 3)
    assert 590 <= mine["median_sign_seconds"] <= 720
    reasons = dict(after["refused_by_reason"])
    assert reasons["purpose_mismatch"] - dict(before["refused_by_reason"]).get(
        "purpose_mismatch", 0) == 1
    assert reasons["scope_mismatch"] - dict(before["refused_by_reason"]).get(
        "scope_mismatch", 0) == 1
    for k in expected:  # in the totals too
        assert after["totals"][k] - before["totals"][k] == expected[k], k
    for k in ("requested", "signed"):  # all of it on one local day
        assert sum(after["per_day"][k]) - sum(before["per_day"][k]) == expected[k], k
    # A period before today counts none of it.
    old = dashboard(ctx, Period(today - dt.timedelta(days=30), today - dt.timedelta(days=20),
                                zone))
    assert all(r["id"] != api.institution_id for r in old["per_institution"])
