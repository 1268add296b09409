"""The person manages their own passkeys in ``/me/passkeys``: list, name, remove.

A passkey belongs to a person through the mobile number's blind index (the portal
session's principal); another person's passkey and an unknown one look the same
(``not_found``). Removing deletes the stored credential: it no longer signs the person in
(:func:`anxin.services.passkeys.verify_passkey_login` finds no credential) nor confirms a
signature; letters already signed keep their passkey evidence, which holds the public key.

Example::

    for p in list_passkeys(ctx, index): print(p["id"], p["name"])
    rename_passkey(ctx, index, pk_id, "My phone")
    remove_passkey(ctx, index, pk_id)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anxin.error_codes import Code
from anxin.errors import NotFound, ValidationFailed
from anxin.services.context import Context
from anxin.services.passkeys import credentials_of
from anxin.storage.passkey_models import PasskeyCredential

NAME_MAX = 40


def _view(c: PasskeyCredential) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "created_at": c.created_at,
            "last_used_at": c.last_used_at, "backed_up": c.backed_up,
            "transports": list(c.transports)}


def list_passkeys(ctx: Context, index: str) -> list[dict[str, Any]]:
    """The person's passkeys, oldest first."""
    with ctx.db.transaction() as s:
        return [_view(c) for c in credentials_of(s, index)]


def _own(s: Session, index: str, pk_id: str) -> PasskeyCredential:
    c = s.scalars(select(PasskeyCredential).where(
        PasskeyCredential.id == pk_id, PasskeyCredential.subject_mobile_index == index)
        .with_for_update()).first()
    if c is None:
        raise NotFound(f"no passkey {pk_id}", code=Code.NOT_FOUND)
    return c


def clean_name(name: str) -> str:
    """A name as stored: trimmed, whitespace runs made one space, 1..40 characters, no
    control character."""
    cleaned = " ".join(name.split())
    if not 1 <= len(cleaned) <= NAME_MAX or any(ord(ch) < 32 for ch in cleaned):
        raise ValidationFailed(f"a passkey name has 1 to {NAME_MAX} characters",
                               field="name", code=Code.VALIDATION_FAILED)
    return cleaned


def rename_passkey(ctx: Context, index: str, pk_id: str, name: str) -> dict[str, Any]:
    cleaned = clean_name(name)
    with ctx.db.transaction() as s:
        c = _own(s, index, pk_id)
        c.name = cleaned
        return _view(c)


def passkey_of(ctx: Context, index: str, pk_id: str) -> dict[str, Any]:
    with ctx.db.transaction() as s:
        return _view(_own(s, index, pk_id))


def remove_passkey(ctx: Context, index: str, pk_id: str) -> None:
    with ctx.db.transaction() as s:
        s.delete(_own(s, index, pk_id))
