"""SM2 candidates, measured (issue 14: "measure and choose"): signatures and verifications
per second on one core, through Python, of each implementation installed here.

    python bench/sm2.py [--seconds 2]

- ``anxin.pki.sm2``: the chosen path, OpenSSL 3's own SM2 (the system ``libcrypto.so.3``)
  through the small ctypes binding :mod:`anxin.pki.libcrypto` (DER signatures, any user id);
- ``gmssl-fast``: GmSSL statically linked in a wheel (64-byte r ‖ s, default id only);
- ``openssl speed sm2``: OpenSSL's C loop, no Python: the ceiling of any OpenSSL binding;
- ``tongsuopy`` when installed; ``gmssl`` (pure Python, the tests' second verifier).

The last line printed is one JSON object. Not part of the suite.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import time
from collections.abc import Callable
from typing import Any

from anxin.pki import sm2

DATA = b"x" * 1024  # about a letter's signed attributes and more


def rate(fn: Callable[[], object], seconds: float) -> float:
    fn()
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(10):
            fn()
        count += 10
    return round(count / elapsed, 1)


def anxin_sm2(seconds: float) -> dict[str, float]:
    key = sm2.generate_private_key()
    sig = sm2.sign(key, DATA)
    return {"sign": rate(lambda: sm2.sign(key, DATA), seconds),
            "verify": rate(lambda: sm2.verify(key.public, DATA, sig), seconds)}


def gmssl_fast_raw(seconds: float) -> dict[str, float]:
    import gmssl_fast
    key = gmssl_fast.SM2.generate()
    sig = key.sign(DATA)
    return {"sign": rate(lambda: key.sign(DATA), seconds),
            "verify": rate(lambda: key.verify(DATA, sig), seconds)}


def openssl_speed(seconds: float) -> dict[str, float]:
    done = subprocess.run(["openssl", "speed", "-seconds", str(max(1, int(seconds))), "sm2"],
                          capture_output=True, text=True, check=True, timeout=120)
    line = next(ln for ln in done.stdout.splitlines() if re.search(r"\bSM2\b|sm2", ln)
                and re.search(r"\d+\.\d+\s*$", ln))
    numbers = re.findall(r"\d+\.\d+", line)
    return {"sign": float(numbers[-2]), "verify": float(numbers[-1])}


def tongsuopy_sm2(seconds: float) -> dict[str, float]:
    from tongsuopy.crypto import hashes  # type: ignore[import-not-found]
    from tongsuopy.crypto.asymciphers import ec  # type: ignore[import-not-found]
    key = ec.generate_private_key(ec.SM2())
    sig = key.sign(DATA, ec.ECDSA(hashes.SM3()))
    pub = key.public_key()
    return {"sign": rate(lambda: key.sign(DATA, ec.ECDSA(hashes.SM3())), seconds),
            "verify": rate(lambda: pub.verify(sig, DATA, ec.ECDSA(hashes.SM3())), seconds)}


def gmssl_pure(seconds: float) -> dict[str, float]:
    from gmssl import sm2 as gm  # type: ignore[import-untyped]
    ours = sm2.generate_private_key()
    key = gm.CryptSM2(private_key=ours.d.to_bytes(32, "big").hex(),
                      public_key=ours.public.point[1:].hex())
    sig = key.sign_with_sm3(DATA)
    return {"sign": rate(lambda: key.sign_with_sm3(DATA), seconds),
            "verify": rate(lambda: key.verify_with_sm3(sig, DATA), seconds)}


CANDIDATES: dict[str, Callable[[float], dict[str, float]]] = {
    "anxin.pki.sm2 (OpenSSL 3 by ctypes)": anxin_sm2,
    "gmssl-fast (GmSSL, raw r||s)": gmssl_fast_raw,
    "openssl speed sm2 (C, no Python)": openssl_speed,
    "tongsuopy": tongsuopy_sm2,
    "gmssl (pure Python)": gmssl_pure,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for name, bench in CANDIDATES.items():
        try:
            results[name] = bench(args.seconds)
        except Exception as exc:  # a candidate not installed here is reported, not fatal
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"{name:36} {results[name]}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
