"""What the letter's signature is: its format and baseline level, what it covers, and the
digest of what was signed.

The level is read from the letter itself, as ETSI EN 319 142-1 defines the PAdES
baselines: B-B is a CMS signature with SubFilter ``ETSI.CAdES.detached``; B-T adds a
signature timestamp; B-LT adds a DSS with the validation data; B-LTA adds a document
timestamp over that DSS. The scope is the signed revision's byte range: everything of
that revision except the hole holding the signature value itself.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from anxin.evidence.validation_objects import signature_token

CADES_DETACHED = "/ETSI.CAdES.detached"


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    field_name: str
    sub_filter: str
    format: str
    level: str
    level_basis: tuple[str, ...]
    byte_range: tuple[int, ...]
    signed_revision: int  # 1-based
    revisions: int
    scope: str
    signed_bytes_sha256: str  # SHA-256 of the byte range: the CMS message digest's input
    revision_sha256: str  # SHA-256 of the whole signed revision, signature hole included
    signature_value_sha256: str
    signature_value: bytes
    digest_algorithm: str
    signature_algorithm: str
    best_signature_time: str | None
    document_timestamps: int

    @property
    def signature_id(self) -> str:
        return f"S-{self.signature_value_sha256[:32].upper()}"


def _dss_present(opened: Any, revision: int | None = None) -> tuple[bool, bool]:
    try:
        dss = opened.dss_at(revision)
    except Exception:  # untrusted file: no readable DSS means none
        return False, False
    return bool(dss.certs), bool(dss.crls or dss.ocsps)


def describe_signature(opened: Any, pdf: bytes) -> SignatureInfo:
    sig = opened.signature
    br = tuple(int(v) for v in sig.byte_range)
    signed = pdf[br[0]:br[0] + br[1]] + pdf[br[2]:br[2] + br[3]]
    revision = pdf[:br[2] + br[3]]
    sub_filter = str(sig.sig_object.get("/SubFilter", ""))
    token = signature_token(sig.signer_info)
    level, basis = "not a PAdES baseline", []
    if sub_filter == CADES_DETACHED:
        level = "PAdES-BASELINE-B"
        basis.append("SubFilter ETSI.CAdES.detached (CMS signature, signing-certificate-v2)")
        if token is not None:
            level = "PAdES-BASELINE-T"
            basis.append("a signature timestamp (RFC 3161) over the signature value")
            certs, revocation = _dss_present(opened)
            if certs and revocation:
                level = "PAdES-BASELINE-LT"
                basis.append("a DSS with certificates and revocation data")
                if opened.document_timestamps and _covered_dss(opened):
                    level = "PAdES-BASELINE-LTA"
                    basis.append("a document timestamp covering the DSS")
    best = None
    if token is not None:
        best = token["content"]["encap_content_info"]["content"].parsed[
            "gen_time"].native.isoformat()
    value = sig.signer_info["signature"].native
    revisions = opened.reader.xrefs.total_revisions
    return SignatureInfo(
        field_name=str(sig.field_name), sub_filter=sub_filter.lstrip("/"), format="PAdES",
        level=level, level_basis=tuple(basis), byte_range=br,
        signed_revision=sig.signed_revision + 1, revisions=revisions,
        scope=(f"the whole document as of revision {sig.signed_revision + 1} of "
               f"{revisions}: bytes {br[0]}–{br[2] + br[3] - 1} except the signature "
               f"value ({br[1]}–{br[2] - 1}); later revisions add only validation data "
               "and document timestamps"),
        signed_bytes_sha256=hashlib.sha256(signed).hexdigest(),
        revision_sha256=hashlib.sha256(revision).hexdigest(),
        signature_value_sha256=hashlib.sha256(value).hexdigest(), signature_value=value,
        digest_algorithm=str(sig.md_algorithm),
        signature_algorithm=str(sig.signer_info["signature_algorithm"].signature_algo),
        best_signature_time=best, document_timestamps=len(opened.document_timestamps))


def _covered_dss(opened: Any) -> bool:
    last = opened.document_timestamps[-1]
    certs, revocation = _dss_present(opened, last.signed_revision)
    return certs and revocation
