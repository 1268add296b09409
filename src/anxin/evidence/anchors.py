"""The trust anchor of a verification: which roots are trusted, and where they came from.

A package carries its issuer's root (``certificates/root.crt``), but a root taken from
inside the package proves nothing: any Anxin installation can make a package whose
chain ends at its own root. Trust therefore comes from outside: ``--trust ROOT.crt`` (a
root the reader obtained from the operator's published source), ``--trust-fingerprint
HEX`` (the SHA-256 of that root's DER, published out of band; the matching certificate
may then be taken from the package, since the fingerprint pins it), or the local data
directory's own root. With none of them, trust is not judged: the report names the root
the package claims, with its fingerprint, so the reader knows what to obtain and compare.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from anxin.evidence.labels import readable_name
from anxin.evidence.ziputil import UnreadableInput

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, lower-case hex."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()


def colon_hex(hex_digest: str) -> str:
    """``AB:CD:…``, the form ``openssl x509 -fingerprint -sha256`` prints."""
    return ":".join(hex_digest[i:i + 2] for i in range(0, len(hex_digest), 2)).upper()


def normalise_fingerprint(text: str) -> str:
    """Accepts ``ab12…``, ``AB:12:…`` or with spaces; refuses anything not 32 bytes."""
    cleaned = re.sub(r"[\s:]", "", text).lower()
    if cleaned.startswith("sha256="):
        cleaned = cleaned[len("sha256="):]
    if not _HEX64.match(cleaned):
        raise UnreadableInput(f"--trust-fingerprint takes a SHA-256 (64 hex digits), "
                              f"not {text!r}")
    return cleaned


def is_self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer


@dataclass(frozen=True, slots=True)
class RootInfo:
    subject: str
    sha256: str
    source: str

    @classmethod
    def of(cls, cert: x509.Certificate, source: str) -> RootInfo:
        return cls(readable_name(cert.subject), fingerprint(cert), source)

    def as_dict(self) -> dict[str, str]:
        return {"subject": self.subject, "sha256": self.sha256, "source": self.source}


@dataclass(frozen=True, slots=True)
class TrustAnchor:
    """What a verification trusted. ``claimed`` is the root the input names itself: shown
    so a reader can compare it with the operator's published root, never trusted."""

    roots: tuple[RootInfo, ...]
    source: str
    claimed: RootInfo | None = None
    unmatched_fingerprints: tuple[str, ...] = field(default=())

    @classmethod
    def of(cls, roots: Sequence[x509.Certificate], source: str) -> TrustAnchor:
        return cls(tuple(RootInfo.of(r, source) for r in roots), source)

    def with_claimed(self, certs: Iterable[x509.Certificate]) -> TrustAnchor:
        root = claimed_root(certs)
        if root is None:
            return self
        return TrustAnchor(self.roots, self.source, RootInfo.of(root, "inside the input"),
                           self.unmatched_fingerprints)

    @property
    def sha256(self) -> str | None:
        return self.roots[0].sha256 if self.roots else None

    @property
    def subject(self) -> str | None:
        return self.roots[0].subject if self.roots else None

    @property
    def claimed_is_trusted(self) -> bool:
        return self.claimed is not None and any(
            r.sha256 == self.claimed.sha256 for r in self.roots)

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "subject": self.subject, "source": self.source,
                "roots": [r.as_dict() for r in self.roots],
                "claimed_root": self.claimed.as_dict() if self.claimed else None,
                "unmatched_fingerprints": list(self.unmatched_fingerprints)}

    def label(self) -> str:
        if not self.roots:
            return f"none ({self.source})"
        return "; ".join(f"{r.subject} (SHA-256 {r.sha256}, from {r.source})"
                         for r in self.roots)

    def missing_detail(self) -> str:
        """What to do when nothing is trusted: the anchor needed, and how to get it."""
        lead = "no trust anchor was given, so trust is not judged"
        if self.unmatched_fingerprints:
            lead = ("no certificate in the input has the SHA-256 given with "
                    f"--trust-fingerprint ({', '.join(self.unmatched_fingerprints)})")
        if self.claimed is None:
            return (f"{lead}; the input names no root certificate: obtain the operator's "
                    "published root (<base>/pki/root.crt) and verify again with --trust")
        return (f"{lead}. The input claims the root {self.claimed.subject} with SHA-256 "
                f"fingerprint {self.claimed.sha256}. Obtain the operator's published root "
                "(<base>/pki/root.crt, from the operator, not from this file), compare its "
                "SHA-256 fingerprint with this one, then verify again with "
                f"--trust published-root.crt or --trust-fingerprint {self.claimed.sha256}")


def claimed_root(certs: Iterable[x509.Certificate]) -> x509.Certificate | None:
    for cert in certs:
        if is_self_signed(cert):
            return cert
    return None


def roots_by_fingerprint(fingerprints: Sequence[str], candidates: Iterable[x509.Certificate]
                         ) -> tuple[list[x509.Certificate], list[str]]:
    """The candidates whose SHA-256 is one of ``fingerprints``; and the fingerprints that
    matched none."""
    by_fp = {fingerprint(c): c for c in candidates}
    wanted = [normalise_fingerprint(f) for f in fingerprints]
    return [by_fp[f] for f in wanted if f in by_fp], [f for f in wanted if f not in by_fp]
