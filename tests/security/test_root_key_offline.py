"""Issue 12 item 14: the root CA key is not kept, unencrypted, among the web server's keys.

``anxin init`` writes it to ``<data dir>/offline/root.key`` (encrypted with
``ANXIN_ROOT_KEY_PASSPHRASE`` when set, asked for only when a terminal is attached) and
warns loudly; ``anxin serve`` runs and signs with no root key at all; root operations
(full rotation, root CRL) take the key file explicitly and refuse without it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from typer.testing import CliRunner

from anxin.commands.keys import keys_app
from anxin.config import load_settings
from anxin.errors import ConfigurationError
from anxin.pki.authority import ensure_pki, load_pki
from anxin.pki.keyfiles import load_certificate
from anxin.pki.rootkey import offline_root_key_path, open_root_key
from anxin.services.key_rotation import rotate_online_keys
from tests.common.factories import Api, sign
from tests.common.terminal import in_terminal
from tests.integration.pki_support import sqlite_db
from tests.integration.test_cli import _wait_health, free_port

ANXIN = [sys.executable, "-m", "anxin"]
ENCRYPTED = b"-----BEGIN ENCRYPTED PRIVATE KEY-----"


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ANXIN_KEY_PASSPHRASE", "ANXIN_ROOT_KEY_PASSPHRASE", "ANXIN_DATA_DIR",
                        "ANXIN_DATABASE_URL", "ANXIN_PORT", "ANXIN_BASE_URL")}
    return {**env, **extra}


def _init(data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ANXIN, "init", "--data-dir", str(data)], capture_output=True,
                          text=True, env=_env(**env), stdin=subprocess.DEVNULL, timeout=120,
                          check=True)


def test_init_without_passphrase_writes_the_root_key_offline_and_warns(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = _init(data)
    assert not (data / "keys" / "root.key").exists()
    root_key = data / "offline" / "root.key"
    assert root_key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert os.stat(root_key).st_mode & 0o777 == 0o600
    assert os.stat(root_key.parent).st_mode & 0o777 == 0o700
    assert f"root CA key is stored UNENCRYPTED at {root_key}" in done.stderr
    assert "Move it off this machine" in done.stderr
    assert "WITHOUT a passphrase: set ANXIN_KEY_PASSPHRASE" in done.stderr
    # the key under offline/ is the root's, and it is the only copy on the machine
    settings = load_settings(data_dir=data)
    open_root_key(root_key, settings, load_certificate(data / "keys" / "root.crt"))
    assert [p.name for p in data.rglob("root.key")] == ["root.key"]


def test_init_with_the_root_passphrase_encrypts_the_root_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = _init(data, ANXIN_ROOT_KEY_PASSPHRASE="root secret", ANXIN_KEY_PASSPHRASE="online")
    root_key = data / "offline" / "root.key"
    assert root_key.read_bytes().startswith(ENCRYPTED)
    assert not (data / "keys" / "root.key").exists()
    assert "UNENCRYPTED" not in done.stderr
    assert "WITHOUT a passphrase" not in done.stderr
    root_cert = load_certificate(data / "keys" / "root.crt")
    with pytest.raises(ConfigurationError, match="ANXIN_ROOT_KEY_PASSPHRASE"):
        open_root_key(root_key, load_settings(data_dir=data), root_cert)
    with pytest.raises(ConfigurationError, match="cannot open"):
        open_root_key(root_key, load_settings(data_dir=data, root_key_passphrase="online"),
                      root_cert)
    opened = open_root_key(root_key, load_settings(data_dir=data,
                                                   root_key_passphrase="root secret"),
                           root_cert)
    assert opened.public_key() == root_cert.public_key()


def test_init_in_a_terminal_asks_for_the_root_passphrase(tmp_path: Path) -> None:
    data = tmp_path / "data"
    term = in_terminal([*ANXIN, "init", "--data-dir", str(data)], _env())
    try:
        term.expect("Passphrase for the root CA key")
        term.send_secret("typed at the terminal")
        term.expect("Repeat for confirmation")
        term.send_secret("typed at the terminal")
        assert term.wait() == 0, term.output
    finally:
        term.close()
    assert (data / "offline" / "root.key").read_bytes().startswith(ENCRYPTED)
    open_root_key(data / "offline" / "root.key",
                  load_settings(data_dir=data, root_key_passphrase="typed at the terminal"))


def test_serve_in_a_terminal_never_asks(tmp_path: Path) -> None:
    # `make run` is `anxin serve --demo`: even with a terminal attached it asks nothing.
    data, port = tmp_path / "data", free_port()
    term = in_terminal([*ANXIN, "serve", "--demo", "--data-dir", str(data), "--port",
                        str(port)], _env())
    try:
        term.expect("Demo signing link")
        assert "assphrase for" not in term.output
        assert "UNENCRYPTED" in term.output  # the same loud warning as init
        assert term.proc.poll() is None
    finally:
        term.close()
    assert not (data / "keys" / "root.key").exists()


def test_serve_starts_and_signs_with_no_root_key_anywhere(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    _init(data)
    (data / "offline" / "root.key").unlink()
    (data / "offline").rmdir()
    inst = subprocess.run([*ANXIN, "institution", "add", "Bank", "--json", "--data-dir",
                           str(data)], capture_output=True, text=True, env=_env(),
                          check=True, timeout=120)
    api_key = json.loads(inst.stdout.strip().splitlines()[-1])["api_key"]
    proc = subprocess.Popen([*ANXIN, "serve", "--data-dir", str(data), "--port", str(port)],
                            env=_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_health(base, proc)
        with httpx.Client(base_url=base, timeout=60) as client:
            api = Api(client, api_key, "")  # type: ignore[arg-type]
            api.template()
            auth = api.request()
            signed = sign(client, data / "outbox" / "sms.jsonl", auth)  # type: ignore[arg-type]
            assert signed["status"] == "active", signed
            assert api.use(auth["id"]).status_code == 201
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        assert proc.stdout is not None
        proc.stdout.close()
    assert not list(data.rglob("root.key"))


def test_full_rotation_takes_the_root_key_explicitly(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data",
                             database_url=f"sqlite:///{tmp_path / 'anxin.db'}")
    ensure_pki(settings)
    sqlite_db(tmp_path).dispose()
    root_key = offline_root_key_path(settings)
    old = load_pki(settings).issuing_key_id
    keys = sorted(p.name for p in settings.keys_dir.iterdir())
    with pytest.raises(ConfigurationError, match="--root-key"):
        rotate_online_keys(settings)
    assert sorted(p.name for p in settings.keys_dir.iterdir()) == keys  # nothing changed
    runner = CliRunner()
    env = {"ANXIN_DATABASE_URL": settings.effective_database_url}
    refused = runner.invoke(keys_app, ["rotate", "--yes", "--data-dir",
                                       str(settings.data_dir)], env=env)
    assert refused.exit_code == 2
    assert "--root-key" in refused.output
    assert load_pki(settings).issuing_key_id == old
    # the leaves need no root key, also with the key gone from the machine
    moved = tmp_path / "usb" / "root.key"
    moved.parent.mkdir()
    root_key.rename(moved)
    leaves = runner.invoke(keys_app, ["rotate", "--leaves", "--yes", "--data-dir",
                                      str(settings.data_dir)], env=env)
    assert leaves.exit_code == 0, leaves.output
    rotated = runner.invoke(keys_app, ["rotate", "--yes", "--data-dir", str(settings.data_dir),
                                       "--root-key", str(moved)], env=env)
    assert rotated.exit_code == 0, rotated.output
    new = load_pki(settings)
    assert new.issuing_key_id != old
    new.issuing_cert.verify_directly_issued_by(new.root_cert)


def test_an_encrypted_root_key_needs_its_passphrase_to_rotate(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data", root_key_passphrase="rp")
    ensure_pki(settings)
    root_key = offline_root_key_path(settings)
    plain = load_settings(data_dir=tmp_path / "data")
    with pytest.raises(ConfigurationError, match="ANXIN_ROOT_KEY_PASSPHRASE"):
        rotate_online_keys(plain, root_key_path=root_key)
    result = rotate_online_keys(settings, root_key_path=root_key)
    assert result.new_issuing_key_id != result.old_issuing_key_id


def test_the_root_crl_is_re_signed_with_the_explicit_root_key(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    ensure_pki(settings)
    crl_path = settings.keys_dir / "root.crl"
    before = crl_path.read_bytes()
    runner = CliRunner()
    refused = runner.invoke(keys_app, ["root-crl", "--data-dir", str(settings.data_dir)])
    assert refused.exit_code == 2
    assert crl_path.read_bytes() == before
    done = runner.invoke(keys_app, ["root-crl", "--data-dir", str(settings.data_dir),
                                    "--root-key", str(offline_root_key_path(settings))])
    assert done.exit_code == 0, done.output
    crl = x509.load_der_x509_crl(crl_path.read_bytes())
    assert crl_path.read_bytes() != before
    root = load_certificate(settings.keys_dir / "root.crt")
    assert crl.is_signature_valid(root.public_key())  # type: ignore[arg-type]


def test_a_legacy_root_key_in_keys_is_moved_out(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    ensure_pki(settings)
    offline = offline_root_key_path(settings)
    pem = offline.read_bytes()
    offline.rename(settings.keys_dir / "root.key")  # where earlier versions kept it
    assert ensure_pki(settings) is True
    assert not (settings.keys_dir / "root.key").exists()
    assert offline.read_bytes() == pem
