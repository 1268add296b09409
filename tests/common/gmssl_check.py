"""A second SM2 implementation for tests: the pure-Python ``gmssl`` package (Anxin never
signs with it). The GM/T 0009 Z value is recomputed here from the default user id, so the
user-id handling of the signing library is checked, not assumed (as in
tests/unit/pki/test_sm2.py)."""

from __future__ import annotations

import gmssl_fast
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
    try:
        return bool(verifier.verify(f"{r:064x}{s:064x}", gm_sm3(z + data)))
    except TypeError:
        # gmssl 3.2.2's point arithmetic fails (a None point: "object of type 'NoneType'
        # has no len()") for some public keys, for every signature of such a key: about
        # one key in sixty here (found by tests/integration/test_evidence_sm2.py and
        # reproduced with 3,000 signatures over 60 keys). For those keys the verdict is
        # GmSSL's (the gmssl-fast wheel), the other implementation Anxin never signs with;
        # it takes only the default user id.
        if user_id != sm2.DEFAULT_USER_ID:
            raise
        return gmssl_fast_verify(public, data, r, s)


def gmssl_fast_verify(public: sm2.SM2PublicKey, data: bytes, r: int, s: int) -> bool:
    """GmSSL's verdict (gmssl-fast, default user id, its own Z) on (r, s) over ``data``."""
    verifier = gmssl_fast.SM2(public_key=public.point.hex())
    try:
        return bool(verifier.verify(data, r.to_bytes(32, "big") + s.to_bytes(32, "big")))
    except gmssl_fast.GmsslError:
        return False


def gm_verify_der(public: sm2.SM2PublicKey, data: bytes, der: bytes) -> bool:
    r, s = sm2.decode_signature(der)
    return gm_verify(public, data, r, s)
