"""The platform seal: an EC P-256 key that signs use receipts as compact JWS (ES256).

Its certificate (issued by the issuing CA) is published at ``/pki/seal.crt`` and the public
key at ``/.well-known/jwks.json``; anyone can verify a receipt with either.

>>> from cryptography.hazmat.primitives.asymmetric import ec
>>> seal = Seal(ec.generate_private_key(ec.SECP256R1()))
>>> token = seal.sign_jws({"use_id": "u1"})
>>> verify_jws(token, seal.public_key)["use_id"]
'u1'
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.private_files import create_private_file


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64(n: int) -> str:
    return b64url(n.to_bytes(32, "big"))


class Seal:
    def __init__(self, key: ec.EllipticCurvePrivateKey,
                 x5c: list[bytes] | None = None) -> None:
        self.key = key
        self.public_key = key.public_key()
        self.x5c = x5c or []
        self.kid = jwk_thumbprint(self.public_key)
        # The header is the same for every receipt: encoded once. It names the key (kid,
        # as in the JWKS) and the seal certificate by its SHA-256 thumbprint (x5t#S256);
        # the chain itself is published under /pki/ and in every evidence package, not
        # repeated in each receipt (it tripled a receipt's size).
        header: dict[str, Any] = {"alg": "ES256", "typ": "JWT", "kid": self.kid}
        if self.x5c:
            header["x5t#S256"] = b64url(hashlib.sha256(self.x5c[0]).digest())
        self._header = b64url(json.dumps(header, separators=(",", ":")).encode()) + "."

    def sign_jws(self, payload: dict[str, Any]) -> str:
        signing_input = self._header + b64url(json.dumps(payload, separators=(",", ":"),
                                                         sort_keys=True).encode())
        der = self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.public_key) | {"kid": self.kid, "use": "sig",
                                                         "alg": "ES256"}]}


def public_jwk(pub: ec.EllipticCurvePublicKey) -> dict[str, str]:
    nums = pub.public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": _int_b64(nums.x), "y": _int_b64(nums.y)}


def jwk_thumbprint(pub: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 thumbprint: SHA-256 of the required members in lexical order."""
    jwk = public_jwk(pub)
    canon = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
    return b64url(hashlib.sha256(canon.encode()).digest())


def verify_jws(token: str, pub: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """Return the payload of a valid ES256 compact JWS, or raise IntegrityFailure."""
    try:
        h64, p64, s64 = token.split(".")
        header = json.loads(b64url_decode(h64))
        sig = b64url_decode(s64)
    except ValueError:
        raise IntegrityFailure("not a compact JWS", code=Code.RECEIPT_MALFORMED) from None
    if header.get("alg") != "ES256" or len(sig) != 64:
        raise IntegrityFailure("expected an ES256 JWS", code=Code.RECEIPT_MALFORMED)
    der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
    try:
        pub.verify(der, f"{h64}.{p64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise IntegrityFailure("the receipt's signature does not verify",
                               code=Code.RECEIPT_INVALID) from None
    payload: dict[str, Any] = json.loads(b64url_decode(p64))
    return payload


def create_seal_key(path: Path, passphrase: str | None) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    enc: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
        else serialization.NoEncryption())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    create_private_file(path, key.private_bytes(serialization.Encoding.PEM,
                                                serialization.PrivateFormat.PKCS8, enc))


def load_seal(keys_dir: Path, passphrase: str | None) -> Seal:
    key = serialization.load_pem_private_key(
        (keys_dir / "seal.key").read_bytes(), passphrase.encode() if passphrase else None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise IntegrityFailure("the seal key must be an EC P-256 key")
    x5c: list[bytes] = []
    for name in ("seal.crt", "issuing.crt", "root.crt"):
        p = keys_dir / name
        if p.is_file():
            from cryptography import x509
            x5c.append(x509.load_pem_x509_certificate(p.read_bytes()).public_bytes(
                serialization.Encoding.DER))
        else:
            break
    return Seal(key, x5c)
