"""Archive renewal (``anxin archive renew``): every stored letter gains a document timestamp,
keeps every earlier byte, still verifies, and the renewal is a ledger leaf; a letter changed
while it was being renewed is left alone; a held package is refreshed only by one that
extends it."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from fastapi.testclient import TestClient
from pyhanko.pdf_utils.reader import PdfFileReader

from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.errors import IntegrityFailure
from anxin.evidence.refresh import check_refresh
from anxin.letters.verify import verify_letter
from anxin.services import archive
from anxin.services.context import Context
from anxin.services.documents import read_document
from anxin.services.institutions import add_institution
from anxin.services.key_rotation import rotate_online_keys
from anxin.services.setup import initialise
from anxin.web.app import create_app
from tests.common.factories import Api, sign
from tests.common.ledger_view import events_of


@pytest.fixture
def signed(tmp_path: Path) -> Iterator[dict[str, Any]]:
    data = tmp_path / "data"
    initialise(load_settings(data_dir=data))
    settings = load_settings(data_dir=data, archive_renew_interval_seconds=0)
    ctx = build_services(settings, background_workers=False)
    with TestClient(create_app(settings, ctx)) as client:
        inst = add_institution(ctx, "Renewal Bank")
        api = Api(client, inst.api_key, inst.id)
        api.template()
        auths = []
        for seq in (1, 2):
            auth = api.request(seq=seq)
            sign(client, settings.outbox_path, auth)
            auths.append(auth["id"])
        yield {"ctx": ctx, "api": api, "auths": auths, "settings": settings}
    ctx.close()


def _stamps(pdf: bytes) -> list[str]:
    reader = PdfFileReader(io.BytesIO(pdf))
    return [s.field_name for s in reader.embedded_timestamp_signatures]


def _root(ctx: Context) -> x509.Certificate:
    return ctx.pki.root_cert


def test_renewal_appends_a_document_timestamp_and_records_it(signed: dict[str, Any]) -> None:
    ctx: Context = signed["ctx"]
    before = {a: read_document(ctx, None, a, "letter.pdf") for a in signed["auths"]}
    result = archive.renew_archive(ctx)
    assert (result.renewed, result.failed) == (2, [])
    for auth_id, old in before.items():
        assert old is not None
        new = read_document(ctx, None, auth_id, "letter.pdf")
        assert new is not None
        assert new.startswith(old)
        assert len(new) > len(old)
        assert _stamps(new) == ["AnxinArchiveTimestamp", "AnxinArchiveTimestamp2"]
        assert verify_letter(new, [_root(ctx)]).indication == "TOTAL_PASSED"
        renewed = [e for e in events_of(ctx, auth_id)
                   if e["event"] == "authorization:letter:renewed"]
        assert len(renewed) == 1
        assert renewed[0]["letter_pdf_sha256"] == hashlib.sha256(new).hexdigest()
        assert renewed[0]["previous_letter_pdf_sha256"] == hashlib.sha256(old).hexdigest()


def test_only_letters_not_stamped_by_the_current_tsa_are_due(signed: dict[str, Any]) -> None:
    ctx: Context = signed["ctx"]
    assert archive.renew_archive(ctx, due_only=True).renewed == 0
    rotate_online_keys(signed["settings"], ctx.db, leaves_only=True)
    rotated = build_services(signed["settings"])
    try:
        assert archive.renew_archive(rotated, due_only=True).renewed == 2
        assert archive.renew_archive(rotated, due_only=True).renewed == 0
    finally:
        rotated.close()


def test_a_letter_changed_meanwhile_is_not_overwritten(signed: dict[str, Any],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    ctx: Context = signed["ctx"]
    auth_id = signed["auths"][0]
    real = archive.renew_letter_bytes

    def racing(ctx_: Context, pdf: bytes, now: Any) -> bytes:
        out = real(ctx_, pdf, now)
        monkeypatch.setattr(archive, "renew_letter_bytes", real)
        assert archive.renew_one(ctx_, auth_id)  # another worker renews it first
        return out

    monkeypatch.setattr(archive, "renew_letter_bytes", racing)
    assert archive.renew_one(ctx, auth_id) is False
    stored = read_document(ctx, None, auth_id, "letter.pdf")
    assert stored is not None
    assert len(_stamps(stored)) == 2  # the other worker's renewal, not two stacked on one
    events = [e["event"] for e in events_of(ctx, auth_id)]
    assert events.count("authorization:letter:renewed") == 1


def test_the_background_renewer_is_off_at_zero(signed: dict[str, Any]) -> None:
    assert archive.make_archive_renewer(signed["ctx"]) is None


def _package(api: Api, auth_id: str) -> dict[str, bytes]:
    reply = api.get(f"/v1/authorizations/{auth_id}/evidence.zip")
    assert reply.status_code == 200, reply.text
    with zipfile.ZipFile(io.BytesIO(reply.content)) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_a_held_package_is_refreshed_only_by_one_that_extends_it(
        signed: dict[str, Any]) -> None:
    api: Api = signed["api"]
    first, other = signed["auths"]
    held = _package(api, first)
    archive.renew_archive(signed["ctx"])
    fresh = _package(api, first)
    check_refresh(held, fresh)  # the same letter, extended
    with pytest.raises(IntegrityFailure, match="authorization"):
        check_refresh(held, _package(api, other))
    forged = dict(fresh, **{"letter.pdf": fresh["letter.pdf"].replace(b"%PDF-", b"%PDF_", 1)})
    with pytest.raises(IntegrityFailure, match="extend"):
        check_refresh(held, forged)
    record = json.loads(fresh["authorization.json"])
    assert record["id"] == first
