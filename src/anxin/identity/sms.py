"""SMS gateways. ``outbox`` (default, development) appends JSON lines to a file;
``webhook:<url>`` posts ``{"to", "text"}`` to a real gateway, through the SSRF guard
(:mod:`anxin.net.outbound`: a gateway on a private address needs ``ANXIN_OUTBOUND_ALLOW``).

Example::

    gw = make_sms_gateway(ProviderChoice(SmsProvider.OUTBOX), Path("/tmp/outbox.jsonl"))
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from pathlib import Path
from typing import Protocol

import httpx

from anxin.config import ProviderChoice, SmsProvider
from anxin.error_codes import Code
from anxin.errors import AnxinError
from anxin.net.outbound import OutboundClient, OutboundError, OutboundPolicy
from anxin.net.urls import webhook_url
from anxin.private_files import private_dir, touch_private

log = logging.getLogger(__name__)


class SmsFailed(AnxinError):
    code = Code.SMS_FAILED


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> None: ...


class OutboxSms:
    """Development gateway: nothing leaves the machine. Loudly not for production."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        private_dir(path.parent)
        touch_private(path)  # codes in clear: 0600, like the keys
        log.warning("SMS outbox gateway in use: codes are written to %s, not sent. "
                    "Not for production (set ANXIN_SMS=webhook:<url>).", path)

    def send(self, to: str, text: str) -> None:
        line = json.dumps({"to": to, "text": text,
                           "at": dt.datetime.now(dt.UTC).isoformat()}, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class WebhookSms:
    def __init__(self, url: str, policy: OutboundPolicy, timeout: float = 5.0) -> None:
        self.url = url
        self._client = OutboundClient(policy, timeout=timeout)

    def send(self, to: str, text: str) -> None:
        try:
            r = self._client.post(self.url, json={"to": to, "text": text})
        except OutboundError as exc:
            raise SmsFailed(f"the SMS gateway may not be called: {exc.detail}") from None
        except httpx.HTTPError as exc:
            raise SmsFailed(f"the SMS gateway did not answer: {exc}") from None
        if r.status_code >= 300:
            raise SmsFailed(f"the SMS gateway answered {r.status_code}")


def make_sms_gateway(choice: ProviderChoice[SmsProvider], outbox_path: Path,
                     policy: OutboundPolicy | None = None) -> SmsGateway:
    """The gateway ``ANXIN_SMS`` chose (parsed and typed by :class:`~anxin.config.Settings`);
    ``policy`` is the outbound allow-list (none: public addresses only)."""
    if choice.provider is SmsProvider.OUTBOX:
        return OutboxSms(outbox_path)
    assert choice.url is not None  # a webhook choice always has its URL
    return WebhookSms(webhook_url(choice.url, setting="ANXIN_SMS"),
                       policy or OutboundPolicy())
