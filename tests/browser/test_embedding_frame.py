"""Embedding the signing page (issue 16), in Chromium against a real ``anxin serve``: an
institution's app on another origin (a second server on 127.0.0.1) frames the page it
allow-listed with ``PATCH /v1/institution``, the person signs inside the frame and the
frame returns to the app's ``return_url`` with the outcome; the same page framed from an
origin not on the list, and another institution's page framed from the allowed one, are
refused by the browser (CSP ``frame-ancestors``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ROOT, Server
from tests.common.factories import EN_BODY, mobile, resident_id

pytestmark = pytest.mark.browser


class _App(BaseHTTPRequestHandler):
    """The institution's app: ``/embed?src=<signing url>`` frames it; ``/done`` is the
    return page (it shows its own query, as the app would read it)."""

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        q = parse_qs(parts.query)
        if parts.path == "/embed":
            src = q["src"][0].replace('"', "")
            body = (f'<!doctype html><title>Bank app</title><h1>Bank app</h1>'
                    f'<iframe id="anxin" src="{src}" width="390" height="900"></iframe>')
        else:
            body = f'<!doctype html><title>Done</title><p id="outcome">{parts.query}</p>'
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def apps() -> Iterator[tuple[str, str]]:
    """Two origins on 127.0.0.1 (two ports): the allowed app and a stranger."""
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _App) for _ in range(2)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    try:
        yield tuple(f"http://127.0.0.1:{s.server_address[1]}" for s in servers)  # type: ignore[misc]
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


@pytest.fixture(scope="module")
def frame_bank(server: Server, apps: tuple[str, str]) -> Iterator[httpx.Client]:
    """A second institution (the shared one keeps frame-ancestors 'none') that allows the
    app's origin to frame its pages and return to it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "ANXIN_DATA_DIR": str(server.data_dir)}
    env.pop("ANXIN_DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-m", "anxin", "institution", "add", "Frame Bank",
                          "--json", "--data-dir", str(server.data_dir)], env=env,
                         capture_output=True, text=True, check=True)
    key = json.loads(out.stdout)["api_key"]
    with httpx.Client(base_url=server.base_url,
                      headers={"Authorization": f"Bearer {key}"}, timeout=60) as api:
        allowed = apps[0]
        r = api.patch("/v1/institution", json={"frame_ancestors": [allowed],
                                                 "return_url_prefixes": [allowed + "/done"]})
        assert r.status_code == 200, r.text
        r = api.post("/v1/templates", json={
            "code": "framed", "title": "Credit check", "purpose": "loan_approval",
            "data_scope": ["credit_report"], "body": EN_BODY, "locale": "en",
            "validity_days": 30, "max_uses": 1})
        assert r.status_code in (200, 201), r.text
        yield api


def _request(api: httpx.Client, seq: int, **over: object) -> dict:  # type: ignore[type-arg]
    r = api.post("/v1/authorizations", json={
        "template": "framed", "reference": f"FRAME-{seq}",
        "subject": {"name": "Zhang San", "id_type": "resident_id",
                    "id_number": resident_id(seq), "mobile": mobile(seq)}, **over})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _refusals(page: Page) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text) if "frame-ancestors" in m.text else None)
    return seen


def test_the_allowed_app_frames_the_page_and_the_person_signs_inside(
        server: Server, page: Page, apps: tuple[str, str], frame_bank: httpx.Client) -> None:
    allowed = apps[0]
    auth = _request(frame_bank, 601, return_url=allowed + "/done?loan=601")
    refused = _refusals(page)
    page.goto(f"{allowed}/embed?src={auth['signing_url']}?lang=en")
    frame = page.frame_locator("#anxin")
    expect(frame.locator("#letter")).to_contain_text("FRAME-601")
    frame.locator("#read").check()
    frame.locator("#send-code").click()
    expect(frame.locator("#form-msg")).to_have_class("form-msg ok")
    frame.locator("#otp").fill(server.last_code(601))
    frame.locator("#sign").click()
    # The frame went back to the app with the outcome; the app's page is the one framed.
    expect(frame.locator("#outcome")).to_contain_text("status=signed")
    outcome = parse_qs(frame.locator("#outcome").inner_text())
    assert outcome == {"loan": ["601"], "authorization_id": [auth["id"]],
                       "status": ["signed"]}
    assert page.url.startswith(allowed + "/embed")  # the top page never left the app
    assert frame_bank.get(f"/v1/authorizations/{auth['id']}").json()["status"] == "active"
    assert refused == []


def test_a_stranger_cannot_frame_it_nor_can_the_app_frame_other_institutions_pages(
        server: Server, page: Page, apps: tuple[str, str], frame_bank: httpx.Client) -> None:
    allowed, stranger = apps
    theirs = _request(frame_bank, 602)
    server.template("credit")
    shared = server.request("credit", seq=603)  # the shared institution allows no one
    refused = _refusals(page)
    for origin, auth in ((stranger, theirs), (allowed, shared)):
        before = len(refused)
        page.goto(f"{origin}/embed?src={auth['signing_url']}")
        page.wait_for_load_state("load")
        child = next(f for f in page.frames if f != page.main_frame)
        page.wait_for_timeout(300)
        assert child.locator("#letter").count() == 0, origin
        assert len(refused) > before, (origin, refused)
    # Opened top-level, the page works as always.
    page.goto(theirs["signing_url"] + "?lang=en")
    expect(page.locator("#letter")).to_contain_text("FRAME-602")
