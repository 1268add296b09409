"""``verify_webhook``: check an ``Anxin-Signature`` header before trusting a delivery.

Anxin signs every webhook delivery (CONTRACT §8, docs/notifications.md) with
``Anxin-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
A receiver checks it against the raw body, exactly as received (before any JSON parsing),
and refuses a timestamp older than ``tolerance`` seconds (a replayed delivery):

>>> import hashlib, hmac
>>> body = b'{"event":"authorization:signed"}'
>>> mac = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
>>> verify_webhook(body, f"t=1700000000,v1={mac}", "whsec_x", now=1700000100)["event"]
'authorization:signed'
>>> verify_webhook(body, f"t=1700000000,v1={mac}", "whsec_x", now=1700000400)
... # doctest: +ELLIPSIS
Traceback (most recent call last):
...
anxin_client.webhooks.WebhookSignatureError: the signature's timestamp is 400 s away ...
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any


class WebhookSignatureError(ValueError):
    """The delivery is not proven to come from Anxin: refuse it (answer 400)."""


def verify_webhook(body: bytes, header: str | None, secret: str | bytes, tolerance: int = 300,
                   *, now: float | None = None) -> dict[str, Any]:
    """Return the delivery's JSON object if ``header`` (the ``Anxin-Signature`` value) is a
    valid signature of ``body`` by ``secret`` made within ``tolerance`` seconds of ``now``
    (default: the clock); raise :class:`WebhookSignatureError` otherwise.

    Several ``v1=`` values are accepted (any one matching suffices), as a header may carry
    one per secret while a secret is being rotated."""
    if not header:
        raise WebhookSignatureError("no Anxin-Signature header")
    stamp: int | None = None
    macs: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                stamp = int(value)
            except ValueError:
                raise WebhookSignatureError("malformed Anxin-Signature: t is not a number"
                                            ) from None
        elif name == "v1":
            macs.append(value.lower())
    if stamp is None or not macs:
        raise WebhookSignatureError("malformed Anxin-Signature: it needs t=… and v1=…")
    moment = time.time() if now is None else now
    if abs(moment - stamp) > tolerance:
        raise WebhookSignatureError(
            f"the signature's timestamp is {abs(moment - stamp):.0f} s away from now "
            f"(tolerance {tolerance} s): a replay?")
    key = secret.encode() if isinstance(secret, str) else secret
    want = hmac.new(key, str(stamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(want, mac) for mac in macs):
        raise WebhookSignatureError("the signature does not match the body and the secret")
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookSignatureError("the signed body is not JSON") from None
    if not isinstance(event, dict):
        raise WebhookSignatureError("the signed body is not a JSON object")
    return event
