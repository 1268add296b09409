"""``anxin archive renew FILE.zip --server URL``: replace a held package by the current one.

Fetches ``GET <URL>/v1/authorizations/<id>/evidence.zip`` (the institution's API key), checks
with :func:`anxin.evidence.refresh.check_refresh` that it extends the held package, then
writes it in place, keeping the held copy beside it as ``<name>.previous.zip``.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx

from anxin.error_codes import Code
from anxin.errors import AnxinError, ValidationFailed
from anxin.evidence.refresh import check_refresh, package_authorization_id
from anxin.evidence.ziputil import read_zip

TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class FetchFailed(AnxinError):
    code = Code.FETCH_FAILED


def refresh_package(file: Path, server: str, api_key: str | None) -> str:
    """Refresh ``file`` from ``server``; returns a line saying what was done."""
    try:
        held = file.read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"cannot read {file}: {exc.strerror}", field="file") from None
    old = read_zip(held)
    auth_id = package_authorization_id(old)
    url = f"{server.rstrip('/')}/v1/authorizations/{auth_id}/evidence.zip"
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        reply = httpx.get(url, headers=headers, timeout=TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise FetchFailed(f"cannot fetch {url}: {exc}") from None
    if reply.status_code != 200:
        raise FetchFailed(f"{url} answered {reply.status_code}: {reply.text[:200]}")
    new = read_zip(reply.content)
    check_refresh(old, new)
    previous = file.with_name(file.stem + ".previous.zip")
    tmp = file.with_name(file.name + ".tmp")
    tmp.write_bytes(reply.content)
    os.replace(file, previous)
    os.replace(tmp, file)
    return (f"refreshed {file} (authorization {auth_id}) from {server}; "
            f"the held copy is {previous}")
