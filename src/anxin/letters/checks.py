"""A letter verification's named check and its three outcomes.

Shared by pyHanko's AdES validation (:mod:`anxin.letters.validation`) and the letter's
own checks (:mod:`anxin.letters.verify`), so neither module imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

PASSED, FAILED, INDETERMINATE = "passed", "failed", "indeterminate"


@dataclass(frozen=True)
class Check:
    """One verification step: what was checked and how it came out."""

    name: str
    status: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "detail": self.detail}
