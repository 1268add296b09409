"""``verify_receipt``: check the gate's signed receipt of a granted use, offline.

A granted use (``POST /v1/authorizations/{id}/uses``) carries ``receipt``: a compact JWS,
ES256 by the platform seal, whose public key is published at ``/.well-known/jwks.json``
(and its certificate at ``/pki/seal.crt``). Keep the receipt with the data you queried:
it proves, to anyone holding the JWKS, that the platform granted that use.

    claims = verify_receipt(use.receipt, anxin.jwks())
    assert claims["use_id"] == use.use_id

Only ES256 is accepted (the ``intl`` and ``dual`` profiles). The ``sm`` profile's receipt
and ``dual``'s ``receipt_sm2`` are SM2SM3 (``/.well-known/jwks-sm2.json``), which PyJWT
does not implement: they raise :class:`ReceiptError` here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jwt


class ReceiptError(ValueError):
    """The receipt is not a valid ES256 signature by a key of the given JWKS."""


def verify_receipt(jws: str, jwks: Mapping[str, Any]) -> dict[str, Any]:
    """Return the receipt's claims if ``jws`` is signed (ES256) by the key of ``jwks``
    (the document of ``/.well-known/jwks.json``) that its header names by ``kid``; raise
    :class:`ReceiptError` otherwise. No claim (such as a time) is judged here: a receipt
    stays valid evidence of the grant it states."""
    try:
        header = jwt.get_unverified_header(jws)
    except jwt.PyJWTError as exc:
        raise ReceiptError(f"not a compact JWS: {exc}") from None
    if header.get("alg") != "ES256":
        raise ReceiptError(f"the receipt's alg is {header.get('alg')!r}; only ES256 is "
                           "verified here")
    try:
        keys = jwt.PyJWKSet.from_dict(dict(jwks))
    except jwt.PyJWTError as exc:
        raise ReceiptError(f"the JWKS is not usable: {exc}") from None
    kid = header.get("kid")
    candidates = [k for k in keys.keys if k.key_id == kid]
    if not candidates:
        raise ReceiptError(f"no key of the JWKS has the receipt's kid {kid!r}")
    try:
        payload = jwt.PyJWS().decode(jws, key=candidates[0].key, algorithms=["ES256"])
    except jwt.PyJWTError as exc:
        raise ReceiptError(f"the receipt's signature does not verify: {exc}") from None
    claims = json.loads(payload)
    if not isinstance(claims, dict):
        raise ReceiptError("the receipt's payload is not a JSON object")
    return claims
