"""Checkpoints: C2SP tlog-checkpoint bodies as C2SP signed notes, Ed25519.

A checkpoint is ``<origin>\\n<size>\\n<base64 root>\\n``; the signed note appends a blank
line and ``— <key name> <base64(key hash[4] || signature)>\\n``. The verifier key is
``<name>+<hex key hash>+<base64(0x01 || public key)>``, key hash = the first four bytes of
SHA-256(name || "\\n" || 0x01 || public key).

>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> signer = NoteSigner("localhost/anxin", Ed25519PrivateKey.generate())
>>> note = signer.sign_checkpoint(Checkpoint("localhost/anxin", 3, b"\\x00" * 32))
>>> verify_checkpoint(note, signer.verifier_key).size
3

Other signature lines (the ``sm`` and ``dual`` profiles' SM2 line,
:mod:`anxin.evidence.checkpoint_sm2`) are added by the ``extra`` line signers after the
Ed25519 one; :func:`verify_checkpoint` ignores lines of keys it does not know, as C2SP
signed-note requires.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from anxin.config import Settings
from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.private_files import create_private_file

ALG_ED25519 = b"\x01"
DASH = "\u2014"


class CheckpointInvalid(IntegrityFailure):
    code = Code.CHECKPOINT_INVALID


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def key_hash(name: str, public_raw: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + ALG_ED25519 + public_raw).digest()[:4]


class NoteLineSigner(Protocol):
    """Adds its own signature line to a signed note (the SM2 line of issue 14)."""

    def add_line(self, note: str) -> str:
        ...


def check_key_name(name: str) -> None:
    """C2SP signed-note: a key name is non-empty, with no Unicode space and no '+'."""
    if not name or any(c.isspace() for c in name) or "+" in name:
        raise ValueError("a note key name has no spaces and no '+'")


class NoteSigner:
    def __init__(self, name: str, key: Ed25519PrivateKey,
                 extra: Sequence[NoteLineSigner] = ()) -> None:
        check_key_name(name)
        self.name = name
        self.key = key
        self.extra = tuple(extra)
        self.public_raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                                        serialization.PublicFormat.Raw)
        self.hash = key_hash(name, self.public_raw)

    @property
    def verifier_key(self) -> str:
        return (f"{self.name}+{self.hash.hex()}+"
                f"{base64.b64encode(ALG_ED25519 + self.public_raw).decode()}")

    def sign_checkpoint(self, cp: Checkpoint) -> str:
        text = cp.body()
        sig = self.key.sign(text.encode())
        note = f"{text}\n{DASH} {self.name} {base64.b64encode(self.hash + sig).decode()}\n"
        for line_signer in self.extra:
            note = line_signer.add_line(note)
        return note


def parse_verifier_key(vkey: str) -> tuple[str, bytes, Ed25519PublicKey]:
    try:
        name, hash_hex, b64 = vkey.strip().split("+", 2)
        raw = base64.b64decode(b64, validate=True)
    except ValueError:
        raise CheckpointInvalid("not a signed-note verifier key") from None
    if raw[:1] != ALG_ED25519 or len(raw) != 33:
        raise CheckpointInvalid("the verifier key is not an Ed25519 key")
    if key_hash(name, raw[1:]).hex() != hash_hex:
        raise CheckpointInvalid("the verifier key's hash does not match its key")
    return name, bytes.fromhex(hash_hex), Ed25519PublicKey.from_public_bytes(raw[1:])


def verify_checkpoint(note: str, verifier_key: str) -> Checkpoint:
    """Parse a signed checkpoint and check its signature by ``verifier_key``, or raise."""
    name, khash, pub = parse_verifier_key(verifier_key)
    text, sep, sigs = note.partition("\n\n")
    if not sep:
        raise CheckpointInvalid("a signed note has a blank line before its signatures")
    text += "\n"
    found = False
    for line in sigs.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH or parts[1] != name:
            continue
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except ValueError:
            raise CheckpointInvalid("a signature line is not base64") from None
        if blob[:4] != khash:
            continue
        try:
            pub.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise CheckpointInvalid(f"the checkpoint signature by {name} does not verify"
                                    ) from None
        found = True
    if not found:
        raise CheckpointInvalid(f"the checkpoint carries no signature by {name}")
    return parse_checkpoint_body(text)


def parse_checkpoint_body(text: str) -> Checkpoint:
    """The origin, size and root of a checkpoint's note text (ending in a newline)."""
    lines = text.split("\n")
    try:
        origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2],
                                                                       validate=True)
    except (IndexError, ValueError):
        raise CheckpointInvalid("the checkpoint body is not origin/size/root") from None
    if len(root) != 32 or size < 0:
        raise CheckpointInvalid("the checkpoint's root or size is malformed")
    return Checkpoint(origin, size, root)


def ensure_ledger_key(settings: Settings) -> bool:
    path = settings.keys_dir / "ledger.key"
    if path.exists():
        return False
    key = Ed25519PrivateKey.generate()
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(settings.key_passphrase.encode())
        if settings.key_passphrase else serialization.NoEncryption())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    create_private_file(path, key.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8, enc))
    return True


def load_note_signer(settings: Settings, origin: str, keys_dir: Path | None = None, *,
                     extra: Sequence[NoteLineSigner] = ()) -> NoteSigner:
    """The ledger key, signing under the log's fixed ``origin``
    (:func:`anxin.ledger.origin.fix_origin`), never one derived from the base URL;
    ``extra`` line signers add their lines after the Ed25519 one."""
    path = (keys_dir or settings.keys_dir) / "ledger.key"
    key = serialization.load_pem_private_key(
        path.read_bytes(),
        settings.key_passphrase.encode() if settings.key_passphrase else None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointInvalid("the ledger key is not Ed25519")
    return NoteSigner(origin, key, extra=extra)
