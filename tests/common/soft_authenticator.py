"""A software WebAuthn authenticator for tests: an EC P-256 (or Ed25519) key producing
authenticatorData (WebAuthn §6.1), clientDataJSON (§5.8.1) and the assertion signature
over ``authenticatorData || SHA-256(clientDataJSON)`` (§6.3.3), as a browser would send
them (the JSON shape of ``PublicKeyCredential.toJSON()``)."""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from anxin.encoding import b64url
from anxin.identity.passkey_evidence import from_b64url

UP, UV, AT = 0x01, 0x04, 0x40


class SoftAuthenticator:
    def __init__(self, origin: str, rp_id: str, *, algorithm: int = -7,
                 user_verified: bool = True) -> None:
        self.origin, self.rp_id = origin, rp_id
        self.algorithm = algorithm
        self.user_verified = user_verified
        self.key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = (
            ec.generate_private_key(ec.SECP256R1()) if algorithm == -7
            else ed25519.Ed25519PrivateKey.generate())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.user_handle: bytes | None = None

    def cose_key(self) -> bytes:
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            nums = self.key.public_key().public_numbers()
            return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: nums.x.to_bytes(32, "big"),
                                -3: nums.y.to_bytes(32, "big")})
        raw = self.key.public_key().public_bytes_raw()
        return cbor2.dumps({1: 1, 3: -8, -1: 6, -2: raw})

    def _auth_data(self, *, attested: bool) -> bytes:
        flags = UP | (UV if self.user_verified else 0) | (AT if attested else 0)
        data = (hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags])
                + self.sign_count.to_bytes(4, "big"))
        if attested:
            data += (bytes(16) + len(self.credential_id).to_bytes(2, "big")
                     + self.credential_id + self.cose_key())
        return data

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}, separators=(",", ":")).encode()

    def create(self, public_key: dict[str, Any]) -> dict[str, Any]:
        """``navigator.credentials.create`` with attestation "none"."""
        self.user_handle = from_b64url(public_key["user"]["id"])
        client_data = self._client_data("webauthn.create", public_key["challenge"])
        att = cbor2.dumps({"fmt": "none", "attStmt": {},
                           "authData": self._auth_data(attested=True)})
        cid = b64url(self.credential_id)
        return {"id": cid, "rawId": cid, "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": b64url(client_data),
                             "attestationObject": b64url(att), "transports": ["internal"]}}

    def get(self, public_key: dict[str, Any]) -> dict[str, Any]:
        """``navigator.credentials.get``: signs the challenge given in the options."""
        self.sign_count += 1
        auth_data = self._auth_data(attested=False)
        client_data = self._client_data("webauthn.get", public_key["challenge"])
        signed = auth_data + hashlib.sha256(client_data).digest()
        if isinstance(self.key, ec.EllipticCurvePrivateKey):
            signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        else:
            signature = self.key.sign(signed)
        cid = b64url(self.credential_id)
        return {"id": cid, "rawId": cid, "type": "public-key", "clientExtensionResults": {},
                "response": {"authenticatorData": b64url(auth_data),
                             "clientDataJSON": b64url(client_data),
                             "signature": b64url(signature),
                             "userHandle": b64url(self.user_handle) if self.user_handle
                             else None}}

