"""Issue 12 item 5: a body over the limit answers 413 ``payload_too_large`` before it is
read.

Before the fix eight unauthenticated 100 MB POSTs took the server from 323 MB to 1.27 GB.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from fastapi.testclient import TestClient

from anxin.config import Settings
from anxin.services.context import Context
from anxin.web.app import create_app
from tests.common.factories import Api


def _is_413(r: Any) -> None:
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "payload_too_large"


def _call(app: Any, path: str, headers: list[tuple[bytes, bytes]]
          ) -> tuple[list[dict[str, Any]], int]:
    """Calls the app as a server would, with an endless body of 64 KiB chunks; returns
    what it sent and how many chunks it asked for."""
    reads = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"a" * 65536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": path,
             "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"localhost"), (b"content-type", b"application/json"),
                         *headers],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {}}
    asyncio.run(app(scope, receive, send))
    return sent, reads


def test_a_declared_length_over_the_limit_is_refused_unread(settings: Settings,
                                                            ctx: Context) -> None:
    app = create_app(settings, ctx)
    sent, reads = _call(app, "/v1/authorizations",
                        [(b"content-length", str(100 * 1024 * 1024).encode())])
    assert sent[0]["status"] == 413
    assert reads == 0


def test_a_chunked_body_is_cut_off_at_the_limit(settings: Settings, ctx: Context) -> None:
    """No length, an endless body: refused once the limit is passed, not read to the end."""
    app = create_app(settings, ctx)
    for path in ("/v1/templates", "/v1/authorizations/x/uses", "/s/tok/sign"):
        sent, reads = _call(app, path, [(b"transfer-encoding", b"chunked")])
        assert sent[0]["status"] == 413, path
        assert reads * 65536 <= settings.max_body_bytes + 65536, path


def test_large_json_is_refused_without_a_key(client: TestClient,
                                             settings: Settings) -> None:
    body = b'{"x": "' + b"a" * (settings.max_body_bytes + 1) + b'"}'
    _is_413(client.post("/v1/authorizations", content=body,
                        headers={"Content-Type": "application/json"}))
    _is_413(client.post("/v1/authorizations/x/uses", content=body,
                        headers={"Content-Type": "application/json"}))
    _is_413(client.post("/me/code", content=b"mobile=" + b"1" * settings.max_body_bytes,
                        headers={"Content-Type": "application/x-www-form-urlencoded"}))


def test_the_limit_is_a_setting(settings: Settings, ctx: Context, api: Api) -> None:
    small = settings.model_copy(update={"max_body_bytes": 100})
    with TestClient(create_app(small, dataclasses.replace(ctx, settings=small))) as c:
        r = c.post("/v1/templates", json={"code": "c" * 200},
                   headers={"Authorization": f"Bearer {api.api_key}"})
    _is_413(r)
    assert r.json()["limit"] == 100


def test_verify_uploads_have_their_own_larger_limit(client: TestClient,
                                                    settings: Settings) -> None:
    assert settings.max_upload_bytes > settings.max_body_bytes
    big = b"%PDF-" + b"0" * (settings.max_body_bytes * 2)
    r = client.post("/verify", files={"file": ("x.pdf", big, "application/pdf")},
                    headers={"Accept": "application/json"})
    assert r.status_code == 422
    assert r.json()["code"] == "unreadable_input"
    too_big = b"0" * (settings.max_upload_bytes + 1)
    _is_413(client.post("/verify", files={"file": ("x.zip", too_big, "application/zip")},
                        headers={"Accept": "application/json"}))
