"""TSA throughput, one process, one thread: tokens per second in-process.

    PYTHONPATH=src python bench/tsa.py [--tokens 5000]

Prints one JSON line: in-memory serials, database serials on SQLite (block 1 and 64),
and through pyHanko's InProcessTimeStamper.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import tempfile
import time
from pathlib import Path

from asn1crypto import tsp

from anxin.config import load_settings
from anxin.pki.authority import ensure_pki, load_pki
from anxin.pki.serials import InMemorySerialSource, SerialSource
from anxin.pki.tsa import InProcessTimeStamper, TimestampAuthority
from anxin.services.pki_services import DbSerialSource
from anxin.storage.database import Database


def _rate(tsa: TimestampAuthority, n: int) -> float:
    query = tsp.TimeStampReq({"version": "v1", "cert_req": True, "nonce": 12345,
                              "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                  "hashed_message": b"\x01" * 32}}).dump()
    start = time.perf_counter()
    for _ in range(n):
        tsa.respond(query)
    return n / (time.perf_counter() - start)


def _pyhanko_rate(tsa: TimestampAuthority, n: int) -> float:
    stamper = InProcessTimeStamper(tsa)
    digest = hashlib.sha256(b"x").digest()

    async def run() -> None:
        for _ in range(n):
            await stamper.async_timestamp(digest, "sha256")

    start = time.perf_counter()
    asyncio.run(run())
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=5000)
    n = parser.parse_args().tokens
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp) / "data")
        ensure_pki(settings)
        pki = load_pki(settings)
        db = Database.connect(f"sqlite:///{Path(tmp) / 'anxin.db'}")
        db.migrate()
        sources: dict[str, SerialSource] = {
            "memory_per_s": InMemorySerialSource(),
            "sqlite_per_s": DbSerialSource(db),
            "sqlite_block64_per_s": DbSerialSource(db, block_size=64),
            "sqlite_prefetch64_per_s": DbSerialSource(db, block_size=64, prefetch=True),
        }
        result = {name: round(_rate(TimestampAuthority(pki, src), n))
                  for name, src in sources.items()}
        result["pyhanko_in_process_per_s"] = round(_pyhanko_rate(
            TimestampAuthority(pki, InMemorySerialSource()), n))
        db.dispose()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
