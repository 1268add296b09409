"""The authorization state machine: the only transitions that exist.

``pending`` → ``active`` (signed) → ``exhausted`` | ``expired`` | ``revoked``;
``active`` ⇄ ``paused`` (by the person, or by the operator on a dispute), and
``paused`` → ``revoked`` | ``expired`` (a pause stops uses, never the clock);
``pending`` → ``declined`` | ``cancelled`` | ``lapsed``. Nothing else::

    pending ──sign──▶ active ──exhaust──▶ exhausted
       │              │    ▲
       │         pause│    │resume        active | paused ──expire──▶ expired
       │              ▼    │              active | paused ──revoke──▶ revoked
       │             paused
       ╰──decline | cancel | lapse──▶ declined | cancelled | lapsed

>>> transition(Status.PENDING, Action.SIGN)
<Status.ACTIVE: 'active'>
"""

from __future__ import annotations

from enum import StrEnum

from anxin.error_codes import Code
from anxin.errors import Conflict


class Status(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"
    REVOKED = "revoked"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    LAPSED = "lapsed"
    PAUSED = "paused"

    @property
    def is_final(self) -> bool:
        return self not in (Status.PENDING, Status.ACTIVE, Status.PAUSED)


class Action(StrEnum):
    SIGN = "sign"
    DECLINE = "decline"
    CANCEL = "cancel"
    LAPSE = "lapse"
    EXHAUST = "exhaust"
    EXPIRE = "expire"
    REVOKE = "revoke"
    PAUSE = "pause"
    RESUME = "resume"


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.PENDING, Action.SIGN): Status.ACTIVE,
    (Status.PENDING, Action.DECLINE): Status.DECLINED,
    (Status.PENDING, Action.CANCEL): Status.CANCELLED,
    (Status.PENDING, Action.LAPSE): Status.LAPSED,
    (Status.ACTIVE, Action.EXHAUST): Status.EXHAUSTED,
    (Status.ACTIVE, Action.EXPIRE): Status.EXPIRED,
    (Status.ACTIVE, Action.REVOKE): Status.REVOKED,
    (Status.ACTIVE, Action.PAUSE): Status.PAUSED,
    (Status.PAUSED, Action.RESUME): Status.ACTIVE,
    (Status.PAUSED, Action.REVOKE): Status.REVOKED,
    (Status.PAUSED, Action.EXPIRE): Status.EXPIRED,
}


class PausedBy(StrEnum):
    """Who paused an authorization: a pause set by the operator (on a dispute) is lifted
    only by the operator."""

    SUBJECT = "subject"
    OPERATOR = "operator"


class InvalidTransition(Conflict):
    code = Code.INVALID_TRANSITION

    def __init__(self, current: Status, action: Action) -> None:
        super().__init__(
            f"cannot {action.value} an authorization that is {current.value}",
            code=(Code(f"authorization_{current.value}") if current.is_final
                  else Code.INVALID_TRANSITION),
            status_now=current.value,
        )
        self.current = current
        self.action = action


def transition(current: Status, action: Action) -> Status:
    """Return the state after ``action`` or raise :class:`InvalidTransition`."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise InvalidTransition(current, action) from None
