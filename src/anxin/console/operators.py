"""Operator accounts: created by ``anxin operator add``; sign-in with an argon2-hashed
password and a TOTP code (RFC 6238), each code usable once. Five failed sign-ins lock the
account for 15 minutes. Every sign-in is a ``console:action`` leaf in the ledger.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from anxin.console.totp import matching_step, new_secret, provisioning_uri
from anxin.domain.events import Event
from anxin.error_codes import Code
from anxin.errors import Conflict, Unauthenticated, ValidationFailed
from anxin.services.context import Context
from anxin.services.records import record
from anxin.services.web_sessions import start_session
from anxin.storage.portal_models import Operator

_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MAX_FAILURES = 5
LOCK = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class NewOperator:
    id: str
    username: str
    totp_uri: str


def add_operator(ctx: Context, username: str, password: str) -> NewOperator:
    if not _USERNAME.match(username):
        raise ValidationFailed("a username has 2 to 64 lower-case letters, digits, '.', '_' "
                               "or '-'", field="username")
    if len(password) < 12:
        raise ValidationFailed("a password has at least 12 characters", field="password")
    secret = new_secret()
    op_id = str(uuid.uuid4())
    now = ctx.clock()
    with ctx.db.transaction() as s:
        if s.scalar(select(Operator.id).where(Operator.username == username)) is not None:
            raise Conflict(f"operator {username!r} exists", code=Code.OPERATOR_EXISTS)
        s.add(Operator(id=op_id, username=username, password_hash=_HASHER.hash(password),
                       totp_secret_enc=ctx.keys.encrypt(secret, aad=f"{op_id}/totp"),
                       totp_last_step=None, failed_logins=0, locked_until=None,
                       created_at=now))
        record(s, Event.CONSOLE_ACTION, at=now, operator_id=op_id, action="operator.add")
    return NewOperator(op_id, username, provisioning_uri(secret, username))


def _failed() -> Unauthenticated:
    return Unauthenticated("wrong username, password or code", code=Code.LOGIN_FAILED)


def login_operator(ctx: Context, username: str, password: str, code: str) -> str:
    """Check password and TOTP; open a console session and return its cookie value."""
    refusal: Unauthenticated | None = None
    with ctx.db.transaction() as s:
        op = s.scalars(select(Operator).where(Operator.username == username)
                       .with_for_update()).first()
        now = ctx.clock()
        if op is None:
            _HASHER.hash(password)  # same time as a real check: names stay secret
            raise _failed()
        if op.locked_until is not None and op.locked_until > now:
            raise Unauthenticated("too many failed sign-ins: wait 15 minutes",
                                  code=Code.LOGIN_LOCKED)
        try:
            password_ok: bool = _HASHER.verify(op.password_hash, password)
        except (VerificationError, InvalidHashError):
            password_ok = False
        secret = ctx.keys.decrypt(op.totp_secret_enc, aad=f"{op.id}/totp")
        step = matching_step(secret, code.strip(), now.timestamp())
        replayed = step is not None and op.totp_last_step is not None and (
            step <= op.totp_last_step)
        if not password_ok or step is None or replayed:
            op.failed_logins += 1
            if op.failed_logins >= MAX_FAILURES:
                op.locked_until = now + LOCK
                op.failed_logins = 0
            record(s, Event.CONSOLE_ACTION, at=now, operator_id=op.id,
                   action="login.failed")
            refusal = _failed()
        else:
            op.failed_logins = 0
            op.totp_last_step = step
            if _HASHER.check_needs_rehash(op.password_hash):
                op.password_hash = _HASHER.hash(password)
            record(s, Event.CONSOLE_ACTION, at=now, operator_id=op.id, action="login")
            op_id = op.id
    if refusal is not None:
        raise refusal
    return start_session(ctx, "console", op_id)


def operator_name(ctx: Context, operator_id: str) -> str:
    with ctx.db.transaction() as s:
        op = s.get(Operator, operator_id)
        return op.username if op is not None else "?"
