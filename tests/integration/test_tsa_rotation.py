"""`anxin keys rotate`: new issuing CA and TSA; what was signed before still verifies."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography import x509
from typer.testing import CliRunner

from anxin.commands.keys import keys_app
from anxin.config import load_settings
from anxin.pki.authority import ensure_pki, load_pki, subject_key_id
from anxin.pki.events import issue_event_certificate, make_id_commitment, record_certificate
from anxin.pki.revocation import revoke_certificate
from anxin.pki.rootkey import offline_root_key_path
from anxin.pki.rotation import RENEW_WITHIN
from anxin.pki.serials import InMemorySerialSource
from anxin.pki.tsa import TimestampAuthority
from anxin.services.key_rotation import rotate_online_keys
from anxin.storage.certificate_store import SqlCertificateStore
from tests.integration.pki_support import TEST_KEYS, openssl, sqlite_db, utcnow


def test_rotation_keeps_old_tokens_verifiable(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", key_passphrase="pw",
                             database_url=f"sqlite:///{tmp_path / 'anxin.db'}")
    ensure_pki(settings)
    db = sqlite_db(tmp_path)
    before = load_pki(settings)
    seal_key_pem = (settings.keys_dir / "seal.key").read_bytes()
    root_pem = (settings.keys_dir / "root.crt").read_bytes()
    # something signed before the rotation: a token and a revoked event certificate
    (tmp_path / "data.txt").write_bytes(b"signed before rotation\n")
    openssl("ts", "-query", "-data", tmp_path / "data.txt", "-sha256", "-cert",
            "-out", tmp_path / "q.tsq")
    old_tsa = TimestampAuthority(before, InMemorySerialSource())
    (tmp_path / "old.tsr").write_bytes(old_tsa.respond((tmp_path / "q.tsq").read_bytes()))
    _, event = issue_event_certificate(
        before, name="王五", id_commitment_hex=make_id_commitment("1")[1],
        authorization_id="a", letter_sha256_hex=hashlib.sha256(b"l").hexdigest(),
        now=utcnow())
    with db.transaction() as session:
        store = SqlCertificateStore(session)
        record_certificate(store, event, keys=TEST_KEYS, kind="event",
                           authorization_id="a")
        revoke_certificate(store, event.serial_number, "keyCompromise", utcnow())

    result = rotate_online_keys(settings, db, root_key_path=offline_root_key_path(settings))

    after = load_pki(settings)
    assert result.old_issuing_key_id == before.issuing_key_id
    assert after.issuing_key_id == result.new_issuing_key_id != before.issuing_key_id
    assert subject_key_id(after.tsa_cert) != subject_key_id(before.tsa_cert)
    assert (settings.keys_dir / "root.crt").read_bytes() == root_pem
    assert (settings.keys_dir / "seal.key").read_bytes() == seal_key_pem
    assert after.seal_cert.public_key() == before.seal_cert.public_key()
    after.seal_cert.verify_directly_issued_by(after.issuing_cert)
    assert before.issuing_cert in after.archived_certs
    assert before.tsa_cert in after.archived_certs
    assert sorted(p.name for p in result.archive_dir.iterdir()) == [  # no private key kept
        "final-ocsp", "issuing-final.crl", "issuing.crt", "seal.crt", "tsa.crt"]
    # the retired CA's last word on its live TSA and seal certificates, for renewals
    assert sorted(p.stem for p in (result.archive_dir / "final-ocsp").iterdir()) == sorted(
        format(c.serial_number, "x") for c in (before.tsa_cert, before.seal_cert))
    final = x509.load_der_x509_crl((result.archive_dir / "issuing-final.crl").read_bytes())
    assert final.is_signature_valid(before.issuing_cert.public_key())  # type: ignore[arg-type]
    assert final.get_revoked_certificate_by_serial_number(event.serial_number) is not None
    assert final.next_update_utc is not None
    # no update announced after the renewal window (rotation.RENEW_WITHIN), nor after a
    # live TSA or seal certificate of the retired CA expires
    assert utcnow() < final.next_update_utc <= utcnow() + RENEW_WITHIN
    assert final.next_update_utc < before.tsa_cert.not_valid_after_utc

    # the old token verifies against the same root with the archived chain
    verified = openssl("ts", "-verify", "-data", tmp_path / "data.txt", "-in",
                       tmp_path / "old.tsr", "-CAfile", settings.keys_dir / "root.crt",
                       "-untrusted", result.archive_dir / "tsa.crt")
    assert "Verification: OK" in verified
    # and new tokens verify with the newly published tsa.crt
    new_tsa = TimestampAuthority(after, InMemorySerialSource())
    (tmp_path / "new.tsr").write_bytes(new_tsa.respond((tmp_path / "q.tsq").read_bytes()))
    (tmp_path / "tsa.crt").write_bytes(after.pem("tsa.crt"))
    assert "Verification: OK" in openssl(
        "ts", "-verify", "-data", tmp_path / "data.txt", "-in", tmp_path / "new.tsr",
        "-CAfile", settings.keys_dir / "root.crt", "-untrusted", tmp_path / "tsa.crt")
    db.dispose()


def test_cli_show_and_rotate(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir,
                             database_url=f"sqlite:///{tmp_path / 'anxin.db'}")
    ensure_pki(settings)
    sqlite_db(tmp_path).dispose()
    env = {"ANXIN_DATABASE_URL": f"sqlite:///{tmp_path / 'anxin.db'}"}
    runner = CliRunner()
    shown = runner.invoke(keys_app, ["show", "--data-dir", str(data_dir)], env=env)
    assert shown.exit_code == 0, shown.output
    assert "Anxin Issuing CA" in shown.output
    assert "archived certificates: 0" in shown.output
    old_id = load_pki(settings).issuing_key_id
    root_key = str(offline_root_key_path(settings))
    rotated = runner.invoke(keys_app, ["rotate", "--yes", "--data-dir", str(data_dir),
                                       "--root-key", root_key], env=env)
    assert rotated.exit_code == 0, rotated.output
    assert f"issuing CA {old_id[:8]} retired" in rotated.output
    assert load_pki(settings).issuing_key_id != old_id
    refused = runner.invoke(keys_app, ["rotate", "--data-dir", str(data_dir),
                                       "--root-key", root_key], input="n\n", env=env)
    assert refused.exit_code != 0
    missing = runner.invoke(keys_app, ["show", "--data-dir", str(tmp_path / "nowhere")])
    assert missing.exit_code == 1
    assert "incomplete" in missing.output
