"""Prometheus metrics, one registry per application (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from anxin.storage.replica import ReplicaLag


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

        self._replica: tuple[Gauge, Gauge, Gauge] | None = None

    def observe_replica(self, lag: ReplicaLag | None) -> None:
        """Set the replica's gauges (they exist only on a node with a replica):
        ``anxin_db_replica_up``, ``anxin_db_replica_lag_bytes`` (of WAL not replayed
        yet) and ``anxin_db_replica_lag_seconds`` (since the last transaction it
        replayed, 0 when it has replayed all); the lags are NaN while it does not
        answer."""
        if lag is None:
            return
        if self._replica is None:
            self._replica = (
                Gauge("anxin_db_replica_up", "Whether the read replica answered the last "
                      "scrape (1) or not (0)", registry=self.registry),
                Gauge("anxin_db_replica_lag_bytes", "WAL bytes the read replica has not "
                      "replayed yet, behind the primary's position", registry=self.registry),
                Gauge("anxin_db_replica_lag_seconds", "Seconds since the last transaction "
                      "the read replica replayed, 0 when it has replayed all",
                      registry=self.registry))
        up, lag_bytes, lag_seconds = self._replica
        up.set(1 if lag.up else 0)
        lag_bytes.set(float("nan") if lag.lag_bytes is None else lag.lag_bytes)
        lag_seconds.set(float("nan") if lag.lag_seconds is None else lag.lag_seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
