"""One deployment, many nodes: the key material in the database (SQLite and PostgreSQL).

- `anxin node add` writes the deployment's keys, identical to the first node's (private
  keys wrapped with the new node's own passphrase), and generates none; the new node then
  initialises without creating anything.
- A node whose keys are another deployment's is refused, naming what differs; so is a
  node whose master secret is not the deployment's, and a wrong secret given to
  `anxin node add` (a message, no traceback).
- `anxin init` with a keyless data directory on a deployment's database makes no keys
  and points to `anxin node add`.
- A rotation on one node reaches the others at their next start.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from anxin.config import Settings, load_settings
from anxin.keys import create_master_key, read_master_secret
from anxin.pki.key_material import DeploymentMismatch, identity, read_key_files
from anxin.pki.keyfiles import is_encrypted_key
from anxin.services.key_rotation import rotate_online_keys
from anxin.services.node_add import add_node
from anxin.services.setup import initialise
from anxin.storage.database import Database

ANXIN = [sys.executable, "-m", "anxin"]


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ANXIN, *args], capture_output=True, text=True, check=False,
                          timeout=180, cwd=cwd,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), **env})


def _secret(settings: Settings) -> bytes:
    return read_master_secret(settings.keys_dir / "master.key", settings.key_passphrase)


def _new_node(settings: Settings, tmp_path: Path, name: str = "node-b",
              passphrase: str | None = "node b passphrase",  # noqa: S107 (a test value)
              ) -> Settings:
    add_node(tmp_path / name, settings.effective_database_url, master=_secret(settings),
             passphrase=passphrase)
    return load_settings(data_dir=tmp_path / name, key_passphrase=passphrase)


def _own_deployment(tmp_path: Path, name: str) -> Settings:
    """A data directory with keys of its own (made on a database of its own)."""
    initialise(load_settings(data_dir=tmp_path / name,
                             database_url=f"sqlite:///{tmp_path / (name + '.db')}"))
    return load_settings(data_dir=tmp_path / name)


def test_node_add_writes_the_deployments_keys_and_generates_none(settings, tmp_path):
    node = _new_node(settings, tmp_path)
    first = read_key_files(settings.keys_dir, settings.key_passphrase)
    assert read_key_files(node.keys_dir, node.key_passphrase) == first
    assert _secret(node) == _secret(settings)
    assert node.effective_database_url == settings.effective_database_url
    # At rest, the new node's private keys are wrapped with its own passphrase.
    assert all(is_encrypted_key(p) for p in node.keys_dir.rglob("*.key")
               if p.name != "master.key")
    assert not (node.data_dir / "offline").exists()  # the root key never travels
    steps = {s.name: s.created for s in initialise(node)}
    assert not any(steps.values()), steps
    assert read_key_files(node.keys_dir, node.key_passphrase) == first


def test_a_node_with_another_deployments_keys_is_refused_naming_the_differences(
        settings, tmp_path):
    other = _own_deployment(tmp_path, "stranger")
    pointed = load_settings(data_dir=other.data_dir,
                            database_url=settings.effective_database_url)
    with pytest.raises(DeploymentMismatch) as info:
        initialise(pointed)
    detail = info.value.detail
    assert "root certificate SHA-256" in detail
    assert "ledger key id" in detail
    mine = identity(read_key_files(other.keys_dir, None))
    theirs = identity(read_key_files(settings.keys_dir, None))
    assert mine.root_sha256 in detail
    assert theirs.root_sha256 in detail
    assert "anxin node add" in detail


def test_anxin_serve_with_mismatched_keys_exits_with_the_reason(settings, tmp_path):
    other = _own_deployment(tmp_path, "stranger")
    r = _run(["serve", "--data-dir", str(other.data_dir), "--port", "1"],
             {"ANXIN_DATABASE_URL": settings.effective_database_url}, tmp_path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "root certificate SHA-256" in r.stderr
    assert "[deployment_mismatch]" in r.stderr
    assert "Traceback" not in r.stderr


def test_a_node_whose_master_secret_is_not_the_deployments_is_refused(settings, tmp_path):
    node = _new_node(settings, tmp_path, passphrase=None)
    (node.keys_dir / "master.key").unlink()
    create_master_key(node.keys_dir / "master.key", None)
    with pytest.raises(DeploymentMismatch, match="master secret is not this deployment's"):
        initialise(node)


def test_init_on_a_deployments_database_without_its_keys_refuses_to_make_keys(
        settings, tmp_path):
    fresh = tmp_path / "fresh"
    r = _run(["init", "--data-dir", str(fresh)],
             {"ANXIN_DATABASE_URL": settings.effective_database_url}, tmp_path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "anxin node add" in r.stderr
    assert "[deployment_mismatch]" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (fresh / "keys" / "root.crt").exists()
    assert not (fresh / "keys" / "master.key").exists()
    assert not (fresh / "offline").exists()


def test_node_add_cli_with_a_wrong_secret_says_so(settings, tmp_path):
    wrong = base64.b64encode(os.urandom(32)).decode()
    r = _run(["node", "add", "--data-dir", str(tmp_path / "n"), "--database-url",
              settings.effective_database_url], {"ANXIN_MASTER_KEY": wrong}, tmp_path)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "master secret is not this deployment's" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "n" / "keys").exists()
    r = _run(["node", "add", "--data-dir", str(tmp_path / "n"), "--database-url",
              settings.effective_database_url], {"ANXIN_MASTER_KEY": "not base64!"}, tmp_path)
    assert r.returncode == 1, r.stderr
    assert "ANXIN_MASTER_KEY is not base64" in r.stderr, r.stderr


def test_node_secret_and_node_add_through_the_cli(settings, tmp_path):
    r = _run(["node", "secret", "--data-dir", str(settings.data_dir)], {}, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "WARNING" in r.stderr
    secret_file = tmp_path / "secret"
    secret_file.write_text(r.stdout)
    r = _run(["node", "add", "--data-dir", str(tmp_path / "n"), "--database-url",
              settings.effective_database_url, "--master-key-file", str(secret_file)],
             {"ANXIN_KEY_PASSPHRASE": "n"}, tmp_path)
    assert r.returncode == 0, r.stderr
    root = identity(read_key_files(settings.keys_dir, None)).root_sha256
    assert root in r.stdout
    assert "keys/tsa.key" in r.stdout
    assert read_key_files(tmp_path / "n" / "keys", "n") == read_key_files(settings.keys_dir,
                                                                           None)
    again = _run(["node", "add", "--data-dir", str(tmp_path / "n"), "--database-url",
                  settings.effective_database_url, "--master-key-file", str(secret_file)],
                 {}, tmp_path)
    assert again.returncode == 1, again.stderr
    assert "exists" in again.stderr, again.stderr


def test_a_rotation_on_one_node_reaches_the_others_at_their_next_start(settings, tmp_path):
    node = _new_node(settings, tmp_path)
    before = read_key_files(node.keys_dir, node.key_passphrase)
    db = Database.connect(settings.effective_database_url)
    try:
        rotate_online_keys(settings, db, leaves_only=True)
    finally:
        db.dispose()
    rotated = read_key_files(settings.keys_dir, settings.key_passphrase)
    assert rotated["tsa.crt"] != before["tsa.crt"]
    steps = {s.name: s.created for s in initialise(node)}
    assert steps["deployment key material in the database"] is True
    assert read_key_files(node.keys_dir, node.key_passphrase) == rotated
    assert any(n.startswith("archive/") for n in rotated)
    assert is_encrypted_key(node.keys_dir / "tsa.key")


def test_a_rotation_made_without_the_database_is_stored_at_the_next_start(settings, tmp_path):
    rotate_online_keys(settings, leaves_only=True)  # no database: the files change only here
    rotated = read_key_files(settings.keys_dir, settings.key_passphrase)
    steps = {s.name: s.created for s in initialise(settings)}
    assert steps["deployment key material in the database"] is True
    node = _new_node(settings, tmp_path)  # a new node gets the rotated keys
    assert read_key_files(node.keys_dir, node.key_passphrase) == rotated


def test_keys_changed_on_a_node_and_in_the_database_are_refused_naming_the_files(
        settings, tmp_path):
    node = _new_node(settings, tmp_path)
    db = Database.connect(settings.effective_database_url)
    try:
        rotate_online_keys(settings, db, leaves_only=True)
    finally:
        db.dispose()
    rotate_online_keys(node, leaves_only=True)  # the other node rotates too, unpublished
    mine = read_key_files(node.keys_dir, node.key_passphrase)
    with pytest.raises(DeploymentMismatch, match=r"both changed .*tsa\.crt"):
        initialise(node)
    assert read_key_files(node.keys_dir, node.key_passphrase) == mine  # nothing lost
