"""``HttpSm2TimeStamper`` against an SM2 TSA served over HTTP on 127.0.0.1: honest answers
are verified and returned; a token for another digest or another nonce (a replayed or
mixed-up answer), a rejection, an HTTP error or a wrong media type is refused, and without
the allow list the loopback TSA is never called."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from asn1crypto import tsp

from anxin.net.outbound import OutboundPolicy
from anxin.pki import sm2
from anxin.pki.serials import InMemorySerialSource
from anxin.pki.sm2_tsa import Sm2TimestampAuthority, TimestampFailed, sm3_request
from anxin.pki.sm2_tsa_client import HttpSm2TimeStamper, Sm2TimeStamper
from anxin.pki.sm2_tsa_verify import Sm2TokenCheck, Sm2TokenInvalid, verify_sm2_token
from tests.common.sm2_tsa_ca import Sm2TsaCa, make_sm2_tsa_ca

DIGEST = sm2.sm3(b"a letter")
Answer = Callable[[bytes], tuple[int, str, bytes]]


@dataclass
class Server:
    url: str
    answer: list[Answer]
    queries: list[bytes] = field(default_factory=list)


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Sm2TimestampAuthority:
    ca: Sm2TsaCa = make_sm2_tsa_ca(tmp_path_factory.mktemp("sm2-tsa-http"))
    return Sm2TimestampAuthority(ca.key, ca.cert, [ca.root], InMemorySerialSource())


@pytest.fixture
def server(tsa: Sm2TimestampAuthority) -> Iterator[Server]:
    state = Server("", [lambda query: (200, "application/timestamp-reply",
                                       tsa.respond(query))])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers["Content-Length"]))
            state.queries.append(query)
            status, media_type, body = state.answer[0](query)
            self.send_response(status)
            self.send_header("Content-Type", media_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/tsa/sm2"
    yield state
    httpd.shutdown()
    httpd.server_close()


def _stamper(server: Server) -> Sm2TimeStamper:
    return HttpSm2TimeStamper(server.url, OutboundPolicy.parse("127.0.0.1"), timeout=5.0)


def test_an_honest_answer_is_verified_and_returned(server: Server) -> None:
    token = _stamper(server).timestamp(DIGEST)
    [query] = server.queries
    request = tsp.TimeStampReq.load(query)
    assert request["message_imprint"]["hashed_message"].native == DIGEST
    assert request["message_imprint"]["hash_algorithm"]["algorithm"].native == "sm3"
    assert request["cert_req"].native is True
    info = verify_sm2_token(token, digest=DIGEST, nonce=request["nonce"].native)
    assert info.nonce == request["nonce"].native


def test_a_token_for_another_digest_is_refused(server: Server,
                                               tsa: Sm2TimestampAuthority) -> None:
    def other_digest(query: bytes) -> tuple[int, str, bytes]:
        nonce = tsp.TimeStampReq.load(query)["nonce"].native
        return 200, "application/timestamp-reply", tsa.respond(
            sm3_request(sm2.sm3(b"another letter"), nonce=nonce))

    server.answer[0] = other_digest
    with pytest.raises(Sm2TokenInvalid) as caught:
        _stamper(server).timestamp(DIGEST)
    assert caught.value.check is Sm2TokenCheck.IMPRINT_MISMATCH


def test_a_replayed_answer_is_refused_by_its_nonce(server: Server,
                                                   tsa: Sm2TimestampAuthority) -> None:
    old = tsa.respond(sm3_request(DIGEST, nonce=12345))
    server.answer[0] = lambda query: (200, "application/timestamp-reply", old)
    with pytest.raises(Sm2TokenInvalid) as caught:
        _stamper(server).timestamp(DIGEST)
    assert caught.value.check is Sm2TokenCheck.NONCE_MISMATCH


@pytest.mark.parametrize(("status", "media_type", "body", "match"), [
    (500, "application/timestamp-reply", b"", "HTTP 500"),
    (200, "text/html", b"<html>", "not application/timestamp-reply"),
    (200, "application/timestamp-reply", b"\x30\x00", "not a TimeStampResp"),
])
def test_transport_failures_are_timestamp_failed(server: Server, status: int,
                                                 media_type: str, body: bytes,
                                                 match: str) -> None:
    server.answer[0] = lambda query: (status, media_type, body)
    with pytest.raises(TimestampFailed, match=match):
        _stamper(server).timestamp(DIGEST)


def test_a_rejection_is_timestamp_failed(server: Server,
                                         tsa: Sm2TimestampAuthority) -> None:
    server.answer[0] = lambda query: (200, "application/timestamp-reply", tsa.respond(
        b"\x30\x00"))
    with pytest.raises(TimestampFailed, match="bad_data_format"):
        _stamper(server).timestamp(DIGEST)


def test_loopback_is_not_called_without_the_allow_list(server: Server) -> None:
    stamper = HttpSm2TimeStamper(server.url, OutboundPolicy(), timeout=5.0)
    with pytest.raises(TimestampFailed, match="may not be called"):
        stamper.timestamp(DIGEST)
    assert server.queries == []


def test_a_digest_that_is_not_sm3_sized_is_a_programming_error(server: Server) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        _stamper(server).timestamp(b"\x00" * 20)
    assert server.queries == []

