"""Renewal: before an authorization's ``valid_until``, its institution may request a new
one that renews it (``POST /v1/authorizations`` with ``"renews": "<id>"``).

The renewal is an authorization like any other: a new letter from the template, signed by
the person with a new event certificate. What makes it a renewal:

- the same purpose (a purpose change is never a renewal: PIPL art. 14 asks for new
  consent, so it is a new authorization — ``renewal_purpose_changed``), and the same
  person (the id number's blind index — ``renewal_subject_mismatch``; the mobile may
  change);
- the original is in force when asked (active, paused or exhausted, before its
  ``valid_until``) and has no other pending or signed renewal (``renewal_not_allowed``:
  renew the latest renewal instead); a renewal that ended unsigned (declined, cancelled,
  lapsed) leaves room for another;
- the records link both ways (``renews``, ``renewed_by``), and the requested and signed
  leaves name the original, so the chain is in the ledger and the evidence;
- the original stays in force until its own ``valid_until`` (a renewal signed early does
  not cut it short); the renewal's validity starts when it is signed
  (:func:`start_validity`), and ends on the date its letter states.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from anxin.domain.states import Status
from anxin.error_codes import Code
from anxin.errors import Conflict, NotFound, ValidationFailed
from anxin.storage.models import Authorization

# The original may be renewed in these states (before its valid_until).
RENEWABLE = frozenset({Status.ACTIVE.value, Status.PAUSED.value, Status.EXHAUSTED.value})
# A renewal in these states leaves no room for another one.
STANDING = frozenset({Status.PENDING.value, Status.ACTIVE.value, Status.PAUSED.value,
                      Status.EXHAUSTED.value, Status.EXPIRED.value, Status.REVOKED.value})


def lock_original(s: Session, institution_id: str, original_id: str, *,
                  test: bool = False) -> Authorization:
    """The authorization to renew, row-locked; another institution's answers 404, and so
    does one of the other mode (test mode: a test key renews test authorizations only)."""
    original = s.scalars(select(Authorization).where(
        Authorization.id == original_id, Authorization.institution_id == institution_id,
        Authorization.test == test)
        .with_for_update()).first()
    if original is None:
        raise NotFound(f"renews: no authorization {original_id}",
                       code=Code.AUTHORIZATION_NOT_FOUND, field="renews")
    return original


def check_renewable(s: Session, original: Authorization, *, purpose: str,
                    subject_id_index: str, now: dt.datetime) -> None:
    """Raise the refusal unless ``original`` may be renewed now by this request."""
    if original.purpose != purpose:
        raise ValidationFailed(
            f"the template's purpose {purpose} is not the original's {original.purpose}: a "
            f"new purpose needs a new authorization, not a renewal", field="template",
            code=Code.RENEWAL_PURPOSE_CHANGED)
    if original.subject_id_index != subject_id_index:
        raise ValidationFailed("the subject is not the person who signed the original",
                               field="subject.id_number", code=Code.RENEWAL_SUBJECT_MISMATCH)
    if original.status not in RENEWABLE or now >= original.valid_until:
        raise Conflict(f"the original is {original.status} (valid until "
                       f"{original.valid_until.isoformat()}): only an authorization in "
                       f"force can be renewed", code=Code.RENEWAL_NOT_ALLOWED,
                       field="renews")
    if original.renewed_by is not None:
        latest = s.get(Authorization, original.renewed_by)
        if latest is not None and latest.status in STANDING:
            raise Conflict(f"the original already has a {latest.status} renewal "
                           f"{latest.id}: renew that one instead",
                           code=Code.RENEWAL_NOT_ALLOWED, field="renews",
                           renewed_by=latest.id)


def link(original: Authorization, renewal: Authorization) -> None:
    renewal.renews = original.id
    original.renewed_by = renewal.id


def start_validity(a: Authorization, signed_at: dt.datetime) -> None:
    """A renewal's validity starts when it is signed (not when it was asked)."""
    if a.renews is not None:
        a.valid_from = signed_at


def renewal_chain(s: Session, a: Authorization, *, limit: int = 50
                  ) -> list[dict[str, str | None]]:
    """The chain this authorization is part of, oldest first: id, status, valid_until of
    each (following ``renews`` back and ``renewed_by`` forward, at most ``limit``)."""
    back: list[Authorization] = []
    seen = {a.id}
    cur = a
    while cur.renews is not None and len(back) < limit:
        prev = s.get(Authorization, cur.renews)
        if prev is None or prev.id in seen:
            break
        seen.add(prev.id)
        back.append(prev)
        cur = prev
    forward: list[Authorization] = []
    cur = a
    while cur.renewed_by is not None and len(forward) < limit:
        nxt = s.get(Authorization, cur.renewed_by)
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        forward.append(nxt)
        cur = nxt
    return [{"id": x.id, "status": x.status, "valid_until": x.valid_until.isoformat(),
             "signed_at": x.signed_at.isoformat() if x.signed_at else None}
            for x in [*reversed(back), a, *forward]]
