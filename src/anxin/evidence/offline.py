"""``anxin verify``: offline verification of a letter PDF or an evidence package.

No server and no database: only the file and a trust anchor from outside it
(``--trust ROOT.crt`` and ``--trust-fingerprint SHA256``, each repeatable, or the local
data directory's root; see :mod:`anxin.evidence.anchors`). Exit codes: 0 TOTAL_PASSED,
1 TOTAL_FAILED, 2 INDETERMINATE, 3 unreadable input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography import x509

from anxin.config import Settings
from anxin.error_codes import Code
from anxin.errors import AnxinError
from anxin.evidence.anchors import TrustAnchor, fingerprint, roots_by_fingerprint
from anxin.evidence.answers import summary_lines
from anxin.evidence.described import add_trust_anchor_check, describe, package_certificates
from anxin.evidence.report import (
    FAILED,
    FORMAT_FAILURE,
    Report,
)
from anxin.evidence.ziputil import UnreadableInput, read_zip

LogChecks = Callable[[Report, bytes, str], None]
"""Adds ``--ledger WHERE``'s checks to a report (reading a log over HTTP or from storage:
the CLI passes :func:`anxin.evidence.ledger_check.add_log_checks` with its readers, so
this module's imports stay offline)."""

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


def anchor_label(roots: list[x509.Certificate], source: str) -> TrustAnchor:
    """The anchor of ``roots`` taken from ``source`` (kept for the callers' wording)."""
    return TrustAnchor.of(roots, source)


def embedded_certificates(data: bytes) -> list[x509.Certificate]:
    """The certificates a letter or a package carries (candidates for a fingerprint)."""
    from anxin.letters.letter_data import open_signed_letter
    if data.startswith(b"PK\x03\x04"):
        from anxin.evidence.sm_trust import sm2_package_certificates
        files = read_zip(data)
        return package_certificates(files) + sm2_package_certificates(files)
    out: list[x509.Certificate] = []
    with contextlib.suppress(AnxinError, ValueError):
        from anxin.evidence.validation_objects import letter_certificates
        out = letter_certificates(open_signed_letter(data))
    return out


def verify_bytes(data: bytes, name: str, roots: Sequence[x509.Certificate],
                 anchor: str | TrustAnchor, *, report_files: Sequence[str] = ()) -> Report:
    """Verify a letter or a package; raises UnreadableInput for what cannot be read.
    ``anchor`` says where ``roots`` came from (a sentence, or the full anchor)."""
    trust = anchor if isinstance(anchor, TrustAnchor) else TrustAnchor.of(roots, anchor)
    if data.startswith(b"%PDF-"):
        return _verify_letter(data, name, roots, trust)
    if data.startswith(b"PK\x03\x04"):
        from anxin.evidence.package_verify import verify_package
        return verify_package(data, name, roots, trust, report_files=report_files)
    raise UnreadableInput(f"{name} is neither a PDF nor a ZIP evidence package")


def _verify_letter(data: bytes, name: str, roots: Sequence[x509.Certificate],
                   trust: TrustAnchor) -> Report:
    from anxin.asyncutil import run_sync
    from anxin.evidence.letter_checks import async_add_letter_checks
    from anxin.letters.letter_data import open_signed_letter
    report = Report(subject=name, trust_anchor=trust, kind="letter")
    try:
        opened = open_signed_letter(data)  # not a signed PDF at all: exit 3
        describe(report, opened, data, None)
        add_trust_anchor_check(report)
        run_sync(async_add_letter_checks(report, opened, roots))
    except AnxinError as exc:
        if exc.code is Code.UNREADABLE_INPUT:
            raise
        # As in a package: a letter that cannot be processed fails its integrity check.
        report.add("document_integrity", "Document integrity", FAILED,
                   f"the letter cannot be read: {exc.detail}", FORMAT_FAILURE)
    return report


def select_trust(data: bytes, *, trust: Sequence[Path], fingerprints: Sequence[str],
                 settings: Settings) -> tuple[list[x509.Certificate], TrustAnchor]:
    """The roots to trust, from outside the input: files, pinned fingerprints, or the
    local data directory's root. Raises OSError for an unreadable --trust file."""
    roots: list[x509.Certificate] = []
    sources: list[str] = []
    for path in trust:
        roots += load_roots(path.read_bytes())
        sources.append(str(path))
    unmatched: list[str] = []
    # The data directory's roots: the intl one, and the SM2 one of an sm/dual deployment.
    local = [p for p in (settings.keys_dir / "root.crt", settings.keys_dir / "sm2" / "root.crt")
             if p.is_file()]
    if fingerprints:
        candidates = embedded_certificates(data)
        for path in local:
            candidates += load_roots(path.read_bytes())
        pinned, unmatched = roots_by_fingerprint(fingerprints, candidates)
        roots += pinned
        sources += [f"--trust-fingerprint {fingerprint(r)}" for r in pinned]
    if not trust and not fingerprints and local:
        roots = [r for path in local for r in load_roots(path.read_bytes())]
        sources = [f"the local data directory ({', '.join(str(p) for p in local)})"]
    source = "; ".join(sources) or "no --trust, no --trust-fingerprint and no local data " \
                                   "directory"
    anchor = TrustAnchor.of(roots, source)
    if unmatched:
        anchor = TrustAnchor(anchor.roots, anchor.source, None, tuple(unmatched))
    return roots, anchor


def run_verify(file: Path, *, trust: Sequence[Path] = (), fingerprints: Sequence[str] = (),
               settings: Settings, as_json: bool, report: Path | None,
               xml: Path | None = None, echo: Callable[[str], None],
               ledger: str | None = None, log_checks: LogChecks | None = None) -> int:
    """``ledger``: a log (URL or data directory) to check the package's entries against
    (:mod:`anxin.evidence.ledger_check`); without it, nothing leaves this machine.
    ``log_checks`` adds those checks (injected by the CLI; required with ``ledger``)."""
    try:
        if file.stat().st_size > MAX_INPUT:
            echo(f"{file} is larger than {MAX_INPUT} bytes")
            return EXIT_UNREADABLE
        data = file.read_bytes()
    except OSError as exc:
        echo(f"cannot read {file}: {exc.strerror}")
        return EXIT_UNREADABLE
    try:
        roots, anchor = select_trust(data, trust=trust, fingerprints=fingerprints,
                                     settings=settings)
        result = verify_bytes(data, file.name, roots, anchor)
        if ledger is not None:
            if log_checks is None:
                raise TypeError("run_verify(ledger=...) needs log_checks")
            log_checks(result, data, ledger)
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
        for line in summary_lines(result):
            echo(line)
    if report is not None:
        from anxin.evidence.report_pdf import render_report_pdf
        # A package's report is also its certificate of completion (the signing timeline,
        # the letter's first page), as the one the platform puts in the package.
        files = read_zip(data) if data.startswith(b"PK\x03\x04") else None
        report.write_bytes(render_report_pdf(result, files=files))
    if xml is not None:
        from anxin.evidence.etsi import report_xml
        xml.write_bytes(report_xml(result))
    return result.exit_code
