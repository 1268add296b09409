"""A second SM2 implementation for tests: the pure-Python ``gmssl`` package (Anxin never
signs with it). The GM/T 0009 Z value is recomputed here from the default user id, so the
user-id handling of the signing library is checked, not assumed (as in
tests/unit/pki/test_sm2.py)."""

from __future__ import annotations

from gmssl import func
from gmssl import sm2 as gm_sm2
from gmssl import sm3 as gm_sm3_module

from anxin.pki import sm2

CURVE = gm_sm2.default_ecc_table  # the recommended curve (GB/T 32918.5)


def gm_sm3(data: bytes) -> bytes:
    return bytes.fromhex(gm_sm3_module.sm3_hash(func.bytes_to_list(data)))


def gm_verify(public: sm2.SM2PublicKey, data: bytes, r: int, s: int,
              user_id: bytes = sm2.DEFAULT_USER_ID) -> bool:
    """gmssl's verdict on (r, s) over SM3(Z(user_id) ‖ data), Z computed here."""
    xy = public.point[1:].hex()
    entl = (len(user_id) * 8).to_bytes(2, "big")
    z = gm_sm3(entl + user_id + bytes.fromhex(CURVE["a"] + CURVE["b"] + CURVE["g"] + xy))
    verifier = gm_sm2.CryptSM2(private_key="", public_key=xy)
    return bool(verifier.verify(f"{r:064x}{s:064x}", gm_sm3(z + data)))


def gm_verify_der(public: sm2.SM2PublicKey, data: bytes, der: bytes) -> bool:
    r, s = sm2.decode_signature(der)
    return gm_verify(public, data, r, s)
