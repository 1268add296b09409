"""A destination that answers slowly on purpose cannot hold the server: every outgoing
call (webhooks, the SMS and real-name gateways, an external TSA) is bounded as a whole
by its timeout, not per read. httpx's own timeouts apply to each connect, read and
write: a destination that sends its answer one byte at a time, each well inside the read
timeout, held the notification worker's pass (every other delivery of the node waiting
behind it) for as long as it kept sending, and past the delivery's lease another node
sent the same notification again."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select, update

from anxin.net.outbound import OutboundClient, OutboundPolicy
from anxin.notify.worker import DeliveryWorker, RetryPolicy
from anxin.services import console
from anxin.services.context import Context
from anxin.storage.models import Authorization
from anxin.storage.webhook_models import WebhookDelivery
from tests.common.factories import Api, sign
from tests.common.listener import listener
from tests.security.test_callback_urls import _notification, local_api, local_ctx

__all__ = ["local_api", "local_ctx"]

TIMEOUT = 0.5  # the call's timeout in all
DRIP = 0.05  # seconds between two bytes: ten times inside the per-read timeout


class Trickler:
    """A local HTTP server that reads a request, then answers it a byte every ``DRIP``
    seconds: the status line and headers (``where="headers"``), or a quick head and a
    long body (``where="body"``)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n"
            slow = head + b"x" * 400 if self.where == "headers" else b"x" * 400
            try:
                if self.where == "body":
                    conn.sendall(head)
                for byte in slow:
                    if self.stopped.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(DRIP)
            except OSError:
                return  # the caller gave up and closed: what this test wants

    def close(self) -> None:
        self.stopped.set()
        self.sock.close()


@pytest.fixture(params=["headers", "body"])
def trickler(request: pytest.FixtureRequest) -> Iterator[Trickler]:
    server = Trickler(request.param)
    yield server
    server.close()


def test_a_trickling_answer_ends_at_the_calls_timeout(trickler: Trickler) -> None:
    client = OutboundClient(OutboundPolicy.parse("127.0.0.1"), timeout=TIMEOUT)
    started = time.monotonic()
    try:
        with pytest.raises(httpx.TimeoutException):
            client.post(f"http://127.0.0.1:{trickler.port}/hook", content=b"{}")
    finally:
        client.close()
    took = time.monotonic() - started
    # The whole answer would take ~22 s (440 bytes, 50 ms each); each byte came well
    # inside the per-read timeout, so only a deadline on the whole call ends it here.
    assert took < TIMEOUT + 1.0, took


def test_a_quick_destination_is_not_cut_short() -> None:
    """The deadline counts from each call: calls one after another on one pooled
    connection each get the whole timeout."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            for _ in range(3):
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                time.sleep(TIMEOUT * 0.6)
                conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    client = OutboundClient(OutboundPolicy.parse("127.0.0.1"), timeout=TIMEOUT)
    try:
        for _ in range(3):  # 3 x 0.3 s on one connection: past one timeout in all
            assert client.post(f"http://127.0.0.1:{port}/hook", content=b"{}"
                               ).status_code == 204
    finally:
        client.close()
        server.close()


def test_a_trickling_callback_holds_the_notification_worker_only_for_its_timeout(
        local_ctx: Context, local_api: Api, outbox) -> None:
    """One authorization's callback URL trickles; the institution's endpoint is quick.
    The worker gives the slow POST its timeout and delivers the other notification in
    the same few passes (before: the pass waited ~22 s on the trickling answer)."""
    slow_server = Trickler("headers")
    policy = RetryPolicy(base_seconds=30, max_seconds=30, lease_seconds=30,
                         timeout_seconds=TIMEOUT)
    try:
        with listener() as rx:
            console.set_webhook(local_ctx, "op-test", local_api.institution_id, rx.url(),
                                new_secret=True)
            local_api.template()
            slow = local_api.request(seq=81)
            quick = local_api.request(seq=82)
            with local_ctx.db.transaction() as s:
                s.execute(update(Authorization).where(Authorization.id == slow["id"])
                          .values(callback_url=f"http://127.0.0.1:{slow_server.port}/cb"))
            sign(local_api.client, outbox, slow)  # the slow one first: claimed first
            sign(local_api.client, outbox, quick)
            worker = DeliveryWorker(local_ctx, policy=policy)
            started = time.monotonic()
            try:
                for _ in range(200):  # the session's database holds others' too
                    worker.deliver_due()
                    if _notification(local_ctx, quick["id"]).state == "delivered":
                        break
            finally:
                worker.stop()
            took = time.monotonic() - started
        assert _notification(local_ctx, quick["id"]).state == "delivered"
        assert took < 8, took
        with local_ctx.db.transaction() as s:
            held = s.scalars(select(WebhookDelivery).where(
                WebhookDelivery.authorization_id == slow["id"],
                WebhookDelivery.to_callback.is_(True))).one()
            assert (held.state, held.attempts) == ("pending", 1)  # retried later
            assert held.last_error is not None
            assert "Timeout" in held.last_error
    finally:
        slow_server.close()
