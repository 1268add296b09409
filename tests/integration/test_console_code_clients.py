"""The console's dispute timeline shows the client (IP, user agent) of each code sent, as
it does for the signing steps (issue 15, "The console"): the client is kept with the code
(``otp_codes``), never in the ledger leaf, and each ``otp:sent`` step shows its own."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select, union_all, update

from anxin.services.context import Context
from anxin.storage.models import LedgerLeaf, LedgerQueued, OtpCode
from tests.common.factories import Api, last_code, token_of
from tests.common.portal_fixtures import client
from tests.integration.test_console import operator

__all__ = ["client", "operator"]

FIRST_UA = "Mozilla/5.0 (iPhone; first-send)"
SECOND_UA = "Mozilla/5.0 (Android; second-send)"
SIGNING_UA = "Mozilla/5.0 (Android; signing)"


def _steps(page: str, event: str) -> list[str]:
    return [c for c in page.split('<li class="step leaf"')
            if c.startswith(f' data-event="{event}"')]


def _leaves(ctx: Context, auth_id: str) -> list[str]:
    both = union_all(select(LedgerLeaf.data).where(LedgerLeaf.authorization_id == auth_id),
                     select(LedgerQueued.data).where(LedgerQueued.authorization_id == auth_id)
                     ).subquery()
    with ctx.db.transaction() as s:
        return [bytes(d).decode() if isinstance(d, bytes | memoryview) else str(d)
                for d in s.scalars(select(both.c.data))]


def test_each_code_send_shows_its_own_client(client: TestClient, api: Api, ctx: Context,
                                             outbox, clock, operator: str) -> None:
    api.template()
    a = api.request(seq=175)
    tok = token_of(a)
    assert client.post(f"/s/{tok}/otp", headers={"User-Agent": FIRST_UA}).status_code == 204
    clock.advance(seconds=61)
    assert client.post(f"/s/{tok}/otp", headers={"User-Agent": SECOND_UA}).status_code == 204
    r = client.post(f"/s/{tok}/sign", json={"otp": last_code(outbox), "read_confirmed": True},
                    headers={"User-Agent": SIGNING_UA})
    assert r.status_code == 200, r.text

    page = client.get(f"/console/authorizations/{a['id']}?lang=en").text
    sent = _steps(page, "authorization:otp:sent")
    assert len(sent) == 2
    assert 'class="ip">testclient<' in sent[0]  # TestClient's peer address
    assert f'class="ua">{FIRST_UA}<' in sent[0]
    assert f'class="ua">{SECOND_UA}<' in sent[1]
    (signed,) = _steps(page, "authorization:signed")
    assert f'class="ua">{SIGNING_UA}<' in signed
    (requested,) = _steps(page, "authorization:requested")
    assert 'class="ip"' not in requested

    # The leaves carry no client facts: none of the user agents, no IP.
    leaves = _leaves(ctx, a["id"])
    assert any('"authorization:otp:sent"' in leaf for leaf in leaves)
    for leaf in leaves:
        entry = json.loads(leaf)
        assert not {"client_ip", "user_agent", "ip"} & set(entry), entry
        assert "testclient" not in leaf
        assert not re.search(r"first-send|second-send|signing\)", leaf)


def test_a_code_sent_before_clients_were_kept_says_not_recorded(
        client: TestClient, api: Api, ctx: Context, outbox, operator: str) -> None:
    api.template()
    a = api.request(seq=176)
    assert client.post(f"/s/{token_of(a)}/otp").status_code == 204
    with ctx.db.transaction() as s:  # as a row from before migration 0013
        s.execute(update(OtpCode).where(OtpCode.key == a["id"])
                  .values(client_ip=None, user_agent=None))
    page = client.get(f"/console/authorizations/{a['id']}?lang=en").text
    (sent,) = _steps(page, "authorization:otp:sent")
    assert 'class="ip">not recorded<' in sent
    assert 'class="ua">not recorded<' in sent
    assert "testclient" not in sent
