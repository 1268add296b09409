"""SM2 use receipts: the gate's signed statement of a grant as a compact JWS with the
private algorithm ``SM2SM3`` (issue 14; the ``sm`` profile's ``receipt``, ``dual``'s
``receipt_sm2``), and the SM2 seal's public key as a JWK.

JOSE registers no SM2 algorithm and no SM2 curve, so two private names are documented in
docs/pki.md "SM2 receipts, the SM2 checkpoint line":

* ``"alg": "SM2SM3"``: the signature is SM2 with SM3 (GB/T 32918.2) under the default
  user id ``1234567812345678`` (GM/T 0009; CONTRACT §8) over the JWS signing input
  ``ASCII(b64url(header) "." b64url(payload))``, exactly the bytes ES256 signs, encoded as
  the 64 bytes ``r ‖ s`` (each 32 bytes big-endian), as RFC 7518 §3.4 encodes ES256. The
  name is the mnemonic RFC 9563 gives SM2-with-SM3 in DNSSEC's registry (algorithm 17),
  so it names the same algorithm elsewhere and collides with no registered JOSE ``alg``.
* the JWK ``{"kty": "EC", "crv": "SM2", "x": …, "y": …}``, coordinates as for P-256
  (RFC 7518 §6.2.1: 32 bytes each, base64url): the form Chinese DID methods and GmSSL-based
  JOSE code use for SM2 keys; ``kid`` is its RFC 7638 thumbprint.

Why a compact JWS and not a detached CMS: the receipt keeps the shape integrators already
parse (three base64url parts; the payload is read the same way), the ledger's
``receipt_sha256`` commitment and the evidence package's receipt checks apply unchanged,
and the signed bytes are plain ASCII a verifier can hand to ``openssl pkeyutl -verify
-rawin -digest sm3`` (OpenSSL 3.0's ``cms -sign`` cannot make SM2 CMS here, so a CMS receipt
would have no ordinary tool to cross-check it).

>>> key = sm2.generate_private_key()
>>> token = Sm2Seal(key).sign_jws({"use_id": "u1"})
>>> verify_sm2_jws(token, key.public_key())["use_id"]
'u1'
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Final

from anxin.encoding import b64url, b64url_decode
from anxin.error_codes import Code
from anxin.errors import IntegrityFailure
from anxin.pki import sm2

ALG: Final = "SM2SM3"
CRV: Final = "SM2"


def _compact(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def sm2_public_jwk(public: sm2.SM2PublicKey) -> dict[str, str]:
    """The JWK members of an SM2 public key (private ``crv`` ``SM2``)."""
    return {"kty": "EC", "crv": CRV, "x": b64url(public.x.to_bytes(32, "big")),
            "y": b64url(public.y.to_bytes(32, "big"))}


def sm2_jwk_thumbprint(public: sm2.SM2PublicKey) -> str:
    """RFC 7638: SHA-256 of the required EC members (crv, kty, x, y) in lexical order."""
    return b64url(hashlib.sha256(_compact(sm2_public_jwk(public))).digest())


def sm2_jwks_entry(public: sm2.SM2PublicKey, kid: str | None = None) -> dict[str, str]:
    """The seal's entry for a JWKS (``/.well-known/jwks.json`` next to the ES256 key)."""
    return sm2_public_jwk(public) | {"kid": kid or sm2_jwk_thumbprint(public), "use": "sig",
                                     "alg": ALG}


def public_key_from_jwk(jwk: dict[str, Any]) -> sm2.SM2PublicKey:
    """The SM2 key of a JWK made by :func:`sm2_public_jwk`; raises ``SM2KeyInvalid``."""
    if jwk.get("kty") != "EC" or jwk.get("crv") != CRV:
        raise sm2.SM2KeyInvalid("not an SM2 JWK (kty EC, crv SM2)")
    try:
        x, y = b64url_decode(str(jwk["x"])), b64url_decode(str(jwk["y"]))
    except (KeyError, ValueError):
        raise sm2.SM2KeyInvalid("an SM2 JWK has base64url x and y") from None
    if len(x) != 32 or len(y) != 32:
        raise sm2.SM2KeyInvalid("an SM2 JWK's x and y are 32 bytes each")
    return sm2.SM2PublicKey.from_point(b"\x04" + x + y)


class Sm2Seal:
    """The platform's SM2 seal: signs receipts as ``SM2SM3`` compact JWS.

    ``kid`` names the key as the JWKS does (default: the JWK thumbprint); ``cert_der``,
    the SM2 seal certificate, is named in the header by its SHA-256 (``x5t#S256``).
    """

    def __init__(self, key: sm2.SM2PrivateKey, kid: str | None = None,
                 cert_der: bytes | None = None) -> None:
        self.key = key
        self.public_key = key.public_key()
        self.kid = kid or sm2_jwk_thumbprint(self.public_key)
        header: dict[str, Any] = {"alg": ALG, "typ": "JWT", "kid": self.kid}
        if cert_der is not None:
            header["x5t#S256"] = b64url(hashlib.sha256(cert_der).digest())
        self._header = b64url(json.dumps(header, separators=(",", ":")).encode()) + "."

    def sign_jws(self, payload: dict[str, Any]) -> str:
        signing_input = self._header + b64url(_compact(payload))
        r, s = sm2.decode_signature(sm2.sign(self.key, signing_input.encode()))
        return signing_input + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def jwks_entry(self) -> dict[str, str]:
        return sm2_jwks_entry(self.public_key, self.kid)


def _malformed(detail: str) -> IntegrityFailure:
    return IntegrityFailure(detail, code=Code.RECEIPT_MALFORMED)


def verify_sm2_jws(token: str, public: sm2.SM2PublicKey) -> dict[str, Any]:
    """The payload of a valid ``SM2SM3`` compact JWS, or raise :class:`IntegrityFailure`:
    ``receipt_malformed`` for a token that is not one (parts, base64url, JSON, ``alg``,
    signature length), ``receipt_invalid`` for a signature that does not verify (r or s
    out of range included)."""
    try:
        h64, p64, s64 = token.split(".")
        header = json.loads(b64url_decode(h64))
        signature = b64url_decode(s64)
    except ValueError:
        raise _malformed("not a compact JWS") from None
    if not isinstance(header, dict) or header.get("alg") != ALG:
        found = header.get("alg") if isinstance(header, dict) else None
        raise _malformed(f"expected an {ALG} JWS, not alg {found!r}")
    if len(signature) != 64:
        raise _malformed(f"an {ALG} signature is 64 bytes r ‖ s, not {len(signature)}")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < sm2.ORDER and 0 < s < sm2.ORDER):
        raise IntegrityFailure("the receipt's SM2 signature has r or s out of [1, n-1]",
                               code=Code.RECEIPT_INVALID)
    try:
        sm2.verify(public, f"{h64}.{p64}".encode(), sm2.encode_signature(r, s))
    except sm2.SM2SignatureInvalid:
        raise IntegrityFailure("the receipt's SM2 signature does not verify",
                               code=Code.RECEIPT_INVALID) from None
    try:
        payload = json.loads(b64url_decode(p64))
    except ValueError:
        raise _malformed("the receipt's payload is not JSON") from None
    if not isinstance(payload, dict):
        raise _malformed("the receipt's payload is not a JSON object")
    return payload
