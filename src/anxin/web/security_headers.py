"""Security headers on every response (issue 12 item 1): one pure-ASGI middleware.

A phisher or a lender's app that frames the signing letter under a decoy must be stopped
by the browser, so every HTML answer carries a strict Content-Security-Policy (scripts
and styles only from this origin, nothing inline; ``frame-ancestors 'none'``) and
``X-Frame-Options: DENY``; every answer, JSON included, carries ``nosniff``, a
``default-src 'none'`` policy when it is not HTML, and ``Referrer-Policy: same-origin``
(the signing token is in the URL: no other site ever sees it). Not ``no-referrer``: under
it browsers send ``Origin: null`` on the pages' own form posts, which the cross-site
guard (anxin.web.cross_site) must refuse. HSTS is added when the base URL is https.

The per-institution embedding allow-list (``PATCH /v1/institution``,
anxin.services.embedding) plugs in here: the signing page sets
``request.state.frame_ancestors`` to its institution's origins; the policy then names
them instead of ``'none'`` and ``X-Frame-Options`` is left out (it cannot say "these
origins"). Every other answer, and every page of an institution that allowed none, keeps
``'none'``. A page whose no-JavaScript forms end in a redirect to the institution's
``return_url`` sets ``request.state.form_action`` to that origin (browsers apply
``form-action`` to the redirect of a form post too).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No 'unsafe-inline' anywhere: the pages' scripts and styles are files under /static.
HTML_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")
OTHER_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000"
FRAME_ANCESTORS_STATE = "frame_ancestors"
FORM_ACTION_STATE = "form_action"


def content_security_policy(html: bool, frame_ancestors: Sequence[str] = (),
                            form_action: Sequence[str] = ()) -> str:
    """The policy for one answer; ``frame_ancestors`` are origins allowed to embed it,
    ``form_action`` origins its forms may end at besides its own."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    policy = HTML_POLICY if html else OTHER_POLICY
    if html and form_action:
        policy = policy.replace("form-action 'self'",
                                "form-action 'self' " + " ".join(form_action))
    return f"{policy}; frame-ancestors {ancestors}"


class SecurityHeadersMiddleware:
    """Sets the security headers on every HTTP response, replacing any a route set."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        self.app = app
        self.hsts = base_url.startswith("https://")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = self._headers(scope, list(message.get("headers", [])))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _headers(self, scope: Scope, headers: list[tuple[bytes, bytes]]
                 ) -> list[tuple[bytes, bytes]]:
        ctype = b""
        for name, value in headers:
            if name.lower() == b"content-type":
                ctype = value.lower()
        html = ctype.startswith(b"text/html")
        state = scope.get("state") or {}
        ancestors: Sequence[str] = state.get(FRAME_ANCESTORS_STATE) or ()
        actions: Sequence[str] = state.get(FORM_ACTION_STATE) or ()
        ours = {
            b"content-security-policy": content_security_policy(html, ancestors,
                                                                actions).encode(),
            b"x-content-type-options": b"nosniff",
            b"referrer-policy": b"same-origin",
        }
        if not ancestors:
            ours[b"x-frame-options"] = b"DENY"
        if self.hsts:
            ours[b"strict-transport-security"] = HSTS.encode()
        kept = [(n, v) for n, v in headers if n.lower() not in ours
                and n.lower() != b"x-frame-options"]
        return kept + list(ours.items())
