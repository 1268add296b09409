"""The verification report: ETSI TS 119 102-2 indications, one entry per check.

An overall ``TOTAL_PASSED`` needs every check passed; any failed check makes the whole
``TOTAL_FAILED`` (naming the first failed check's sub-indication); otherwise anything not
proven (a missing trust anchor, an unverifiable timestamp) makes it ``INDETERMINATE``.
Nothing is a pass by default: a report with no checks is INDETERMINATE.

>>> r = Report(subject="letter.pdf", trust_anchor="root.crt (sha256 ab…)")
>>> _ = r.add("document_integrity", "Document integrity", PASSED, "the signed bytes are intact")
>>> r.indication
'TOTAL_PASSED'
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import anxin

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


@dataclass
class Report:
    subject: str
    trust_anchor: str
    kind: str = "letter"
    authorization_id: str | None = None
    verified_at: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    verifier: str = f"anxin {anxin.__version__}"
    checks: list[CheckResult] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def add(self, check_id: str, title: str, result: str, detail: str,
            sub_indication: str | None = None, **data: Any) -> CheckResult:
        if result not in (PASSED, FAILED, INDETERMINATE):
            raise ValueError(f"unknown check result {result!r}")
        c = CheckResult(check_id, title, result, detail, sub_indication, data)
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "report": "Anxin Digital Signature Verification Report",
            "standard": "indications per ETSI TS 119 102-1/-2",
            "subject": self.subject, "kind": self.kind,
            "authorization_id": self.authorization_id, "verified_at": self.verified_at,
            "verifier": self.verifier, "trust_anchor": self.trust_anchor,
            "indication": self.indication, "sub_indication": self.sub_indication,
            "failed_checks": self.failed_checks, "facts": self.facts,
            "checks": [asdict(c) for c in self.checks],
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2, default=str)

    def summary_lines(self) -> list[str]:
        lines = [f"{self.indication}"
                 + (f" / {self.sub_indication}" if self.sub_indication else "")
                 + f"  {self.subject}"]
        if self.authorization_id:
            lines.append(f"authorization {self.authorization_id}")
        lines.append(f"trust anchor: {self.trust_anchor}")
        for c in self.checks:
            mark = {PASSED: "ok  ", FAILED: "FAIL", INDETERMINATE: "??  "}[c.result]
            lines.append(f"  [{mark}] {c.title}: {c.detail}")
        return lines
