"""Browser-test fixtures: a real ``anxin serve`` on http://localhost:<free port> with a
temporary data directory (SQLite), an institution's API client, and the system Chromium
driven headless by Playwright (never a downloaded browser build).

WebAuthn refuses an IP address as relying-party id, so pages are opened on ``localhost``.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, sync_playwright

from tests.common.factories import EN_BODY, mobile, resident_id
from tests.common.serve import wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
# Where shoot() writes: artifacts/screenshots by default; `make screenshots` sets it to
# docs/img, the screenshots the README and the docs show (issue 15).
SHOTS = ROOT / os.environ.get("ANXIN_SCREENSHOTS_DIR", "artifacts/screenshots")
AXE = Path(__file__).parent / "node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base_url: str
    data_dir: Path
    api: httpx.Client

    def template(self, code: str, **over: Any) -> dict[str, Any]:
        body = {"code": code, "title": "Credit check", "purpose": "loan_approval",
                "data_scope": ["credit_report", "credit_score"], "body": EN_BODY,
                "locale": "en", "validity_days": 30, "max_uses": 3} | over
        r = self.api.post("/v1/templates", json=body)
        assert r.status_code in (200, 201), r.text
        return dict(r.json())

    def request(self, template: str, seq: int) -> dict[str, Any]:
        r = self.api.post("/v1/authorizations", json={
            "template": template, "reference": f"LOAN-{seq}",
            "subject": {"name": "Zhang San", "id_type": "resident_id",
                        "id_number": resident_id(seq), "mobile": mobile(seq)}})
        assert r.status_code == 201, r.text
        return dict(r.json())

    def status(self, auth_id: str) -> str:
        return str(self.api.get(f"/v1/authorizations/{auth_id}").json()["status"])

    def last_code(self, seq: int) -> str:
        lines = (self.data_dir / "outbox" / "sms.jsonl").read_text(encoding="utf-8")
        msgs = [json.loads(x) for x in lines.splitlines()]
        mine = [m for m in msgs if m["to"] == "+86" + mobile(seq)]
        assert mine, f"no SMS to {mobile(seq)}"
        found = re.search(r"\b(\d{6})\b", mine[-1]["text"])
        assert found, mine[-1]
        return found.group(1)

    def sql(self, query: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.data_dir / "anxin.db") as db:
            return db.execute(query, args).fetchall()


_SERVE_LOGS: list[Path] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed browser test shows the end of the server's log: what the page waited for
    (a slow or failed request) is only there."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and _SERVE_LOGS and _SERVE_LOGS[-1].exists():
        tail = _SERVE_LOGS[-1].read_text(errors="replace").splitlines()[-80:]
        report.sections.append(("anxin serve log (last 80 lines)", "\n".join(tail)))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data_dir = tmp_path_factory.mktemp("browser") / "data"
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "ANXIN_DATA_DIR": str(data_dir)}
    env.pop("ANXIN_DATABASE_URL", None)
    env.pop("ANXIN_BASE_URL", None)
    log = (data_dir.parent / "serve.log").open("wb")
    _SERVE_LOGS.append(data_dir.parent / "serve.log")
    proc = subprocess.Popen([sys.executable, "-m", "anxin", "serve", "--data-dir",
                             str(data_dir), "--port", str(port)], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://localhost:{port}"
    try:
        wait_until_healthy(base, proc, timeout=60,
                           explain=lambda: (data_dir.parent / "serve.log").read_text())
        out = subprocess.run([sys.executable, "-m", "anxin", "institution", "add",
                              "Example Bank", "--json", "--data-dir", str(data_dir)],
                             env=env, capture_output=True, text=True, check=True)
        key = json.loads(out.stdout)["api_key"]
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as api:
            yield Server(base, data_dir, api)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


def _fontconfig(tmp: Path) -> dict[str, str]:
    """A CJK font for Chromium without root: the project's own WenQuanYi Micro Hei
    (PyPI ``paperang-p2-fonts-cjk``) added to the system fontconfig."""
    import paperang_p2_fonts_cjk
    fonts = Path(paperang_p2_fonts_cjk.__file__).parent / "fonts"
    conf = tmp / "fonts.conf"
    conf.write_text(f"""<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include>
<dir>{fonts}</dir><cachedir>{tmp / "fc-cache"}</cachedir></fontconfig>""")
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    env = _fontconfig(tmp_path_factory.mktemp("fonts"))
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                              env=env)
        system = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True)
        assert b.version in system.stdout, (b.version, system.stdout)  # the Debian build
        yield b
        b.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    p = context.new_page()
    p.set_default_timeout(15_000)
    return p


def add_authenticator(context: BrowserContext, page: Page, *,
                      user_verified: bool = True) -> tuple[CDPSession, str]:
    """Chromium's DevTools virtual authenticator: a platform authenticator with UV."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    made = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": user_verified,
        "automaticPresenceSimulation": True}})
    return cdp, str(made["authenticatorId"])


def shoot(page: Page, name: str) -> None:
    """Screenshots of the current state at phone and desktop size."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size in (PHONE, DESKTOP):
        page.set_viewport_size(size)
        path = SHOTS / f"{name}-{size['width']}x{size['height']}.png"
        page.screenshot(path=str(path), full_page=True)
        # 256 colours: a screen of text and flat colour looks the same at half the bytes
        # (docs/img is in the repository).
        with Image.open(path) as shot:
            shot.quantize(colors=256).save(path, optimize=True)
    page.set_viewport_size(PHONE)
