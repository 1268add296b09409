"""The FastAPI application: ``create_app(settings)``.

Example::

    app = create_app(load_settings(data_dir=Path("anxin-data")))
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import anyio.to_thread
from fastapi import FastAPI, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import anxin
from anxin.bootstrap import build_services
from anxin.config import Settings
from anxin.error_codes import Code
from anxin.errors import AnxinError, NotFound
from anxin.services.context import Context
from anxin.services.metrics import Metrics
from anxin.web.api import deletions, docs_routes, institution, v1
from anxin.web.api.openapi import build_openapi, operation_id
from anxin.web.api.schemas import Health, KeySet
from anxin.web.body_limit import BodyLimitMiddleware
from anxin.web.cross_site import CrossSiteGuard
from anxin.web.edge_errors import DB_RETRY_AFTER_SECONDS, install_error_handlers
from anxin.web.input_guard import QueryPathGuard
from anxin.web.ledger_routes import router as ledger_router
from anxin.web.pages import passkey_routes, portal_passkey, signing, verify_page
from anxin.web.pki_routes import build_router as pki_router
from anxin.web.pki_test_routes import build_router as pki_test_router
from anxin.web.portal_plugin import install_portal
from anxin.web.problems import (
    anxin_error_handler,
    problem_response,
    problems,
    validation_error_handler,
)
from anxin.web.security_headers import SecurityHeadersMiddleware

log = logging.getLogger("anxin.web")


def _templates() -> Environment:
    path = str(resources.files("anxin.web") / "templates")
    return Environment(loader=FileSystemLoader(path), autoescape=select_autoescape(["html"]))


def create_app(settings: Settings, ctx: Context | None = None) -> FastAPI:
    own_ctx = ctx is None
    context = ctx or build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = (
            context.settings.worker_threads)
        for start in app.state.on_start:
            start()
        yield
        for stop in app.state.on_stop:
            stop()
        if own_ctx:
            context.close()

    app = FastAPI(title="Anxin API", version=anxin.__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, generate_unique_id_function=operation_id)
    app.openapi = lambda: build_openapi(app, context.settings)  # type: ignore[method-assign]
    app.state.ctx = context
    app.state.templates = _templates()
    app.state.on_start = []
    app.state.on_stop = []
    app.add_exception_handler(AnxinError, anxin_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    install_error_handlers(app)
    app.mount("/static", StaticFiles(packages=[("anxin.web", "static")]), name="static")
    app.include_router(v1.router)
    app.include_router(institution.router)
    app.include_router(deletions.router)
    app.include_router(signing.router, include_in_schema=False)  # a page's endpoints
    app.include_router(pki_router())
    app.include_router(pki_test_router())
    app.include_router(ledger_router)
    app.include_router(verify_page.router)
    app.include_router(docs_routes.build_router())
    _ops_routes(app, context)

    # The last added is the outermost: headers on every answer (refusals too), then
    # metrics, then the body limit, the cross-site guard and the path/query check, which
    # refuse before any route reads a body or changes state.
    base_url = context.settings.effective_base_url
    app.add_middleware(QueryPathGuard)
    app.add_middleware(CrossSiteGuard, base_url=base_url)
    app.add_middleware(BodyLimitMiddleware, max_body=context.settings.max_body_bytes,
                       max_upload=context.settings.max_upload_bytes)
    app.add_middleware(MetricsMiddleware, metrics=context.metrics)
    app.add_middleware(SecurityHeadersMiddleware, base_url=base_url)

    if context.ledger_checkpoints:
        stop = threading.Event()
        threads: list[threading.Thread] = []

        def stop_ledger() -> None:
            stop.set()
            for t in threads:
                t.join(timeout=10)

        app.state.on_start.append(lambda: threads.append(context.ledger.start_background(stop)))
        app.state.on_stop.append(stop_ledger)
    app.include_router(passkey_routes.router, include_in_schema=False)
    app.state.templates.globals["passkeys_enabled"] = True
    install_portal(app, context)
    app.include_router(portal_passkey.router, include_in_schema=False)
    return app


class MetricsMiddleware:
    """Counts requests by route and status, and times them (plain ASGI: no per-request
    task or body buffering, unlike ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)


def _ops_routes(app: FastAPI, ctx: Context) -> None:
    @app.get("/healthz", tags=["operations"], response_model=Health,
             responses=problems(s503=[Code.UNHEALTHY]))
    def healthz() -> Response:
        try:
            with ctx.db.transaction() as s:
                s.execute(text("SELECT 1"))
        except Exception as exc:  # any failure of the database: unhealthy, never a 500
            # The reason goes to the log only: its text names the database's host, port
            # and name, which an anonymous prober must not learn.
            log.warning("healthz: database check failed: %s", type(exc).__name__)
            return problem_response(503, Code.UNHEALTHY, "Service unavailable",
                                    "the database is unavailable",
                                    retry_after=DB_RETRY_AFTER_SECONDS)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def metrics() -> Response:
        ctx.metrics.observe_replica(ctx.db.replica_lag())  # two small reads, with a replica
        return Response(ctx.metrics.render(),
                        media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.get("/.well-known/jwks.json", tags=["operations"], response_model=KeySet)
    def jwks() -> dict[str, Any]:
        """The platform seal's ES256 public key, to verify ES256 use receipts (intl and
        dual). It stays ES256-only in every profile: JOSE libraries may refuse a key set
        with a curve they do not know; the SM2 key is at /.well-known/jwks-sm2.json."""
        return ctx.seal.jwks()

    @app.get("/schemas/consent-receipt.json", include_in_schema=False)
    def consent_receipt_schema() -> dict[str, Any]:
        """The JSON Schema (2020-12) of a consent receipt (consent-receipt.json)."""
        from anxin.evidence.consent_receipt import SCHEMA_PATH, schema
        return schema() | {"$id": f"{ctx.settings.effective_base_url}{SCHEMA_PATH}"}

    @app.get("/.well-known/jwks-sm2.json", tags=["operations"], response_model=KeySet,
             responses=problems(s404=[Code.NOT_FOUND]))
    def jwks_sm2() -> dict[str, Any]:
        """The SM2 seal's public key (``kty`` EC, ``crv`` SM2, ``alg`` SM2SM3), to verify
        the SM2SM3 receipts: ``receipt`` in sm, ``receipt_sm2`` in dual."""
        if ctx.sm2 is None:
            raise NotFound("this deployment's profile is intl: its receipts are ES256 only "
                           "(/.well-known/jwks.json)")
        return {"keys": [ctx.sm2.seal.jwks_entry()]}

    if ctx.settings.bench_endpoints:
        @app.get("/_bench/select/{auth_id}", include_in_schema=False)
        def bench_select(auth_id: str) -> dict[str, Any]:
            # The floor: one statement, no BEGIN/COMMIT round trips (as the gate's grant).
            with ctx.db.single_statement() as conn:
                row = conn.execute(text("SELECT id, status FROM authorizations WHERE id = :id"),
                                   {"id": auth_id}).first()
            return {"id": auth_id, "status": None if row is None else row[1]}
