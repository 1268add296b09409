"""Issue 12 item 1: every answer carries the security headers; the letter cannot be framed.

Before the fix ``GET /s/<token>`` sent no Content-Security-Policy and no X-Frame-Options,
so a lender's app or a phisher could frame the letter under a decoy.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from anxin.bootstrap import build_services
from anxin.config import Settings, load_settings
from anxin.web.app import create_app
from tests.common.factories import Api, token_of


def _directives(policy: str) -> dict[str, str]:
    out = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        out[name] = value
    return out


def _assert_strict_html(r: object) -> None:
    headers = r.headers  # type: ignore[attr-defined]
    csp = _directives(headers["content-security-policy"])
    assert csp["frame-ancestors"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "unsafe-eval" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    # The token in /s/<token> never reaches another site; same-origin posts keep Origin.
    assert headers["referrer-policy"] == "same-origin"


def _assert_no_inline_code(html: str) -> None:
    """What the policy would block must not be on the page: no inline script (a JSON data
    block is not executed), no <style> element, no style or on* attribute."""
    for m in re.finditer(r"<script\b([^>]*)>", html):
        attrs = m.group(1)
        assert "src=" in attrs or 'type="application/json"' in attrs, m.group(0)
    assert "<style" not in html
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


def test_signing_page_cannot_be_framed(api: Api, client: TestClient) -> None:
    api.template()
    tok = token_of(api.request())
    r = client.get(f"/s/{tok}")
    assert r.status_code == 200
    _assert_strict_html(r)
    _assert_no_inline_code(r.text)
    # The page's script is a file the policy allows, and it is served.
    assert '<script src="/static/sign.js"></script>' in r.text
    assert client.get("/static/sign.js").status_code == 200


@pytest.mark.parametrize("path", ["/verify", "/docs", "/me", "/console/login", "/me/passkey",
                                  "/s/no-such-token"])
def test_every_page_has_the_strict_policy(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.headers["content-type"].startswith("text/html"), path
    _assert_strict_html(r)
    _assert_no_inline_code(r.text)


def test_json_answers_have_nosniff_and_a_none_policy(api: Api, client: TestClient) -> None:
    for r in (api.get("/v1/templates"), client.get("/v1/templates"), client.get("/healthz"),
              client.get("/openapi.json")):
        assert r.headers["x-content-type-options"] == "nosniff"
        csp = _directives(r.headers["content-security-policy"])
        assert csp["default-src"] == "'none'"
        assert csp["frame-ancestors"] == "'none'"
    assert "strict-transport-security" not in r.headers  # http base URL: no HSTS


def test_hsts_when_the_base_url_is_https(settings: Settings) -> None:
    https = load_settings(data_dir=settings.data_dir, database_url=settings.database_url,
                          base_url="https://sign.example.cn")
    ctx = build_services(https, background_workers=False)
    try:
        with TestClient(create_app(https, ctx)) as c:
            r = c.get("/verify")
    finally:
        ctx.close()
    assert r.headers["strict-transport-security"].startswith("max-age=")
    assert int(r.headers["strict-transport-security"].split("=")[1].split(";")[0]) >= 15552000


def test_the_embedding_hook_names_origins_and_defaults_to_none() -> None:
    from anxin.web.security_headers import content_security_policy

    assert content_security_policy(True).endswith("frame-ancestors 'none'")
    policy = content_security_policy(True, ["https://bank.example"])
    assert policy.endswith("frame-ancestors https://bank.example")
