"""``anxin verify``: offline verification of a letter PDF or an evidence package.

Exit codes: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 unreadable input.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from anxin.config import Settings

EXIT_UNREADABLE = 3


def run_verify(file: Path, *, trust: Path | None, settings: Settings, as_json: bool,
               report: Path | None, echo: Callable[[str], None]) -> int:
    try:
        data = file.read_bytes()
    except OSError as exc:
        echo(f"cannot read {file}: {exc.strerror}")
        return EXIT_UNREADABLE
    if not data.startswith((b"%PDF-", b"PK\x03\x04")):
        echo(f"{file} is neither a PDF nor a ZIP evidence package")
        return EXIT_UNREADABLE
    echo("verification of signed letters arrives with the PKI part")
    return 2
