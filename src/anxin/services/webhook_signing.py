"""Which secrets sign a webhook delivery, and the endpoints' secrets at rest.

A delivery to a ``callback_url`` is signed with the institution's default secret
(:func:`anxin.services.notifications.default_secrets`), a delivery to a registered
endpoint with the endpoint's own; a delivery that is both (same URL) with both. After a
rotation the previous secret signs too, as a second ``v1``, until its grace period ends.
Endpoint secrets are encrypted with the data keys, associated data
``webhook_endpoints/<id>`` (``…/previous`` for the rotated-out one), like the
institution's.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from anxin.services.context import Context
from anxin.services.notifications import SIGNATURE_HEADER, default_secrets, signature_header
from anxin.storage.models import Institution
from anxin.storage.webhook_models import WebhookDelivery, WebhookEndpoint

__all__ = ["SIGNATURE_HEADER", "delivery_secrets", "endpoint_secrets", "seal_endpoint_secret",
           "signature_header"]


def _aad(endpoint_id: str, previous: bool) -> str:
    return f"webhook_endpoints/{endpoint_id}" + ("/previous" if previous else "")


def seal_endpoint_secret(ctx: Context, endpoint_id: str, secret: str, *,
                         previous: bool = False) -> bytes:
    return ctx.keys.encrypt_text(secret, aad=_aad(endpoint_id, previous))


def open_endpoint_secret(ctx: Context, endpoint_id: str, blob: bytes, *,
                         previous: bool = False) -> str:
    return ctx.keys.decrypt_text(blob, aad=_aad(endpoint_id, previous))


def endpoint_secrets(ctx: Context, ep: WebhookEndpoint, now: dt.datetime) -> list[bytes]:
    """The endpoint's current secret, then the previous one while its grace lasts."""
    out = [open_endpoint_secret(ctx, ep.id, ep.secret_enc).encode()]
    until = ep.previous_secret_expires_at
    if ep.previous_secret_enc is not None and until is not None and until > now:
        out.append(open_endpoint_secret(ctx, ep.id, ep.previous_secret_enc,
                                        previous=True).encode())
    return out


def delivery_secrets(s: Session, ctx: Context, d: WebhookDelivery, now: dt.datetime
                     ) -> list[bytes] | None:
    """Every secret that signs ``d`` now (may be empty: an old institution with no
    default secret yet); None if ``d`` is only for an endpoint that no longer exists."""
    out: list[bytes] = []
    if d.endpoint_id is not None:
        ep = s.get(WebhookEndpoint, d.endpoint_id)
        if ep is not None:
            out += endpoint_secrets(ctx, ep, now)
        elif not d.to_callback:
            return None
    if d.to_callback:
        inst = s.get(Institution, d.institution_id)
        if inst is not None:
            out += default_secrets(ctx, inst, now)
    return out
