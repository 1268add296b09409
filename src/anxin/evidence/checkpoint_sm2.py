"""The SM2 signature line of ledger checkpoints (issue 14, ``sm`` and ``dual`` profiles).

A checkpoint stays the C2SP tlog-checkpoint of the RFC 9162 SHA-256 tree, signed by the
Ed25519 line of :mod:`anxin.ledger.checkpoint`; this module adds a second line, by an SM2
key, to the same note (C2SP signed-note allows any number of signature lines, and a
verifier ignores the lines of keys it does not know). Its choices, with the spec's words:

* **Key name**: the log's origin, the same as the Ed25519 line's (tlog-checkpoint: "the
  log's key name in its signature line SHOULD match the origin line"). The two keys still
  differ, because the key ID covers the signature type (signed-note: this "allows reusing
  the same cryptographic key and name for different signature types without ambiguity").
* **Signature type**: ``0xff`` followed by the DER of the SM2-with-SM3 OBJECT IDENTIFIER
  ``1.2.156.10197.1.501`` (GM/T 0006): ``ff 06 08 2a 81 1c cf 55 01 83 75``. signed-note
  assigns ``0x01``–``0x06`` (``0x02`` ECDSA is NIST curves only), reserves ``0xfa``–``0xfe``
  and reserves ``0xff`` "for signature types without an identifier byte assigned by this
  specification", RECOMMENDING "a longer identifier that is unlikely to collide". An OID
  is assigned to exactly this algorithm, so it cannot collide with anyone's, and DER is
  self-delimiting, so the public key that follows needs no length.
* **Public key**: the SubjectPublicKeyInfo DER (id-ecPublicKey, curve sm2p256v1), as the
  ``0x02`` type does for ECDSA, so that ``openssl`` reads it as it is.
* **Key ID**: signed-note's recommendation with this type:
  ``SHA-256(name ‖ 0x0A ‖ 0xff ‖ OID DER ‖ SPKI DER)[:4]``.
* **Signature**: SM2 with SM3 (GB/T 32918.2), default user id ``1234567812345678``, over
  the note text (UTF-8, up to and including its final newline: what the Ed25519 line
  signs), encoded as DER ``SEQUENCE {r, s}`` (GM/T 0009; 70–72 bytes): the form ``openssl
  pkeyutl -verify -sigfile`` reads with no conversion.
* **Verifier key** (``/ledger/key/sm2``):
  ``<name>+<hex key ID>+<base64(0xff ‖ OID DER ‖ SPKI DER)>``.

The key file is ``<keys dir>/sm2/ledger.key``: PKCS#8 PEM, encrypted (PBES2) with the key
passphrase like the other keys.

>>> from anxin.ledger.checkpoint import Checkpoint, NoteSigner, verify_checkpoint
>>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
>>> line = Sm2NoteSigner("localhost/anxin", sm2.generate_private_key())
>>> signer = NoteSigner("localhost/anxin", Ed25519PrivateKey.generate(), extra=[line])
>>> note = signer.sign_checkpoint(Checkpoint("localhost/anxin", 3, b"\\x00" * 32))
>>> verify_sm2_line(note, line.verifier_key).size, verify_checkpoint(note,
...                                                                 signer.verifier_key).size
(3, 3)
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from anxin.errors import ConfigurationError
from anxin.ledger.checkpoint import (
    DASH,
    Checkpoint,
    CheckpointInvalid,
    check_key_name,
    parse_checkpoint_body,
)
from anxin.pki import sm2
from anxin.private_files import create_private_file, private_dir

SIGNATURE_TYPE: Final = b"\xff" + bytes.fromhex("06082a811ccf55018375")
"""0xff, then the DER of OBJECT IDENTIFIER 1.2.156.10197.1.501 (SM2-with-SM3)."""
KEY_FILE: Final = Path("sm2") / "ledger.key"


def sm2_key_id(name: str, spki_der: bytes) -> bytes:
    """The 4-byte key ID: SHA-256(name ‖ 0x0A ‖ signature type ‖ SPKI)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + SIGNATURE_TYPE + spki_der).digest()[:4]


def sm2_verifier_key(name: str, public: sm2.SM2PublicKey) -> str:
    """``<name>+<hex key ID>+<base64(type ‖ SPKI)>``: the text of ``/ledger/key/sm2``."""
    check_key_name(name)
    spki = public.to_der()
    return (f"{name}+{sm2_key_id(name, spki).hex()}+"
            f"{base64.b64encode(SIGNATURE_TYPE + spki).decode()}")


@dataclass(frozen=True, slots=True)
class Sm2VerifierKey:
    name: str
    key_id: bytes
    public: sm2.SM2PublicKey


def parse_sm2_verifier_key(vkey: str) -> Sm2VerifierKey:
    """Read a verifier key made by :func:`sm2_verifier_key`, or raise CheckpointInvalid."""
    try:
        name, id_hex, b64 = vkey.strip().split("+", 2)
        raw = base64.b64decode(b64, validate=True)
        key_id = bytes.fromhex(id_hex)
    except ValueError:
        raise CheckpointInvalid("not a signed-note verifier key") from None
    if not raw.startswith(SIGNATURE_TYPE):
        raise CheckpointInvalid("the verifier key is not an SM2-with-SM3 key (type "
                                f"{raw[:1].hex() or 'none'})")
    spki = raw[len(SIGNATURE_TYPE):]
    try:
        public = sm2.SM2PublicKey.from_der(spki)
    except sm2.SM2KeyInvalid as exc:
        raise CheckpointInvalid(f"the verifier key's SM2 public key: {exc.detail}") from None
    if len(key_id) != 4 or sm2_key_id(name, spki) != key_id:
        raise CheckpointInvalid("the SM2 verifier key's ID does not match its key")
    return Sm2VerifierKey(name, key_id, public)


def split_note(note: str) -> tuple[str, list[str]]:
    """The note text (with its final newline) and its signature lines; the text ends at
    the last blank line (C2SP signed-note)."""
    text, sep, sigs = note.rpartition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise CheckpointInvalid("a signed note is text, a blank line, then signature lines")
    return text + "\n", sigs[:-1].split("\n")


def _line_blob(line: str) -> tuple[str, bytes] | None:
    """(key name, key ID ‖ signature) of a signature line; None if it is not one."""
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != DASH:
        return None
    try:
        return parts[1], base64.b64decode(parts[2], validate=True)
    except ValueError:
        return None


class Sm2NoteSigner:
    """Adds the SM2 line to a note already signed by the log's Ed25519 key
    (a :class:`anxin.ledger.checkpoint.NoteLineSigner`)."""

    def __init__(self, name: str, key: sm2.SM2PrivateKey) -> None:
        check_key_name(name)
        self.name = name
        self.key = key
        self.key_id = sm2_key_id(name, key.public_key().to_der())
        self.verifier_key = sm2_verifier_key(name, key.public_key())

    def signature_line(self, text: str) -> str:
        """``— <name> <base64(key ID ‖ DER signature)>`` over the note ``text``."""
        signature = sm2.sign(self.key, text.encode())
        return f"{DASH} {self.name} {base64.b64encode(self.key_id + signature).decode()}"

    def add_line(self, note: str) -> str:
        """``note`` with this key's line appended. Refuses a note that already has a line
        of the same name and key ID (this key again, or a key-ID collision with another
        key that would make verifiers try the wrong key)."""
        text, lines = split_note(note)
        for line in lines:
            parsed = _line_blob(line)
            if parsed is not None and parsed[0] == self.name and \
                    parsed[1][:4] == self.key_id:
                raise ValueError(f"the note already has a line of {self.name} with key ID "
                                 f"{self.key_id.hex()}")
        return note + self.signature_line(text) + "\n"


def verify_sm2_line(note: str, verifier_key: str) -> Checkpoint:
    """Check the checkpoint's SM2 line(s) by ``verifier_key`` and return the checkpoint,
    or raise :class:`CheckpointInvalid` naming what failed. Lines of other keys are
    ignored; at least one line of this key must be there, and every one must verify."""
    vkey = parse_sm2_verifier_key(verifier_key)
    text, lines = split_note(note)
    found = False
    for line in lines:
        parsed = _line_blob(line)
        if parsed is None or parsed[0] != vkey.name or parsed[1][:4] != vkey.key_id:
            continue
        try:
            sm2.verify(vkey.public, text.encode(), parsed[1][4:])
        except sm2.SM2SignatureInvalid as exc:
            raise CheckpointInvalid(f"the checkpoint's SM2 signature by {vkey.name} does not "
                                    f"verify: {exc.detail}") from None
        found = True
    if not found:
        raise CheckpointInvalid(f"the checkpoint carries no SM2 signature by {vkey.name} "
                                f"(key ID {vkey.key_id.hex()})")
    return parse_checkpoint_body(text)


# --- the key file ----------------------------------------------------------------------------

def ensure_sm2_ledger_key(keys_dir: Path, passphrase: str | None) -> bool:
    """Create ``<keys dir>/sm2/ledger.key`` if missing (True if it was created)."""
    path = keys_dir / KEY_FILE
    if path.exists():
        return False
    private_dir(path.parent)
    create_private_file(path, sm2.generate_private_key().to_pem(passphrase))
    return True


def load_sm2_ledger_key(keys_dir: Path, passphrase: str | None) -> sm2.SM2PrivateKey:
    path = keys_dir / KEY_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigurationError(f"no SM2 ledger key at {path}") from None
    if b"ENCRYPTED" in data.split(b"\n", 1)[0] and not passphrase:
        raise ConfigurationError(
            f"{path} is encrypted: set ANXIN_KEY_PASSPHRASE to the passphrase used at init")
    return sm2.SM2PrivateKey.from_pem(data, passphrase)


def load_sm2_note_signer(keys_dir: Path, passphrase: str | None, origin: str
                         ) -> Sm2NoteSigner:
    """The SM2 line signer under the log's fixed ``origin``."""
    return Sm2NoteSigner(origin, load_sm2_ledger_key(keys_dir, passphrase))
