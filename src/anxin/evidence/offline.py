"""``anxin verify``: offline verification of a letter PDF or an evidence package.

No server and no database: only the file and a trust anchor (``--trust ROOT.crt``, or the
local data directory's root). Exit codes: 0 TOTAL_PASSED, 1 TOTAL_FAILED,
2 INDETERMINATE, 3 unreadable input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from anxin.config import Settings
from anxin.errors import AnxinError
from anxin.evidence.report import (
    FAILED,
    FORMAT_FAILURE,
    INDETERMINATE,
    NO_CERTIFICATE_CHAIN_FOUND,
    Report,
)
from anxin.evidence.ziputil import UnreadableInput

EXIT_UNREADABLE = 3
MAX_INPUT = 64 * 1024 * 1024


def load_roots(pem: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError:
        try:
            return [x509.load_der_x509_certificate(pem)]
        except ValueError:
            raise UnreadableInput("the trust anchor is not a PEM or DER certificate") from None


def anchor_label(roots: list[x509.Certificate], source: str) -> str:
    if not roots:
        return f"none ({source})"
    fp = hashlib.sha256(roots[0].public_bytes(serialization.Encoding.DER)).hexdigest()
    return f"{roots[0].subject.rfc4514_string()} (SHA-256 {fp[:16]}…, from {source})"


def verify_bytes(data: bytes, name: str, roots: list[x509.Certificate],
                 anchor: str) -> Report:
    """Verify a letter or a package; raises UnreadableInput for what cannot be read."""
    if data.startswith(b"%PDF-"):
        from anxin.evidence.letter_checks import add_letter_checks
        report = Report(subject=name, trust_anchor=anchor, kind="letter")
        if not roots:
            report.add("trust_anchor", "Trust anchor", INDETERMINATE,
                       "no root certificate to trust was given", NO_CERTIFICATE_CHAIN_FOUND)
        try:
            add_letter_checks(report, data, roots)
        except AnxinError as exc:
            if exc.code == "unreadable_input":
                raise
            # As in a package: a letter that cannot be parsed fails its integrity check.
            report.add("document_integrity", "Document integrity", FAILED,
                       f"the letter cannot be read: {exc.detail}", FORMAT_FAILURE)
        return report
    if data.startswith(b"PK\x03\x04"):
        from anxin.evidence.package_verify import verify_package
        return verify_package(data, name, roots, anchor)
    raise UnreadableInput(f"{name} is neither a PDF nor a ZIP evidence package")


def run_verify(file: Path, *, trust: Path | None, settings: Settings, as_json: bool,
               report: Path | None, echo: Callable[[str], None],
               ledger: str | None = None) -> int:
    """``ledger``: a log (URL or data directory) to check the package's entries against
    (:mod:`anxin.evidence.ledger_check`); without it, nothing leaves this machine."""
    try:
        if file.stat().st_size > MAX_INPUT:
            echo(f"{file} is larger than {MAX_INPUT} bytes")
            return EXIT_UNREADABLE
        data = file.read_bytes()
    except OSError as exc:
        echo(f"cannot read {file}: {exc.strerror}")
        return EXIT_UNREADABLE
    try:
        if trust is not None:
            roots, source = load_roots(trust.read_bytes()), str(trust)
        elif (settings.keys_dir / "root.crt").is_file():
            roots = load_roots((settings.keys_dir / "root.crt").read_bytes())
            source = str(settings.keys_dir / "root.crt")
        else:
            roots, source = [], "no --trust and no local data directory"
        result = verify_bytes(data, file.name, roots, anchor_label(roots, source))
        if ledger is not None:
            from anxin.evidence.ledger_check import add_log_checks
            add_log_checks(result, data, ledger)
    except OSError as exc:
        echo(f"cannot read the trust anchor: {exc.strerror}")
        return EXIT_UNREADABLE
    except AnxinError as exc:
        echo(f"unreadable input: {exc.detail}")
        return EXIT_UNREADABLE
    except Exception as exc:  # the last guard around untrusted input
        # Every check parses defensively (tests/security/test_verifier_fuzz.py); should one
        # still meet something it did not foresee, the answer is "unreadable", not a
        # traceback.
        echo(f"unreadable input: the file is malformed ({type(exc).__name__})")
        return EXIT_UNREADABLE
    if as_json:
        echo(result.to_json())
    else:
        for line in result.summary_lines():
            echo(line)
    if report is not None:
        from anxin.evidence.report_pdf import render_report_pdf
        report.write_bytes(render_report_pdf(result))
    return result.exit_code
