"""The use gate: before every query of the subject's data, one use is granted or refused.

A grant is one conditional UPDATE (``uses < max_uses`` and still active and valid), so no
number of concurrent calls can grant more than ``max_uses``. Every call, granted or
refused, leaves a use record and a ledger leaf; a refusal commits them, then raises.
Each leaf continues the authorization's hash chain (:mod:`anxin.ledger.chain`), under the
row lock of the statement that grants or refuses.

This is the hottest path of the product. On PostgreSQL a grant is ONE statement in
autocommit (the UPDATE, the use record with its receipt, the leaves and, on the last use,
the notification, as data-modifying CTEs): one round trip, and the row lock lives only as
long as that statement. On SQLite it is one short Core transaction. Any miss takes the
slow path, which reads the authorization and names the refusal.

The receipt follows the deployment's signature profile (issue 14): ``intl`` signs it
ES256 with the platform seal; ``sm`` signs it ``SM2SM3`` with the SM2 seal
(:mod:`anxin.pki.seal_sm2`); ``dual`` answers both, ``receipt`` (ES256, unchanged for
integrators) and ``receipt_sm2`` (SM2SM3), over the same payload. Both are stored with
the use (and so with an idempotent replay), and the grant's leaf commits to each.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any, NoReturn

from sqlalchemy import bindparam, case, insert, literal, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from anxin.domain.events import Event
from anxin.domain.gate import (
    AFTER_LAST_USE,
    GateView,
    UseRefused,
    UseRequest,
    bound_states,
    check_data_range,
    check_use,
    effective_status,
)
from anxin.domain.periods import PERIOD_NAMES_SQL, period_keys
from anxin.domain.states import Status
from anxin.domain.terms import NO_TERMS, TermsV2
from anxin.encoding import sha256_hex
from anxin.error_codes import Code
from anxin.errors import AnxinError, ConfigurationError, NotFound, ValidationFailed
from anxin.keys import hash_api_key, is_test_api_key
from anxin.ledger.chain import ZERO_HASH, LeafTemplate, leaf_template
from anxin.ledger.merkle import leaf_hash
from anxin.pki.signature_profile import Profile
from anxin.services.authorizations import settle_status
from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef, authenticate
from anxin.services.notifications import notification_row
from anxin.services.use_idempotency import (
    PG_CTE,
    GateKey,
    gate_key,
    pg_params,
    remember,
    replay,
)
from anxin.services.use_input import UseCall, is_authorization_id
from anxin.services.use_refusal import LEAF_HASH as _LEAF_HASH
from anxin.services.use_refusal import OLD_HEAD as _OLD_HEAD
from anxin.services.use_refusal import call_commitments as _call_commitments
from anxin.services.use_refusal import refuse as _refuse
from anxin.storage.ledger_queue import advance_chain
from anxin.storage.models import Authorization, Institution, LedgerQueued, UseRecord
from anxin.storage.pg_statement import PgStatement
from anxin.storage.portal_models import Notification

__all__ = ["UseCall", "consume_use", "consume_use_with_key", "record_bad_call", "sign_receipts"]

A = Authorization
_READ = select(A.id, A.status, A.purpose, A.data_scope, A.valid_from, A.valid_until,
               A.max_uses, A.uses, A.letter_sha256, A.request_expires_at, A.commitment_salt,
               A.terms, A.freq_period, A.freq_uses)


def _read(conn: Connection, inst: InstitutionRef, auth_id: str) -> Any:
    # Test mode: a test key sees only test authorizations and a live key only live ones.
    row = conn.execute(_READ.where(A.id == auth_id, A.institution_id == inst.id,
                                   A.test == inst.test)).first()
    if row is None:
        raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
    return row


def _view(row: Any) -> GateView:
    terms = TermsV2.from_stored(row.terms)
    return GateView(row.status, row.purpose, tuple(row.data_scope), row.valid_from,
                    row.valid_until, row.max_uses, row.uses, frequency=terms.frequency,
                    data_range=terms.data_range, period=row.freq_period,
                    period_uses=int(row.freq_uses or 0))


# The frequency's counter (terms v2) beside the total count, in the same UPDATE and so
# under the same row lock: the key of the current period of the authorization's
# ``freq_per`` (the three keys are bound, :func:`anxin.domain.periods.period_keys`), a
# use left in it unless the counter counts another period, and the counter moved on.
_PERIOD = case(*((A.freq_per == literal(per), bindparam(f"p_{per}"))
                 for per in PERIOD_NAMES_SQL), else_=None)
_FREQUENCY_LEFT = or_(A.freq_max.is_(None), A.freq_period.is_distinct_from(_PERIOD),
                      A.freq_uses < A.freq_max)
_FREQUENCY_SET = {"freq_uses": case((A.freq_per.is_(None), A.freq_uses),
                                    (A.freq_period == _PERIOD, A.freq_uses + 1), else_=1),
                  "freq_period": _PERIOD}


# The gate's rules as one UPDATE (all but the scope, checked on what it returns), the
# state names bound from anxin.domain.gate (bound_states), as in the PostgreSQL statement.
_GRANT = (
    update(Authorization)
    .where(A.id == bindparam("aid"),
           A.status == bindparam("granting"), A.uses < A.max_uses,
           A.valid_until > bindparam("now"), A.valid_from <= bindparam("now"),
           A.purpose == bindparam("want_purpose"), _FREQUENCY_LEFT,
           A.test == bindparam("test_mode"))
    .values(uses=A.uses + 1,
            status=case((A.uses + 1 >= A.max_uses, bindparam("after_last_use")),
                        else_=A.status),
            # Only the last use changes the status (to exhausted), and with it its time.
            status_changed_at=case((A.uses + 1 >= A.max_uses, bindparam("now")),
                                   else_=A.status_changed_at), **_FREQUENCY_SET)
    .returning(A.id, A.institution_id, A.uses, A.status, A.max_uses, A.data_scope,
               A.letter_sha256, A.reference, A.ledger_seq, A.ledger_head, A.commitment_salt,
               A.terms))
_GRANT_BY_INSTITUTION = _GRANT.where(A.institution_id == bindparam("iid"))
_GRANT_BY_KEY = _GRANT.where(A.institution_id == select(Institution.id).where(
    Institution.api_key_hash == bindparam("key_hash"),
    Institution.status == bindparam("institution_active")).scalar_subquery())
_GRANT_BY_TEST_KEY = _GRANT.where(A.institution_id == select(Institution.id).where(
    Institution.test_api_key_hash == bindparam("key_hash"),
    Institution.status == bindparam("institution_active")).scalar_subquery())


class _OutOfScope(Exception):
    """Rolls back an optimistic grant whose data item is outside the scope, or whose
    data period the letter's data range refuses (the slow path names the refusal)."""


def consume_use_with_key(ctx: Context, api_key: str | None, auth_id: str, call: UseCall,
                         *, idempotency_key: str | None = None) -> dict[str, Any]:
    """The gate as the API calls it. The institution's key is checked inside the grant's
    own statement: on PostgreSQL the grant, its use record and its leaves are one
    statement; elsewhere one UPDATE and two INSERTs in one transaction. Any miss (a bad
    key, a refusal) takes the slow path, which names the reason. Bad input is recorded as
    a refused use (:func:`record_bad_call`), then answers 422. With an
    ``idempotency_key`` a retried grant answers the stored one (:mod:`.use_idempotency`)."""
    if not is_authorization_id(auth_id):
        authenticate(ctx, api_key)  # 401 before 404, as on every other path
        raise NotFound(f"no authorization {auth_id[:64]!r}", code=Code.AUTHORIZATION_NOT_FOUND)
    test_mode = bool(api_key) and is_test_api_key(api_key or "")
    try:
        call.validate()
        gk = gate_key(idempotency_key, auth_id, call, test=test_mode)
    except ValidationFailed as exc:
        record_bad_call(ctx, api_key, auth_id, call, exc)
    if api_key:
        key_hash = hash_api_key(api_key)
        # Test keys take the one-transaction path (test mode is not the hot path).
        if ctx.db.dialect == "postgresql" and not test_mode:
            institution_id = _institution_of_key(ctx, key_hash)
            granted = (None if institution_id is None else
                       _grant_in_one_statement(ctx, institution_id, key_hash, auth_id, call,
                                               gk))
        else:
            granted = _try_grant(ctx, key_hash, None, auth_id, call, gk, test_mode=test_mode)
        if granted is None and gk is not None:
            # A concurrent call with this key may have taken the last use: its grant is
            # committed by now (the row lock ordered the two), so the store has it.
            with ctx.db.core_transaction() as conn:
                granted = replay(conn, key_hash, gk)
        if granted is not None:
            return granted
    inst = authenticate(ctx, api_key)
    return consume_use(ctx, inst, auth_id, call, fast_path_done=True)


def record_bad_call(ctx: Context, api_key: str | None, auth_id: str, call: UseCall,
                    exc: ValidationFailed) -> NoReturn:
    """Record a gate call refused for its input as a refused use (``validation_failed``,
    its values neutralised: no control characters, cut to the columns' lengths), then
    raise ``exc``. A call that names no authorization of an authenticated institution is
    not recorded (there is nothing to record it against) and raises ``exc`` too."""
    try:
        inst = authenticate(ctx, api_key)
        with ctx.db.core_transaction() as conn:
            row = _read(conn, inst, auth_id) if is_authorization_id(auth_id) else None
    except AnxinError:
        row = None
    if row is None:
        raise exc
    _refuse(ctx, inst, row, call.neutralised(), exc)


def _institution_of_key(ctx: Context, key_hash: str) -> str | None:
    """Which institution a key hash names, remembered per process: a key never moves to
    another institution (rotation issues a new key). Whether the key is still the
    institution's and the institution still active is checked inside every grant."""
    known: dict[str, str] = ctx.caches.institution_of_key
    if key_hash not in known:
        with ctx.db.core_transaction() as conn:
            found = conn.execute(select(Institution.id).where(
                Institution.api_key_hash == key_hash)).scalar()
        if found is None:
            return None
        known[key_hash] = found
    return known[key_hash]


def consume_use(ctx: Context, inst: InstitutionRef, auth_id: str, call: UseCall, *,
                fast_path_done: bool = False) -> dict[str, Any]:
    call.validate()
    now = ctx.clock()
    if not fast_path_done:
        granted = _try_grant(ctx, None, inst, auth_id, call, None)
        if granted is not None:
            return granted
    return _slow_path(ctx, inst, auth_id, call, now)


def _try_grant(ctx: Context, key_hash: str | None, inst: InstitutionRef | None, auth_id: str,
               call: UseCall, gk: GateKey | None, *, test_mode: bool = False
               ) -> dict[str, Any] | None:
    # Fast path, one statement: the UPDATE's conditions are the gate's rules (all but the
    # scope, checked on what it returns). Any miss goes to the slow path, which reads the
    # row and names the refusal.
    now = ctx.clock()
    if inst is not None:
        stmt, test_mode = _GRANT_BY_INSTITUTION, inst.test
    else:
        stmt = _GRANT_BY_TEST_KEY if test_mode else _GRANT_BY_KEY
    params = {"aid": auth_id, "now": now, "want_purpose": call.purpose,
              "key_hash": key_hash, "iid": inst.id if inst is not None else None,
              "test_mode": test_mode, **bound_states(), **period_keys(now, ctx.settings.zone)}
    try:
        with ctx.db.core_transaction() as conn:
            if gk is not None and key_hash is not None:
                # SQLite: BEGIN IMMEDIATE holds the write lock, so this look-up and the
                # grant below are one step for every other writer.
                stored = replay(conn, key_hash, gk)
                if stored is not None:
                    return stored
            granted = conn.execute(stmt, params).first()
            if granted is not None:
                if call.data_item not in granted.data_scope:
                    raise _OutOfScope
                terms = TermsV2.from_stored(granted.terms)
                if not _range_holds(ctx, terms, call, now):
                    raise _OutOfScope
                return _grant(ctx, conn, granted.institution_id, granted, call, now, gk,
                              terms, test=test_mode)
    except _OutOfScope:
        pass
    return None


def _range_holds(ctx: Context, terms: TermsV2, call: UseCall, now: dt.datetime) -> bool:
    if terms.data_range is None:
        return True
    try:
        check_data_range(terms.data_range, UseRequest(call.purpose, call.data_item,
                                                      call.data_from, call.data_to),
                         now, ctx.settings.zone)
    except (UseRefused, ValidationFailed):
        return False
    return True


# The grant's leaves continue the authorization's chain (anxin.ledger.chain): the UPDATE
# that grants, holding the row lock, completes them in SQL from their templates
# (LeafTemplate: the leaf's bytes around prev and seq) -- the grant leaf after the head,
# the exhausted leaf after it -- and advances the head past them. SET sees the old row,
# RETURNING the new one: ledger_prev keeps the old head for RETURNING to rebuild the
# leaves' bytes from. Still one statement, one round trip, one row visit.
_SET_GRANT_LEAF = LeafTemplate.sql("gl", _OLD_HEAD, "ledger_seq")
_SET_EXHAUSTED_LEAF = LeafTemplate.sql("xl", _LEAF_HASH.format(_SET_GRANT_LEAF),
                                       "ledger_seq + 1")
_SEQ_BEFORE = "(ledger_seq - CASE WHEN status = :after_last_use THEN 2 ELSE 1 END)"
_RET_GRANT_LEAF = LeafTemplate.sql("gl", "ledger_prev", _SEQ_BEFORE)
_RET_EXHAUSTED_LEAF = LeafTemplate.sql("xl", _LEAF_HASH.format(_RET_GRANT_LEAF),
                                       f"{_SEQ_BEFORE} + 1")
_PG_PERIOD = ("(CASE freq_per " + " ".join(f"WHEN '{p}' THEN :p_{p}" for p in PERIOD_NAMES_SQL)
              + " END)")
# ``institution_id || ''``, ``status || ''``: the row is found by its primary key, never by
# an index on its institution or its status. While every authorization has one status and
# one institution (a young deployment, the benchmark) the generic plan rated those indexes
# as the key and scanned every active row of ix_authorizations_status (31 buffers a grant,
# 19 rows filtered out), then, without it, of ix_authorizations_inst_reference (21) --
# EXPLAIN ANALYZE (auto_explain) under bench/use_gate.py.
_ONE_STATEMENT_SQL = f"""
WITH g AS (
  UPDATE authorizations
     SET uses = uses + 1,
         status = CASE WHEN uses + 1 >= max_uses THEN :after_last_use ELSE status END,
         status_changed_at = CASE WHEN uses + 1 >= max_uses THEN :now
                                  ELSE status_changed_at END,
         freq_uses = CASE WHEN freq_per IS NULL THEN freq_uses
                          WHEN freq_period = {_PG_PERIOD} THEN freq_uses + 1 ELSE 1 END,
         freq_period = {_PG_PERIOD},
         ledger_prev = {_OLD_HEAD},
         ledger_seq = ledger_seq + CASE WHEN uses + 1 >= max_uses THEN 2 ELSE 1 END,
         ledger_head = CASE WHEN uses + 1 >= max_uses
                            THEN {_LEAF_HASH.format(_SET_EXHAUSTED_LEAF)}
                            ELSE {_LEAF_HASH.format(_SET_GRANT_LEAF)} END
   WHERE id = :aid AND institution_id || '' = :iid AND status || '' = :granting
     AND uses < max_uses AND valid_until > :now AND valid_from <= :now AND purpose = :purpose
     AND jsonb_exists(CAST(data_scope AS jsonb), :item)
     AND letter_sha256 = :letter_sha256 AND max_uses = :max_uses AND test = false
     AND (freq_max IS NULL OR freq_period IS DISTINCT FROM {_PG_PERIOD}
          OR freq_uses < freq_max)
     AND EXISTS (SELECT 1 FROM institutions
                  WHERE id = :iid AND api_key_hash = :key_hash
                    AND status = :institution_active)
  RETURNING id, uses, status, max_uses, {_RET_GRANT_LEAF} AS leaf,
            CASE WHEN status = :after_last_use THEN {_RET_EXHAUSTED_LEAF} END AS xleaf
), u AS (
  INSERT INTO uses (id, authorization_id, institution_id, granted, refusal_code, purpose,
                    data_item, reference, operator, uses_after, receipt, receipt_sm2,
                    created_at, data_from, data_to, delete_by)
  SELECT :use_id, g.id, :iid, true, NULL, :purpose, :item, :reference, :operator, g.uses,
         :receipt, :receipt_sm2, :now, :data_from, :data_to, :delete_by FROM g
), q AS (
  INSERT INTO ledger_queue (data, authorization_id, created_at)
  SELECT v.data, g.id, :now
    FROM g CROSS JOIN LATERAL (VALUES (1, g.leaf), (2, g.xleaf)) AS v(ord, data)
   WHERE v.ord = 1 OR g.status = :after_last_use
   ORDER BY v.ord
), n AS (
  INSERT INTO notifications (institution_id, authorization_id, event, payload, state,
                             attempts, next_attempt_at, created_at)
  SELECT :iid, g.id, :n_event, CAST(:n_payload AS json), :n_state, :n_attempts,
         :now, :now
    FROM g WHERE g.status = :after_last_use
){{idempotency}}
SELECT uses, status, max_uses FROM g
"""  # noqa: S608 - the f-string joins constant SQL only
# Converted once and run on psycopg's raw cursor (anxin.storage.pg_statement): too long
# for psycopg's parse cache, it was parsed again on every call through text().
_ONE_STATEMENT = PgStatement(_ONE_STATEMENT_SQL.format(idempotency=""))
# The same, storing the answer under an Idempotency-Key (one more CTE, same statement).
_ONE_STATEMENT_WITH_KEY = PgStatement(_ONE_STATEMENT_SQL.format(idempotency=PG_CTE))


@dataclass(frozen=True, slots=True)
class _Signed:
    """What an active authorization's receipt names and never changes after signing."""
    letter_sha256: str
    max_uses: int
    reference: str
    commitment_key: bytes
    terms: TermsV2 = NO_TERMS


_SIGNED_CACHE_SIZE = 10_000


_FACTS = select(A.letter_sha256, A.max_uses, A.reference, A.commitment_salt, A.terms).where(
    A.id == bindparam("aid"))


def _signed_facts(ctx: Context, conn: Connection, auth_id: str, *,
                  fresh: bool = False) -> _Signed | None:
    """The immutable facts of a signed authorization, remembered per process (bounded).
    The grant re-checks them in its WHERE clause, so a stale entry can only miss."""
    cache: dict[str, _Signed] = ctx.caches.signed_authorizations
    facts = None if fresh else cache.get(auth_id)
    if facts is None:
        row = conn.execute(_FACTS, {"aid": auth_id}).first()
        if row is None or row.letter_sha256 is None:
            cache.pop(auth_id, None)
            return None
        if len(cache) >= _SIGNED_CACHE_SIZE:
            cache.clear()
        facts = cache[auth_id] = _Signed(
            str(row.letter_sha256), int(row.max_uses), str(row.reference),
            ctx.keys.commitment_key(auth_id, row.commitment_salt),
            TermsV2.from_stored(row.terms))
    return facts


@dataclass(frozen=True, slots=True)
class _WriteOut:
    """Everything one grant writes, made once for every storage path: the use record
    (all but ``uses_after``, known only under the row lock), its signed receipt, the
    templates of its leaves and, should it be the last use, the notification."""
    use_id: str
    receipt: str
    receipt_sm2: str | None
    use_record: dict[str, Any]
    grant_leaf: LeafTemplate
    exhausted_leaf: LeafTemplate
    notice: dict[str, Any]
    now: dt.datetime

    def answer(self, uses: int, max_uses: int, status: str) -> dict[str, Any]:
        """The 201 answer, once the count after the grant is known."""
        out = {"use_id": self.use_id, "uses": uses, "uses_remaining": max_uses - uses,
               "status": status, "receipt": self.receipt,
               "granted_at": self.now.isoformat()}
        if (delete_by := self.use_record["delete_by"]) is not None:
            out["delete_by"] = delete_by.isoformat()
        if self.receipt_sm2 is not None:
            out["receipt_sm2"] = self.receipt_sm2
        return out


def _write_out(ctx: Context, auth_id: str, institution_id: str, call: UseCall, *,
               letter_sha256: str, max_uses: int, reference: str, key: bytes,
               now: dt.datetime, terms: TermsV2, test: bool = False) -> _WriteOut:
    use_id = str(uuid.uuid4())
    delete_by = (None if terms.data_life_days is None
                 else now + dt.timedelta(days=terms.data_life_days))
    commitments = _call_commitments(key, call)  # the receipt's and the leaf's, made once
    payload = _receipt_payload(ctx, use_id, auth_id, institution_id, call, letter_sha256,
                               max_uses, now, commitments)
    if not terms.empty:
        payload.update(_terms_checked(ctx, terms, call, now, delete_by))
    if test:
        # Test mode: the receipt says so and is signed by the test seal (ES256 in every
        # profile), never by the platform's.
        payload["test"] = True
        if ctx.test_mode is None:
            raise ConfigurationError("a test grant's receipt needs the test CA's seal")
        receipt, receipt_sm2 = ctx.test_mode.seal.sign_jws(payload), None
    else:
        receipt, receipt_sm2 = sign_receipts(ctx, payload)
    grant_t, exhausted_t = _grant_leaves(use_id, auth_id, institution_id, call, receipt,
                                         receipt_sm2, now, commitments, delete_by)
    return _WriteOut(
        use_id=use_id, receipt=receipt, receipt_sm2=receipt_sm2,
        use_record={"id": use_id, "authorization_id": auth_id,
                    "institution_id": institution_id, "granted": True, "refusal_code": None,
                    "purpose": call.purpose, "data_item": call.data_item,
                    "reference": call.reference, "operator": call.operator,
                    "receipt": receipt, "receipt_sm2": receipt_sm2, "created_at": now,
                    "data_from": call.data_from, "data_to": call.data_to,
                    "delete_by": delete_by},
        grant_leaf=grant_t, exhausted_leaf=exhausted_t,
        notice=notification_row(institution_id=institution_id, authorization_id=auth_id,
                                reference=reference, event=Event.EXHAUSTED, at=now,
                                test=test),
        now=now)


def _one_statement_params(w: _WriteOut, key_hash: str, facts: _Signed,
                          zone: dt.tzinfo) -> dict[str, Any]:
    """The grant's write-out as the parameters of the PostgreSQL statement."""
    u = w.use_record
    return {
        "aid": u["authorization_id"], "iid": u["institution_id"], "key_hash": key_hash,
        "now": w.now, "purpose": u["purpose"], "item": u["data_item"], "use_id": w.use_id,
        "reference": u["reference"], "operator": u["operator"], "receipt": w.receipt,
        "receipt_sm2": w.receipt_sm2, "data_from": u["data_from"], "data_to": u["data_to"],
        "delete_by": u["delete_by"], **period_keys(w.now, zone),
        "letter_sha256": facts.letter_sha256, "max_uses": facts.max_uses,
        "zero": ZERO_HASH, **bound_states(),
        **w.grant_leaf.params("gl"), **w.exhausted_leaf.params("xl"),
        "n_event": w.notice["event"], "n_payload": json.dumps(w.notice["payload"]),
        "n_state": w.notice["state"], "n_attempts": w.notice["attempts"]}


def _grant_in_one_statement(ctx: Context, institution_id: str, key_hash: str, auth_id: str,
                            call: UseCall, gk: GateKey | None) -> dict[str, Any] | None:
    """PostgreSQL: the grant, its use record with the receipt, its leaves and (on the last
    use) the notification are ONE statement in autocommit: one round trip, and the
    authorization's row lock lives only as long as that statement. The receipt is signed
    before it, from facts fixed at signing; the count after the grant is in the answer.
    An authorization's first use in this process reads those facts first, on the same
    connection."""
    with ctx.db.single_statement() as conn:
        facts = _signed_facts(ctx, conn, auth_id)
        for fresh in (False, True):
            if facts is None:
                return None
            now = ctx.clock()
            if not _range_holds(ctx, facts.terms, call, now):
                return None  # the slow path names the refusal (422 or 403)
            w = _write_out(ctx, auth_id, institution_id, call,
                           letter_sha256=facts.letter_sha256, max_uses=facts.max_uses,
                           reference=facts.reference, key=facts.commitment_key,
                           now=now, terms=facts.terms)
            params = _one_statement_params(w, key_hash, facts, ctx.settings.zone)
            if gk is None:
                row = _ONE_STATEMENT.first(conn, params)
            else:
                if (stored := replay(conn, key_hash, gk)) is not None:
                    return stored
                try:
                    row = _ONE_STATEMENT_WITH_KEY.first(
                        conn, {**params, **pg_params(gk, w.use_id, w.receipt, w.now,
                                                     w.receipt_sm2)})
                except IntegrityError:
                    # A concurrent call with the same key granted first (autocommit: this
                    # statement rolled back alone): answer its grant.
                    return replay(conn, key_hash, gk)
            if row is not None:
                ctx.metrics.uses.labels("granted", "").inc()
                uses_after, status_after, max_uses = row  # RETURNING uses, status, max_uses
                return w.answer(int(uses_after), int(max_uses), str(status_after))
            if fresh:
                break
            # A refusal (the slow path names it) -- unless what this process remembered
            # no longer matches the row, which a fresh read settles once.
            remembered, facts = facts, _signed_facts(ctx, conn, auth_id, fresh=True)
            if facts == remembered:
                break
    return None


def sign_receipts(ctx: Context, payload: dict[str, Any]) -> tuple[str, str | None]:
    """``(receipt, receipt_sm2)`` of one grant in the deployment's profile: intl
    ``(ES256, None)``, sm ``(SM2SM3, None)``, dual ``(ES256, SM2SM3)`` of the same
    payload."""
    profile = ctx.profile
    if profile is Profile.INTL:
        return ctx.seal.sign_jws(payload), None
    if ctx.sm2 is None:
        raise ConfigurationError(f"the {profile.value} profile signs receipts with the SM2 "
                                 "seal, but this process has no SM2 services")
    if profile is Profile.SM:
        return ctx.sm2.seal.sign_jws(payload), None
    return ctx.seal.sign_jws(payload), ctx.sm2.seal.sign_jws(payload)


def _receipt_payload(ctx: Context, use_id: str, auth_id: str, institution_id: str,
                     call: UseCall, letter_sha256: str, max_uses: int, now: dt.datetime,
                     commitments: dict[str, str]) -> dict[str, Any]:
    """What the signed statement of one grant says. It names the use, the letter it was
    granted under and the call; which use of ``max_uses`` it was is the order of the grant
    leaves in the ledger (and ``uses`` in the 201 answer). The reference and the
    operator are keyed commitments (the authorization's key, disclosed by its evidence
    package), not plain hashes anyone could brute-force."""
    return {
        "iss": ctx.settings.effective_base_url, "typ": "anxin-use-receipt", "use_id": use_id,
        "authorization_id": auth_id, "institution_id": institution_id,
        "purpose": call.purpose, "data_item": call.data_item,
        **commitments, "letter_sha256": letter_sha256, "max_uses": max_uses,
        "iat": int(now.timestamp()), "granted_at": now.isoformat()}


def _terms_checked(ctx: Context, terms: TermsV2, call: UseCall, now: dt.datetime,
                   delete_by: dt.datetime | None) -> dict[str, Any]:
    """What a grant's receipt says of the terms v2 it was checked against: the terms
    (with the frequency's period counted), the query's data period, and ``delete_by``."""
    checked: dict[str, Any] = {}
    if terms.frequency is not None:
        checked["frequency"] = {**terms.frequency.to_dict(),
                                "period": period_keys(now, ctx.settings.zone)[
                                    f"p_{terms.frequency.per}"]}
    if terms.data_range is not None:
        checked["data_range"] = terms.data_range.to_dict()
    if terms.data_life_days is not None:
        checked["data_life_days"] = terms.data_life_days
    out: dict[str, Any] = {"terms_checked": checked}
    if call.data_from is not None and call.data_to is not None:
        out["data_from"], out["data_to"] = call.data_from.isoformat(), call.data_to.isoformat()
    if delete_by is not None:
        out["delete_by"] = delete_by.isoformat()
    return out


def _grant_leaves(use_id: str, auth_id: str, institution_id: str, call: UseCall,
                  receipt: str, receipt_sm2: str | None, now: dt.datetime,
                  commitments: dict[str, str], delete_by: dt.datetime | None = None
                  ) -> tuple[LeafTemplate, LeafTemplate]:
    """The grant's leaf (which commits to the receipt, and in dual to ``receipt_sm2``
    too) and the leaf written as well when that grant was the last use, as templates:
    their chain fields are known only under the row lock."""
    return (leaf_template(Event.USE_GRANTED.value, at=now, authorization_id=auth_id,
                          institution_id=institution_id, use_id=use_id,
                          data_item=call.data_item, **commitments,
                          receipt_sha256=sha256_hex(receipt),
                          receipt_sm2_sha256=(None if receipt_sm2 is None
                                              else sha256_hex(receipt_sm2)),
                          delete_by=(None if delete_by is None
                                     else delete_by.astimezone(dt.UTC).isoformat())),
            leaf_template(Event.EXHAUSTED.value, at=now, authorization_id=auth_id,
                          institution_id=institution_id))


def _slow_path(ctx: Context, inst: InstitutionRef, auth_id: str, call: UseCall,
               now: dt.datetime) -> dict[str, Any]:
    with ctx.db.core_transaction() as conn:
        row = _read(conn, inst, auth_id)
    if effective_status(Status(row.status), now=now, valid_until=row.valid_until,
                        request_expires_at=row.request_expires_at).value != row.status:
        # A time-driven transition is due: let the ORM path record it first.
        with ctx.db.transaction() as s:
            a = s.get(Authorization, auth_id)
            assert a is not None
            settle_status(s, ctx, a)
            row = _read(s.connection(), inst, auth_id)
    try:
        check_use(_view(row), UseRequest(call.purpose, call.data_item, call.data_from,
                                         call.data_to), now, ctx.settings.zone)
        # Every rule holds now but the UPDATE missed: another call took the last use.
        exc: AnxinError = UseRefused(Code.AUTHORIZATION_EXHAUSTED, "no use is left")
    except (UseRefused, ValidationFailed) as refused:
        # ValidationFailed: the letter's data range needs the query's dates (422), and
        # such a call is recorded like any refusal.
        exc = refused
    return _refuse(ctx, inst, row, call, exc)


def _grant(ctx: Context, conn: Connection, institution_id: str, row: Any, call: UseCall,
           now: dt.datetime, gk: GateKey | None, terms: TermsV2, *,
           test: bool = False) -> dict[str, Any]:
    uses_after, status_after = int(row.uses), str(row.status)
    w = _write_out(ctx, row.id, institution_id, call, letter_sha256=row.letter_sha256,
                   max_uses=int(row.max_uses), reference=row.reference,
                   key=ctx.keys.commitment_key(row.id, row.commitment_salt), now=now,
                   terms=terms, test=test)
    use_row = insert(UseRecord).values(**w.use_record, uses_after=uses_after)
    last_use = status_after == AFTER_LAST_USE.value
    # The UPDATE returned the chain head and holds the row lock until this transaction
    # ends (SQLite: the database lock), so the head it returned is still the head.
    seq = int(row.ledger_seq)
    prev = ZERO_HASH if row.ledger_head is None else bytes(row.ledger_head)
    leaves = [w.grant_leaf.render(prev, seq)]
    if last_use:
        leaves.append(w.exhausted_leaf.render(leaf_hash(leaves[0]), seq + 1))
    queue_rows = insert(LedgerQueued).values(
        [{"data": d, "authorization_id": row.id, "created_at": now} for d in leaves])
    next_seq, head = seq + len(leaves), leaf_hash(leaves[-1])
    if conn.dialect.name == "postgresql":
        # One round trip for the three: the use record and the chain head as
        # data-modifying CTEs.
        advance = (update(A).where(A.id == row.id)
                   .values(ledger_seq=next_seq, ledger_head=head, ledger_prev=prev))
        conn.execute(queue_rows.add_cte(use_row.cte("use_row"))
                     .add_cte(advance.cte("chain_head")))
    else:
        conn.execute(use_row)
        conn.execute(queue_rows)
        advance_chain(conn, row.id, prev=prev, next_seq=next_seq, head=head)
    if last_use:
        conn.execute(insert(Notification).values(w.notice))
    answer = w.answer(uses_after, int(row.max_uses), status_after)
    if gk is not None:
        conn.execute(remember(institution_id, gk, answer, now))
    if not test:  # test mode never counts in production figures
        ctx.metrics.uses.labels("granted", "").inc()
    return answer
