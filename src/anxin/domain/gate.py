"""The use gate's rules: "one authorization for one thing".

A use is granted only while the authorization is active, inside its validity window,
with uses left, for exactly its purpose and for an item of its data scope. The rules are
checked in a fixed order so that a refusal always names the most fundamental reason.

>>> import datetime as dt
>>> t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
>>> view = GateView("active", "loan_approval", ("credit_report",), t, t + dt.timedelta(days=1),
...                 max_uses=1, uses=0)
>>> check_use(view, UseRequest("loan_approval", "credit_report"), t)
>>> check_use(view, UseRequest("account_opening", "credit_report"), t)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
anxin.domain.gate.UseRefused: the use's purpose account_opening is not the ...
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.domain.states import Action, Status, transition
from anxin.error_codes import Code
from anxin.errors import AnxinError


class UseRefused(AnxinError):
    """A refused use; ``code`` names the reason. Its HTTP status is the error-code
    registry's (:mod:`anxin.error_codes`), looked up at the web edge, not the rule's."""

    code = Code.USE_REFUSED

    def __init__(self, code: Code, detail: str) -> None:
        super().__init__(detail, code=code)


# The states the gate's storage statements test and set, as values they bind: a use is
# granted only in GRANTING; the use that spends the last one moves the authorization to
# AFTER_LAST_USE. Only an institution in INSTITUTION_ACTIVE may use its authorizations.
GRANTING = Status.ACTIVE
AFTER_LAST_USE = transition(GRANTING, Action.EXHAUST)
INSTITUTION_ACTIVE = "active"


def bound_states() -> dict[str, str]:
    """The state names of the gate as the SQL of its storage paths binds them
    (``:granting``, ``:after_last_use``, ``:institution_active``): no statement spells a
    state itself."""
    return {"granting": GRANTING.value, "after_last_use": AFTER_LAST_USE.value,
            "institution_active": INSTITUTION_ACTIVE}


def status_after_use(status: Status, *, uses_after: int, max_uses: int) -> Status:
    """The status once a use is granted: the last use exhausts the authorization."""
    return transition(status, Action.EXHAUST) if uses_after >= max_uses else status


@dataclass(frozen=True, slots=True)
class GateView:
    """What the gate needs to know about an authorization."""

    status: str
    purpose: str
    data_scope: tuple[str, ...]
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    max_uses: int
    uses: int


@dataclass(frozen=True, slots=True)
class UseRequest:
    purpose: str
    data_item: str


def effective_status(status: Status, *, now: dt.datetime, valid_until: dt.datetime | None,
                     request_expires_at: dt.datetime | None) -> Status:
    """The status as of ``now``: an active (or paused) letter past its validity is
    expired, a pending request past its deadline has lapsed, without waiting for any
    sweep."""
    if status in (Status.ACTIVE, Status.PAUSED) and valid_until is not None \
            and now >= valid_until:
        return Status.EXPIRED
    if status is Status.PENDING and request_expires_at is not None and now >= request_expires_at:
        return Status.LAPSED
    return status


def check_use(view: GateView, request: UseRequest, now: dt.datetime) -> None:
    """Raise :class:`UseRefused` unless a use may be granted now."""
    status = Status(view.status)
    if status is Status.REVOKED:
        raise UseRefused(Code.AUTHORIZATION_REVOKED, "the subject revoked this authorization")
    if status is AFTER_LAST_USE or (status is GRANTING and view.uses >= view.max_uses):
        raise UseRefused(Code.AUTHORIZATION_EXHAUSTED,
                         f"all {view.max_uses} use(s) of this authorization are spent")
    if status is Status.EXPIRED or (
        status in (GRANTING, Status.PAUSED) and view.valid_until is not None
        and now >= view.valid_until
    ):
        raise UseRefused(Code.AUTHORIZATION_EXPIRED, "the authorization's validity has ended")
    if status is Status.PAUSED:
        raise UseRefused(Code.AUTHORIZATION_PAUSED,
                         "the authorization is paused: no use until it is resumed")
    if status is not GRANTING:
        raise UseRefused(Code.AUTHORIZATION_NOT_ACTIVE,
                         f"the authorization is {status.value}, not active")
    if view.valid_from is not None and now < view.valid_from:
        raise UseRefused(Code.AUTHORIZATION_NOT_ACTIVE,
                         "the authorization's validity has not begun")
    if request.purpose != view.purpose:
        raise UseRefused(
            Code.PURPOSE_MISMATCH,
            f"the use's purpose {request.purpose} is not the authorization's purpose "
            f"{view.purpose}")
    if request.data_item not in view.data_scope:
        raise UseRefused(
            Code.SCOPE_MISMATCH,
            f"{request.data_item} is outside the authorization's data scope "
            f"({', '.join(view.data_scope)})")
