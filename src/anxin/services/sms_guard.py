"""The rules every path that sends an SMS goes through (signing code, portal code).

Against SMS pumping (a fraudster making the platform send codes to premium numbers at
the operator's cost): a number outside ``ANXIN_SMS_COUNTRIES`` is refused (422 naming the
mobile field), and each send is charged against the database-kept limits
(:mod:`anxin.services.rate_limits`) per client IP, per browser session and in total,
each per ``sms_limit_window_seconds`` (an IPv6 client counts by its /64). The per-number
and per-request rules of each path come first; these guard the platform as a whole.

Example::

    with ctx.db.transaction() as s:
        charge_sms(ctx, s, client_ip="203.0.113.9", session="portal:3f2a…")
        ctx.sms.send(...)
"""

from __future__ import annotations

import hashlib
import ipaddress

from sqlalchemy.orm import Session

from anxin.domain.subject import require_sms_country
from anxin.error_codes import Code
from anxin.services.context import Context
from anxin.services.rate_limits import Limit, charge


def check_sms_country(ctx: Context, e164: str, *, field: str) -> str:
    return require_sms_country(e164, ctx.settings.sms_countries, field=field)


def session_key(realm: str, secret: str) -> str:
    """A counter key for a browser session that does not store the session's secret."""
    return f"{realm}:{hashlib.sha256(secret.encode()).hexdigest()[:32]}"


def address_key(client_ip: str) -> str:
    """The unit an address limit counts: an IPv4 address, or an IPv6 /64 (one subscriber
    usually holds a whole /64, so single IPv6 addresses would be free to rotate).

    >>> address_key("2001:db8:1:2:aaaa::9")
    '2001:db8:1:2::/64'
    """
    try:
        addr = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip[:100]
    if isinstance(addr, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{addr}/64", strict=False))
    return str(addr)


def charge_sms(ctx: Context, s: Session, *, client_ip: str | None,
               session: str | None) -> None:
    """Charge one SMS against the per-IP, per-session and global limits, or raise
    ``TooManyRequests`` (the caller's transaction rolls back, nothing is counted)."""
    st = ctx.settings
    window = st.sms_limit_window_seconds
    limits = [Limit("sms:global", st.sms_limit_global, window, Code.SMS_GLOBAL_LIMIT, "SMS")]
    if client_ip:
        limits.append(Limit(f"sms:ip:{address_key(client_ip)}", st.sms_limit_per_ip, window,
                            Code.SMS_IP_LIMIT, "SMS from one address"))
    if session:
        limits.append(Limit(f"sms:session:{session[:100]}", st.sms_limit_per_session,
                            window, Code.SMS_SESSION_LIMIT, "SMS from one session"))
    charge(s, limits, ctx.clock())
