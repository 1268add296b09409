"""Archive renewal: a new document timestamp on every stored letter (PAdES-LTA).

A letter stays verifiable offline only while the TSA certificate of its newest archive
timestamp is valid: that timestamp is judged at the verifier's current time, every older
one in the past, at the time the next one proves. Before the newest TSA certificate (or
its algorithm) ages out, the operator rotates the TSA (``anxin keys rotate --leaves``, or
a full rotation with a new issuing CA) and renews: each letter gets, as one incremental
update, the current status of every certificate its timestamps used (the previous archive
TSA's, the issuing CAs', from :func:`anxin.pki.revocation.validation_data`) and a document
timestamp by the new TSA over the whole file. Nothing earlier is changed: the letter's
signed revision and every earlier timestamp stay byte for byte.

One letter is one short transaction at the end: the new bytes replace the stored letter
only if it is still the one read (``sha256`` unchanged), together with an
``authorization:letter:renewed`` ledger leaf naming the new file's SHA-256 and the time of
its new timestamp; the signature work runs with no lock held.

``anxin serve`` runs :func:`renew_archive` with ``due_only`` on a schedule: a letter is due
when its newest archive timestamp is not by the current TSA certificate (after a rotation).

Per signature profile: ``intl`` and ``dual`` renew with the intl document timestamp (in
``dual`` the intl archive timestamp covers the PAdES and the SM2 fields alike, as the
first one did); ``sm`` renews with a new SM2 document timestamp
(:func:`anxin.letters.sign_sm2.add_sm2_document_timestamp`, SM3 imprint, SM2 TSA) after the
SM2 status of every SM2 TSA certificate the letter used and of the current one
(:func:`anxin.pki.sm2_validation.sm2_validation_data`); it is due when its newest SM2
archive timestamp is not by the current SM2 TSA certificate.

Example::

    result = renew_archive(ctx)            # `anxin archive renew`: every stored letter
    result = renew_archive(ctx, due_only=True)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from asn1crypto import x509 as asn1_x509
from sqlalchemy import select, update

from anxin.domain.events import Event
from anxin.errors import AnxinError
from anxin.letters.sign import as_asn1_certificate, upgrade_to_lta
from anxin.letters.sign_sm2 import add_sm2_document_timestamp
from anxin.letters.timestamps import timestamp_certificates
from anxin.letters.verify_sm2 import sm2_signatures
from anxin.pki import sm2_cms
from anxin.pki.authority import Pki
from anxin.pki.revocation import known_issuers, validation_data
from anxin.pki.signature_profile import Profile
from anxin.pki.sm2_validation import sm2_validation_data
from anxin.services.context import Context
from anxin.services.periodic import PeriodicThread
from anxin.services.records import record
from anxin.services.sm2_services import Sm2Services
from anxin.storage.certificate_store import SqlCertificateStore
from anxin.storage.models import Authorization, Document

log = logging.getLogger(__name__)
LETTER = "letter.pdf"
_PAGE = 200


@dataclass
class RenewalResult:
    """What one renewal pass did."""

    renewed: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def is_due(pdf: bytes, pki: Pki) -> bool:
    """True when the letter's newest archive timestamp is not by the current TSA."""
    _, latest = timestamp_certificates(pdf)
    return latest is None or latest != pki.tsa_cert


def _verify_cms(der: bytes, digest: bytes) -> sm2_cms.Sm2SignedInfo:
    return sm2_cms.parse_and_verify_detached(der, content_digest=digest)


def _token_signer(token: bytes) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(
        sm2_cms.parse_and_verify_encapsulated(token).signer_certificate)


def sm2_timestamp_certificates(pdf: bytes) -> tuple[list[asn1_x509.Certificate],
                                                     asn1_x509.Certificate | None]:
    """The SM2 TSA certificates of every SM2 timestamp in ``pdf`` (the SM2 signature's
    and the SM3 document timestamps), and the newest document timestamp's (None before
    the first); each token's signature is checked on the way."""
    found = sm2_signatures(pdf, verify_cms=_verify_cms)
    tokens = [sig.timestamp_token for sig in found.signatures if sig.timestamp_token]
    stamps = sorted(found.document_timestamps, key=lambda stamp: stamp.revision)
    certs: list[asn1_x509.Certificate] = []
    latest: asn1_x509.Certificate | None = None
    for token in [*tokens, *(stamp.token for stamp in stamps)]:
        cert = _token_signer(token)
        if all(c.dump() != cert.dump() for c in certs):
            certs.append(cert)
    if stamps:
        latest = _token_signer(stamps[-1].token)
    return certs, latest


def is_due_sm2(pdf: bytes, sm2_parts: Sm2Services) -> bool:
    """True when the ``sm`` letter's newest SM2 archive timestamp is not by the current
    SM2 TSA."""
    _, latest = sm2_timestamp_certificates(pdf)
    return latest is None or latest.dump() != sm2_parts.pki.tsa_cert.dump()


def _sm_parts(ctx: Context) -> Sm2Services | None:
    return ctx.sm2 if ctx.profile is Profile.SM else None


def renew_sm2_letter_bytes(ctx: Context, sm2_parts: Sm2Services, pdf: bytes,
                           now: dt.datetime) -> bytes:
    """An ``sm`` letter with the current SM2 validation data and a new SM2 document
    timestamp."""
    pki = sm2_parts.pki
    leaves, _ = sm2_timestamp_certificates(pdf)
    if all(c.dump() != pki.tsa_cert.dump() for c in leaves):
        leaves.append(pki.tsa_cert)
    with ctx.db.transaction() as session:
        status = sm2_validation_data(pki, SqlCertificateStore(session),
                                     [*leaves, pki.issuing_cert], now)
    return add_sm2_document_timestamp(
        pdf, timestamp=sm2_parts.timestamper.timestamp,
        certificates=[c.dump() for c in (*leaves, pki.issuing_cert, pki.root_cert)],
        crls=status.crls, ocsp_responses=status.ocsps)


def renew_letter_bytes(ctx: Context, pdf: bytes, now: dt.datetime) -> bytes:
    """``pdf`` with the current validation data and a new document timestamp (SM2 in
    the ``sm`` profile)."""
    sm2_parts = _sm_parts(ctx)
    if sm2_parts is not None:
        return renew_sm2_letter_bytes(ctx, sm2_parts, pdf, now)
    pki = ctx.pki
    tsa_certs, _ = timestamp_certificates(pdf)
    leaves = [*tsa_certs, pki.tsa_cert] if pki.tsa_cert not in tsa_certs else tsa_certs
    cas = known_issuers(pki, leaves)
    with ctx.db.transaction() as session:
        status = validation_data(pki, SqlCertificateStore(session), [*leaves, *cas], now)
    certificates = [as_asn1_certificate(c) for c in (*leaves, *cas, pki.root_cert)]
    return upgrade_to_lta(pdf, certificates=certificates, crls=status.crls,
                          ocsp_responses=status.ocsps,
                          timestamper=ctx.timestamper)


def _letter_ids(ctx: Context) -> Iterator[str]:
    after = ""
    while True:
        with ctx.db.transaction() as s:
            ids = list(s.scalars(
                select(Document.authorization_id)
                .where(Document.kind == LETTER, Document.authorization_id > after)
                .order_by(Document.authorization_id).limit(_PAGE)))
        yield from ids
        if len(ids) < _PAGE:
            return
        after = ids[-1]


def _due(ctx: Context, pdf: bytes) -> bool:
    sm2_parts = _sm_parts(ctx)
    return is_due_sm2(pdf, sm2_parts) if sm2_parts is not None else is_due(pdf, ctx.pki)


def renew_one(ctx: Context, auth_id: str, *, due_only: bool = False) -> bool:
    """Renew one stored letter; False when skipped (not due, or changed meanwhile)."""
    aad = f"{auth_id}/{LETTER}"
    with ctx.db.transaction() as s:
        doc = s.get(Document, (auth_id, LETTER))
        if doc is None:
            return False
        owner = s.execute(select(Authorization.institution_id, Authorization.test)
                          .where(Authorization.id == auth_id)).first()
        if owner is None or owner.test:
            # Test mode: a test letter has no legal effect and is never renewed (a
            # production archive time-stamp would be the one thing in it not chained to
            # the test root).
            return False
        old_sha, pdf = doc.sha256, ctx.keys.decrypt(doc.content_enc, aad=aad)
        institution_id = owner.institution_id
    if due_only and not _due(ctx, pdf):
        return False
    now = ctx.clock()
    renewed = renew_letter_bytes(ctx, pdf, now)
    new_sha = hashlib.sha256(renewed).hexdigest()
    with ctx.db.transaction() as s:
        changed = s.execute(
            update(Document)
            .where(Document.authorization_id == auth_id, Document.kind == LETTER,
                   Document.sha256 == old_sha)
            .values(content_enc=ctx.keys.encrypt(renewed, aad=aad), sha256=new_sha)
        ).rowcount  # type: ignore[attr-defined]
        if changed != 1:
            return False
        record(s, Event.LETTER_RENEWED, at=now, authorization_id=auth_id,
               institution_id=institution_id, letter_pdf_sha256=new_sha,
               previous_letter_pdf_sha256=old_sha)
    return True


def tsa_expiry_warning(ctx: Context) -> str | None:
    """A sentence for the operator when the current TSA certificate ages out soon: letters
    renewed with it stay verifiable offline only until it expires."""
    expires = ctx.pki.tsa_cert.not_valid_after_utc
    left = expires - ctx.clock()
    if left > dt.timedelta(days=ctx.settings.tsa_expiry_warning_days):
        return None
    return (f"the TSA certificate expires {expires:%Y-%m-%d} ({max(left.days, 0)} days): "
            "rotate it (`anxin keys rotate --leaves`) and renew the archive, or letters "
            "stop verifying offline after that date")


def make_archive_renewer(ctx: Context) -> PeriodicThread | None:
    """The background renewal of ``anxin serve`` (None when turned off). Safe on several
    workers and nodes: each letter is replaced only if unchanged since it was read."""
    every = ctx.settings.archive_renew_interval_seconds
    if every <= 0:
        return None

    def work() -> int:
        warning = tsa_expiry_warning(ctx)
        if warning:
            log.warning("%s", warning)
        result = renew_archive(ctx, due_only=True)
        if result.renewed:
            log.info("archive renewal: %d letter(s) renewed", result.renewed)
        return 0  # one pass per interval: a pass renews everything due

    return PeriodicThread("anxin-archive", work, every, first_delay=min(every, 60.0))


def renew_archive(ctx: Context, *, due_only: bool = False) -> RenewalResult:
    """Renew every stored letter (``due_only``: those whose newest archive timestamp is
    not by the current TSA); one failing letter is reported and the pass goes on."""
    result = RenewalResult()
    for auth_id in _letter_ids(ctx):
        try:
            if renew_one(ctx, auth_id, due_only=due_only):
                result.renewed += 1
            else:
                result.skipped += 1
        except (AnxinError, ValueError, KeyError, OSError) as exc:
            log.warning("archive renewal of %s failed: %s", auth_id, exc)
            result.failed.append((auth_id, str(exc)))
    return result
