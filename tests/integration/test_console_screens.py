"""The console's issue-15 fixes on the server side: the operator's language, no red
message on a first visit, times in the deployment's zone and labels instead of codes,
the dispute view's client facts and documents, search by mobile, and the template
editor (a new version; a preview drawn by the letter PDF's renderer)."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import html
import io
import json
import re
import threading
from typing import Any
from zoneinfo import ZoneInfo

import pypdfium2
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import event, func, select, text

from anxin.config import Settings
from anxin.services import console as svc
from anxin.services.context import Context
from anxin.services.templates import TemplateSpec
from anxin.storage.ledger_store import _SEQUENCER_LOCK
from anxin.storage.models import LedgerLeaf, LedgerQueued
from anxin.web.pages.console_i18n import local_time
from tests.common.factories import Api, mobile, sign
from tests.common.portal_fixtures import client, csrf_of
from tests.integration.test_console import _console_leaves, operator

__all__ = ["client", "operator"]

ZH_BODY = ("本人{{ subject_name }}（{{ subject_id_type }} {{ subject_id_number }}）授权"
           "{{ institution }}为{{ purpose }}查询本人的{{ scope }}，有效期自{{ valid_from }}至"
           "{{ valid_until }}，最多使用{{ max_uses }}次。本人可以随时撤销本授权，撤销不影响撤销前"
           "已进行的查询。业务编号{{ reference }}。")


def _text(page: str) -> str:
    """The page's visible text, roughly: tags out, entities decoded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def test_first_visit_shows_no_error_and_an_ended_session_is_information(
        client: TestClient) -> None:
    r = client.get("/console", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login"  # no ?err= on a first visit
    page = client.get("/console/login")
    assert 'id="error"' not in page.text
    assert 'class="notice err"' not in page.text
    client.cookies.set("anxin_console", "a-session-that-ended", path="/console")
    r = client.get("/console", follow_redirects=False)
    assert r.headers["location"] == "/console/login?err=session_expired"
    page = client.get(r.headers["location"])
    assert 'class="notice info" id="info"' in page.text
    assert "登录已过期" in page.text
    assert 'class="notice err"' not in page.text


def test_the_console_is_chinese_unless_the_operator_chooses_english(
        client: TestClient, operator: str) -> None:
    page = client.get("/console/institutions")
    assert '<html lang="zh-CN">' in page.text
    assert "机构" in page.text
    assert "Institutions" not in _text(page.text)
    page = client.get("/console/institutions?lang=en")
    assert '<html lang="en">' in page.text
    assert "anxin_console_lang=en" in page.headers["set-cookie"]
    later = client.get("/console/authorizations")  # the choice is kept
    assert '<html lang="en">' in later.text
    assert not re.search(r"[\u4e00-\u9fff]", _text(later.text).replace("中文", ""))
    assert '<html lang="zh-CN">' in client.get("/console?lang=zh-CN").text


def test_search_by_mobile_with_purpose_labels(client: TestClient, api: Api, operator: str,
                                              ctx: Context) -> None:
    api.template()
    a = api.request(seq=160)
    b = api.request(seq=160, reference="LOAN-160-B")
    c = api.request(seq=161)
    csrf = csrf_of(client.get("/console/authorizations").text)
    r = client.post("/console/authorizations", data={"csrf": csrf, "mobile": mobile(160)})
    found = re.findall(r'class="result" data-id="([^"]+)"', r.text)
    assert sorted(found) == sorted([a["id"], b["id"]])
    assert c["id"] not in found
    assert "贷款审批" in r.text  # the purpose's label, not its code
    assert "loan_approval" not in _text(r.text)
    assert "待签署" in r.text  # the status's label
    r = client.post("/console/authorizations", data={"csrf": csrf, "mobile": "12345"})
    assert 'data-code="validation_failed"' in r.text or 'data-code="invalid_mobile"' in r.text
    leaves = _console_leaves(ctx)
    assert any(e["action"] == "authorizations.search_by_mobile" for e in leaves)
    assert not any(mobile(160) in json.dumps(e) for e in leaves)


def test_dispute_view_local_times_labels_client_facts_and_documents(
        client: TestClient, api: Api, outbox, operator: str) -> None:
    api.template()
    a = api.request(seq=170)
    sign(client, outbox, a)
    assert api.use(a["id"], purpose="account_opening").status_code == 403
    page = client.get(f"/console/authorizations/{a['id']}")
    assert page.status_code == 200
    text = _text(page.text)
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d{6}", text)  # no microseconds
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}", text)  # no ISO "T" times
    assert "Asia/Shanghai" in text
    for code in ("authorization:requested", "authorization:otp:verified",
                 "authorization:signed", "loan_approval", "purpose_mismatch"):
        assert code not in text, code
    assert "not checked" not in text
    for words in ("发起授权", "验证码通过", "签署", "拒绝：用途不符", "贷款审批", "未核验"):
        assert words in text, words
    steps = re.findall(r'<li class="step leaf" data-event="([^"]+)">', page.text)
    assert steps[0] == "authorization:requested"
    assert "authorization:signed" in steps
    signed = next(c for c in page.text.split('<li class="step leaf"')
                  if c.startswith(' data-event="authorization:signed"'))
    assert 'class="ip">testclient<' in signed  # TestClient's peer address
    assert 'class="ua">testclient<' in signed
    requested = next(c for c in page.text.split('<li class="step leaf"')
                     if c.startswith(' data-event="authorization:requested"'))
    assert 'class="ip"' not in requested  # no client recorded for the request
    assert "Signed letter (PDF) ·" not in text
    for link in ("letter.pdf", "evidence.zip", "report.pdf"):
        assert f'href="/console/authorizations/{a["id"]}/{link}"' in page.text
    r = client.get(f"/console/authorizations/{a['id']}/evidence.zip")
    assert r.status_code == 200
    assert r.content[:2] == b"PK"
    r = client.get(f"/console/authorizations/{a['id']}/report.pdf")
    assert r.status_code == 200
    assert r.content[:5] == b"%PDF-"


def test_unsigned_dispute_view_says_there_is_nothing_to_download(
        client: TestClient, api: Api, operator: str) -> None:
    api.template()
    a = api.request(seq=171)
    page = client.get(f"/console/authorizations/{a['id']}?lang=en")
    assert 'id="no-documents"' in page.text
    assert "evidence.zip" not in page.text


def _editor_form(client: TestClient, api: Api, **over: str) -> dict[str, str]:
    page = client.get("/console/templates/edit", params={"institution": api.institution_id,
                                                         "code": "credit"})
    assert page.status_code == 200
    assert 'id="template-form"' in page.text
    form = {"csrf": csrf_of(page.text), "institution": api.institution_id, "code": "credit",
            "title": "个人征信查询授权书", "purpose": "loan_approval",
            "data_scope": "credit_report", "locale": "zh-CN", "validity_days": "30",
            "max_uses": "2", "request_ttl_minutes": "1440", "body": ZH_BODY}
    return form | over


def test_template_editor_preview_is_the_letter_pdf_drawn(client: TestClient, api: Api,
                                                         operator: str, ctx: Context) -> None:
    api.template()
    form = _editor_form(client, api)
    r = client.post("/console/templates/preview", data=form,
                    headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    pages = r.json()["pages"]
    assert len(pages) >= 1
    png = base64.b64decode(pages[0].removeprefix("data:image/png;base64,"))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert abs(image.width / image.height - 210 / 297) < 0.01  # an A4 page
    darkest, lightest = image.convert("L").getextrema()
    assert darkest < 100  # text is drawn on
    assert lightest == 255  # a white page
    # The same renderer as the PDF: the preview's letter holds the body, with the
    # institution and the labels of the terms filled in.
    spec = TemplateSpec(code="credit", title="个人征信查询授权书", purpose="loan_approval",
                        data_scope=("credit_report",), body=ZH_BODY, locale="zh-CN",
                        validity_days=30, max_uses=2)
    pdf = svc.preview_letter(ctx, api.institution_id, spec)
    doc = pypdfium2.PdfDocument(pdf)
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    squashed = re.sub(r"\s", "", text)
    assert "ExampleBank" in squashed
    assert "贷款审批" in squashed
    assert "个人信用报告" in squashed
    assert "撤销不影响撤销前" in squashed
    # Without script: the editor itself shows the pages.
    r = client.post("/console/templates/preview", data=form)
    assert r.status_code == 200
    assert r.text.count('<img class="page"') == len(pages)
    # A body that does not render is a 422 naming the body; nothing is made.
    r = client.post("/console/templates/preview", data=form | {"body": "{{ nope"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 422
    assert r.json()["field"] == "body"


def test_template_editor_saves_a_new_version(client: TestClient, api: Api, operator: str,
                                             ctx: Context) -> None:
    api.template()
    form = _editor_form(client, api)
    r = client.post("/console/templates/edit", data=form)
    assert r.status_code == 200, r.text
    assert "已保存 credit v2" in r.text
    current = api.get("/v1/templates/credit").json()
    assert current["version"] == 2
    assert current["body"] == ZH_BODY
    assert current["max_uses"] == 2
    assert current["data_scope"] == ["credit_report"]
    r = client.post("/console/templates/edit", data=form)  # the same content again
    assert "未创建新版本" in r.text
    assert api.get("/v1/templates/credit").json()["version"] == 2
    r = client.post("/console/templates/edit", data=form | {"validity_days": "0"})
    assert r.status_code == 422
    assert 'data-code="validation_failed"' in r.text
    acts = [e for e in _console_leaves(ctx) if e.get("institution_id") == api.institution_id]
    assert [e["template_version"] for e in acts if e["action"] == "template.version"] == [2]
    assert client.post("/console/templates/edit", data=form | {"csrf": "x"}
                       ).status_code == 403


def test_template_editor_sets_and_shows_the_terms_v2(client: TestClient, api: Api,
                                                     operator: str) -> None:
    api.template(frequency={"max_uses": 2, "per": "week"},
                 data_range={"lookback_months": 24}, data_life_days=30)
    page = client.get("/console/templates/edit", params={"institution": api.institution_id,
                                                         "code": "credit"})
    assert 'id="terms-v2"' in page.text  # the current version's terms, filled in
    assert 'name="frequency_max_uses" id="frequency_max_uses" type="number" min="1" ' \
           'max="10000" value="2"' in page.text
    assert '<option value="week" selected>' in page.text
    assert '<option value="lookback" selected>' in page.text
    assert 'id="lookback_months" type="number" min="1" max="600" value="24"' in page.text
    assert 'id="data_life_days" type="number" min="1" max="3660" value="30"' in page.text
    form = _editor_form(client, api) | {
        "frequency_max_uses": "3", "frequency_per": "month", "data_range_kind": "dates",
        "range_from": "2024-01-01", "range_to": "2025-12-31", "data_life_days": "90"}
    r = client.post("/console/templates/edit", data=form)
    assert r.status_code == 200, r.text
    current = api.get("/v1/templates/credit").json()
    assert current["frequency"] == {"max_uses": 3, "per": "month"}
    assert current["data_range"] == {"from": "2024-01-01", "to": "2025-12-31"}
    assert current["data_life_days"] == 90
    # The preview draws the letter with them (the renderer is the letter's: no refusal).
    r = client.post("/console/templates/preview", data=form,
                    headers={"Accept": "application/json"})
    assert r.status_code == 200, r.text
    # A bad term is refused naming its member, the form kept as typed, nothing saved.
    bad = form | {"range_from": "2026-01-01", "frequency_max_uses": "7"}
    r = client.post("/console/templates/edit", data=bad)
    assert r.status_code == 422
    assert 'data-code="validation_failed"' in r.text
    assert 'value="7"' in r.text
    r = client.post("/console/templates/preview", data=form | {"frequency_max_uses": "x"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 422
    assert r.json()["field"] == "frequency_max_uses"
    assert api.get("/v1/templates/credit").json()["frequency"] == {"max_uses": 3,
                                                                  "per": "month"}
    # Blank fields: no such terms in the next version.
    blank = form | {"frequency_max_uses": "", "data_range_kind": "none", "data_life_days": ""}
    assert client.post("/console/templates/edit", data=blank).status_code == 200
    current = api.get("/v1/templates/credit").json()
    assert (current["frequency"], current["data_range"], current["data_life_days"]) == (
        None, None, None)


def test_time_zone_is_a_setting() -> None:
    assert Settings().time_zone == "Asia/Shanghai"
    assert Settings(time_zone="Europe/Paris").zone.key == "Europe/Paris"
    with pytest.raises(ValueError, match="unknown time zone"):
        Settings(time_zone="Mars/Olympus")


def test_times_follow_the_configured_zone() -> None:
    moment = dt.datetime(2026, 1, 1, 16, 30, 5, 123456, tzinfo=dt.UTC)
    assert local_time(moment, ZoneInfo("Asia/Shanghai")) == "2026-01-02 00:30"
    assert local_time(moment.isoformat(), ZoneInfo("Europe/London"), seconds=True) == (
        "2026-01-01 16:30:05")
    naive = moment.replace(tzinfo=None)  # SQLite's UTC
    assert local_time(naive, ZoneInfo("Asia/Shanghai")) == "2026-01-02 00:30"


def test_the_dispute_timeline_keeps_a_leaf_the_sequencer_moves_while_it_is_read(
        client: TestClient, api: Api, outbox, ctx: Context) -> None:
    """The timeline is the sequenced leaves and those still queued, read by two
    statements; on PostgreSQL each reads its own snapshot. The sequencer integrates
    between the two (injected here, on PostgreSQL; SQLite's transaction is one
    snapshot): every leaf is still in the timeline, once."""
    api.template()
    a = api.request(seq=171)
    sign(client, outbox, a)
    with contextlib.ExitStack() as held:
        if ctx.db.dialect == "postgresql":
            # The background sequencers skip their rounds while this is held: the
            # refused use's leaf stays queued until the view's reads.
            lock = held.enter_context(ctx.db.engine.connect())
            lock.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEQUENCER_LOCK})
        assert api.use(a["id"], purpose="account_opening").status_code == 403
        with ctx.db.transaction() as s:
            expected = sum(s.scalar(select(func.count()).select_from(t).where(
                t.authorization_id == a["id"])) or 0 for t in (LedgerLeaf, LedgerQueued))
            queued = s.scalar(select(func.count()).select_from(LedgerQueued).where(
                LedgerQueued.authorization_id == a["id"]))
        if ctx.db.dialect == "postgresql":
            assert queued
        view = _dispute_view_with_integration_between_reads(ctx, a["id"])
    entries = [json.dumps(e["entry"], sort_keys=True) for e in view["timeline"]]
    assert len(entries) == expected
    assert len(set(entries)) == expected
    assert any(e["entry"].get("event") == "authorization:use:refused"
               for e in view["timeline"])


def _dispute_view_with_integration_between_reads(ctx: Context, auth_id: str
                                                 ) -> dict[str, Any]:
    """svc.dispute_view, with the sequencer integrating (PostgreSQL) between its two
    reads of the ledger tables."""
    me, reads, busy = threading.get_ident(), [], []  # type: ignore[var-annotated]

    def between(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if threading.get_ident() != me or busy or not statement.lstrip().startswith("SELECT"):
            return
        if "ledger_queue" in statement or "ledger_leaves" in statement:
            reads.append(statement)
            if len(reads) == 2 and ctx.db.dialect == "postgresql":
                busy.append(1)
                try:
                    assert ctx.ledger.integrate_all() > 0  # the queue moves now
                finally:
                    busy.clear()

    event.listen(ctx.db.engine, "before_cursor_execute", between)
    try:
        view = svc.dispute_view(ctx, auth_id)
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", between)
    assert len(reads) == 2
    return view
