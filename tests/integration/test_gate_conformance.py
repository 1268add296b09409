"""The gate's rules are written once (anxin.domain.gate) and enforced by every storage path:
the SQLAlchemy Core UPDATE (by institution and by API key, SQLite and PostgreSQL) and
PostgreSQL's single statement. One table of cases runs through the domain check and
through each path, which must all give the same outcome: granted (with the same status
after) or refused with the same code.

Each path is first asked for its own decision (its fast path: grant or miss); a miss is
then named by the public path, so a path that refuses what the domain grants answers
``authorization_exhausted`` ("no use left") and fails the comparison, as does a path
that grants what the domain refuses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select, update

from anxin.domain.gate import (
    GateView,
    UseRefused,
    UseRequest,
    check_use,
    status_after_use,
)
from anxin.domain.states import Status
from anxin.errors import AnxinError
from anxin.keys import hash_api_key
from anxin.services import uses as gate
from anxin.services.institutions import InstitutionRef
from anxin.services.use_input import UseCall
from anxin.storage.models import Authorization
from tests.common.factories import sign

DAY = dt.timedelta(days=1)
SCOPE = ["credit_report", "credit_score"]


@dataclass(frozen=True)
class Case:
    """An authorization's gate fields (relative to now) and one call."""
    name: str
    status: str = "active"
    uses: int = 0
    max_uses: int = 3
    starts: dt.timedelta = -DAY  # valid_from - now
    ends: dt.timedelta = 30 * DAY  # valid_until - now
    purpose: str = "loan_approval"
    data_item: str = "credit_report"
    other_institution: bool = False
    # The outcome the service must give where the domain has no say (another
    # institution's authorization is not found before any rule is read).
    expected: str | None = None


CASES = [
    Case("active, n uses left", uses=1, max_uses=5),
    Case("active, 1 use left (the last)", uses=2, max_uses=3),
    Case("active, 1 of 1 (the last)", uses=0, max_uses=1),
    Case("active, 0 uses left", uses=3, max_uses=3),
    Case("exhausted", status="exhausted", uses=3, max_uses=3),
    Case("exhausted with uses left on the row", status="exhausted", uses=1, max_uses=3),
    Case("revoked", status="revoked"),
    Case("revoked and spent", status="revoked", uses=3, max_uses=3),
    Case("expired (recorded)", status="expired", ends=-DAY),
    Case("expired by time alone", ends=-dt.timedelta(seconds=1)),
    Case("expires exactly now", ends=dt.timedelta(0)),
    Case("not yet valid", starts=DAY),
    Case("valid from exactly now", starts=dt.timedelta(0)),
    Case("pending", status="pending"),
    Case("declined", status="declined"),
    Case("cancelled", status="cancelled"),
    Case("lapsed", status="lapsed"),
    Case("wrong purpose", purpose="account_opening"),
    Case("wrong scope", data_item="judicial_records"),
    Case("wrong purpose and scope", purpose="account_opening", data_item="judicial_records"),
    Case("revoked, wrong purpose", status="revoked", purpose="account_opening"),
    Case("spent, wrong scope", uses=3, max_uses=3, data_item="judicial_records"),
    Case("not yet valid, wrong purpose", starts=DAY, purpose="account_opening"),
    Case("wrong institution", other_institution=True, expected="authorization_not_found"),
    Case("wrong institution, revoked", status="revoked", other_institution=True,
         expected="authorization_not_found"),
]

Outcome = tuple[str, str | None]  # ("granted", status after) or (refusal code, None)


def domain_outcome(case: Case, now: dt.datetime) -> Outcome:
    if case.expected is not None:
        return case.expected, None
    view = GateView(case.status, "loan_approval", tuple(SCOPE), now + case.starts,
                    now + case.ends, case.max_uses, case.uses)
    try:
        check_use(view, UseRequest(case.purpose, case.data_item), now)
    except UseRefused as exc:
        return exc.code, None
    return "granted", status_after_use(Status(case.status), uses_after=case.uses + 1,
                                       max_uses=case.max_uses).value


@pytest.fixture
def signed(api: Any, client: Any, outbox: Any) -> str:
    api.template(max_uses=3, data_scope=SCOPE)
    auth = api.request(seq=77)
    sign(client, outbox, auth)
    return str(auth["id"])


def reset(ctx: Any, auth_id: str, case: Case, now: dt.datetime) -> None:
    with ctx.db.core_transaction() as conn:
        conn.execute(update(Authorization).where(Authorization.id == auth_id).values(
            status=case.status, uses=case.uses, max_uses=case.max_uses,
            valid_from=now + case.starts, valid_until=now + case.ends,
            purpose="loan_approval", data_scope=SCOPE))


def stored_status(ctx: Any, auth_id: str) -> str:
    with ctx.db.core_transaction() as conn:
        return str(conn.execute(select(Authorization.status)
                                .where(Authorization.id == auth_id)).scalar())


def core_by_institution(ctx: Any, inst_id: str, key: str, auth_id: str, call: UseCall
                        ) -> dict[str, Any] | None:
    return gate._try_grant(ctx, None, InstitutionRef(inst_id, "x"), auth_id, call, None)


def core_by_key(ctx: Any, inst_id: str, key: str, auth_id: str, call: UseCall
                ) -> dict[str, Any] | None:
    return gate._try_grant(ctx, hash_api_key(key), None, auth_id, call, None)


def pg_single_statement(ctx: Any, inst_id: str, key: str, auth_id: str, call: UseCall
                        ) -> dict[str, Any] | None:
    return gate._grant_in_one_statement(ctx, inst_id, hash_api_key(key), auth_id, call, None)


def public_with_key(ctx: Any, inst_id: str, key: str, auth_id: str, call: UseCall
                    ) -> dict[str, Any] | None:
    return gate.consume_use_with_key(ctx, key, auth_id, call)


PATHS: dict[str, Callable[[Any, str, str, str, UseCall], dict[str, Any] | None]] = {
    "core_by_institution": core_by_institution,
    "core_by_key": core_by_key,
    "pg_single_statement": pg_single_statement,
    "public_with_key": public_with_key,
}


def run_path(ctx: Any, path: str, inst_id: str, key: str, auth_id: str, case: Case
             ) -> Outcome:
    call = UseCall(case.purpose, case.data_item, "Q-conformance", "officer-1")
    try:
        granted = PATHS[path](ctx, inst_id, key, auth_id, call)
        if granted is None:
            # The path's own decision was "no": the public path names the refusal.
            gate.consume_use(ctx, InstitutionRef(inst_id, "x"), auth_id, call,
                             fast_path_done=True)
            return "granted by the slow path (the fast path refused)", None
    except AnxinError as exc:
        return exc.code, None
    assert granted["status"] == stored_status(ctx, auth_id), "answer and row disagree"
    assert granted["uses"] == case.uses + 1
    return "granted", str(granted["status"])


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_path_gives_the_domain_outcome(ctx: Any, clock: Any, api: Any, other_api: Any,
                                             signed: str, case: Case) -> None:
    clock.frozen = True
    now = clock.now
    caller = other_api if case.other_institution else api
    paths = [p for p in PATHS if p != "pg_single_statement" or ctx.db.dialect == "postgresql"]
    want = domain_outcome(case, now)
    got = {}
    for path in paths:
        reset(ctx, signed, case, now)
        got[path] = run_path(ctx, path, caller.institution_id, caller.api_key, signed, case)
    assert got == dict.fromkeys(paths, want), f"domain says {want}"


def test_the_table_covers_every_outcome() -> None:
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    outcomes = {domain_outcome(c, now) for c in CASES}
    codes = {code for code, _ in outcomes}
    assert codes >= {"granted", "authorization_not_active", "authorization_exhausted",
                     "authorization_expired", "authorization_revoked", "purpose_mismatch",
                     "scope_mismatch", "authorization_not_found"}
    assert ("granted", "active") in outcomes
    assert ("granted", "exhausted") in outcomes
