"""What a report records of the object it judged, shared by the letter and package paths:
the signature and validation objects it found (:func:`describe`), the certificates a
package carries (:func:`package_certificates`), and the trust-anchor check
(:func:`add_trust_anchor_check`): without a root from outside the input, trust is not
judged."""

from __future__ import annotations

from typing import Any

from cryptography import x509

from anxin.evidence.report import INDETERMINATE, NO_CERTIFICATE_CHAIN_FOUND, Report


def package_certificates(files: dict[str, bytes]) -> list[x509.Certificate]:
    """The certificates under ``certificates/``, ``root.crt`` first."""
    out: list[x509.Certificate] = []
    for n in sorted(files, key=lambda n: (n != "certificates/root.crt", n)):
        if n.startswith("certificates/") and n.endswith(".crt"):
            try:
                out.extend(x509.load_pem_x509_certificates(files[n]))
            except ValueError:
                continue
    return out


def add_trust_anchor_check(report: Report) -> None:
    """Without a root from outside the input, trust is not judged: say which is needed."""
    anchor = report.trust_anchor
    if not anchor.roots:
        report.add("trust_anchor", "Trust anchor", INDETERMINATE, anchor.missing_detail(),
                   NO_CERTIFICATE_CHAIN_FOUND)
    elif anchor.claimed is not None and not anchor.claimed_is_trusted:
        report.warnings.append(
            f"the input's own root {anchor.claimed.subject} (SHA-256 "
            f"{anchor.claimed.sha256}) is not a trusted root: it was made by another "
            "installation or under another root")


def describe(report: Report, opened: Any, pdf: bytes, files: dict[str, bytes] | None) -> None:
    """The report's record of what was validated: signature, objects, claimed root."""
    from anxin.evidence.signature_info import describe_signature
    from anxin.evidence.validation_objects import gather
    try:
        report.signature = describe_signature(opened, pdf)
        report.inventory = gather(opened, files,
                                  trusted_roots=[r.sha256 for r in report.trust_anchor.roots])
    except Exception as exc:  # untrusted input: the checks still judge it
        report.warnings.append(f"the validation objects could not all be listed: {exc}")
    certs: list[x509.Certificate] = []
    if files is not None:
        certs = package_certificates(files)
    from anxin.evidence.validation_objects import cms_certificates
    certs += cms_certificates(opened)
    report.trust_anchor = report.trust_anchor.with_claimed(certs)
