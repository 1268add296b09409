"""Passkey assertion evidence: the letter-bound challenge and its offline re-verification.

Uses only ``cryptography`` and ``hashlib`` (no WebAuthn library, no database, no server),
so ``anxin verify`` and the evidence package can re-check a stored assertion anywhere.

The challenge a subject's authenticator signs at signing time is::

    SHA-256( b"anxin/passkey-sign/v1\\x00" || utf8(authorization id)
             || letter SHA-256 (32 raw bytes) || server nonce (32 bytes) )

The label is a fixed prefix and the last two parts have fixed lengths, so the split of the
hashed bytes is unambiguous. The authenticator signs ``authenticatorData ||
SHA-256(clientDataJSON)`` and ``clientDataJSON`` carries the challenge: the signature thus
commits to this letter of this authorization.

Example::

    verify_assertion_evidence(evidence, auth_id, letter_sha256)
    # -> (returns None, or raises IntegrityFailure naming the failed check)
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from anxin import untrusted_json
from anxin.error_codes import Code
from anxin.errors import IntegrityFailure

SIGN_LABEL = b"anxin/passkey-sign/v1\x00"
NONCE_BYTES = 32
EVIDENCE_FORMAT = "anxin-passkey-assertion/1"
FLAG_USER_PRESENT = 0x01
FLAG_USER_VERIFIED = 0x04

PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | rsa.RSAPublicKey
_EC_CURVES: dict[int, tuple[ec.EllipticCurve, int]] = {
    1: (ec.SECP256R1(), 32), 2: (ec.SECP384R1(), 48), 3: (ec.SECP521R1(), 66)}
_EC_HASH: dict[int, hashes.HashAlgorithm] = {
    -7: hashes.SHA256(), -35: hashes.SHA384(), -36: hashes.SHA512()}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError, TypeError):
        raise IntegrityFailure("not base64url", code=Code.PASSKEY_ASSERTION_INVALID) from None


def signing_challenge(authorization_id: str, letter_sha256: str, nonce: bytes) -> bytes:
    """The challenge that binds an assertion to one letter of one authorization."""
    try:
        letter = bytes.fromhex(letter_sha256)
    except ValueError:
        letter = b""
    if len(letter) != 32 or len(nonce) != NONCE_BYTES or not authorization_id:
        raise IntegrityFailure("challenge inputs have the wrong shape",
                               code=Code.PASSKEY_ASSERTION_INVALID)
    return hashlib.sha256(SIGN_LABEL + authorization_id.encode() + letter + nonce).digest()


# Bounds of the CBOR a COSE key may be (RFC 8152 §13): a flat map of a few members, the
# largest an RSA-8192 modulus. A COSE key nests nothing, so depth 2 is already generous;
# the bounds make a hostile key (50,000 nested arrays, a length of 2^63) a plain refusal
# instead of a RecursionError or an allocation.
MAX_COSE_BYTES = 4096
MAX_CBOR_DEPTH = 4
MAX_CBOR_ITEMS = 64


def _cbor(data: bytes, pos: int, depth: int = 0) -> tuple[Any, int]:
    """A minimal, bounded, definite-length CBOR reader: enough for COSE keys."""
    if depth > MAX_CBOR_DEPTH:
        raise ValueError(f"CBOR nested deeper than {MAX_CBOR_DEPTH}")
    if pos >= len(data):
        raise ValueError("truncated CBOR")
    major, info = data[pos] >> 5, data[pos] & 0x1F
    pos += 1
    if info < 24:
        arg = info
    elif info <= 27:
        size = 1 << (info - 24)
        if pos + size > len(data):
            raise ValueError("truncated CBOR")
        arg, pos = int.from_bytes(data[pos:pos + size], "big"), pos + size
    else:
        raise ValueError("indefinite or reserved CBOR length")
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major in (2, 3):
        if pos + arg > len(data):
            raise ValueError("truncated CBOR")
        raw = data[pos:pos + arg]
        return (raw if major == 2 else raw.decode()), pos + arg
    if major in (4, 5) and arg > MAX_CBOR_ITEMS:
        raise ValueError(f"a CBOR array or map of more than {MAX_CBOR_ITEMS} items")
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = _cbor(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if major == 5:
        out: dict[Any, Any] = {}
        for _ in range(arg):
            k, pos = _cbor(data, pos, depth + 1)
            if not isinstance(k, (int, str)):
                raise ValueError("a COSE key's labels are integers or text")
            out[k], pos = _cbor(data, pos, depth + 1)
        return out, pos
    raise ValueError(f"CBOR major type {major} is not used in COSE keys")


def cose_public_key(cose: bytes) -> tuple[PublicKey, int]:
    """The key and COSE algorithm of a COSE_Key (EC2 P-256/384/521, OKP Ed25519, RSA)."""
    if len(cose) > MAX_COSE_BYTES:
        raise IntegrityFailure(f"the credential public key is longer than {MAX_COSE_BYTES} "
                               "bytes", code=Code.PASSKEY_ASSERTION_INVALID)
    try:
        key, end = _cbor(cose, 0)
        if not isinstance(key, dict) or end != len(cose):
            raise ValueError("not one CBOR map")
        kty, alg = key.get(1), key.get(3)
        if kty == 2 and alg in _EC_HASH and key.get(-1) in _EC_CURVES:
            curve, size = _EC_CURVES[key[-1]]
            x, y = key[-2], key[-3]
            if len(x) != size or len(y) != size:
                raise ValueError("EC coordinates have the wrong length")
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, b"\x04" + x + y), alg
        if kty == 1 and alg == -8 and key.get(-1) == 6:
            return ed25519.Ed25519PublicKey.from_public_bytes(key[-2]), alg
        if kty == 3 and alg in (-257, -37):
            n, e = int.from_bytes(key[-1], "big"), int.from_bytes(key[-2], "big")
            return rsa.RSAPublicNumbers(e, n).public_key(), alg
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise IntegrityFailure(f"the credential public key is not a usable COSE key: {exc}",
                               code=Code.PASSKEY_ASSERTION_INVALID) from None
    raise IntegrityFailure("unsupported COSE key type or algorithm",
                           code=Code.PASSKEY_ASSERTION_INVALID)


def public_key_pem(key: PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def verify_signature(key: PublicKey, alg: int, signature: bytes, signed: bytes) -> None:
    try:
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, signed, ec.ECDSA(_EC_HASH[alg]))
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, signed)
        elif alg == -37:
            key.verify(signature, signed, padding.PSS(padding.MGF1(hashes.SHA256()),
                                                      padding.PSS.DIGEST_LENGTH),
                       hashes.SHA256())
        else:
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise IntegrityFailure("the assertion signature does not verify with the credential "
                               "public key", code=Code.PASSKEY_ASSERTION_INVALID) from None


def _fail(what: str) -> IntegrityFailure:
    return IntegrityFailure(what, code=Code.PASSKEY_ASSERTION_INVALID)


def _field(evidence: Mapping[str, Any], name: str) -> str:
    value = evidence.get(name)
    if not isinstance(value, str) or not value:
        raise _fail(f"the passkey evidence has no {name}")
    return value


def verify_assertion_evidence(evidence: Mapping[str, Any], authorization_id: str,
                              letter_sha256: str) -> None:
    """Re-verify a stored assertion offline; raise :class:`IntegrityFailure` if any check
    fails: challenge binding (authorization id, letter hash, nonce), client data type and
    origin, relying-party id hash, user presence and verification, key consistency
    (COSE, PEM, credential id hash) and the signature."""
    if evidence.get("format") != EVIDENCE_FORMAT:
        raise _fail(f"unknown passkey evidence format {evidence.get('format')!r}")
    auth_data = from_b64url(_field(evidence, "authenticator_data"))
    client_data_json = from_b64url(_field(evidence, "client_data_json"))
    signature = from_b64url(_field(evidence, "signature"))
    cose = from_b64url(_field(evidence, "public_key_cose"))
    nonce = from_b64url(_field(evidence, "nonce"))
    rp_id, origin = _field(evidence, "rp_id"), _field(evidence, "origin")

    expected = signing_challenge(authorization_id, letter_sha256, nonce)
    try:
        client_data = untrusted_json.loads(client_data_json)
    except (ValueError, UnicodeDecodeError):
        raise _fail("clientDataJSON is not JSON") from None
    if not isinstance(client_data, dict) or client_data.get("type") != "webauthn.get":
        raise _fail("clientDataJSON is not of type webauthn.get")
    if from_b64url(str(client_data.get("challenge", ""))) != expected:
        raise _fail("the assertion's challenge does not commit to this authorization id, "
                    "letter SHA-256 and nonce")
    if client_data.get("origin") != origin or client_data.get("crossOrigin") is True:
        raise _fail(f"clientDataJSON origin {client_data.get('origin')!r} is not {origin!r}")
    host = urlsplit(origin).hostname or ""
    if host != rp_id and not host.endswith("." + rp_id):
        raise _fail(f"origin {origin!r} is not within relying party {rp_id!r}")

    if len(auth_data) < 37:
        raise _fail("authenticatorData is shorter than 37 bytes")
    if auth_data[:32] != hashlib.sha256(rp_id.encode()).digest():
        raise _fail("authenticatorData is not for this relying-party id")
    flags = auth_data[32]
    if not flags & FLAG_USER_PRESENT or not flags & FLAG_USER_VERIFIED:
        raise _fail("the authenticator did not report user presence and verification")

    key, alg = cose_public_key(cose)
    pem = evidence.get("public_key_pem")
    if pem is not None and pem != public_key_pem(key):
        raise _fail("the PEM public key is not the COSE public key")
    cred_hash, cred_id = evidence.get("credential_sha256"), evidence.get("credential_id")
    if cred_hash is not None and cred_id is not None and (
            hashlib.sha256(from_b64url(str(cred_id))).hexdigest() != cred_hash):
        raise _fail("credential_sha256 is not the hash of credential_id")
    verify_signature(key, alg, signature, auth_data + hashlib.sha256(client_data_json).digest())
