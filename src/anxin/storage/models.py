"""The tables. The schema is created only by the Alembic migrations in ``migrations/``;
these models must agree with them (a test compares the two)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from anxin.storage.types import BigIntPK, UTCDateTime


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UTCDateTime, dict[str, Any]: JSON, list[str]: JSON}


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(32))
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The test key (``anx_test_…``, test mode): its authorizations carry ``test``.
    test_api_key_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="active")
    callback_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # After an API rotation the previous default secret still signs until it expires.
    webhook_secret_previous_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    webhook_secret_previous_expires_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
    # Embedding (PATCH /v1/institution): origins allowed to frame its signing pages, and
    # the URL prefixes a request's return_url must start with. None: none allowed.
    frame_ancestors: Mapped[list[str] | None]
    return_url_prefixes: Mapped[list[str] | None]


class Template(Base):
    __tablename__ = "templates"
    __table_args__ = (UniqueConstraint("institution_id", "code", "version"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(64))
    data_scope: Mapped[list[str]]
    body: Mapped[str] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(8))
    validity_days: Mapped[int] = mapped_column(Integer)
    max_uses: Mapped[int] = mapped_column(Integer)
    require_passkey: Mapped[bool] = mapped_column(Boolean)
    request_ttl_minutes: Mapped[int] = mapped_column(Integer)
    content_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    # Terms v2 (anxin.domain.terms.TermsV2.stored): frequency, data_range, data_life_days.
    terms: Mapped[dict[str, Any] | None]


class Authorization(Base):
    __tablename__ = "authorizations"
    __table_args__ = (
        UniqueConstraint("institution_id", "id"),
        Index("ix_authorizations_inst_created", "institution_id", "created_at"),
        Index("ix_authorizations_inst_reference", "institution_id", "reference"),
        # GET /v1/authorizations: its filter and order in one index (0021).
        Index("ix_authorizations_list", "institution_id", "test", "created_at", "id"),
        # ... and with ``status=`` (0023).
        Index("ix_authorizations_list_status", "institution_id", "test", "status",
              "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))
    template_id: Mapped[str] = mapped_column(ForeignKey("templates.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    purpose: Mapped[str] = mapped_column(String(64))
    data_scope: Mapped[list[str]]
    reference: Mapped[str] = mapped_column(String(200))
    subject_name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    subject_name_masked: Mapped[str] = mapped_column(String(200))
    subject_id_type: Mapped[str] = mapped_column(String(16))
    subject_id_enc: Mapped[bytes] = mapped_column(LargeBinary)
    subject_id_index: Mapped[str] = mapped_column(String(64), index=True)
    subject_id_masked: Mapped[str] = mapped_column(String(32))
    subject_mobile_enc: Mapped[bytes] = mapped_column(LargeBinary)
    subject_mobile_index: Mapped[str] = mapped_column(String(64), index=True)
    subject_mobile_masked: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[dt.datetime | None]
    valid_until: Mapped[dt.datetime]
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    letter_enc: Mapped[bytes] = mapped_column(LargeBinary)  # the exact letter text, encrypted
    letter_sha256: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    request_expires_at: Mapped[dt.datetime]
    callback_url: Mapped[str | None] = mapped_column(String(2000))
    realname: Mapped[dict[str, Any] | None]
    otp_sends: Mapped[int] = mapped_column(Integer, default=0)
    otp_failures: Mapped[int] = mapped_column(Integer, default=0)
    otp_last_sent_at: Mapped[dt.datetime | None]
    signing: Mapped[dict[str, Any] | None]
    signed_at: Mapped[dt.datetime | None]
    timestamp_at: Mapped[dt.datetime | None]
    status_changed_at: Mapped[dt.datetime]
    created_at: Mapped[dt.datetime]
    # Who paused it while ``status`` is paused (``domain.states.PausedBy``), else None.
    paused_by: Mapped[str | None] = mapped_column(String(16))
    # Renewal (services.renewal): the authorization this one renews, and the latest
    # request that renews this one (pending, signed or ended unsigned).
    renews: Mapped[str | None] = mapped_column(String(36), index=True)
    renewed_by: Mapped[str | None] = mapped_column(String(36))
    # When the reminder before valid_until went out (notify.expiry_reminders), else None.
    expiry_reminded_at: Mapped[dt.datetime | None]
    # The per-authorization hash chain inside the ledger (anxin.ledger.chain): the number
    # of chained leaves so far (the next leaf's ``seq``) and the RFC 9162 leaf hash of the
    # last one (the next leaf's ``prev``). Updated under the row lock with every leaf.
    ledger_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    ledger_head: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The head before the last statement that advanced it: the gate's single UPDATE
    # returns the leaves it chained from it (RETURNING sees only the new row).
    ledger_prev: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Random salt of the key committing to this authorization's low-entropy values.
    commitment_salt: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Reaching the person (services.subject_sms): "sms" when the institution asked Anxin
    # to send the link; the token then kept encrypted for the reminder, whose sending is
    # claimed by setting reminder_sent_at (once, across workers). viewed_at: the first
    # opening of the signing page (authorization:viewed). return_url: where the page
    # returns after signing or declining (allow-listed by the institution).
    notify_subject: Mapped[str | None] = mapped_column(String(8))
    return_url: Mapped[str | None] = mapped_column(String(2000))
    signing_token_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    reminder_sent_at: Mapped[dt.datetime | None]
    viewed_at: Mapped[dt.datetime | None]
    # Terms v2 as signed (anxin.domain.terms.TermsV2.stored), and the gate's frequency
    # counter beside the total count, under the same row lock: the frequency (copied from
    # ``terms``), the key of the period it counts and the uses granted in that period.
    terms: Mapped[dict[str, Any] | None]
    freq_max: Mapped[int | None] = mapped_column(Integer)
    freq_per: Mapped[str | None] = mapped_column(String(8))
    freq_period: Mapped[str | None] = mapped_column(String(16))
    freq_uses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Made with the institution's test key (test mode): never counted, signed by the test CA.
    test: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class OtpCode(Base):
    """One-time codes, stored only as keyed hashes. ``scope`` is ``sign`` (key: the
    authorization id) or ``portal`` (key: the mobile's blind index)."""

    __tablename__ = "otp_codes"
    __table_args__ = (Index("ix_otp_scope_key", "scope", "key"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    consumed_at: Mapped[dt.datetime | None]
    # Wrong tries against this code (the portal burns a code after otp_max_failures; a new
    # code starts again at 0) and, once used, a hash of the browser session that used it
    # (a double submit from that session is the same success, not a wrong try).
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    consumed_by: Mapped[str | None] = mapped_column(String(64))
    # The client that asked for the code (as the signing's record keeps the signing
    # browser's): shown in the console's dispute timeline beside the code's ledger leaf,
    # which carries neither.
    client_ip: Mapped[str | None] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(500))


class UseRecord(Base):
    """Every call of the use gate, granted or refused."""

    __tablename__ = "uses"
    __table_args__ = (Index("ix_uses_auth", "authorization_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    authorization_id: Mapped[str] = mapped_column(String(36))
    institution_id: Mapped[str] = mapped_column(String(36))
    granted: Mapped[bool] = mapped_column(Boolean)
    refusal_code: Mapped[str | None] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(64))
    data_item: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(200))
    uses_after: Mapped[int] = mapped_column(Integer)
    receipt: Mapped[str | None] = mapped_column(Text)
    # The dual profile's second receipt: the same payload as ``receipt`` (ES256), signed
    # SM2SM3 by the SM2 seal (anxin.pki.seal_sm2). NULL in intl and sm (where ``receipt``
    # itself is the SM2SM3 one) and on refusals.
    receipt_sm2: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    # Terms v2: the data period the query named, and (a granted use under a data life)
    # when the institution must have deleted what it fetched; the attestation that says
    # it did, and when the sweep notified that it was overdue.
    data_from: Mapped[dt.date | None] = mapped_column(Date)
    data_to: Mapped[dt.date | None] = mapped_column(Date)
    delete_by: Mapped[dt.datetime | None] = mapped_column(index=True)
    deletion_id: Mapped[str | None] = mapped_column(String(36))
    overdue_notified_at: Mapped[dt.datetime | None]


class Deletion(Base):
    """An institution's attestation that it deleted what some granted uses fetched
    (``POST /v1/authorizations/{id}/deletion``)."""

    __tablename__ = "deletions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    authorization_id: Mapped[str] = mapped_column(String(36), index=True)
    institution_id: Mapped[str] = mapped_column(String(36))
    deleted_at: Mapped[dt.datetime]
    use_ids: Mapped[list[str]]
    created_at: Mapped[dt.datetime]


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    institution_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    route: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]


class Document(Base):
    """Binary artefacts of an authorization: ``letter.pdf`` and what later issues add."""

    __tablename__ = "documents"

    authorization_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    content_enc: Mapped[bytes] = mapped_column(LargeBinary)  # encrypted at rest
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]


class Counter(Base):
    """Monotonic counters shared by every worker (TSA serial numbers, ...)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class IssuedCertificate(Base):
    """Every certificate the issuing CA made, for the CRL and the OCSP responder.

    In clear only what they and the rotation need (serial, kind, issuer key id,
    authorization id, validity, revocation); the certificate itself, whose subject names
    the person, is ``der_enc`` (field encryption, ``certificates/<serial>`` as associated
    data: see :func:`anxin.pki.events.record_certificate`)."""

    __tablename__ = "certificates"

    serial: Mapped[str] = mapped_column(String(64), primary_key=True)  # hex
    kind: Mapped[str] = mapped_column(String(32))
    issuer_key_id: Mapped[str] = mapped_column(String(64))
    authorization_id: Mapped[str | None] = mapped_column(String(36), index=True)
    not_before: Mapped[dt.datetime]
    not_after: Mapped[dt.datetime]
    der_enc: Mapped[bytes] = mapped_column(LargeBinary)
    revoked_at: Mapped[dt.datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(String(32))


class LedgerQueued(Base):
    """Leaves committed with their state change, waiting for the sequencer."""

    __tablename__ = "ledger_queue"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    authorization_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime]


class LedgerLeaf(Base):
    __tablename__ = "ledger_leaves"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary)
    authorization_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_at: Mapped[dt.datetime]


class LedgerNode(Base):
    """Roots of perfect subtrees: (level, i) covers leaves [i·2^level, (i+1)·2^level)."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary)


class LedgerHead(Base):
    """One row: the integrated size; locked by the sequencer to serialise appends."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime]


class LedgerOrigin(Base):
    """One row: the log's origin (the first line of every checkpoint), fixed when the log
    is created and never derived from the base URL again (:mod:`anxin.ledger.origin`)."""

    __tablename__ = "ledger_origin"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime]


class LedgerCheckpoint(Base):
    __tablename__ = "ledger_checkpoints"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary)
    note: Mapped[str] = mapped_column(Text)
    tsa_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime]
