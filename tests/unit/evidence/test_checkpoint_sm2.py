"""The SM2 line of ledger checkpoints: format, a second implementation, tampering, and
that the Ed25519 verifier still accepts the note (C2SP: unknown keys are ignored)."""

from __future__ import annotations

import base64
import hashlib
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anxin.errors import ConfigurationError
from anxin.evidence.checkpoint_sm2 import (
    SIGNATURE_TYPE,
    Sm2NoteSigner,
    ensure_sm2_ledger_key,
    load_sm2_note_signer,
    parse_sm2_verifier_key,
    split_note,
    verify_sm2_line,
)
from anxin.ledger.checkpoint import (
    Checkpoint,
    CheckpointInvalid,
    NoteSigner,
    verify_checkpoint,
)
from anxin.pki import sm2
from tests.common.gmssl_check import gm_verify_der

ORIGIN = "anxin.example.test/anxin"
CP = Checkpoint(ORIGIN, 42, hashlib.sha256(b"root").digest())


@pytest.fixture(scope="module")
def sm2_line() -> Sm2NoteSigner:
    return Sm2NoteSigner(ORIGIN, sm2.generate_private_key())


@pytest.fixture(scope="module")
def ed() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def note(ed: NoteSigner, sm2_line: Sm2NoteSigner) -> str:
    return NoteSigner(ORIGIN, ed.key, extra=[sm2_line]).sign_checkpoint(CP)


def _sm2_blob(note: str) -> tuple[int, bytes]:
    """(line number, key ID ‖ signature) of the note's second signature line."""
    lines = note.split("\n")
    i = len(lines) - 2
    return i, base64.b64decode(lines[i].split(" ")[2])


def test_the_note_has_both_lines_and_both_verify(note: str, ed: NoteSigner,
                                                sm2_line: Sm2NoteSigner) -> None:
    text, lines = split_note(note)
    assert text == CP.body()
    assert [line.split(" ")[:2] for line in lines] == [["—", ORIGIN], ["—", ORIGIN]]
    assert verify_sm2_line(note, sm2_line.verifier_key) == CP
    # the existing Ed25519 verifier ignores the SM2 line (same name, another key ID) ...
    assert verify_checkpoint(note, ed.verifier_key) == CP
    # ... and verifies the Ed25519 line when it is alone, as before
    assert verify_checkpoint(ed.sign_checkpoint(CP), ed.verifier_key) == CP


def test_the_key_id_and_verifier_key_follow_the_documented_recipe(
        sm2_line: Sm2NoteSigner, note: str, ed: NoteSigner) -> None:
    assert SIGNATURE_TYPE.hex() == "ff06082a811ccf55018375"
    spki = sm2_line.key.public_key().to_der()
    expected_id = hashlib.sha256(ORIGIN.encode() + b"\n" + b"\xff"
                                 + bytes.fromhex("06082a811ccf55018375") + spki).digest()[:4]
    name, id_hex, b64 = sm2_line.verifier_key.split("+", 2)
    assert (name, id_hex) == (ORIGIN, expected_id.hex())
    assert base64.b64decode(b64) == SIGNATURE_TYPE + spki
    _, blob = _sm2_blob(note)
    assert blob[:4] == expected_id
    assert blob[:4] != ed.hash  # same name, another key ID
    assert parse_sm2_verifier_key(sm2_line.verifier_key).public == sm2_line.key.public_key()


def test_gmssl_verifies_the_sm2_line_over_the_note_text(note: str,
                                                        sm2_line: Sm2NoteSigner) -> None:
    _, blob = _sm2_blob(note)
    assert blob[4] == 0x30  # DER SEQUENCE {r, s}
    public = sm2_line.key.public_key()
    assert gm_verify_der(public, CP.body().encode(), blob[4:])
    assert not gm_verify_der(public, CP.body().encode() + b"x", blob[4:])


def test_a_changed_byte_of_the_body_fails_both_lines(note: str, ed: NoteSigner,
                                                     sm2_line: Sm2NoteSigner) -> None:
    for i in range(len(CP.body()) - 1):
        if note[i] == "\n":
            continue
        tampered = note[:i] + ("1" if note[i] != "1" else "2") + note[i + 1:]
        with pytest.raises(CheckpointInvalid, match=r"SM2 signature .* does not verify"):
            verify_sm2_line(tampered, sm2_line.verifier_key)
        with pytest.raises(CheckpointInvalid, match="does not verify"):
            verify_checkpoint(tampered, ed.verifier_key)


def test_a_changed_byte_of_the_sm2_signature_fails(note: str, ed: NoteSigner,
                                                   sm2_line: Sm2NoteSigner) -> None:
    i, blob = _sm2_blob(note)
    lines = note.split("\n")
    for j in range(4, len(blob)):
        bad = bytearray(blob)
        bad[j] ^= 0x01
        lines[i] = f"— {ORIGIN} {base64.b64encode(bytes(bad)).decode()}"
        tampered = "\n".join(lines)
        with pytest.raises(CheckpointInvalid, match="SM2 signature"):
            verify_sm2_line(tampered, sm2_line.verifier_key)
        assert verify_checkpoint(tampered, ed.verifier_key) == CP  # not its line


def test_a_note_without_the_sm2_line_or_by_another_key_fails(ed: NoteSigner,
                                                             note: str) -> None:
    other = Sm2NoteSigner(ORIGIN, sm2.generate_private_key())
    with pytest.raises(CheckpointInvalid, match="no SM2 signature"):
        verify_sm2_line(ed.sign_checkpoint(CP), other.verifier_key)
    with pytest.raises(CheckpointInvalid, match="no SM2 signature"):
        verify_sm2_line(note, other.verifier_key)
    renamed = Sm2NoteSigner("another.example/log", other.key)
    with pytest.raises(CheckpointInvalid, match="no SM2 signature"):
        verify_sm2_line(other.add_line(ed.sign_checkpoint(CP)), renamed.verifier_key)


def test_malformed_verifier_keys_are_refused(ed: NoteSigner, sm2_line: Sm2NoteSigner,
                                             note: str) -> None:
    name, id_hex, b64 = sm2_line.verifier_key.split("+", 2)
    flipped = f"{int(id_hex, 16) ^ 1:08x}"
    raw = base64.b64decode(b64)
    for bad, reason in ((ed.verifier_key, "not an SM2-with-SM3 key"),
                        (f"{name}+{flipped}+{b64}", "ID does not match"),
                        (f"{name}x+{id_hex}+{b64}", "ID does not match"),
                        ("no plus signs", "not a signed-note verifier key"),
                        (f"{name}+{id_hex}+!!", "not a signed-note verifier key"),
                        (f"{name}+{id_hex}+{base64.b64encode(raw[:-1]).decode()}",
                         "SM2 public key")):
        with pytest.raises(CheckpointInvalid, match=reason):
            verify_sm2_line(note, bad)


def test_malformed_notes_are_refused(sm2_line: Sm2NoteSigner) -> None:
    for bad in ("", CP.body(), CP.body() + "\n— x y"):
        with pytest.raises(CheckpointInvalid):
            verify_sm2_line(bad, sm2_line.verifier_key)
    with pytest.raises(CheckpointInvalid):
        sm2_line.add_line(CP.body())


def test_adding_the_same_key_twice_is_refused(note: str, sm2_line: Sm2NoteSigner) -> None:
    with pytest.raises(ValueError, match="already has a line"):
        sm2_line.add_line(note)
    with pytest.raises(ValueError, match="no spaces"):
        Sm2NoteSigner("bad name", sm2_line.key)


def test_the_key_file_is_encrypted_private_and_kept(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert ensure_sm2_ledger_key(keys, "pass phrase")
    path = keys / "sm2" / "ledger.key"
    assert path.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    before = path.read_bytes()
    assert not ensure_sm2_ledger_key(keys, "pass phrase")
    assert path.read_bytes() == before
    signer = load_sm2_note_signer(keys, "pass phrase", ORIGIN)
    assert signer.verifier_key == load_sm2_note_signer(keys, "pass phrase",
                                                       ORIGIN).verifier_key
    with pytest.raises(ConfigurationError, match="ANXIN_KEY_PASSPHRASE"):
        load_sm2_note_signer(keys, None, ORIGIN)
    with pytest.raises(sm2.SM2KeyInvalid):
        load_sm2_note_signer(keys, "wrong", ORIGIN)
    with pytest.raises(ConfigurationError, match="no SM2 ledger key"):
        load_sm2_note_signer(tmp_path / "elsewhere", "pass phrase", ORIGIN)
    assert ensure_sm2_ledger_key(tmp_path / "plain", None)
    assert (tmp_path / "plain" / "sm2" / "ledger.key").read_bytes().startswith(
        b"-----BEGIN PRIVATE KEY-----")
    load_sm2_note_signer(tmp_path / "plain", None, ORIGIN)
