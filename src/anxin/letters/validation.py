"""pyHanko's AdES validation of a letter's signature, turned into named checks.

Policy (offline, fail closed): trust only the supplied roots; never fetch anything
(``LOCAL_ONLY``; certificates, CRLs and OCSP responses come from the CMS and the DSS);
every certificate but the root needs revocation data (CRL or OCSP) — a B-T letter without
a DSS therefore stays INDETERMINATE until upgraded to B-LTA; archive timestamps are judged
as a chain, each at the time the next one proves (the newest now).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import ades
from pyhanko.sign.validation.pdf_embedded import (
    EmbeddedPdfSignature,
    async_validate_pdf_signature,
    async_validate_pdf_timestamp,
)
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy,
    FreshnessReqType,
    RevocationCheckingPolicy,
    RevocationCheckingRule,
)
from pyhanko_certvalidator.registry import SimpleTrustManager

from anxin.letters.checks import FAILED, INDETERMINATE, PASSED, Check
from anxin.letters.dss_context import (
    DssData,
    dss_context,
    dss_shared_with_pyhanko,
    read_dss_data,
)
from anxin.letters.letter_data import OpenedLetter
from anxin.letters.sign_sm2 import SUBFILTER_DUAL
from anxin.letters.verification_memory import VerificationMemory

# Revocation data counts for the window its issuer declares (nextUpdate − thisUpdate), as in
# pyHanko's own ``adesverify``; every certificate of a chain needs it (the issuing CA's
# comes from the root's CRL), as in ``adesverify``.
_REVOCATION_POLICY = CertRevTrustPolicy(
    RevocationCheckingPolicy(
        ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
        intermediate_ca_cert_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED),
    freshness=None,
    freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION,
)
# AdES results that only say "the signing certificate is no longer valid now": for a
# short-lived event certificate the normal case minutes after signing; pyHanko reports an
# expired issuing CA (after its ten years) as CERTIFICATE_CHAIN_GENERAL_FAILURE. Each
# leads to a full validation at the proven signature time (_valid_at_signature_time),
# which a chain that is wrong in any other way fails just the same.
_EXPIRED_SIGNER = frozenset({"OUT_OF_BOUNDS_NO_POE", "OUT_OF_BOUNDS_NOT_REVOKED", "NO_POE",
                             "REVOCATION_OUT_OF_BOUNDS_NO_POE",
                             "CERTIFICATE_CHAIN_GENERAL_FAILURE"})
_ALLOWED_LATER_CHANGES = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)


@dataclass(frozen=True)
class ValidationOutcome:
    """What pyHanko found, as named checks plus the AdES indication."""

    checks: tuple[Check, ...]
    ades_status: str  # PASSED | FAILED | INDETERMINATE
    ades_sub_indication: str | None
    signer_certificate: x509.Certificate | None
    signer_name: str | None
    claimed_signing_time: dt.datetime | None
    signature_timestamp: dt.datetime | None
    archive_timestamps: tuple[dt.datetime, ...]


def _check(name: str, status: str, detail: str) -> Check:
    return Check(name, status, detail)


def dual_sm2_field(opened: OpenedLetter) -> str | None:
    """The name of the dual profile's SM2 signature field when it is the one form change
    after the PAdES signature: a ``/Sig`` field under :data:`SUBFILTER_DUAL`, signed in the
    revision right after the PAdES one and covering it whole, in a letter whose form holds
    signature fields only (so "form filling" can be nothing but that signature). None
    otherwise. The field's own signature, chain and binding are the SM checks' (it is
    judged by ``sm2_letter_signature``; pdfsig and pyHanko pass over it)."""
    reader = opened.reader
    pades_revision = int(opened.signature.signed_revision)
    found: list[str] = []
    try:
        for name, value, field in enumerate_sig_fields(reader, filled_status=None):
            if value is None:
                continue
            sig = value.get_object()
            if sig.get("/SubFilter") != SUBFILTER_DUAL:
                continue
            embedded = EmbeddedPdfSignature(reader, field, name)
            if (int(embedded.signed_revision) != pades_revision + 1
                    or embedded.evaluate_signature_coverage()
                    < SignatureCoverageLevel.ENTIRE_REVISION):
                return None
            found.append(str(name))
        fields = reader.root["/AcroForm"].get("/Fields", [])
        if any(f.get_object().get("/FT") != "/Sig" for f in fields):
            return None
    except (PdfError, ValueError, KeyError, TypeError):
        return None
    return found[0] if len(found) == 1 else None


def _integrity(status: Any, failure: str | None, sm2_field: str | None = None) -> Any:
    if status is None:
        return _check("document_integrity", INDETERMINATE, failure or "not evaluated")
    if not status.intact:
        return _check("document_integrity", FAILED,
                      "the signed bytes do not hash to the signed message digest: "
                      "the letter was changed after signing")
    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return _check("document_integrity", FAILED,
                      f"the signature does not cover its whole revision ({coverage})")
    level = status.modification_level
    if level == ModificationLevel.FORM_FILLING and sm2_field is not None:
        return _check("document_integrity", PASSED,
                      f"signature covers its revision ({coverage.name}); later revisions add "
                      f"the dual profile's SM2 signature ({sm2_field}, judged by "
                      "sm2_letter_signature), validation data and document timestamps")
    if level not in _ALLOWED_LATER_CHANGES:
        return _check("document_integrity", FAILED,
                      f"the letter was modified after signing ({level})")
    later = "no later changes" if level == ModificationLevel.NONE else \
        "later revisions only add validation data and document timestamps"
    return _check("document_integrity", PASSED,
                  f"signature covers its revision ({coverage.name}); {later}")


_NOT_ABOUT_THE_CHAIN = frozenset({"HASH_FAILURE", "SIG_CRYPTO_FAILURE", "FORMAT_FAILURE"})


def _chain(result: Any, status: Any) -> Any:
    sub = result.ades_subindic
    verdict = sub.status.name
    if verdict != "PASSED" and sub.standard_name not in _NOT_ABOUT_THE_CHAIN:
        return _check("signer_certificate_chain",
                      FAILED if verdict == "FAILED" else INDETERMINATE,
                      f"{sub.standard_name}: {result.failure_msg or 'chain not accepted'}")
    if status is not None and status.trusted:
        path = status.validation_path
        anchor = (path.trust_anchor.authority.name.human_friendly
                  if path is not None else "a supplied root")
        return _check("signer_certificate_chain", PASSED,
                      f"event certificate chains to {anchor}, status not revoked")
    return _check("signer_certificate_chain", INDETERMINATE,
                  "the chain was not evaluated (the signature itself failed)")


def _signature_timestamp(result: Any, status: Any) -> tuple[Any, dt.datetime | None]:
    ts_result = getattr(result, "signature_timestamp_status", None)
    ts_status = ts_result.api_status if ts_result is not None else None
    if ts_status is None and status is not None:
        ts_status = status.timestamp_validity
    if ts_status is None:
        return _check("signature_timestamp", FAILED,
                      "no usable signature timestamp (PAdES B-T requires one)"), None
    when = ts_status.timestamp
    if not (ts_status.intact and ts_status.valid):
        return _check("signature_timestamp", FAILED,
                      "the timestamp token does not match the signature value"), when
    if not ts_status.trusted:
        return _check("signature_timestamp", INDETERMINATE,
                      "the TSA certificate does not chain to a supplied root"), when
    return _check("signature_timestamp", PASSED,
                  f"token imprint matches the signature value; TSA trusted; "
                  f"time {when.isoformat()}"), when


def _gen_time(stamp: Any) -> dt.datetime:
    when = stamp.signed_data["encap_content_info"]["content"].parsed["gen_time"].native
    assert isinstance(when, dt.datetime)
    return when


def _expired_at(status: Any, moment: dt.datetime) -> dt.datetime | None:
    """The TSA certificate's expiry when it lies before ``moment`` (else None)."""
    cert = getattr(status, "signing_cert", None)
    if cert is None:
        return None
    not_after = cert["tbs_certificate"]["validity"]["not_after"].native
    return not_after if isinstance(not_after, dt.datetime) and not_after < moment else None


async def _document_timestamps(opened: OpenedLetter, dss: DssData,
                               roots: list[asn1_x509.Certificate], memory: VerificationMemory,
                               validation_time: dt.datetime | None,
                               ) -> tuple[list[Any], tuple[dt.datetime, ...], bool]:
    """Each archive timestamp judged at the time the next one proves (the newest at the
    validation time): the chain of archive timestamps of EN 319 102-1 §5.6.3, with the
    validation data of the DSS. Also says whether the newest one's TSA has expired (the
    letter was not renewed in time)."""
    if not opened.document_timestamps:
        return [_check("document_timestamp", INDETERMINATE,
                       "no document timestamp: the letter is B-T, not yet B-LTA")], (), False
    stamps = sorted(opened.document_timestamps, key=lambda s: s.signed_revision)
    times = [_gen_time(s) for s in stamps]
    now = validation_time or dt.datetime.now(dt.UTC)
    checks, lapsed = [], False
    for i, stamp in enumerate(stamps):
        moment = times[i + 1] if i + 1 < len(stamps) else validation_time
        extra: dict[str, Any] = {"moment": moment} if moment else {}
        context = dss_context(dss, roots, memory, "hard-fail", retroactive_revinfo=True,
                              **extra)
        status = await async_validate_pdf_timestamp(stamp, validation_context=context)
        good = status.intact and status.valid and status.trusted
        at = (f"judged at {times[i + 1].isoformat()}, the time the next archive timestamp "
              f"proves" if i + 1 < len(stamps) else "judged now")
        if good:
            checks.append(_check("document_timestamp", PASSED,
                                 f"archive timestamp {times[i].isoformat()} ({at}): intact, "
                                 f"its TSA chains to a supplied root, status not revoked; "
                                 f"covers {status.coverage.name if status.coverage else '?'}"))
            continue
        expired = _expired_at(status, moment or now) if status.intact else None
        if expired is not None and i + 1 == len(stamps):
            lapsed = True
            checks.append(_check(
                "document_timestamp", INDETERMINATE,
                f"archive timestamp {times[i].isoformat()}: its TSA certificate expired "
                f"{expired.isoformat()} and the letter was not renewed before "
                f"(`anxin archive renew`): no proof of existence after that"))
            continue
        checks.append(_check(
            "document_timestamp", FAILED if not status.intact else INDETERMINATE,
            f"archive timestamp {times[i].isoformat()} ({at}): intact={status.intact}, "
            f"valid={status.valid}, trusted={status.trusted}"))
    return checks, tuple(times), lapsed


async def _signature_timestamp_at_poe(opened: OpenedLetter, poe_context: ValidationContext,
                                      poe: dt.datetime, fallback: tuple[Any, dt.datetime | None],
                                      ) -> tuple[Any, dt.datetime | None]:
    """The signature timestamp judged at ``poe``, when the first archive timestamp proves
    the token existed: its TSA certificate may have expired since (a letter renewed past
    the signature TSA's five years). ``fallback`` when it does not hold then either."""
    status = await async_validate_pdf_signature(
        opened.signature, signer_validation_context=poe_context,
        ts_validation_context=poe_context)
    token = status.timestamp_validity
    if token is None or not (token.intact and token.valid and token.trusted):
        return fallback
    return _check("signature_timestamp", PASSED,
                  f"token imprint matches the signature value; time "
                  f"{token.timestamp.isoformat()}; TSA trusted at {poe.isoformat()}, when the "
                  f"first archive timestamp proves the token existed (the TSA certificate "
                  f"may have expired since)"), token.timestamp


async def _valid_at_signature_time(opened: OpenedLetter, roots: list[asn1_x509.Certificate],
                                   signature_time: dt.datetime, dss: DssData,
                                   memory: VerificationMemory,
                                   ts_context: ValidationContext) -> bool:
    """Short-lived certificate rule: the chain holds at the timestamped signature time.

    The validation context sits at ``signature_time`` (a trusted RFC 3161 time) and accepts
    revocation data from the DSS issued after it (``retroactive_revinfo``): an event
    certificate revoked before signing fails, one that simply expired since passes.
    """
    if not dss.present:
        return False
    at_signing = dss_context(dss, roots, memory, "hard-fail", moment=signature_time,
                             retroactive_revinfo=True)
    status = await async_validate_pdf_signature(
        opened.signature, signer_validation_context=at_signing,
        ts_validation_context=ts_context)
    return bool(status.intact and status.valid and status.trusted)


async def validate_pades(opened: OpenedLetter, roots: list[asn1_x509.Certificate], *,
                         validation_time: dt.datetime | None = None,
                         memory: VerificationMemory | None = None) -> ValidationOutcome:
    """Run the AdES (LTA when timestamped) validation of ``opened``'s signature.

    ``memory`` holds the signatures verified and certificates parsed on the way; by
    default one for this call (a caller verifying more than the letter passes its own)."""
    memory = memory or VerificationMemory()
    roots = [memory.certificates.add(r) for r in roots]
    dss = read_dss_data(opened, memory)
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=roots),
            revinfo_policy=_REVOCATION_POLICY,
            signature_validator=memory.signatures),
        revinfo_gathering_policy=RevocationInfoGatheringSpec(
            online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)))
    timing = (ValidationTimingInfo(validation_time, validation_time, True)
              if validation_time else ValidationTimingInfo.now())
    with dss_shared_with_pyhanko(opened, memory):
        result = await ades.ades_lta_validation(opened.signature, spec, timing_info=timing)
    sub = result.ades_subindic
    ades_status = sub.status.name
    ades_sub = None if ades_status == "PASSED" else sub.standard_name
    status = result.api_status
    if status is None or status.timestamp_validity is None:
        # AdES stopped early (no revocation data in a B-T letter, an expired event
        # certificate): still report integrity, signature value and signature timestamp.
        basic = await async_validate_pdf_signature(
            opened.signature,
            signer_validation_context=dss_context(dss, roots, memory, "soft-fail"))
        status = status or basic
    else:
        basic = status
    sm2_field = dual_sm2_field(opened) \
        if status is not None and status.modification_level == ModificationLevel.FORM_FILLING \
        else None
    checks = [_integrity(status, result.failure_msg, sm2_field)]
    checks.append(_check("signature_value", PASSED if status.valid else FAILED,
                         f"{status.pkcs7_signature_mechanism} signature over the signed "
                         f"attributes {'verifies' if status.valid else 'does not verify'}"))
    chain = _chain(result, status)
    ts_check, ts_time = _signature_timestamp(result, basic)
    dts_checks, archive_times, lapsed = await _document_timestamps(
        opened, dss, roots, memory, validation_time)
    archived = bool(archive_times) and all(c.status == PASSED for c in dts_checks)
    # The signature's TSA judged when the first archive timestamp proves the token existed:
    # one context for both uses below, built only when one of them runs (most letters
    # need neither).
    poe_extra: dict[str, Any] = {"moment": archive_times[0]} if archive_times else {}
    poe_context = functools.cache(lambda: dss_context(
        dss, roots, memory, "hard-fail", retroactive_revinfo=True, **poe_extra))
    if ts_check.status != PASSED and archived and archive_times:
        ts_check, ts_time = await _signature_timestamp_at_poe(
            opened, poe_context(), archive_times[0], (ts_check, ts_time))
    if (ades_sub in _EXPIRED_SIGNER and ts_check.status == PASSED and archived
            and ts_time is not None and await _valid_at_signature_time(
                opened, roots, ts_time, dss, memory, poe_context())):
        chain = _check("signer_certificate_chain", PASSED,
                       f"short-lived event certificate chains to a supplied root and was valid "
                       f"and unrevoked at the timestamped signature time {ts_time.isoformat()} "
                       f"(revocation data from the DSS; expired since, as designed)")
        ades_status, ades_sub = "PASSED", None
    if lapsed and ades_status != "FAILED":
        ades_status, ades_sub = "INDETERMINATE", "OUT_OF_BOUNDS_NO_POE"
    checks.extend([chain, ts_check, *dts_checks])
    signer = getattr(status, "signing_cert", None) or opened.signature.signer_cert
    crypto_cert = x509.load_der_x509_certificate(signer.dump()) if signer is not None else None
    name = signer.subject.native.get("common_name") if signer is not None else None
    return ValidationOutcome(
        checks=tuple(checks), ades_status=ades_status, ades_sub_indication=ades_sub,
        signer_certificate=crypto_cert, signer_name=name,
        claimed_signing_time=opened.signature.self_reported_timestamp,
        signature_timestamp=ts_time, archive_timestamps=archive_times)
