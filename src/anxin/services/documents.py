"""Reading stored documents (encrypted at rest) of an institution's authorization."""

from __future__ import annotations

from sqlalchemy import select

from anxin.error_codes import Code
from anxin.services.context import Context
from anxin.storage.models import Authorization, Document


def read_document(ctx: Context, institution_id: str | None, auth_id: str,
                  kind: str) -> bytes | None:
    """The document's bytes; None if it does not exist. ``institution_id`` None means
    any institution (the subject's own portal, which checks ownership itself)."""
    from anxin.errors import NotFound
    with ctx.db.transaction() as s:
        q = select(Authorization.id).where(Authorization.id == auth_id)
        if institution_id is not None:
            q = q.where(Authorization.institution_id == institution_id)
        if s.scalar(q) is None:
            raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
        doc = s.get(Document, (auth_id, kind))
        if doc is None:
            return None
        return ctx.keys.decrypt(doc.content_enc, aad=f"{auth_id}/{kind}")
