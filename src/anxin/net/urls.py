"""Syntax of the URLs the server will call (callbacks, webhooks, gateways, TSA).

A URL an institution or operator gives is checked when it is given (422 naming the
field) and again, with the same rules, before every call: a row stored before the rules
existed must not crash the caller. The rules: ``http``/``https``, a host, a port in
range, at most :data:`MAX_URL_LENGTH` characters, no whitespace and no control or format
characters (CR/LF would split a request line or header), and parseable by httpx.

Example::

    parse_url("https://bank.example/hooks/anxin")   # -> httpx.URL
    parse_url("http://[::1")                        # raises BadUrl
"""

from __future__ import annotations

import unicodedata

import httpx

from anxin.errors import ConfigurationError, ValidationFailed

MAX_URL_LENGTH = 2000  # the width of the callback_url columns
SCHEMES = frozenset({"http", "https"})


class BadUrl(ValidationFailed):
    """A URL that can never be called: permanent, retrying it changes nothing."""


def _bad(reason: str, field: str) -> BadUrl:
    return BadUrl(f"{field} {reason}", field=field)


def parse_url(url: object, *, field: str = "url") -> httpx.URL:
    """The parsed URL, or :class:`BadUrl` saying which rule it breaks."""
    if not isinstance(url, str):
        raise _bad("is a string", field)
    if not url or len(url) > MAX_URL_LENGTH:
        raise _bad(f"has 1 to {MAX_URL_LENGTH} characters", field)
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in url):
        raise _bad("has no spaces or control characters", field)
    try:
        parsed = httpx.URL(url)
        port = parsed.port
    except (httpx.InvalidURL, ValueError, UnicodeError) as exc:  # httpx's own parse errors
        raise _bad(f"is not a valid URL ({exc})", field) from None
    if parsed.scheme not in SCHEMES:
        raise _bad("is an http(s) URL", field)
    if not parsed.host:
        raise _bad("names a host", field)
    if port is not None and not 1 <= port <= 65535:
        raise _bad("has a port between 1 and 65535", field)
    return parsed


def webhook_url(url: str, *, setting: str) -> str:
    """``url`` of a ``<setting>=webhook:<url>`` choice, checked by :func:`parse_url`; a
    :class:`~anxin.errors.ConfigurationError` naming the setting if it is not usable, so
    the server refuses to start rather than fail at the first code or check."""
    try:
        parse_url(url, field=setting)
    except BadUrl as exc:
        raise ConfigurationError(f"{setting}=webhook:<url>: {exc.detail}") from None
    return url
