"""The SSRF guard: every call the server makes to a URL someone else chose goes through here.

Callback URLs are chosen by institutions, gateway and TSA URLs by the operator; either may
point at the machine itself (``127.0.0.1``, ``[::1]``, ``0x7f000001``), at the database
port, at the cloud metadata service (``169.254.169.254``) or into the private network.
:class:`OutboundClient` resolves the host (``getaddrinfo``) at call time, refuses
loopback, link-local, private (RFC 1918, ULA), unspecified, multicast, reserved, CGNAT
and metadata addresses unless ``ANXIN_OUTBOUND_ALLOW`` allows them, and then connects to
the very address it checked (the URL's host is swapped for the IP; ``Host`` and TLS SNI
keep the name, so certificates are still checked against it): a DNS-rebinding name that
answers a public address to the check and ``127.0.0.1`` to the connect gets no second
lookup. Redirects are never followed (a 3xx is an answer, not a success), proxies from the
environment are ignored, and an answer larger than ``max_response_bytes`` is cut off.

``timeout`` bounds the whole call, not each step: httpx's timeouts apply to each connect,
read and write, so a destination that answers one byte a second (under the read timeout
every time) held a caller for as long as it liked — the notification worker's whole pass,
and past its lease, a second send by another node. Every read and write of a call is
given what is left of its deadline (:class:`_DeadlineBackend`, under httpcore's
connection pool), and a call past it fails as a timeout (transient: retried later).

``ANXIN_OUTBOUND_ALLOW`` is a comma-separated list of host names (``gw.internal``: that
name is called whatever it resolves to), IP addresses and CIDRs (``10.1.0.0/16``: those
addresses may be called, under any name).

Example::

    client = OutboundClient(OutboundPolicy.parse("127.0.0.1"), timeout=5.0)
    client.post("http://127.0.0.1:9000/hook", content=b"{}")   # allowed
    client.post("http://169.254.169.254/latest/meta-data/")    # raises OutboundRefused
"""

from __future__ import annotations

import contextvars
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from anxin.config import Settings
from anxin.error_codes import Code
from anxin.errors import AnxinError, ConfigurationError, ValidationFailed
from anxin.net.urls import BadUrl, parse_url

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

MAX_RESPONSE_BYTES = 1024 * 1024
METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "169.254.170.2", "100.100.100.200", "fd00:ec2::254"))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(AnxinError):
    """The destination is not one the server may call (by policy, not by accident)."""

    code = Code.OUTBOUND_REFUSED


OutboundError = (BadUrl, OutboundRefused)
"""Permanent: calling again changes nothing. (``httpx.HTTPError`` is the transient kind.)"""


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why the server may not call ``ip`` without an allow-list entry, or None."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is not None:
            return forbidden_reason(embedded)
    checks = ((ip in METADATA, "a cloud metadata address"),
              (ip.is_unspecified, "unspecified"), (ip.is_loopback, "loopback"),
              (ip.is_link_local, "link-local"), (ip.is_multicast, "multicast"),
              (ip.is_private, "private"), (ip.is_reserved, "reserved"),
              (ip in _CGNAT, "carrier-grade NAT"), (not ip.is_global, "not global"))
    return next((why for hit, why in checks if hit), None)


def _getaddrinfo(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpx.ConnectError(f"cannot resolve {host!r}: {exc}") from None
    return [str(info[4][0]).split("%", 1)[0] for info in infos]


def _literal_ip(host: str) -> IPAddress | None:
    """``host`` as an address when it is one, in any form the C library would take
    (``0x7f000001``, ``2130706433`` and ``127.1`` are all 127.0.0.1)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Which destinations the server may call beyond the public internet."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()
    resolve: Resolver = field(default=_getaddrinfo, compare=False)

    @classmethod
    def parse(cls, spec: str, *, resolve: Resolver = _getaddrinfo) -> OutboundPolicy:
        """From ``ANXIN_OUTBOUND_ALLOW``; a malformed entry is a configuration error."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in spec.split(","):
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if "/" in entry or any(ch.isspace() or ch in ":@?#" for ch in entry):
                raise ConfigurationError(
                    f"ANXIN_OUTBOUND_ALLOW: {raw.strip()!r} is not a host name, IP or CIDR")
            hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks), resolve)

    @classmethod
    def from_settings(cls, settings: Settings) -> OutboundPolicy:
        return cls.parse(settings.outbound_allow)

    def _address_refusal(self, ip: IPAddress) -> str | None:
        if any(ip.version == net.version and ip in net for net in self.networks):
            return None
        return forbidden_reason(ip)

    def pin(self, host: str, port: int) -> str:
        """The address to connect to for ``host``, checked; raises :class:`OutboundRefused`."""
        name = host.lower().rstrip(".")
        literal = _literal_ip(name)
        addresses = [str(literal)] if literal is not None else self.resolve(name, port)
        if not addresses:
            raise httpx.ConnectError(f"{host!r} resolves to no address")
        if name in self.hosts:
            return addresses[0]
        for address in addresses:
            why = self._address_refusal(ipaddress.ip_address(address))
            if why is not None:
                raise OutboundRefused(
                    f"{host} resolves to {address}, which is {why}; calls there are refused "
                    "unless ANXIN_OUTBOUND_ALLOW names it", host=host, address=address)
        return addresses[0]

    def check_given_url(self, url: str | None, *, field: str) -> str | None:
        """At input (API, console): the URL's syntax, and that a host given as a literal
        address is one we may call. Names are judged at call time, after DNS."""
        if url is None:
            return None
        parsed = parse_url(url, field=field)
        literal = _literal_ip(parsed.host)
        if literal is not None and parsed.host.lower() not in self.hosts:
            why = self._address_refusal(literal)
            if why is not None:
                raise ValidationFailed(
                    f"{field} points at {literal}, which is {why}: the server does not call "
                    "such addresses", field=field, code=Code.OUTBOUND_REFUSED)
        return url


# The monotonic deadline of the call this thread is making (OutboundClient.post).
_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "anxin_outbound_deadline", default=None)


def _left(timeout: float | None) -> float | None:
    """The step's timeout cut to what is left of the call's deadline."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the call took longer than its timeout in all")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname,
                                                     _left(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every step held to the call's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_tcp(host, port, _left(timeout),
                                                       local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        return _DeadlineStream(self._inner.connect_unix_socket(path, _left(timeout),
                                                               socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _deadline_transport() -> httpx.HTTPTransport:
    """httpx's transport whose connections keep to the call's deadline. httpx does not
    take a network backend, so it is set on its pool (``_pool._network_backend``, read
    when each connection is made); tests/security/test_slow_destinations.py fails if a
    new httpx or httpcore stops honouring it."""
    transport = httpx.HTTPTransport()
    pool = transport._pool
    if not isinstance(pool, httpcore.ConnectionPool):  # pragma: no cover - httpx changed
        raise RuntimeError("httpx's transport has no httpcore pool to hold to deadlines")
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport


class GuardedTransport(httpx.BaseTransport):
    """Resolves, checks and pins each request's host before the inner transport connects.

    Connections are pooled per host NAME: the pool of an httpx transport is keyed by
    origin, here the IP, and a TLS connection verified for one name must never carry a
    request for another name that happens to resolve to the same address.
    """

    MAX_POOLS = 64

    def __init__(self, policy: OutboundPolicy, inner: httpx.BaseTransport | None = None
                 ) -> None:
        self._policy = policy
        self._fixed = inner
        self._pools: dict[str, httpx.BaseTransport] = {}
        self._lock = threading.Lock()

    def _transport_for(self, name: str) -> httpx.BaseTransport:
        if self._fixed is not None:
            return self._fixed
        with self._lock:
            pool = self._pools.get(name)
            if pool is None:
                if len(self._pools) >= self.MAX_POOLS:
                    oldest = next(iter(self._pools))
                    self._pools.pop(oldest).close()
                pool = self._pools[name] = _deadline_transport()
            return pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https") or not url.host:
            raise BadUrl(f"refusing to call {url.scheme}://{url.host}", field="url")
        port = url.port or (443 if url.scheme == "https" else 80)
        address = self._policy.pin(url.host, port)
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": url.host}
        request.url = url.copy_with(host=address)  # Host header keeps the name
        return self._transport_for(url.host.lower()).handle_request(request)

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
        if self._fixed is not None:
            self._fixed.close()


class OutboundClient:
    """A POST-only httpx client for URLs chosen by others: guarded, no redirects, no
    environment proxies, bounded answers."""

    def __init__(self, policy: OutboundPolicy, *, timeout: float,
                 max_response_bytes: int = MAX_RESPONSE_BYTES,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.policy = policy
        self.timeout = timeout
        self._max = max_response_bytes
        self._client = httpx.Client(transport=GuardedTransport(policy, transport),
                                    timeout=timeout, follow_redirects=False, trust_env=False)

    def post(self, url: str, *, field: str = "url", **kwargs: Any) -> httpx.Response:
        """POST to ``url``, all of it (connect, send, answer) within ``timeout``; raises
        :data:`OutboundError` (permanent) or ``httpx.HTTPError`` (a timeout included)."""
        parse_url(url, field=field)
        token = _DEADLINE.set(time.monotonic() + self.timeout)
        try:
            with self._client.stream("POST", url, **kwargs) as r:
                body = _read_bounded(r.iter_bytes(), self._max)
                return httpx.Response(r.status_code, headers=r.headers, content=body,
                                      request=r.request)
        except httpx.InvalidURL as exc:
            raise BadUrl(f"{field} is not a valid URL ({exc})", field=field) from None
        finally:
            _DEADLINE.reset(token)

    def close(self) -> None:
        self._client.close()


def _read_bounded(chunks: Iterable[bytes], limit: int) -> bytes:
    out = bytearray()
    for chunk in chunks:
        out += chunk
        if len(out) > limit:
            raise httpx.ReadError(f"the answer is larger than {limit} bytes")
    return bytes(out)
