"""Real-name checks: do the name, id number and mobile belong together?

``none`` (default) trusts the institution's data and records that it did; ``webhook:<url>``
posts the triple to a provider that answers ``{"match": true|false}``, through the SSRF
guard (:mod:`anxin.net.outbound`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx

from anxin.config import ProviderChoice, RealNameProvider
from anxin.error_codes import Code
from anxin.errors import AnxinError
from anxin.net.outbound import OutboundClient, OutboundError, OutboundPolicy
from anxin.net.urls import webhook_url


class RealNameUnavailable(AnxinError):
    code = Code.REALNAME_UNAVAILABLE


@dataclass(frozen=True, slots=True)
class RealNameOutcome:
    provider: str
    result: str  # "match" | "mismatch" | "not_checked"
    at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RealNameCheck(Protocol):
    def check(self, name: str, id_type: str, id_number: str, mobile: str) -> RealNameOutcome:
        ...


class NoRealNameCheck:
    def check(self, name: str, id_type: str, id_number: str, mobile: str) -> RealNameOutcome:
        return RealNameOutcome("none", "not_checked",
                               dt.datetime.now(dt.UTC).isoformat())


class WebhookRealNameCheck:
    def __init__(self, url: str, policy: OutboundPolicy) -> None:
        self.url = url
        self._client = OutboundClient(policy, timeout=10.0)

    def check(self, name: str, id_type: str, id_number: str, mobile: str) -> RealNameOutcome:
        try:
            r = self._client.post(self.url, json={"name": name, "id_type": id_type,
                                                  "id_number": id_number, "mobile": mobile})
            r.raise_for_status()
            match = r.json().get("match")
        except OutboundError as exc:
            raise RealNameUnavailable(
                f"the real-name provider may not be called: {exc.detail}") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise RealNameUnavailable(f"the real-name provider failed: {exc}") from None
        if not isinstance(match, bool):
            raise RealNameUnavailable("the real-name provider answered without a 'match'")
        return RealNameOutcome(f"webhook:{self.url}", "match" if match else "mismatch",
                               dt.datetime.now(dt.UTC).isoformat())


def make_realname_check(choice: ProviderChoice[RealNameProvider],
                        policy: OutboundPolicy | None = None) -> RealNameCheck:
    """The check ``ANXIN_REALNAME`` chose (parsed and typed by
    :class:`~anxin.config.Settings`); ``policy`` is the outbound allow-list (none: public
    addresses only)."""
    if choice.provider is RealNameProvider.NONE:
        return NoRealNameCheck()
    assert choice.url is not None  # a webhook choice always has its URL
    return WebhookRealNameCheck(webhook_url(choice.url, setting="ANXIN_REALNAME"),
                                policy or OutboundPolicy())
