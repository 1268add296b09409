"""Fixtures and helpers of the portal, notification and console tests.

Import the fixtures into a test module (``from tests.common.portal_fixtures import
client``) to get the app with the portal plugin installed; background threads stay off
(``portal_background``) so each test drives delivery and sweeps itself.
"""

from __future__ import annotations

import dataclasses
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from anxin.config import Settings
from anxin.services.context import Context
from anxin.web.app import create_app
from anxin.web.portal_plugin import install_portal
from tests.common.factories import last_code

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def client(settings: Settings, ctx: Context) -> Iterator[TestClient]:
    ctx = dataclasses.replace(ctx, background_workers=False)
    app = create_app(settings, ctx)
    install_portal(app, ctx)
    with TestClient(app) as c:
        yield c


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, html[:2000]
    return m.group(1)


def portal_sign_in(client: TestClient, outbox: Path, mobile: str) -> None:
    r = client.get("/me")
    assert r.status_code == 200
    r = client.post("/me/code", data={"mobile": mobile, "csrf": csrf_of(r.text)})
    assert r.status_code == 200, r.text
    code = last_code(outbox, to="+86" + mobile)
    r = client.post("/me/login", data={"mobile": mobile, "code": code,
                                       "csrf": csrf_of(r.text)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert "anxin_me" in client.cookies


class Receiver:
    """A local webhook receiver on 127.0.0.1; can be taken down and brought back on the
    same port."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.port = 0
        self._server: ThreadingHTTPServer | None = None
        self.status = 200
        self.delay = 0.0  # seconds each answer takes (a slow destination)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def up(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                time.sleep(outer.delay)
                with outer._lock:
                    if outer.status == 200:
                        outer.received.append({"headers": dict(self.headers), "body": body,
                                               "json": json.loads(body)})
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.up()
    yield r
    r.down()
