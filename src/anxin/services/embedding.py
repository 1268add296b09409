"""Embedding the signing page in an institution's own app: its allowed frame ancestors and
return URLs (``PATCH /v1/institution``, the console), and the checks that use them.

* ``frame_ancestors``: origins (``https://app.bank.example``) that may frame the signing
  pages of the institution's authorizations; the page's ``Content-Security-Policy`` then
  names them in ``frame-ancestors`` (default ``'none'``: no one may frame it).
* ``return_url_prefixes``: URL prefixes (``https://app.bank.example/anxin/``) that a
  request's ``return_url`` must start with; after signing or declining the page goes
  there with ``?authorization_id=…&status=signed|declined``.

Both are https only; plain ``http`` is accepted only for a loopback host
(``localhost``, ``127.0.0.1``, ``[::1]``) and only while the deployment itself is served
over http (development), as browsers treat those as secure contexts anyway.

Example::

    normalise_origin("https://App.Bank.example:443", field="frame_ancestors[0]", dev=False)
    # -> 'https://app.bank.example'
    with_outcome("https://app.bank.example/done?x=1", "3f…", "signed")
    # -> 'https://app.bank.example/done?x=1&authorization_id=3f…&status=signed'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.orm import Session

from anxin.domain.events import Event
from anxin.error_codes import Code
from anxin.errors import NotFound, ValidationFailed
from anxin.net.urls import MAX_URL_LENGTH, parse_url
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef
from anxin.services.records import record
from anxin.storage.models import Institution

MAX_ENTRIES = 10
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
OUTCOME_OF = {"active": "signed", "declined": "declined"}


def development(ctx: Context) -> bool:
    """Whether this deployment is itself served over plain http (development)."""
    return ctx.settings.effective_base_url.startswith("http://")


def _origin_and_rest(value: str, *, field: str, dev: bool) -> tuple[str, str, str, str]:
    """``(origin, path, query, fragment)`` of an absolute https URL (or a loopback http
    one in development), or 422 naming ``field``."""
    parse_url(value, field=field)  # length, control characters, scheme, host, port
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise ValidationFailed(f"{field} has no user name or password", field=field)
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" and not (dev and parts.scheme == "http"
                                        and host in LOOPBACK_HOSTS):
        raise ValidationFailed(
            f"{field} is an https URL (http only for a loopback host in development)",
            field=field)
    if "*" in host:
        raise ValidationFailed(f"{field} names one host, no wildcard", field=field)
    shown = f"[{host}]" if ":" in host else host
    default = {"http": 80, "https": 443}[parts.scheme]
    port = parts.port
    origin = f"{parts.scheme}://{shown}" + ("" if port in (None, default) else f":{port}")
    return origin, parts.path, parts.query, parts.fragment


def normalise_origin(value: str, *, field: str, dev: bool) -> str:
    origin, path, query, fragment = _origin_and_rest(value, field=field, dev=dev)
    if path not in ("", "/") or query or fragment or value.rstrip().endswith(("?", "#")):
        raise ValidationFailed(f"{field} is an origin (scheme, host, port): no path, "
                               "query or fragment", field=field)
    return origin


def normalise_prefix(value: str, *, field: str, dev: bool) -> str:
    origin, path, query, fragment = _origin_and_rest(value, field=field, dev=dev)
    if query or fragment or "?" in value or "#" in value:
        raise ValidationFailed(f"{field} is a URL prefix: scheme, host and path, no query "
                               "or fragment", field=field)
    # Always at least "<origin>/": "https://bank.example" must not admit
    # "https://bank.example.evil.example/…".
    return origin + (path or "/")


def _normalised_list(values: Sequence[str], name: str, dev: bool, one: Any) -> list[str]:
    if len(values) > MAX_ENTRIES:
        raise ValidationFailed(f"{name} has at most {MAX_ENTRIES} entries", field=name)
    out: list[str] = []
    for i, v in enumerate(values):
        n = one(v, field=f"{name}[{i}]", dev=dev)
        if n not in out:
            out.append(n)
    return out


def check_return_url(ctx: Context, prefixes: Sequence[str] | None, url: str | None
                     ) -> str | None:
    """``url`` normalised if it starts with one of ``prefixes``; 422 naming ``return_url``
    (``return_url_not_allowed`` when it is a good URL outside the allow-list)."""
    if url is None:
        return None
    origin, path, query, fragment = _origin_and_rest(url, field="return_url",
                                                     dev=development(ctx))
    normal = urlunsplit(urlsplit(origin + (path or "/"))._replace(query=query,
                                                                  fragment=fragment))
    if len(normal) > MAX_URL_LENGTH:
        raise ValidationFailed(f"return_url has at most {MAX_URL_LENGTH} characters",
                               field="return_url")
    if not any(normal.startswith(p) for p in prefixes or ()):
        raise ValidationFailed(
            "return_url does not start with any of the institution's return_url_prefixes "
            "(set them with PATCH /v1/institution)", field="return_url",
            code=Code.RETURN_URL_NOT_ALLOWED)
    return normal


def with_outcome(return_url: str, authorization_id: str, status: str) -> str:
    """``return_url`` with ``authorization_id`` and ``status`` (signed | declined) added
    to its query (before any fragment)."""
    parts = urlsplit(return_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in ("authorization_id", "status")]
    query += [("authorization_id", authorization_id), ("status", status)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def return_target(return_url: str | None, authorization_id: str, status: str) -> str | None:
    """Where the signing page sends the person after ``status`` (None: stay)."""
    outcome = OUTCOME_OF.get(status)
    if return_url is None or outcome is None:
        return None
    return with_outcome(return_url, authorization_id, outcome)


def origin_of_url(url: str) -> str:
    """The origin of a normalised URL (as :func:`check_return_url` stores them)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def frame_ancestors_of(s: Session, institution_id: str) -> tuple[str, ...]:
    inst = s.get(Institution, institution_id)
    return tuple(inst.frame_ancestors or ()) if inst is not None else ()


def settings_dict(inst: Institution) -> dict[str, Any]:
    return {"id": inst.id, "name": inst.name, "code": inst.code, "status": inst.status,
            "frame_ancestors": list(inst.frame_ancestors or []),
            "return_url_prefixes": list(inst.return_url_prefixes or []),
            "created_at": inst.created_at.isoformat()}


def get_settings(ctx: Context, inst: InstitutionRef) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        row = s.get(Institution, inst.id)
        if row is None:
            raise NotFound("no such institution", code=Code.INSTITUTION_NOT_FOUND)
        return settings_dict(row)


def _digest(values: list[str]) -> str:
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()


def update_embedding(ctx: Context, institution_id: str, *,
                     frame_ancestors: Sequence[str] | None = None,
                     return_url_prefixes: Sequence[str] | None = None,
                     s: Session | None = None, at: dt.datetime | None = None
                     ) -> dict[str, Any]:
    """Replace the lists given (None: keep), validated first (a refusal changes nothing),
    with the ledger leaf ``institution:embedding:updated`` (digests of the new lists).
    Runs in ``s`` when given (the console's transaction), else in its own."""
    dev = development(ctx)
    fa = None if frame_ancestors is None else _normalised_list(
        frame_ancestors, "frame_ancestors", dev, normalise_origin)
    rp = None if return_url_prefixes is None else _normalised_list(
        return_url_prefixes, "return_url_prefixes", dev, normalise_prefix)

    def run(s: Session) -> dict[str, Any]:
        inst = s.get(Institution, institution_id)
        if inst is None:
            raise NotFound("no such institution", code=Code.INSTITUTION_NOT_FOUND)
        if fa is not None:
            inst.frame_ancestors = fa
        if rp is not None:
            inst.return_url_prefixes = rp
        record(s, Event.INSTITUTION_EMBEDDING_UPDATED, at=at or ctx.clock(),
               institution_id=institution_id,
               frame_ancestors_sha256=_digest(list(inst.frame_ancestors or [])),
               return_url_prefixes_sha256=_digest(list(inst.return_url_prefixes or [])))
        s.flush()
        return settings_dict(inst)

    if s is not None:
        return run(s)
    with ctx.db.transaction() as session:
        return run(session)
