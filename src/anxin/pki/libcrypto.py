"""A minimal ctypes binding of OpenSSL 3's own SM2: the system ``libcrypto.so.3`` (the one
the ``openssl`` command and Python's ``ssl`` module use), for :mod:`anxin.pki.sm2` only.

Twenty-one entry points, each with its C prototype declared below, and nothing else: key
generation (``EVP_PKEY_generate`` on ``"SM2"``), DER decoding and encoding of keys
(``d2i_AutoPrivateKey``, ``d2i_PUBKEY``, ``i2d_PrivateKey``), the pair check
(``EVP_PKEY_pairwise_check``), and ``EVP_DigestSign``/``EVP_DigestVerify`` with SM3 and
the signer's distinguishing id (``EVP_PKEY_CTX_set1_id``: the GM/T 0009 Z value is
OpenSSL's). Every call's result is checked; on failure OpenSSL's thread error queue is
emptied (it is shared with Python's ``ssl``) and a typed error raised. Keys are freed by a
finaliser. The library is opened on first use, not at import, so a machine without it
fails with a :class:`~anxin.errors.ConfigurationError` naming what is missing, when an SM2
key is first used.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import weakref
from typing import Any, Final

from anxin.errors import ConfigurationError

_P = ctypes.c_void_p
_INT = ctypes.c_int
_SIZE = ctypes.c_size_t
_BYTES = ctypes.c_char_p

_PROTOTYPES: Final[dict[str, tuple[Any, list[Any]]]] = {
    "OpenSSL_version_num": (ctypes.c_ulong, []),
    "ERR_clear_error": (None, []),
    "EVP_sm3": (_P, []),
    "EVP_PKEY_free": (None, [_P]),
    "EVP_PKEY_CTX_new": (_P, [_P, _P]),
    "EVP_PKEY_CTX_new_from_name": (_P, [_P, _BYTES, _P]),
    "EVP_PKEY_CTX_free": (None, [_P]),
    "EVP_PKEY_CTX_set1_id": (_INT, [_P, _BYTES, _INT]),
    "EVP_PKEY_keygen_init": (_INT, [_P]),
    "EVP_PKEY_generate": (_INT, [_P, ctypes.POINTER(_P)]),
    "EVP_PKEY_pairwise_check": (_INT, [_P]),
    "d2i_AutoPrivateKey": (_P, [_P, ctypes.POINTER(_P), ctypes.c_long]),
    "d2i_PUBKEY": (_P, [_P, ctypes.POINTER(_P), ctypes.c_long]),
    "i2d_PrivateKey": (_INT, [_P, ctypes.POINTER(_P)]),
    "EVP_MD_CTX_new": (_P, []),
    "EVP_MD_CTX_free": (None, [_P]),
    "EVP_MD_CTX_set_pkey_ctx": (None, [_P, _P]),
    "EVP_DigestSignInit": (_INT, [_P, _P, _P, _P, _P]),
    "EVP_DigestSign": (_INT, [_P, _BYTES, ctypes.POINTER(_SIZE), _BYTES, _SIZE]),
    "EVP_DigestVerifyInit": (_INT, [_P, _P, _P, _P, _P]),
    "EVP_DigestVerify": (_INT, [_P, _BYTES, _SIZE, _BYTES, _SIZE]),
}

MAX_SIGNATURE: Final = 72
"""The longest DER SM2 signature: SEQUENCE of two 33-byte INTEGERs."""


class LibcryptoError(Exception):
    """An OpenSSL call failed (the callers turn it into the product's typed errors)."""


@functools.cache
def _lib() -> ctypes.CDLL:
    name = "libcrypto.so.3"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        found = ctypes.util.find_library("crypto")
        if not found:
            raise ConfigurationError(
                "SM2 needs OpenSSL 3's libcrypto (libcrypto.so.3; Debian: libssl3)") from None
        lib = ctypes.CDLL(found)
    try:
        for fn_name, (restype, argtypes) in _PROTOTYPES.items():
            fn = getattr(lib, fn_name)
            fn.restype, fn.argtypes = restype, argtypes
    except AttributeError as exc:
        raise ConfigurationError(f"the libcrypto found is not OpenSSL 3: {exc}") from None
    if lib.OpenSSL_version_num() < 0x30000000:
        raise ConfigurationError("SM2 needs OpenSSL 3.0 or later")
    return lib


def version_number() -> int:
    """``OPENSSL_VERSION_NUMBER`` of the library in use (0x30000130 is 3.0.19)."""
    return int(_lib().OpenSSL_version_num())


def _fail(what: str) -> LibcryptoError:
    _lib().ERR_clear_error()
    return LibcryptoError(what)


class Key:
    """An ``EVP_PKEY *``, freed when the object is collected."""

    __slots__ = ("__weakref__", "_finalizer", "pointer")

    def __init__(self, pointer: int) -> None:
        self.pointer = pointer
        self._finalizer = weakref.finalize(self, _lib().EVP_PKEY_free, pointer)


def _decode(decoder: str, der: bytes) -> Key:
    buffer = ctypes.create_string_buffer(der, len(der))
    cursor = _P(ctypes.addressof(buffer))
    pointer = getattr(_lib(), decoder)(None, ctypes.byref(cursor), len(der))
    if not pointer:
        raise _fail(f"OpenSSL cannot decode the key ({decoder})")
    key = Key(pointer)
    if cursor.value != ctypes.addressof(buffer) + len(der):
        raise _fail("trailing bytes after the key")
    return key


def private_key(der: bytes) -> Key:
    """A private key from PKCS#8 or SEC1 DER, checked to be a matching pair (d·G = Q)."""
    key = _decode("d2i_AutoPrivateKey", der)
    lib = _lib()
    ctx = lib.EVP_PKEY_CTX_new(key.pointer, None)
    if not ctx:
        raise _fail("EVP_PKEY_CTX_new failed")
    try:
        if lib.EVP_PKEY_pairwise_check(ctx) != 1:
            raise _fail("the private and public halves of the key do not match")
    finally:
        lib.EVP_PKEY_CTX_free(ctx)
    return key


def public_key(der: bytes) -> Key:
    """A public key from SubjectPublicKeyInfo DER (OpenSSL checks the point is on the
    curve)."""
    return _decode("d2i_PUBKEY", der)


def generate_sm2() -> bytes:
    """A new SM2 key pair, as SEC1 ``ECPrivateKey`` DER (with the curve and the point)."""
    lib = _lib()
    ctx = lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
    if not ctx:
        raise _fail("this OpenSSL has no SM2")
    try:
        out = _P()
        if lib.EVP_PKEY_keygen_init(ctx) != 1 or lib.EVP_PKEY_generate(ctx, ctypes.byref(out)) != 1:
            raise _fail("SM2 key generation failed")
        key = Key(out.value or 0)
    finally:
        lib.EVP_PKEY_CTX_free(ctx)
    size = lib.i2d_PrivateKey(key.pointer, None)
    if size <= 0:
        raise _fail("i2d_PrivateKey failed")
    buffer = ctypes.create_string_buffer(size)
    cursor = _P(ctypes.addressof(buffer))
    if lib.i2d_PrivateKey(key.pointer, ctypes.byref(cursor)) != size:
        raise _fail("i2d_PrivateKey failed")
    return buffer.raw


def _digest_context(key: Key, user_id: bytes) -> tuple[int, int]:
    lib = _lib()
    md_ctx = lib.EVP_MD_CTX_new()
    pkey_ctx = lib.EVP_PKEY_CTX_new(key.pointer, None)
    if not md_ctx or not pkey_ctx:
        lib.EVP_MD_CTX_free(md_ctx)
        lib.EVP_PKEY_CTX_free(pkey_ctx)
        raise _fail("out of memory")
    if lib.EVP_PKEY_CTX_set1_id(pkey_ctx, user_id, len(user_id)) != 1:
        lib.EVP_MD_CTX_free(md_ctx)
        lib.EVP_PKEY_CTX_free(pkey_ctx)
        raise _fail("EVP_PKEY_CTX_set1_id failed")
    lib.EVP_MD_CTX_set_pkey_ctx(md_ctx, pkey_ctx)
    return md_ctx, pkey_ctx


def sign(key: Key, data: bytes, user_id: bytes) -> bytes:
    """SM2 with SM3 (Z of ``user_id``) over ``data``: a DER ``SEQUENCE { r, s }``."""
    lib = _lib()
    md_ctx, pkey_ctx = _digest_context(key, user_id)
    try:
        if lib.EVP_DigestSignInit(md_ctx, None, lib.EVP_sm3(), None, key.pointer) != 1:
            raise _fail("EVP_DigestSignInit failed (not an SM2 private key?)")
        out = ctypes.create_string_buffer(MAX_SIGNATURE)
        size = _SIZE(MAX_SIGNATURE)
        if lib.EVP_DigestSign(md_ctx, out, ctypes.byref(size), data, len(data)) != 1:
            raise _fail("EVP_DigestSign failed")
        return out.raw[:size.value]
    finally:
        lib.EVP_MD_CTX_free(md_ctx)
        lib.EVP_PKEY_CTX_free(pkey_ctx)


def verify(key: Key, data: bytes, signature: bytes, user_id: bytes) -> bool:
    """True if ``signature`` (DER) is SM2 with SM3 (Z of ``user_id``) over ``data``."""
    lib = _lib()
    md_ctx, pkey_ctx = _digest_context(key, user_id)
    try:
        if lib.EVP_DigestVerifyInit(md_ctx, None, lib.EVP_sm3(), None, key.pointer) != 1:
            raise _fail("EVP_DigestVerifyInit failed (not an SM2 public key?)")
        ok = lib.EVP_DigestVerify(md_ctx, signature, len(signature), data, len(data)) == 1
        if not ok:
            lib.ERR_clear_error()
        return bool(ok)
    finally:
        lib.EVP_MD_CTX_free(md_ctx)
        lib.EVP_PKEY_CTX_free(pkey_ctx)
