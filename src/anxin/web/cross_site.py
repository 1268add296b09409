"""Cross-site state changes are refused (issue 12 item 2): one pure-ASGI middleware.

A lender's page or a phisher could post a decline, a sign or a revoke to ``/s/…``,
``/me/…`` or ``/console/…`` from its own origin. Browsers say where a request comes from:
``Origin`` on every cross-origin POST, and ``Sec-Fetch-Site``. A POST, PUT, PATCH or
DELETE under those prefixes whose ``Origin`` is not the base URL's origin (``null``
included), or that says ``Sec-Fetch-Site: cross-site``, answers 403
``cross_site_request`` before the route runs, so nothing changes. A request with neither
header (curl, an SDK) is not a browser acting for someone else and passes. The signing
page's no-JavaScript form posts also carry a form token (``anxin.web.pages.signing.form_token``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from anxin.error_codes import Code
from anxin.web.edge_errors import problem_or_page, scope_page_args

GUARDED_PREFIXES = ("/s/", "/me", "/console")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]``, lower-cased, without the default port; None if not a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def _guarded(path: str) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p if p.endswith("/") else p + "/")
               for p in GUARDED_PREFIXES)


class CrossSiteGuard:
    """Refuses cross-site state-changing requests to the pages."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.origin = origin_of(base_url)

    def refusal(self, scope: Scope) -> str | None:
        """Why this request is refused, or None."""
        if scope["method"] not in STATE_CHANGING or not _guarded(scope["path"]):
            return None
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        site = headers.get(b"sec-fetch-site", b"").decode("latin-1").strip().lower()
        if site == "cross-site":
            return "the request comes from another site (Sec-Fetch-Site: cross-site)"
        raw_origin = headers.get(b"origin")
        if raw_origin is not None:
            origin = origin_of(raw_origin.decode("latin-1"))
            if origin is None or origin != self.origin:
                return "the request comes from another origin than this service's"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            why = self.refusal(scope)
            if why is not None:
                headers = {k.lower(): v for k, v in scope.get("headers", [])}
                accept = headers.get(b"accept", b"").decode("latin-1")
                response = problem_or_page(accept, scope["path"], Code.CROSS_SITE_REQUEST,
                                           why, page=scope_page_args(scope))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
