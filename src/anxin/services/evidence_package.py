"""Building an authorization's evidence package from the database (a use case).

Collects the letter, the record, the identity evidence, certificates, revocation data and
ledger proofs of one authorization, then has :mod:`anxin.evidence.package` (the package's
layout, pure) verify, report on and seal them.
"""

from __future__ import annotations

import io
import json
from typing import Any

from cryptography import x509
from sqlalchemy import select

from anxin.error_codes import Code
from anxin.errors import ConfigurationError, NotFound
from anxin.evidence.consent import status_history
from anxin.evidence.consent_receipt import FILE_NAME as RECEIPT_FILE
from anxin.evidence.package import (
    REPORT_FILES,
    package_json,
    seal_package,
    signature_token,
    with_manifest,
    zip_files,
)
from anxin.evidence.package import b64 as _b64
from anxin.evidence.package import pem as _pem
from anxin.evidence.package_readme import readme
from anxin.ledger.chain import COMMITMENT_ALGORITHM
from anxin.letters.timestamps import timestamp_certificates
from anxin.pki.revocation import known_issuers, validation_data
from anxin.pki.signature_profile import Profile
from anxin.pki.tsa import timestamp_data
from anxin.services.authorizations import authorization_dict, settle_status
from anxin.services.consent_receipts import consent_receipt
from anxin.services.context import Context
from anxin.services.evidence_package_sm2 import sm2_evidence_files, sm2_ledger_files, sm2_sealer
from anxin.services.renewal import renewal_chain
from anxin.services.uses_log import uses_log
from anxin.storage.certificate_store import SqlCertificateStore
from anxin.storage.models import Authorization, Document, OtpCode, Template

__all__ = ["REPORT_FILES", "build_package", "build_report_pdf", "collect_files",
           "finish_package", "signature_token"]

_json = package_json
_zip = zip_files


def build_package(ctx: Context, institution_id: str | None, auth_id: str) -> bytes:
    files = collect_files(ctx, institution_id, auth_id)
    return finish_package(ctx, files, auth_id, test=_is_test(files))


def _is_test(files: dict[str, bytes]) -> bool:
    return json.loads(files["authorization.json"]).get("test") is True


def _test_pki(ctx: Context) -> Any:
    if ctx.test_mode is None:
        raise ConfigurationError("a test authorization's package needs the test CA: run "
                                 "`anxin init`")
    return ctx.test_mode.pki


def build_report_pdf(ctx: Context, institution_id: str | None, auth_id: str) -> bytes:
    """The sealed report of a freshly built package (its report.pdf)."""
    import zipfile as zf
    with zf.ZipFile(io.BytesIO(build_package(ctx, institution_id, auth_id))) as z:
        return z.read("report.pdf")


def _settle(ctx: Context, institution_id: str | None, auth_id: str) -> None:
    """Apply a due expiry first, so the package states the status at package time and its
    ledger leaf is in the checkpoint."""
    with ctx.db.transaction() as s:
        q = select(Authorization).where(Authorization.id == auth_id)
        if institution_id is not None:
            q = q.where(Authorization.institution_id == institution_id)
        a = s.scalars(q).first()
        if a is not None:
            settle_status(s, ctx, a)


def collect_files(ctx: Context, institution_id: str | None, auth_id: str) -> dict[str, bytes]:
    """Every file of the package but the report and the manifest (:func:`finish_package`).

    By the profile: ``intl`` and ``dual`` carry the intl certificates, revocation data and
    signature token; ``sm`` and ``dual`` the ``sm2/`` files (:mod:`anxin.evidence.package`
    lists them)."""
    _settle(ctx, institution_id, auth_id)
    ctx.ledger.integrate_all()
    checkpoint = ctx.ledger.checkpoint(force=True)
    now = ctx.clock()
    sm2_files: dict[str, bytes] = {}
    files: dict[str, bytes] = {}
    with ctx.db.transaction() as s:
        q = select(Authorization).where(Authorization.id == auth_id)
        if institution_id is not None:
            q = q.where(Authorization.institution_id == institution_id)
        a = s.scalars(q).first()
        if a is None:
            raise NotFound(f"no authorization {auth_id}", code=Code.AUTHORIZATION_NOT_FOUND)
        # Test mode: the test CA's chain and seal, intl whatever the deployment's profile.
        test = bool(a.test)
        pki, profile = (_test_pki(ctx), Profile.INTL) if test else (ctx.pki, ctx.profile)
        files["README.txt"] = readme(
            pki, ctx.settings.effective_base_url, profile=profile,
            sm2_root=ctx.sm2.pki.root_cert if ctx.sm2 is not None and not a.test
            else None).encode()
        doc = s.get(Document, (auth_id, "letter.pdf"))
        if doc is None or a.signing is None:
            raise NotFound("the authorization is not signed: there is no evidence yet",
                           code=Code.DOCUMENT_NOT_FOUND)
        tpl = s.get(Template, a.template_id)
        pdf = ctx.keys.decrypt(doc.content_enc, aad=f"{auth_id}/letter.pdf")
        record = authorization_dict(a, tpl)
        if a.renews is not None or a.renewed_by is not None:
            record["renewal_chain"] = renewal_chain(s, a)
        commitment_key = ctx.keys.commitment_key(a.id, a.commitment_salt)
        record["uses_log"] = [u.as_dict(receipt=True) for u in uses_log(s, auth_id)]
        signing = dict(a.signing)
        sends = s.scalars(select(OtpCode.created_at).where(
            OtpCode.scope == "sign", OtpCode.key == auth_id).order_by(OtpCode.id)).all()
        event_pem = signing.pop("event_certificate_pem", None)
        event_sm2_pem = signing.pop("event_certificate_sm2_pem", None)
        if profile.has_intl:
            _intl_certificates(files, pki, pdf, event_pem, SqlCertificateStore(s), now)
        if ctx.sm2 is not None and profile.has_sm:
            sm2_files = sm2_evidence_files(ctx.sm2.pki, SqlCertificateStore(s), pdf,
                                           event_sm2_pem, now)
    passkey = signing.pop("passkey", None)
    record["signing"] = {k: v for k, v in signing.items()
                         if k not in ("id_commitment_salt",)}
    leaves = []
    for e in ctx.ledger.entries_for_authorization(auth_id):
        try:
            leaves.append(json.loads(e.data))
        except ValueError:
            continue
    record["status_history"], revoked_by = status_history(leaves)
    if record.get("status") == "revoked":
        record["revoked_by"] = revoked_by or {"party": "subject", "channel": None}
    files["letter.pdf"] = pdf
    files["authorization.json"] = _json(record)
    files[RECEIPT_FILE] = consent_receipt(ctx, auth_id)  # the person's, issued once
    files["identity/id-commitment.json"] = _json({
        "algorithm": "SHA-256(salt || id_number)", "salt": signing.get("id_commitment_salt"),
        "commitment": signing.get("id_commitment"),
        "note": "The event certificate's subject serialNumber holds the commitment. "
                "Whoever knows the person's id number can recompute it."})
    files["identity/sms.json"] = _json({
        "mobile_masked": a.subject_mobile_masked,
        "codes_sent_at": [t.isoformat() for t in sends],
        "code_verified_at": signing.get("otp_verified_at"),
        "client_ip": signing.get("client_ip"), "user_agent": signing.get("user_agent")})
    if passkey:
        files["identity/passkey.json"] = _json(passkey)
    if profile.has_intl:
        token = signature_token(pdf)
        if token is not None:
            files["timestamps/signature.tst"] = token
    packaged: list[tuple[int, bytes]] = []
    if checkpoint is not None:
        entries = []
        for e in ctx.ledger.entries_for_authorization(auth_id):
            if e.index >= checkpoint.size:
                continue
            proof = ctx.ledger.inclusion_proof(e.index, checkpoint.size)
            entries.append({"index": e.index, "data": _b64(e.data),
                            "proof": [_b64(p) for p in proof]})
            packaged.append((e.index, e.data))
        files["ledger/entries.json"] = _json({"checkpoint_size": checkpoint.size,
                                              "entries": entries})
        files["ledger/checkpoint.txt"] = checkpoint.note.encode()
        if test and ctx.test_mode is not None:
            # Test mode: the checkpoint is stamped again by the test TSA, so that the whole
            # package chains to the test root (and nothing in it to the production root).
            files["ledger/checkpoint.tst"] = timestamp_data(ctx.test_mode.tsa,
                                                            checkpoint.note.encode())
        elif checkpoint.tsa_token:
            files["ledger/checkpoint.tst"] = checkpoint.tsa_token
    files["ledger/verifier-key.txt"] = (ctx.ledger.signer.verifier_key + "\n").encode()
    files["ledger/commitment-key.json"] = _json({
        "algorithm": COMMITMENT_ALGORITHM, "authorization_id": auth_id,
        "key": commitment_key.hex(),
        "note": "The ledger entries and use receipts of this authorization commit to its "
                "reference and to each use's reference and operator with this key; it "
                "opens them and no other authorization's."})
    if profile.has_sm:
        files.update(sm2_files)
        files.update(sm2_ledger_files(ctx, packaged if checkpoint is not None else None))
    return files


def _intl_certificates(files: dict[str, bytes], pki: Any, pdf: bytes, event_pem: str | None,
                       store: SqlCertificateStore, now: Any) -> None:
    """``certificates/*`` and ``revocation/*`` of the intl chain (intl and dual)."""
    event_cert = x509.load_pem_x509_certificate(event_pem.encode()) if event_pem else None
    used_tsas, _ = timestamp_certificates(pdf)
    in_use = [c for c in (event_cert, *used_tsas, pki.tsa_cert, pki.seal_cert)
              if c is not None]
    status = validation_data(pki, store, [*in_use, *known_issuers(pki, in_use)], now)
    for name, cert in (("root", pki.root_cert), ("issuing", pki.issuing_cert),
                       ("tsa", pki.tsa_cert), ("seal", pki.seal_cert)):
        files[f"certificates/{name}.crt"] = _pem(cert)
    if event_cert is not None:
        files["certificates/event.crt"] = _pem(event_cert)
    earlier = [c for c in (*used_tsas, *known_issuers(pki, used_tsas))
               if c not in (pki.tsa_cert, pki.issuing_cert)]
    if earlier:  # TSAs and issuing CAs of earlier generations that the letter's stamps used
        files["certificates/earlier.crt"] = b"".join(_pem(c) for c in earlier)
    for i, crl in enumerate(status.crls):
        files[f"revocation/crl-{i}.crl"] = crl
    for i, response in enumerate(status.ocsps):
        files[f"revocation/ocsp-{i}.der"] = response


def finish_package(ctx: Context, files: dict[str, bytes], auth_id: str, *,
                   test: bool = False) -> bytes:
    """Verify what was collected, add the report, then the signed manifest(s); a test
    authorization's package is sealed by the test CA's seal and its manifest says so."""
    if test:
        mode = ctx.test_mode
        if mode is None:
            raise ConfigurationError("a test package needs the test CA: run `anxin init`")
        return seal_package(mode.pki, files, auth_id, mode.timestamper, test=True)
    return seal_package(ctx.pki, files, auth_id, ctx.timestamper, profile=ctx.profile,
                        sm2_sealer=sm2_sealer(ctx))


def _with_manifest(ctx: Context, files: dict[str, bytes], timestamper: Any) -> dict[str, bytes]:
    return with_manifest(ctx.pki, files, timestamper, profile=ctx.profile,
                         sm2_sealer=sm2_sealer(ctx))
