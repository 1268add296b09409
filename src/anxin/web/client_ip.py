"""Who the client is, for rate limits and evidence: the direct peer, or, behind proxies
named in ``ANXIN_TRUSTED_PROXIES``, the right-most address of ``X-Forwarded-For`` that is
not one of them.

Anyone can write ``X-Forwarded-For``; only a proxy we trust appends to it honestly. So the
header is read only when the direct peer is trusted, from the right (the hops nearest
us), skipping trusted proxies; the first untrusted address is the client. Addresses
further left were written by the client itself and are never believed. An entry that is
not an IP address ends the walk (the hop to its right is the client then).

>>> resolve_client_ip("10.0.0.2", "198.51.100.7, 203.0.113.9", trusted_networks(("10.0.0.0/8",)))
'203.0.113.9'
>>> resolve_client_ip("203.0.113.50", "1.2.3.4", trusted_networks(("10.0.0.0/8",)))
'203.0.113.50'
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from fastapi import Request

from anxin.services.context import Context

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=16)
def trusted_networks(specs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(s, strict=False) for s in specs)


def _parse(value: str) -> Address | None:
    v = value.strip().strip('"')
    if v.startswith("["):  # [2001:db8::1]:443
        v = v[1:].split("]", 1)[0]
    elif v.count(":") == 1:  # 203.0.113.9:443
        v = v.split(":", 1)[0]
    try:
        addr = ipaddress.ip_address(v)
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def _trusted(addr: Address, networks: Iterable[Network]) -> bool:
    return any(addr.version == n.version and addr in n for n in networks)


def resolve_client_ip(peer: str | None, forwarded_for: str | None,
                      networks: tuple[Network, ...]) -> str | None:
    """The client's address (normalised text), from the peer and the header."""
    if peer is None:
        return None
    peer_addr = _parse(peer)
    if peer_addr is None:  # not a socket address (a test client, a unix socket)
        return peer
    client = peer_addr
    if forwarded_for and _trusted(peer_addr, networks):
        for hop in reversed(forwarded_for.split(",")):
            addr = _parse(hop)
            if addr is None:
                break
            client = addr
            if not _trusted(addr, networks):
                break
    return str(client)


def client_ip(request: Request, ctx: Context) -> str | None:
    """The client address of this request under the deployment's trusted proxies."""
    peer = request.client.host if request.client else None
    forwarded = ", ".join(request.headers.getlist("x-forwarded-for")) or None
    return resolve_client_ip(peer, forwarded,
                             trusted_networks(ctx.settings.trusted_proxies))
