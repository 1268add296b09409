"""OpenSSL checks the SM2 receipt, the SM2 checkpoint line and the SM3 leaf digests with
the shell commands docs/pki.md ("SM2 receipts, the SM2 checkpoint line") gives a verifier
(only ``openssl`` and coreutils/xxd; no Python on the verifier's side), and refuses them
once tampered."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anxin.evidence.checkpoint_sm2 import Sm2NoteSigner
from anxin.ledger.checkpoint import Checkpoint, NoteSigner
from anxin.ledger.leaves_sm3 import leaf_sm3
from anxin.pki import sm2
from anxin.pki.seal_sm2 import Sm2Seal

ORIGIN = "localhost:8000/anxin"
OK = "Signature Verified Successfully"
FAILED = "Signature Verification Failure"  # openssl ran and said no

# docs/pki.md, "Checking a checkpoint's SM2 line with openssl" (keep in step)
CHECKPOINT_SCRIPT = r"""
hex() { od -An -tx1 | tr -d ' \n'; }
# The verifier key of /ledger/key/sm2: <name>+<key ID>+<base64(0xff ‖ OID DER ‖ SPKI)>
NAME=$(cut -d+ -f1 sm2-key.txt)
KEYID=$(cut -d+ -f2 sm2-key.txt)
# the SPKI, past the 11-byte signature type
cut -d+ -f3- sm2-key.txt | base64 -d | tail -c +12 > sm2-ledger.spki.der
# The note text: every line before the blank line, each with its newline.
sed '/^$/,$d' checkpoint.txt > checkpoint.text
# The signature line of that name whose first 4 bytes are the key ID; past them, DER.
for SIG in $(grep "^— $NAME " checkpoint.txt | cut -d' ' -f3); do
  if [ "$(printf '%s' "$SIG" | base64 -d | head -c 4 | hex)" = "$KEYID" ]; then
    printf '%s' "$SIG" | base64 -d | tail -c +5 > checkpoint.sm2.sig
  fi
done
openssl pkeyutl -verify -pubin -inkey sm2-ledger.spki.der -keyform DER -rawin \
  -digest sm3 -pkeyopt distid:1234567812345678 \
  -in checkpoint.text -sigfile checkpoint.sm2.sig
"""

# docs/pki.md, "Checking an SM2 receipt with openssl" (keep in step)
RECEIPT_SCRIPT = r"""
hex() { od -An -tx1 | tr -d ' \n'; }
b64url_d() {
  s=$(tr '_-' '/+'); while [ $(( ${#s} % 4 )) -ne 0 ]; do s="$s="; done
  printf '%s' "$s" | base64 -d
}
# The SM2 seal's public key from its JWK (x, y), as SubjectPublicKeyInfo DER
X=$(sed 's/.*"x": *"\([^"]*\)".*/\1/' seal-sm2.jwk | b64url_d | hex)
Y=$(sed 's/.*"y": *"\([^"]*\)".*/\1/' seal-sm2.jwk | b64url_d | hex)
SPKI_PREFIX=3059301306072a8648ce3d020106082a811ccf5501822d03420004
printf '%s%s%s' "$SPKI_PREFIX" "$X" "$Y" | xxd -r -p > seal-sm2.spki.der
# The signed bytes: header "." payload, as they are in the token
cut -d. -f1,2 receipt.jws | tr -d '\n' > receipt.signing-input
# r ‖ s (64 bytes) to DER SEQUENCE {r, s}
cut -d. -f3 receipt.jws | tr -d '\n' | b64url_d > receipt.rs
R=$(head -c 32 receipt.rs | hex); S=$(tail -c 32 receipt.rs | hex)
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "$R" "$S" \
  > receipt.sig.cnf
openssl asn1parse -genconf receipt.sig.cnf -noout -out receipt.sig.der
openssl pkeyutl -verify -pubin -inkey seal-sm2.spki.der -keyform DER -rawin \
  -digest sm3 -pkeyopt distid:1234567812345678 \
  -in receipt.signing-input -sigfile receipt.sig.der
"""

LEAF_SCRIPT = r"""(printf '\0'; cat leaf.bin) | openssl dgst -sm3 -r | cut -d' ' -f1"""


def _bash(script: str, folder: Path) -> tuple[int, str]:
    done = subprocess.run(["bash", "-euc", script], cwd=folder, capture_output=True,
                          check=False, timeout=60)
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")


@pytest.fixture(scope="module")
def key() -> sm2.SM2PrivateKey:
    return sm2.generate_private_key()


@pytest.fixture
def checkpoint_files(tmp_path: Path, key: sm2.SM2PrivateKey) -> Path:
    line = Sm2NoteSigner(ORIGIN, key)
    signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate(), extra=[line])
    note = signer.sign_checkpoint(Checkpoint(ORIGIN, 5, bytes(range(32))))
    (tmp_path / "checkpoint.txt").write_text(note, encoding="utf-8")
    (tmp_path / "sm2-key.txt").write_text(line.verifier_key + "\n", encoding="utf-8")
    return tmp_path


@pytest.fixture
def receipt_files(tmp_path: Path, key: sm2.SM2PrivateKey) -> Path:
    seal = Sm2Seal(key)
    (tmp_path / "receipt.jws").write_text(seal.sign_jws({"use_id": "u-1", "名": "张"}))
    (tmp_path / "seal-sm2.jwk").write_text(json.dumps(seal.jwks_entry()))
    return tmp_path


def test_openssl_verifies_the_checkpoint_sm2_line(checkpoint_files: Path,
                                                  key: sm2.SM2PrivateKey) -> None:
    code, out = _bash(CHECKPOINT_SCRIPT, checkpoint_files)
    assert code == 0, out
    assert OK in out
    assert (checkpoint_files / "sm2-ledger.spki.der").read_bytes() == key.public.to_der()
    assert (checkpoint_files / "checkpoint.text").read_text() == \
        Checkpoint(ORIGIN, 5, bytes(range(32))).body()


def test_openssl_refuses_a_changed_checkpoint_body_or_signature(
        checkpoint_files: Path) -> None:
    path = checkpoint_files / "checkpoint.txt"
    note = path.read_text(encoding="utf-8")
    path.write_text(note.replace("\n5\n", "\n6\n", 1), encoding="utf-8")
    code, out = _bash(CHECKPOINT_SCRIPT, checkpoint_files)
    assert code != 0
    assert FAILED in out, out
    lines = note.split("\n")
    blob = bytearray(base64.b64decode(lines[-2].split(" ")[2]))
    blob[-1] ^= 0x01
    lines[-2] = f"— {ORIGIN} {base64.b64encode(bytes(blob)).decode()}"
    path.write_text("\n".join(lines), encoding="utf-8")
    code, out = _bash(CHECKPOINT_SCRIPT, checkpoint_files)
    assert code != 0
    assert FAILED in out, out


def test_openssl_verifies_the_sm2_receipt(receipt_files: Path,
                                          key: sm2.SM2PrivateKey) -> None:
    code, out = _bash(RECEIPT_SCRIPT, receipt_files)
    assert code == 0, out
    assert OK in out
    assert (receipt_files / "seal-sm2.spki.der").read_bytes() == key.public.to_der()


@pytest.mark.parametrize("part", [1, 2])
def test_openssl_refuses_a_changed_receipt(receipt_files: Path, part: int) -> None:
    path = receipt_files / "receipt.jws"
    parts = path.read_text().split(".")
    parts[part] = ("A" if parts[part][5] != "A" else "B").join(
        (parts[part][:5], parts[part][6:]))
    path.write_text(".".join(parts))
    code, out = _bash(RECEIPT_SCRIPT, receipt_files)
    assert code != 0
    assert FAILED in out, out


def test_openssl_computes_the_leaf_sm3(tmp_path: Path) -> None:
    leaf = b'{"event":"authorization:signed","v":2}'
    (tmp_path / "leaf.bin").write_bytes(leaf)
    code, out = _bash(LEAF_SCRIPT, tmp_path)
    assert code == 0, out
    assert out.strip() == leaf_sm3(leaf).hex()
