"""The portal, notifications and console part of the app: ``install_portal(app, ctx)``.

Adds the routers (``/me``, ``/console``, ``GET /v1/events``, ``/v1/webhook-endpoints``) and, unless
``ctx.background_workers`` is False, starts the notification delivery worker, the
expiry sweep and the archive renewal (:mod:`anxin.services.archive`) with the application
(``app.state.on_start`` / ``on_stop``, run by the app's lifespan, so ``anxin serve`` runs
them in every worker process; all are safe with several). Idempotent: installing twice
changes nothing.
"""

from __future__ import annotations

from fastapi import FastAPI

from anxin.notify.sweep import make_sweeper
from anxin.notify.worker import DeliveryWorker
from anxin.services.archive import make_archive_renewer
from anxin.services.context import Context
from anxin.web.api import events, webhooks
from anxin.web.pages import console, portal, portal_passkeys, portal_rights


def install_portal(app: FastAPI, ctx: Context) -> None:
    if getattr(app.state, "portal_installed", False):
        return
    app.state.portal_installed = True
    app.include_router(portal.build_router())
    app.include_router(portal_passkeys.build_router())
    app.include_router(portal_rights.build_router())
    app.include_router(console.build_router())
    app.include_router(events.build_router())
    app.include_router(webhooks.build_router())
    if not ctx.background_workers:
        return
    worker = DeliveryWorker(ctx)
    sweeper = make_sweeper(ctx)
    app.state.notification_worker = worker
    app.state.expiry_sweeper = sweeper
    app.state.on_start.extend([worker.start, sweeper.start])
    app.state.on_stop.extend([sweeper.stop, worker.stop])
    renewer = make_archive_renewer(ctx)
    if renewer is not None:
        app.state.archive_renewer = renewer
        app.state.on_start.append(renewer.start)
        app.state.on_stop.append(renewer.stop)
