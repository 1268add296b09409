"""Prometheus metrics, one registry per application (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("anxin_http_requests", "HTTP requests served",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("anxin_http_request_seconds", "HTTP request latency",
                                 ["route"], registry=self.registry)
        self.authorizations_requested = Counter(
            "anxin_authorizations_requested", "Authorizations requested",
            registry=self.registry)
        self.authorizations_signed = Counter(
            "anxin_authorizations_signed", "Authorizations signed", registry=self.registry)
        self.uses = Counter("anxin_uses", "Use-gate decisions", ["outcome", "code"],
                            registry=self.registry)
        self.codes_sent = Counter("anxin_sms_codes_sent", "One-time codes sent",
                                  ["scope"], registry=self.registry)
        self.links_sent = Counter("anxin_sms_links_sent",
                                  "Signing links sent to the person by SMS (invitation, "
                                  "reminder)", ["kind"], registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
