"""/docs in Chromium (issue 16): Swagger UI renders every /v1 operation from this server's
/openapi.json with its assets served by the server itself (no request leaves the
origin, no CSP violation), descriptions are Markdown (no literal backticks), and the
hand-written guide is linked and renders its error-code table."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, expect

from tests.browser.conftest import Server

pytestmark = pytest.mark.browser


def _watch(page: Page) -> tuple[list[str], list[str]]:
    requests: list[str] = []
    console: list[str] = []

    def on_request(r: Request) -> None:
        requests.append(r.url)

    def on_console(m: ConsoleMessage) -> None:
        if m.type in ("error", "warning"):
            console.append(m.text)

    page.on("request", on_request)
    page.on("console", on_console)
    return requests, console


def test_the_reference_renders_every_operation_from_this_origin_only(
        server: Server, page: Page) -> None:
    requests, console = _watch(page)
    page.goto(server.base_url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible(timeout=30000)
    spec = server.api.get("/openapi.json").json()
    v1 = [(m, p) for p, ops in spec["paths"].items() if p.startswith("/v1/") for m in ops]
    assert len(v1) >= 12
    for method, path in v1:
        block = page.locator(f".opblock-{method}").filter(
            has=page.locator(f"[data-path='{path}']"))
        expect(block.first).to_be_attached()
    origin = urlsplit(server.base_url).netloc
    outside = [u for u in requests if not u.startswith(("data:", "blob:"))
               and urlsplit(u).netloc != origin]
    assert outside == [], outside
    assert not [c for c in console if "Content Security Policy" in c], console
    # Markdown: the description's `code` is a <code>, not backticks shown as text.
    info = page.locator(".information-container").first
    expect(info.locator("code").first).to_be_visible()
    assert "`" not in info.inner_text()
    # An operation opened shows its typed answer and its example.
    page.locator("#operations-authorizations-create_authorization").click()
    expect(page.locator("#operations-authorizations-create_authorization")
           .get_by_text("signing_url").first).to_be_visible()


def test_the_guide_is_linked_and_has_the_error_codes(server: Server, page: Page) -> None:
    requests, console = _watch(page)
    page.goto(server.base_url + "/docs")
    page.locator("#guide-link").click()
    expect(page).to_have_url(server.base_url + "/docs/guide")
    expect(page.get_by_role("heading", name="Integrating Anxin: the guide")).to_be_visible()
    expect(page.get_by_role("cell", name="authorization_exhausted", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Versioning")).to_be_visible()
    assert "`" not in page.locator("main").inner_text()
    origin = urlsplit(server.base_url).netloc
    assert [u for u in requests if urlsplit(u).netloc != origin] == []
    assert console == []
