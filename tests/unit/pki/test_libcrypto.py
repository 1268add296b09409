"""The ctypes binding of OpenSSL's SM2 (``anxin.pki.libcrypto``) behaves as a library
must: it leaves no error in OpenSSL's per-thread queue (shared with Python's ``ssl``),
frees what it allocates, works from many threads at once, and refuses bad input with an
exception rather than a crash."""

from __future__ import annotations

import ctypes
import gc
import resource
from concurrent.futures import ThreadPoolExecutor

import pytest

from anxin.pki import libcrypto, sm2


def _peek_error() -> int:
    lib = ctypes.CDLL("libcrypto.so.3")
    lib.ERR_peek_error.restype = ctypes.c_ulong
    return int(lib.ERR_peek_error())


def test_it_is_openssl_3() -> None:
    assert libcrypto.version_number() >= 0x30000000


def test_failures_leave_the_error_queue_empty() -> None:
    key = sm2.generate_private_key()
    signature = sm2.sign(key, b"abc")
    with pytest.raises(sm2.SM2SignatureInvalid):
        sm2.verify(key.public_key(), b"abd", signature)
    assert _peek_error() == 0
    with pytest.raises(libcrypto.LibcryptoError):
        libcrypto.public_key(b"\x30\x03\x02\x01\x00")
    assert _peek_error() == 0
    with pytest.raises(libcrypto.LibcryptoError):
        libcrypto.private_key(b"garbage")
    assert _peek_error() == 0


def test_trailing_bytes_after_a_key_are_refused() -> None:
    key = sm2.generate_private_key()
    with pytest.raises(libcrypto.LibcryptoError, match="trailing"):
        libcrypto.public_key(key.public.to_der() + b"\x00")


def test_many_threads_sign_and_verify_at_once() -> None:
    key = sm2.generate_private_key()

    def work(i: int) -> bool:
        data = i.to_bytes(4, "big") * 50
        for _ in range(50):
            sm2.verify(key.public_key(), data, sm2.sign(key, data))
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(work, range(16)))


def test_nothing_leaks() -> None:
    """3,000 signatures, verifications and key loads hold memory steady (no EVP_PKEY,
    EVP_MD_CTX or EVP_PKEY_CTX is left behind)."""
    key = sm2.generate_private_key()
    der = key.to_der()

    def rounds(n: int) -> None:
        for _ in range(n):
            sm2.verify(key.public_key(), b"abc", sm2.sign(key, b"abc"))
            libcrypto.private_key(der)
            libcrypto.public_key(key.public.to_der())
        gc.collect()

    rounds(300)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rounds(3000)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 3072, f"{grown_kib} KiB more after 3,000 rounds"  # a leak: ~12 MB
