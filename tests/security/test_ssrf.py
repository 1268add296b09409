"""Issue 12 item 8: outgoing calls never reach loopback, private or metadata addresses.

Before the fix, callback URLs to ``127.0.0.1``, ``[::1]``, ``0x7f000001``,
``169.254.169.254`` or a database port were accepted and called, and so were the SMS and
real-name webhooks and the external TSA (whose pyHanko client also followed redirects).
Every test that could make traffic uses a listener on 127.0.0.1 and asserts it was NOT
contacted without ``ANXIN_OUTBOUND_ALLOW``; other addresses are only ever handed to a
transport that records instead of connecting.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from pyhanko.sign.timestamps import TimestampRequestError
from sqlalchemy import select, update

from anxin.bootstrap import build_services
from anxin.config import Settings, load_settings
from anxin.errors import ConfigurationError
from anxin.net.outbound import OutboundClient, OutboundPolicy, OutboundRefused
from anxin.notify.worker import DeliveryWorker, RetryPolicy
from anxin.pki.tsa import make_timestamper
from anxin.services import console
from anxin.services.context import Context
from anxin.services.institutions import add_institution
from anxin.storage.models import Authorization
from anxin.storage.portal_models import Notification
from anxin.web.app import create_app
from tests.common.factories import Api, sign, token_of
from tests.common.listener import listener

FAST = RetryPolicy(base_seconds=0.05, max_seconds=0.2, lease_seconds=30)
SUBJECT = {"name": "Zhang San", "id_type": "resident_id",
           "id_number": "11010519491231002X", "mobile": "13800138000"}
# Every spelling of this machine that the C library resolves to loopback.
LOOPBACK_HOSTS = ["127.0.0.1", "0x7f000001", "2130706433", "127.1", "localhost"]
FORBIDDEN = ["127.0.0.1", "[::1]", "0x7f000001", "169.254.169.254", "10.0.0.5",
             "172.16.0.1", "192.168.1.1", "100.64.0.1", "[fd00::1]", "[fe80::1]",
             "0.0.0.0",  # noqa: S104 - an address refused, never bound
             "224.0.0.1", "[::ffff:127.0.0.1]", "[fd00:ec2::254]", "100.100.100.200"]


class Recorder(httpx.BaseTransport):
    """Stands in for the network: records where a request would have gone."""

    def __init__(self) -> None:
        self.sent: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return httpx.Response(200, content=b"{}")


def _client(policy: OutboundPolicy) -> tuple[OutboundClient, Recorder]:
    rec = Recorder()
    return OutboundClient(policy, timeout=2.0, transport=rec), rec


@pytest.mark.parametrize("host", FORBIDDEN)
def test_forbidden_address_is_refused_before_any_connection(host: str) -> None:
    client, rec = _client(OutboundPolicy())
    with pytest.raises(OutboundRefused):
        client.post(f"http://{host}:5432/")
    assert rec.sent == []


def test_a_public_address_is_called_and_the_allow_list_opens_exceptions() -> None:
    client, rec = _client(OutboundPolicy())
    client.post("http://93.184.216.34/hook")
    assert rec.sent[0].url.host == "93.184.216.34"
    client, rec = _client(OutboundPolicy.parse("10.0.0.0/8, 169.254.169.254"))
    client.post("http://10.9.8.7/hook")
    client.post("http://169.254.169.254/latest")
    assert [r.url.host for r in rec.sent] == ["10.9.8.7", "169.254.169.254"]
    with pytest.raises(OutboundRefused):
        client.post("http://192.168.0.1/")


def test_dns_is_checked_once_and_the_checked_address_is_the_one_connected() -> None:
    """A rebinding name answers a public address to the check and loopback after: the
    guard resolves once and connects to that address, keeping the name in Host / SNI."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    lookups: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers)

    client, rec = _client(OutboundPolicy.parse("", resolve=rebinding))
    client.post("https://rebind.example/hook")
    assert lookups == ["rebind.example"]
    sent = rec.sent[0]
    assert sent.url.host == "93.184.216.34"
    assert sent.headers["Host"] == "rebind.example"
    assert sent.extensions["sni_hostname"] == "rebind.example"


def _tls_for(name: str, tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context with a self-signed certificate for ``name``; a client trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(Encoding.PEM)
    (tmp / "cert.pem").write_bytes(pem)
    (tmp / "key.pem").write_bytes(key.private_bytes(
        Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    client = ssl.create_default_context(cadata=pem.decode())
    return server, client


def test_tls_to_the_pinned_address_still_checks_the_certificate_against_the_name(
        tmp_path: Path) -> None:
    server_tls, client_tls = _tls_for("pinned.test", tmp_path)
    policy = OutboundPolicy.parse("127.0.0.1", resolve=lambda h, p: ["127.0.0.1"])
    with listener(tls=server_tls) as rx:
        client = OutboundClient(policy, timeout=5.0,
                                transport=httpx.HTTPTransport(verify=client_tls))
        try:
            assert client.post(f"https://pinned.test:{rx.port}/hook").status_code == 200
            assert rx.requests[0]["headers"]["Host"] == f"pinned.test:{rx.port}"
            with pytest.raises(httpx.ConnectError, match="certificate"):
                client.post(f"https://other.test:{rx.port}/hook")
        finally:
            client.close()
    assert len(rx.requests) == 1


@pytest.mark.parametrize("answer", [["127.0.0.1"], ["93.184.216.34", "10.0.0.1"],
                                    ["169.254.169.254"], ["::1"]])
def test_a_name_resolving_to_a_forbidden_address_is_refused(answer: list[str]) -> None:
    client, rec = _client(OutboundPolicy.parse("", resolve=lambda h, p: answer))
    with pytest.raises(OutboundRefused):
        client.post("http://internal.example/")
    assert rec.sent == []


def test_an_allow_listed_name_may_resolve_anywhere() -> None:
    policy = OutboundPolicy.parse("gw.internal", resolve=lambda h, p: ["10.1.2.3"])
    client, rec = _client(policy)
    client.post("http://gw.internal/sms")
    assert rec.sent[0].url.host == "10.1.2.3"


@pytest.mark.parametrize("entry", ["http://x", "10.0.0.0/33", "a b", "host/path"])
def test_a_malformed_allow_list_is_a_configuration_error(entry: str) -> None:
    with pytest.raises(ConfigurationError):
        OutboundPolicy.parse(entry)


def test_an_oversized_answer_is_cut_off() -> None:
    class Big(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, content=b"x" * 100_000)

    client = OutboundClient(OutboundPolicy(), timeout=2.0, max_response_bytes=10_000,
                            transport=Big())
    with pytest.raises(httpx.ReadError):
        client.post("http://93.184.216.34/")


# --- against the running platform, with a listener on 127.0.0.1 --------------------------

@pytest.fixture
def strict(settings: Settings, clock) -> Iterator[tuple[Context, Api]]:
    """The platform with the default (empty) allow-list."""
    ctx = build_services(settings, clock=clock, background_workers=False)
    with TestClient(create_app(settings, ctx)) as c:
        inst = add_institution(ctx, "Strict Bank")
        yield ctx, Api(c, inst.api_key, inst.id)
    ctx.close()


def _create(api: Api, url: str) -> httpx.Response:
    r: httpx.Response = api.post("/v1/authorizations", {
        "template": "credit", "reference": "LOAN-SSRF", "callback_url": url,
        "subject": SUBJECT})
    return r


@pytest.mark.parametrize("host", FORBIDDEN)
def test_a_callback_to_a_forbidden_literal_address_is_refused_at_request(
        strict: tuple[Context, Api], host: str) -> None:
    _ctx, api = strict
    api.template()
    r = _create(api, f"http://{host}:5432/")
    assert r.status_code == 422, r.text
    assert (r.json()["code"], r.json()["field"]) == ("outbound_refused", "callback_url")


def _deliver(ctx: Context, api: Api, outbox, url: str) -> Notification:
    """A signed authorization whose stored callback is ``url``, one delivery pass."""
    secret = console.set_webhook(ctx, "op-test", api.institution_id,
                                 "https://bank.example/hook", new_secret=True)
    assert secret
    api.template()
    auth = api.request(seq=81)
    with ctx.db.transaction() as s:  # as if stored before validation, or via DNS names
        s.execute(update(Authorization).where(Authorization.id == auth["id"])
                  .values(callback_url=url))
    sign(api.client, outbox, auth)
    worker = DeliveryWorker(ctx, policy=FAST)
    try:
        worker.deliver_due()
    finally:
        worker.stop()
    with ctx.db.transaction() as s:
        n = s.scalars(select(Notification)
                      .where(Notification.authorization_id == auth["id"])).one()
        s.expunge(n)
        return n


@pytest.mark.parametrize("host", LOOPBACK_HOSTS)
def test_a_stored_loopback_callback_is_not_contacted(strict: tuple[Context, Api], outbox,
                                                     host: str) -> None:
    ctx, api = strict
    with listener() as rx:
        n = _deliver(ctx, api, outbox, rx.url(host))
        assert rx.connections == 0
    assert n.state == "failed"
    assert n.last_error
    assert "outbound_refused" in n.last_error


def test_with_the_allow_list_the_same_callback_is_delivered(settings: Settings, clock,
                                                            outbox) -> None:
    allowing = load_settings(data_dir=settings.data_dir, database_url=settings.database_url,
                             outbound_allow="127.0.0.1")
    ctx = build_services(allowing, clock=clock, background_workers=False)
    try:
        with TestClient(create_app(allowing, ctx)) as c, listener() as rx:
            inst = add_institution(ctx, "Allowed Bank")
            n = _deliver(ctx, Api(c, inst.api_key, inst.id), outbox, rx.url())
            assert len(rx.requests) == 1
        assert n.state == "delivered"
    finally:
        ctx.close()


def test_a_redirect_is_not_followed(settings: Settings, clock, outbox) -> None:
    allowing = load_settings(data_dir=settings.data_dir, database_url=settings.database_url,
                             outbound_allow="127.0.0.1")
    ctx = build_services(allowing, clock=clock, background_workers=False)
    try:
        with TestClient(create_app(allowing, ctx)) as c, listener() as target, \
                listener(307, {"Location": ""}) as hop:
            hop.headers["Location"] = target.url()
            inst = add_institution(ctx, "Redirected Bank")
            n = _deliver(ctx, Api(c, inst.api_key, inst.id), outbox, hop.url())
            assert len(hop.requests) == 1
            assert target.connections == 0
        assert n.state == "pending"  # a 3xx is not a delivery; it is retried later
        assert n.last_error == "HTTP 307"
    finally:
        ctx.close()


def _app_with(settings: Settings, **overrides: str) -> tuple[Context, Api, TestClient]:
    s = load_settings(data_dir=settings.data_dir, database_url=settings.database_url,
                      **overrides)
    ctx = build_services(s, background_workers=False)
    client = TestClient(create_app(s, ctx))
    inst = add_institution(ctx, "Provider Bank")
    return ctx, Api(client, inst.api_key, inst.id), client


def test_the_sms_gateway_on_loopback_is_not_contacted(settings: Settings) -> None:
    with listener() as gw:
        ctx, api, client = _app_with(settings, sms=f"webhook:{gw.url()}")
        try:
            api.template()
            auth = api.request(seq=82)
            r = client.post(f"/s/{token_of(auth)}/otp")
            assert (r.status_code, r.json()["code"]) == (502, "sms_failed")
            assert gw.connections == 0
        finally:
            ctx.close()


def test_the_realname_provider_on_loopback_is_not_contacted(settings: Settings) -> None:
    with listener(body=b'{"match": true}') as provider:
        ctx, api, client = _app_with(settings, realname=f"webhook:{provider.url()}")
        try:
            api.template()
            auth = api.request(seq=83)
            r = client.post(f"/s/{token_of(auth)}/otp")
            assert (r.status_code, r.json()["code"]) == (502, "realname_unavailable")
            assert provider.connections == 0
        finally:
            ctx.close()


def _timestamp(settings: Settings, url: str, allow: str = "") -> None:
    s = load_settings(data_dir=settings.data_dir, tsa_url=url, outbound_allow=allow)
    stamper = make_timestamper(s, None)
    asyncio.run(stamper.async_timestamp(hashlib.sha256(b"letter").digest(), "sha256"))


def test_the_external_tsa_on_loopback_is_not_contacted(tmp_path) -> None:
    settings = load_settings(data_dir=tmp_path)
    with listener() as tsa:
        with pytest.raises(TimestampRequestError):
            _timestamp(settings, tsa.url(path="/tsa"))
        assert tsa.connections == 0


def test_the_external_tsa_redirect_is_not_followed(tmp_path) -> None:
    settings = load_settings(data_dir=tmp_path)
    with listener(body=b"not a reply", headers={
            "Content-Type": "application/timestamp-reply"}) as target, \
            listener(302, {"Location": ""}) as hop:
        hop.headers["Location"] = target.url(path="/tsa")
        with pytest.raises(TimestampRequestError):
            _timestamp(settings, hop.url(path="/tsa"), allow="127.0.0.1")
        assert len(hop.requests) == 1
        assert target.connections == 0
