"""Request bodies are bounded before they are read (issue 12 item 5): pure ASGI.

Eight unauthenticated 100 MB POSTs once took the server from 323 MB to 1.27 GB of RSS.
Now a body larger than the limit answers 413 ``payload_too_large``: at once when
``Content-Length`` says so (nothing is read), and, for a chunked body without a length,
as soon as the bytes received pass the limit (the receive channel is counted, so no route
or parser ever holds more than the limit). ``ANXIN_MAX_BODY_BYTES`` bounds every body;
``ANXIN_MAX_UPLOAD_BYTES`` the uploads to ``POST /verify`` (letters and packages).
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anxin.error_codes import Code
from anxin.web.edge_errors import problem_or_page, scope_page_args

UPLOAD_PATHS = ("/verify",)


class BodyTooLarge(HTTPException):
    """Raised from the counted receive channel; FastAPI lets HTTPExceptions through its
    body parsing, and the edge maps it to the 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    def limit_for(self, path: str) -> int:
        return self.max_upload if path in UPLOAD_PATHS else self.max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        accept = headers.get(b"accept", b"").decode("latin-1")
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await problem_or_page(accept, scope["path"], Code.BAD_REQUEST,
                                      "Content-Length is not a number",
                                      page=scope_page_args(scope))(scope, receive, send)
                return
            if length > limit:
                await self._refuse(scope, receive, send, accept, limit)
                return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, accept, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, accept: str,
                      limit: int) -> None:
        response = problem_or_page(accept, scope["path"], Code.PAYLOAD_TOO_LARGE,
                                   f"the request body is larger than {limit} bytes",
                                   limit=limit, page=scope_page_args(scope))
        response.headers["Connection"] = "close"
        await response(scope, receive, send)
