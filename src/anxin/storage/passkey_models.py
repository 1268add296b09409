"""Tables of the passkey part: registered credentials and server-side challenges.

Kept apart from ``models.py`` (same ``Base``, same metadata); the schema is created by the
migration ``0004_passkeys``. A credential belongs to a subject through the mobile number's
blind index (``authorizations.subject_mobile_index``), never through the number in clear.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from anxin.storage.models import Base


class PasskeyCredential(Base):
    """One WebAuthn credential of one subject; a subject may have several."""

    __tablename__ = "passkey_credentials"

    # SHA-256 (hex) of the raw credential id: fixed length, safe as a key on every backend.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject_mobile_index: Mapped[str] = mapped_column(String(64), index=True)
    credential_id: Mapped[bytes] = mapped_column(LargeBinary)
    public_key_cose: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(BigInteger)
    user_handle: Mapped[bytes] = mapped_column(LargeBinary)
    aaguid: Mapped[str] = mapped_column(String(36))
    transports: Mapped[list[str]]
    backed_up: Mapped[bool]
    registered_authorization_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime | None]
    # The person's own label ("my phone"), set in /me/passkeys (migration 0011).
    name: Mapped[str | None] = mapped_column(String(40))


class PasskeyChallenge(Base):
    """A single-use ceremony challenge, kept server-side until used or lapsed.

    ``purpose`` is ``register`` or ``sign`` (``key``: the authorization id) or ``login``
    (``key``: the mobile blind index). For ``sign`` the stored ``secret`` is the server
    nonce the letter-bound challenge is derived from; otherwise it is the challenge itself.
    """

    __tablename__ = "passkey_challenges"
    __table_args__ = (Index("ix_passkey_challenges_purpose_key", "purpose", "key"),)

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(64))
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    consumed_at: Mapped[dt.datetime | None]
