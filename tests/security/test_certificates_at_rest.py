"""Issue 12 item 15: the ``certificates`` table does not hold the person's name in clear.

The event certificate (whose subject is the signer's name) is stored encrypted under the
field key with its row (``certificates/<serial>``) as associated data; the CRL and the
OCSP responder work from the clear serial, issuer key id and revocation columns. Rows
written before migration 0008 are encrypted by it. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from anxin.errors import ConfigurationError, IntegrityFailure
from anxin.keys import DataKeys
from anxin.pki.events import (
    certificate_aad,
    issue_event_certificate,
    make_id_commitment,
    record_certificate,
    recorded_certificate,
)
from anxin.services.context import Context
from anxin.storage.certificate_store import SqlCertificateStore
from anxin.storage.database import Database, _alembic_config
from anxin.storage.models import IssuedCertificate
from tests.common.backends import require_postgres, throwaway_postgres
from tests.common.factories import Api, mobile, resident_id, sign

NAME = "Zhang Sanfeng"
HAN_NAME = "张三丰"


def _raw_rows(db: Database) -> list[dict[str, object]]:
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM certificates"))]


def _contains(value: object, needle: str) -> bool:
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return needle.encode("utf-8") in raw or needle.encode("utf-16-be") in raw
    return needle in str(value)


@pytest.mark.parametrize("name", [NAME, HAN_NAME])
def test_the_signers_name_is_not_in_clear_in_certificates(
        client: TestClient, api: Api, outbox: Path, ctx: Context, name: str) -> None:
    api.template()
    seq = 41 if name == NAME else 42
    auth = api.request(seq=seq, subject={"name": name, "id_type": "resident_id",
                                         "id_number": resident_id(seq), "mobile": mobile(seq)})
    sign(client, outbox, auth)
    rows = [r for r in _raw_rows(ctx.db) if r["authorization_id"] == auth["id"]]
    assert len(rows) == 1
    row = rows[0]
    assert not [col for col, value in row.items() if _contains(value, name)]
    with ctx.db.engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("certificates")}
    assert "subject" not in columns
    assert "der" not in columns
    # what the CRL and OCSP need stays readable, and the certificate itself is recoverable
    assert row["revoked_at"] is None
    with ctx.db.transaction() as session:
        store = SqlCertificateStore(session)
        cert = recorded_certificate(store, ctx.keys, int(str(row["serial"]), 16))
    assert cert is not None
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == name
    assert format(cert.serial_number, "x") == row["serial"]


def test_a_certificate_ciphertext_does_not_open_in_another_row(ctx: Context) -> None:
    _, cert = issue_event_certificate(
        ctx.pki, name=NAME, id_commitment_hex=make_id_commitment("1")[1],
        authorization_id="a-aad", letter_sha256_hex="00" * 32, now=dt.datetime.now(dt.UTC))
    serial = format(cert.serial_number, "x")
    with ctx.db.transaction() as session:
        store = SqlCertificateStore(session)
        record_certificate(store, cert, keys=ctx.keys, kind="event",
                           authorization_id="a-aad")
    with ctx.db.transaction() as session:
        store = SqlCertificateStore(session)
        row = session.get(IssuedCertificate, serial)
        assert row is not None
        assert NAME.encode() not in row.der_enc
        assert recorded_certificate(store, ctx.keys, cert.serial_number) == cert
        with pytest.raises(IntegrityFailure):  # moved to another row, it does not open
            ctx.keys.decrypt(row.der_enc, aad=certificate_aad("ff" + serial))


def _certificate_der(name: str) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(0x1234abcd)
            .not_valid_before(now).not_valid_after(now + dt.timedelta(minutes=10))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(Encoding.DER)


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        with throwaway_postgres(require_postgres()) as url:
            yield url


def _before_0008_with_a_clear_row(url: str, der: bytes) -> Database:
    db = Database.connect(url)
    with db.engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "0007_rate_limits")
        conn.execute(text(
            "INSERT INTO certificates (serial, kind, issuer_key_id, authorization_id, subject,"
            " not_before, not_after, der) VALUES ('1234abcd', 'event', 'k', 'auth-old', "
            ":subject, :nb, :na, :der)"),
            {"subject": f"CN={NAME}", "nb": dt.datetime(2026, 1, 1),
             "na": dt.datetime(2026, 1, 2), "der": der})
    return db


def test_migration_0008_encrypts_existing_rows(fresh_url: str) -> None:
    der = _certificate_der(NAME)
    db = _before_0008_with_a_clear_row(fresh_url, der)
    keys = DataKeys(b"\x05" * 32)
    try:
        db.migrate(data_keys=keys)
        (row,) = _raw_rows(db)
        assert set(row) == {"serial", "kind", "issuer_key_id", "authorization_id",
                            "not_before", "not_after", "der_enc", "revoked_at",
                            "revocation_reason"}
        assert not [col for col, value in row.items() if _contains(value, NAME)]
        with db.transaction() as session:
            store = SqlCertificateStore(session)
            cert = recorded_certificate(store, keys, 0x1234abcd)
        assert cert is not None
        assert cert.public_bytes(Encoding.DER) == der
    finally:
        db.dispose()
    if fresh_url.startswith("sqlite"):
        # nor in the file's free pages: the migration ends with VACUUM
        raw = Path(fresh_url.removeprefix("sqlite:///")).read_bytes()
        assert NAME.encode() not in raw


def test_migration_0008_refuses_rows_it_cannot_encrypt(fresh_url: str) -> None:
    db = _before_0008_with_a_clear_row(fresh_url, _certificate_der(NAME))
    try:
        with pytest.raises(ConfigurationError, match="master key"):
            db.migrate()
        assert db.current_revision() == "0007_rate_limits"  # nothing half-done
        (row,) = _raw_rows(db)
        assert row["serial"] == "1234abcd"
    finally:
        db.dispose()
