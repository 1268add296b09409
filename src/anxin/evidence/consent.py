"""The second answer of a report: the authorization's status when the package was made.

It comes from ``authorization.json`` (vouched for by the sealed manifest) and, for what
the record does not state (packages made before it carried ``revoked_at``), from the
package's ledger leaves, which are proven included in a signed checkpoint.
"""

from __future__ import annotations

import base64
from typing import Any

from anxin import untrusted_json
from anxin.evidence.report import ConsentStatus

STATUS_OF_EVENT = {
    "authorization:requested": "pending", "authorization:signed": "active",
    "authorization:exhausted": "exhausted", "authorization:expired": "expired",
    "authorization:revoked": "revoked", "authorization:cancelled": "cancelled",
    "authorization:declined": "declined", "authorization:lapsed": "lapsed",
    "authorization:paused": "paused", "authorization:resumed": "active",
}


def status_history(leaves: list[dict[str, Any]]) -> tuple[list[dict[str, str]],
                                                          dict[str, str] | None]:
    """Every status the ledger saw the authorization enter, in order; and who revoked it
    (only the person revokes, services/revocation; the leaf names the channel)."""
    history: list[dict[str, str]] = []
    revoked_by = None
    for leaf in leaves:
        status = STATUS_OF_EVENT.get(str(leaf.get("event")))
        if status is not None:
            history.append({"status": status, "at": str(leaf.get("at"))})
        if leaf.get("event") == "authorization:revoked":
            revoked_by = {"party": "subject", "channel": str(leaf.get("channel") or "portal")}
    return history, revoked_by


def package_leaves(files: dict[str, bytes]) -> list[dict[str, Any]]:
    try:
        entries = untrusted_json.loads(files["ledger/entries.json"])["entries"]
    except (KeyError, ValueError, TypeError):
        return []
    out = []
    for e in entries:
        try:
            leaf = untrusted_json.loads(base64.b64decode(e["data"], validate=True))
        except (KeyError, ValueError, TypeError):
            continue
        if isinstance(leaf, dict):
            out.append(leaf)
    return out


def _str(v: Any) -> str | None:
    return str(v) if v else None


def _int(v: Any) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else None


def consent_status(record: dict[str, Any], leaves: list[dict[str, Any]],
                   package_time: str | None) -> ConsentStatus:
    status = record.get("status")
    ledger_history, ledger_revoked_by = status_history(leaves)
    raw_history = record.get("status_history") or ledger_history
    history = tuple((str(h.get("status")), str(h.get("at")))
                    for h in raw_history if isinstance(h, dict))
    revoked_at, party, channel = None, None, None
    if status == "revoked":
        by = record.get("revoked_by")
        by = by if isinstance(by, dict) else (ledger_revoked_by or {})
        party, channel = _str(by.get("party")), _str(by.get("channel"))
        revoked_at = _str(record.get("revoked_at")) or next(
            (at for st, at in reversed(history) if st == "revoked"), None)
    changed = _str(record.get("status_changed_at")) or (history[-1][1] if history else None)
    return ConsentStatus(
        status=_str(status), status_changed_at=changed, revoked_at=revoked_at,
        revoked_by=party, revoked_via=channel, signed_at=_str(record.get("signed_at")),
        package_time=package_time, uses=_int(record.get("uses")),
        max_uses=_int(record.get("max_uses")), history=history)
