"""The person's copy of everything Anxin holds about them (PIPL arts. 45 access, copy and
portability): ``GET /me/export.zip`` for the signed-in person.

The ZIP holds ``export.json`` (documented by the JSON Schema at
``/static/person-export.schema.json``: every authorization found through the mobile's blind
index, with its subject data in full — the person proved the mobile, and the signed letter
they may already download holds the same —, its letter text and SHA-256, every call of the
gate, granted or refused, and every ledger entry of it — with its index, or none while it
waits for the sequencer —; the person's passkeys), one
``letters/<id>.pdf`` per signed letter, and a ``README.txt`` in Chinese and English.

Example::

    data = person_export(ctx, ctx.keys.blind_index("mobile", "+8613800138000"))
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from anxin.services.authorizations import authorization_dict, settle_status
from anxin.services.context import Context
from anxin.services.documents import read_document
from anxin.services.uses_log import uses_log
from anxin.storage.models import Authorization, Institution, LedgerQueued, Template
from anxin.storage.passkey_models import PasskeyCredential

FORMAT = "anxin-person-export/1"
SCHEMA_PATH = "/static/person-export.schema.json"

README = """安心授权 · 个人信息副本 / Anxin · your copy of your personal data

export.json  您在本平台的全部授权记录：每份授权书的全文与 SHA-256、每一次查询（准予或拒绝）、
             账本中的每一条记录，以及您的通行密钥。格式说明见 {schema}
letters/     每份已签署的授权书（PDF，含电子签名与时间戳，可用任何 PDF 验证工具核验）

export.json  every authorization you gave on this platform: each letter's full text and
             SHA-256, every query of it (granted or refused), every ledger entry of it, and
             your passkeys. Its format: {schema}
letters/     each signed letter (PDF, with its electronic signature and timestamps: any PDF
             signature checker verifies it)
"""


def _subject(ctx: Context, a: Authorization) -> dict[str, str]:
    k = ctx.keys
    return {"name": k.decrypt_text(a.subject_name_enc, aad=f"{a.id}/name"),
            "id_type": a.subject_id_type,
            "id_number": k.decrypt_text(a.subject_id_enc, aad=f"{a.id}/id"),
            "mobile": k.decrypt_text(a.subject_mobile_enc, aad=f"{a.id}/mobile")}


def _authorization(ctx: Context, s: Session, a: Authorization) -> dict[str, Any]:
    tpl = s.get(Template, a.template_id)
    inst = s.get(Institution, a.institution_id)
    out = authorization_dict(a, tpl)
    out["subject"] = _subject(ctx, a)
    out["institution"] = {"id": a.institution_id, "name": inst.name if inst else None,
                          "code": inst.code if inst else None}
    if tpl is not None:
        out["template"] = {"code": tpl.code, "version": tpl.version, "title": tpl.title,
                           "locale": tpl.locale}
    out["letter_text"] = ctx.keys.decrypt_text(a.letter_enc, aad=f"{a.id}/letter")
    out["uses_log"] = [u.as_dict(receipt=True) for u in uses_log(s, a.id)]
    out["letter_pdf"] = f"letters/{a.id}.pdf" if a.signed_at is not None else None
    return out


def _ledger_entries(ctx: Context, auth_id: str) -> list[dict[str, Any]]:
    """Every entry of the authorization: sequenced ones with their index, then those
    still queued (index None). The queue is read first, so that a leaf the sequencer
    moves meanwhile is found among the sequenced (and dropped from the queued: a leaf's
    bytes are unique, its chain position is in them)."""
    with ctx.db.transaction() as s:
        queued = [q.data for q in s.scalars(select(LedgerQueued).where(
            LedgerQueued.authorization_id == auth_id).order_by(LedgerQueued.id))]
    sequenced = ctx.ledger.entries_for_authorization(auth_id)  # its own transaction
    seen = {e.data for e in sequenced}
    return ([{"index": e.index, "entry": json.loads(e.data)} for e in sequenced]
            + [{"index": None, "entry": json.loads(d)} for d in queued if d not in seen])


def person_export(ctx: Context, index: str) -> bytes:
    """The ZIP of everything held about the person with this mobile blind index."""
    now = ctx.clock()
    with ctx.db.transaction() as s:
        rows = list(s.scalars(select(Authorization).where(
            Authorization.subject_mobile_index == index).order_by(
            Authorization.created_at, Authorization.id)))
        for a in rows:
            settle_status(s, ctx, a)
        authorizations = [_authorization(ctx, s, a) for a in rows]
        passkeys = [{"id": p.id, "name": p.name, "registered_at": p.created_at.isoformat(),
                     "last_used_at": p.last_used_at.isoformat() if p.last_used_at else None,
                     "backed_up": p.backed_up, "transports": list(p.transports)}
                    for p in s.scalars(select(PasskeyCredential).where(
                        PasskeyCredential.subject_mobile_index == index)
                        .order_by(PasskeyCredential.created_at))]
    for item in authorizations:
        item["ledger_entries"] = _ledger_entries(ctx, item["id"])
    schema = ctx.settings.effective_base_url + SCHEMA_PATH
    doc = {"format": FORMAT, "schema": schema, "generated_at": now.isoformat(),
           "authorizations": authorizations, "passkeys": passkeys}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export.json", json.dumps(doc, ensure_ascii=False, indent=2))
        z.writestr("README.txt", README.format(schema=schema))
        for item in authorizations:
            if item["letter_pdf"] is None:
                continue
            pdf = read_document(ctx, None, item["id"], "letter.pdf")
            if pdf is not None:
                z.writestr(item["letter_pdf"], pdf)
    return buf.getvalue()
