"""The verification report: ETSI TS 119 102-2 indications, one entry per check.

An overall ``TOTAL_PASSED`` needs every check passed; any failed check makes the whole
``TOTAL_FAILED`` (naming the first failed check's sub-indication); otherwise anything not
proven (a missing trust anchor, an unverifiable timestamp) makes it ``INDETERMINATE``.
Nothing is a pass by default: a report with no checks is INDETERMINATE.

>>> r = Report(subject="letter.pdf", trust_anchor=TrustAnchor((), "none"))
>>> _ = r.add("document_integrity", "Document integrity", PASSED, "the signed bytes are intact")
>>> r.indication
'TOTAL_PASSED'
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import anxin
from anxin.evidence.anchors import TrustAnchor
from anxin.evidence.labels import readable_detail
from anxin.evidence.policy import POLICY

if TYPE_CHECKING:
    from anxin.evidence.signature_info import SignatureInfo
    from anxin.evidence.validation_objects import ObjectInventory

PASSED = "PASSED"
FAILED = "FAILED"
INDETERMINATE = "INDETERMINATE"

TOTAL_PASSED = "TOTAL_PASSED"
TOTAL_FAILED = "TOTAL_FAILED"
TOTAL_INDETERMINATE = "INDETERMINATE"

# ETSI TS 119 102-1 sub-indications used here.
HASH_FAILURE = "HASH_FAILURE"
SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
REVOKED = "REVOKED"
OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
FORMAT_FAILURE = "FORMAT_FAILURE"
SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
TRY_LATER = "TRY_LATER"

EXIT_CODES = {TOTAL_PASSED: 0, TOTAL_FAILED: 1, TOTAL_INDETERMINATE: 2}


@dataclass(frozen=True, slots=True)
class CheckResult:
    id: str
    title: str
    result: str  # PASSED | FAILED | INDETERMINATE
    detail: str
    sub_indication: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ConsentStatus:
    """The second answer: the authorization's status when the package was made."""

    status: str | None
    status_changed_at: str | None = None
    revoked_at: str | None = None
    revoked_by: str | None = None  # "subject": only the person revokes (services/revocation)
    revoked_via: str | None = None  # the channel of the revocation, from its ledger leaf
    signed_at: str | None = None
    package_time: str | None = None
    uses: int | None = None
    max_uses: int | None = None
    history: tuple[tuple[str, str], ...] = ()  # (status, since) in order

    def as_dict(self) -> dict[str, Any]:
        return {"authorization_status": self.status,
                "status_changed_at": self.status_changed_at, "revoked_at": self.revoked_at,
                "revoked_by": self.revoked_by, "revoked_via": self.revoked_via,
                "signed_at": self.signed_at, "package_time": self.package_time,
                "status_history": [{"status": st, "at": at} for st, at in self.history]}


@dataclass
class Report:
    subject: str
    trust_anchor: TrustAnchor
    kind: str = "letter"
    authorization_id: str | None = None
    verified_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    verifier: str = f"anxin {anxin.__version__}"
    checks: list[CheckResult] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    consent: ConsentStatus | None = None
    signature: SignatureInfo | None = None
    inventory: ObjectInventory | None = None
    warnings: list[str] = field(default_factory=list)
    profile: str | None = None
    """A package's signature profile (intl, sm, dual; issue 14); None for a bare letter."""
    algorithms: dict[str, list[str]] = field(default_factory=dict)
    """Which algorithms protect what (letter, manifest, timestamps, receipts, ...)."""
    not_applicable: list[dict[str, str]] = field(default_factory=list)
    """Checks of another profile that have no object here, each with what replaces it."""
    test: bool = False
    """Test mode: the package's manifest says it is a test authorization's (no legal effect)."""

    def add(self, check_id: str, title: str, result: str, detail: str,
            sub_indication: str | None = None, **data: Any) -> CheckResult:
        if result not in (PASSED, FAILED, INDETERMINATE):
            raise ValueError(f"unknown check result {result!r}")
        c = CheckResult(check_id, title, result, readable_detail(detail), sub_indication, data)
        self.checks.append(c)
        return c

    @property
    def indication(self) -> str:
        if any(c.result == FAILED for c in self.checks):
            return TOTAL_FAILED
        if not self.checks or any(c.result != PASSED for c in self.checks):
            return TOTAL_INDETERMINATE
        return TOTAL_PASSED

    @property
    def sub_indication(self) -> str | None:
        wanted = {TOTAL_FAILED: FAILED, TOTAL_INDETERMINATE: INDETERMINATE}.get(
            self.indication)
        for c in self.checks:
            if c.result == wanted:
                return c.sub_indication
        return None

    @property
    def failed_checks(self) -> list[str]:
        return [c.id for c in self.checks if c.result == FAILED]

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.indication]

    @property
    def best_signature_time(self) -> str | None:
        if self.signature is not None and self.signature.best_signature_time:
            return self.signature.best_signature_time
        value = self.facts.get("signature_time")
        return str(value) if value else None

    def as_dict(self) -> dict[str, Any]:
        consent = (self.consent or ConsentStatus(None)).as_dict()
        out: dict[str, Any] = {
            "report": "Anxin Digital Signature Verification Report",
            "standard": "indications per ETSI TS 119 102-1/-2",
            "subject": self.subject, "kind": self.kind,
            "authorization_id": self.authorization_id, "verified_at": self.verified_at,
            "validation_time": self.verified_at,
            "best_signature_time": self.best_signature_time,
            "verifier": self.verifier, "trust_anchor": self.trust_anchor.as_dict(),
            "validation_policy": {"id": POLICY.id, "version": POLICY.version,
                                  "name": POLICY.name,
                                  "rules": [en for _zh, en in POLICY.rules]},
            "indication": self.indication, "sub_indication": self.sub_indication,
            **consent,
            "failed_checks": self.failed_checks, "facts": self.facts,
            "checks": [asdict(c) for c in self.checks],
            "warnings": list(self.warnings),
        }
        if self.test:
            out["test"] = True
        if self.profile is not None:
            out["profile"] = self.profile
            out["algorithms"] = {k: list(v) for k, v in self.algorithms.items()}
            out["not_applicable"] = [dict(n) for n in self.not_applicable]
        if self.signature is not None:
            sig = asdict(self.signature)
            sig.pop("signature_value")
            out["signature"] = sig
        if self.inventory is not None:
            out["certificates"] = [
                {**asdict(c), "revocation_summary": c.revocation_summary}
                for c in self.inventory.certificates]
            out["timestamps"] = [asdict(t) for t in self.inventory.timestamps]
            out["validation_objects"] = [asdict(v) for v in self.inventory.objects]
        return out

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2, default=str)
