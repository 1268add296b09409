"""Real-name checks: do the name, id number and mobile belong together?

``none`` (default) trusts the institution's data and records that it did; ``webhook:<url>``
posts the triple to a provider that answers ``{"match": true|false}``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx

from anxin.errors import AnxinError, ConfigurationError


class RealNameUnavailable(AnxinError):
    status = 502
    title = "Real-name check unavailable"
    code = "realname_unavailable"


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
    def __init__(self, url: str) -> None:
        self.url = url
        self._client = httpx.Client(timeout=10.0)

    def check(self, name: str, id_type: str, id_number: str, mobile: str) -> RealNameOutcome:
        try:
            r = self._client.post(self.url, json={"name": name, "id_type": id_type,
                                                  "id_number": id_number, "mobile": mobile})
            r.raise_for_status()
            match = r.json().get("match")
        except (httpx.HTTPError, ValueError) as exc:
            raise RealNameUnavailable(f"the real-name provider failed: {exc}") from None
        if not isinstance(match, bool):
            raise RealNameUnavailable("the real-name provider answered without a 'match'")
        return RealNameOutcome(f"webhook:{self.url}", "match" if match else "mismatch",
                               dt.datetime.now(dt.UTC).isoformat())


def make_realname_check(spec: str) -> RealNameCheck:
    if spec == "none":
        return NoRealNameCheck()
    if spec.startswith("webhook:"):
        return WebhookRealNameCheck(spec[len("webhook:"):])
    raise ConfigurationError(f"ANXIN_REALNAME must be 'none' or 'webhook:<url>', not {spec!r}")
