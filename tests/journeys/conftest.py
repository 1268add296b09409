"""One real ``anxin serve --demo`` per back-end for the whole journeys package.

The server runs as ``make run`` runs it (``anxin serve --demo --data-dir anxin-data``),
from a temporary working directory, so that the README's relative paths
(``anxin-data/outbox/sms.jsonl``) hold; only the port is a free one instead of 8000.
On PostgreSQL it gets a throwaway database through ``ANXIN_DATABASE_URL``;
``ANXIN_OUTBOUND_ALLOW=127.0.0.1`` lets it call the journeys' callback receivers. Every journey
drives it from the outside only: HTTP (httpx, following the real forms, cookies and CSRF
tokens), the ``anxin`` command, the SMS outbox file — never the database.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest

from tests.common.backends import require_postgres, throwaway_postgres
from tests.common.factories import EN_BODY, mobile, resident_id
from tests.common.serve import wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/journeys/" in item.nodeid:
            item.add_marker(pytest.mark.journeys)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A running ``anxin serve --demo`` and what ``make run`` told its reader."""

    backend: str
    base_url: str
    workdir: Path          # the server's working directory; the data dir is workdir/anxin-data
    env: dict[str, str]    # the environment the server and the ``anxin`` commands run in
    demo_key: str          # "Demo institution API key" as printed
    demo_signing_link: str
    api: httpx.Client      # the demo institution's API client

    @property
    def data_dir(self) -> Path:
        return self.workdir / "anxin-data"

    def anxin(self, *args: str, input: str | None = None, env: dict[str, str] | None = None
              ) -> subprocess.CompletedProcess[str]:
        """Run ``anxin ARGS…`` as the operator would, in the server's working directory."""
        return subprocess.run([sys.executable, "-m", "anxin", *args], cwd=self.workdir,
                              env={**self.env, **(env or {})}, input=input,
                              capture_output=True, text=True, timeout=120)

    def sms_code(self, to: str) -> str:
        """The code of the newest SMS to ``to`` (a national mobile) in the outbox."""
        lines = (self.data_dir / "outbox" / "sms.jsonl").read_text(encoding="utf-8")
        mine = [m for m in map(json.loads, lines.splitlines()) if m["to"] == "+86" + to]
        assert mine, f"no SMS to {to} in the outbox"
        found = re.search(r"(?<!\d)(\d{6})(?!\d)", mine[-1]["text"])
        assert found, mine[-1]
        return found.group(1)

    def new_authorization(self, seq: int, *, template: str = "journey",
                          **over: Any) -> dict[str, Any]:
        """The institution's side: a template (idempotent) and a request for person ``seq``."""
        r = self.api.post("/v1/templates", json={
            "code": template, "title": "Credit check", "purpose": "loan_approval",
            "data_scope": ["credit_report", "credit_score"], "body": EN_BODY, "locale": "en",
            "validity_days": 30, "max_uses": 2})
        assert r.status_code in (200, 201), r.text
        r = self.api.post("/v1/authorizations", json={
            "template": template, "reference": f"JOURNEY-{seq}",
            "subject": {"name": "Zhang San", "id_type": "resident_id",
                        "id_number": resident_id(seq), "mobile": mobile(seq)}, **over})
        assert r.status_code == 201, r.text
        return dict(r.json())


class Forms(HTMLParser):
    """The forms and links of a page, as a browser without JavaScript sees them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, Any]] = {}
        self.links: dict[str, str] = {}
        self._form: dict[str, Any] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "fields": {}}
            self.forms[a.get("id") or a.get("action", "")] = self._form
        elif tag == "input" and self._form is not None and a.get("name"):
            if a.get("type") == "hidden":
                self._form["fields"][a["name"]] = a.get("value", "")
        elif tag == "a" and a.get("href"):
            self.links[a.get("id") or a["href"]] = a["href"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None

    def form(self, key: str) -> tuple[str, dict[str, str]]:
        assert key in self.forms, f"no form {key!r} on the page; forms: {list(self.forms)}"
        f = self.forms[key]
        return str(f["action"]), dict(f["fields"])


def _start(backend: str, workdir: Path, stack: ExitStack, *, profile: str | None = None
           ) -> Served:
    """``anxin serve --demo`` on ``backend``; with ``profile``, the data directory is made
    first by ``anxin init --profile PROFILE`` (docs/pki.md, signature profiles)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    for k in [k for k in env if k.startswith("ANXIN_") and k != "ANXIN_TEST_DATABASE_URL"]:
        env.pop(k)
    # The institutions' callback receivers of the journeys listen on 127.0.0.1: listed as
    # an operator lists a gateway on the local network (docs/operations.md).
    env["ANXIN_OUTBOUND_ALLOW"] = "127.0.0.1"
    if backend == "postgres":
        env["ANXIN_DATABASE_URL"] = stack.enter_context(throwaway_postgres(require_postgres()))
    if profile is not None:
        made = subprocess.run([sys.executable, "-m", "anxin", "init", "--data-dir",
                               "anxin-data", "--profile", profile], cwd=workdir, env=env,
                              capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stdout + made.stderr
    port = _free_port()
    log_path = workdir / "serve.log"
    log = stack.enter_context(log_path.open("wb"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "anxin", "serve", "--demo", "--data-dir", "anxin-data",
         "--port", str(port)], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop() -> None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
    stack.callback(stop)
    base = f"http://localhost:{port}"
    wait_until_healthy(base, proc, timeout=120, explain=log_path.read_text)
    printed = log_path.read_text(encoding="utf-8")
    key = re.search(r"Demo institution API key:\s+(anx_\S+)", printed)
    link = re.search(r"Demo signing link:\s+(\S+)", printed)
    assert key, printed
    assert link, printed
    api = stack.enter_context(httpx.Client(
        base_url=base, headers={"Authorization": f"Bearer {key.group(1)}"}, timeout=60))
    return Served(backend, base, workdir, env, key.group(1), link.group(1), api)


@pytest.fixture(scope="package", params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Served]:
    """``make run``'s server on this back-end, shared by every journey of the package."""
    with ExitStack() as stack:
        yield _start(str(request.param), tmp_path_factory.mktemp(f"journeys-{request.param}"),
                     stack)


@pytest.fixture
def browser(served: Served) -> Iterator[httpx.Client]:
    """A person's browser without JavaScript: its own cookies, following redirects."""
    with httpx.Client(base_url=served.base_url, follow_redirects=True, timeout=60) as c:
        yield c


def sign_with_the_form(served: Served, browser: httpx.Client, auth: dict[str, Any],
                       seq: int, *, reference: str | None = None) -> None:
    """The person: open the signing link, read the letter, tick "I have read", ask for a
    code, read it from the SMS (the outbox), enter it, sign — the no-JavaScript forms.
    The person is ``mobile(seq)``; the letter's reference is ``JOURNEY-<seq>`` unless
    ``reference`` says otherwise."""
    page = browser.get(auth["signing_url"], params={"lang": "en"})
    assert page.status_code == 200, page.text
    assert (reference or f"JOURNEY-{seq}") in page.text, \
        "the letter's reference is not on the signing page"
    action, fields = Forms(page.text).form("sign-form")
    token = auth["signing_url"].rsplit("/", 1)[1]
    assert action == f"/s/{token}/sign?lang=en"
    # The person ticks "I have read" first: the form asks for a code only then (issue 15).
    sent = browser.post(f"/s/{token}/otp?lang=en", data={**fields, "read_confirmed": "on"})
    assert sent.status_code == 200, sent.text
    assert "msg=code_sent" in str(sent.url), sent.url
    code = served.sms_code(mobile(seq))
    signed = browser.post(action, data={**fields, "read_confirmed": "on", "otp": code})
    assert signed.status_code == 200, signed.text
    assert "msg=signed" in str(signed.url), f"signing refused: {signed.url}"


PASSWORD = "correct horse battery staple"


@pytest.fixture
def operator(served: Served) -> pyotp.TOTP:
    """``anxin operator add``, non-interactively (docs/console.md), on this server."""
    name = f"alice-{uuid.uuid4().hex[:8]}"
    out = served.anxin("operator", "add", name, "--data-dir", "anxin-data",
                       env={"ANXIN_OPERATOR_PASSWORD": PASSWORD})
    assert out.returncode == 0, out.stdout + out.stderr
    uri = re.search(r"otpauth://totp/\S+", out.stdout)
    assert uri, out.stdout
    totp = pyotp.parse_uri(uri.group(0))
    assert isinstance(totp, pyotp.TOTP)
    assert totp.issuer == "Anxin"
    assert totp.name in (name, f"Anxin:{name}")
    totp.name = name
    return totp


def console_sign_in(served: Served, browser: httpx.Client, totp: pyotp.TOTP) -> None:
    page = browser.get("/console/login")
    assert page.status_code == 200
    action, fields = Forms(page.text).form("login-form")
    wrong = browser.post(action, data={**fields, "username": totp.name,
                                       "password": PASSWORD, "totp": "000000"
                                       if totp.now() != "000000" else "111111"})
    assert wrong.url.path == "/console/login", "a wrong code signed the operator in"
    page = browser.get("/console/login")
    action, fields = Forms(page.text).form("login-form")
    home = browser.post(action, data={**fields, "username": totp.name,
                                      "password": PASSWORD, "totp": totp.now()})
    assert home.status_code == 200, home.text
    assert home.url.path == "/console", f"console sign-in refused: {home.url}"


@pytest.fixture(scope="package")
def live_generated(served: Served, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Python client generated from ``served``'s live ``/openapi.json`` as ``make
    client`` does (clients/python/regenerate.py), in a temporary directory; the portable
    document it was made from is beside it (``openapi.json``, the TypeScript client's
    input). tests/journeys/test_python_client.py and test_typescript_client.py use it."""
    out = tmp_path_factory.mktemp(f"client-{served.backend}")
    run = subprocess.run([sys.executable, str(ROOT / "clients" / "python" / "regenerate.py"),
                          "--url", served.base_url + "/openapi.json",
                          "--output", str(out / "generated"),
                          "--schema-out", str(out / "openapi.json")],
                         capture_output=True, text=True, timeout=600, env=served.env)
    assert run.returncode == 0, run.stdout + run.stderr
    return out / "generated"
