"""A live Anxin server (uvicorn in a thread, on localhost) with the portal plugin, and the
system Chromium driven by Playwright, for the portal's browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from anxin.bootstrap import build_services
from anxin.config import Settings, load_settings
from anxin.services.context import Context
from anxin.web.app import create_app
from anxin.web.portal_plugin import install_portal

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@dataclass
class LiveServer:
    base: str
    ctx: Context
    settings: Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def portal_server(settings: Settings) -> Iterator[LiveServer]:
    port = _free_port()
    live = load_settings(data_dir=settings.data_dir, database_url=settings.database_url,
                         port=port)
    ctx = build_services(live, background_workers=False)
    app = create_app(live, ctx)
    install_portal(app, ctx)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise AssertionError("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://localhost:{port}", ctx, live)
    finally:
        server.should_exit = True
        thread.join(10)
        ctx.close()


@pytest.fixture
def chromium(browser: object) -> object:
    """The session's Chromium (tests/browser/conftest.py): a second ``sync_playwright()``
    in the same process fails ("Sync API inside the asyncio loop") once the session's has
    started, which depends on the order the tests run in."""
    return browser
