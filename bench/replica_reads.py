"""Read-replica benchmark: what a fresh (read-your-writes) read costs, and how often the
replica serves it while the primary takes writes.

    python bench/replica_reads.py [--reads 2000] [--writers 1] [--waits 0,5,50]

A primary and its streaming replica of the bench's own (tests/common/pg_replica.py: an
``initdb`` primary, a ``pg_basebackup -R`` hot standby, on 127.0.0.1, ``fsync = off``)
and one table of 1,000 rows. For each read kind — the primary (``Database.snapshot``),
``read_lagging`` and ``read_fresh`` — one indexed SELECT by id, timed end to end (the
session, the primary's WAL position and the wait for the replica included): p50 and p99
in microseconds, and the share served by the replica (``pg_is_in_recovery()`` in the
read's own session). Idle first; then with ``--writers`` threads updating random rows
in autocommit on the primary as fast as they can (a stand-in for gate calls), for each
``ANXIN_DATABASE_REPLICA_WAIT_MS`` in ``--waits``. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from anxin.storage.database import Database

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.common.pg_replica import streaming_replica

ROWS = 1000
_READ = text("SELECT v, pg_is_in_recovery() FROM bench_rows WHERE id = :id")


def _on_primary(db: Database) -> Callable[[Callable[[Session], Any]], Any]:
    def read(fn: Callable[[Session], Any]) -> Any:
        with db.snapshot() as s:
            return fn(s)
    return read


def _time_reads(run_read: Callable[[Callable[[Session], Any]], Any], n: int
                ) -> dict[str, Any]:
    times: list[float] = []
    on_replica = 0
    for _ in range(n):
        t0 = time.perf_counter()
        row = run_read(lambda s: s.execute(_READ, {"id": random.randrange(ROWS)}).one())
        times.append(time.perf_counter() - t0)
        on_replica += bool(row[1])
    times.sort()
    return {"p50_us": round(statistics.median(times) * 1e6),
            "p99_us": round(times[int(len(times) * 0.99) - 1] * 1e6),
            "on_replica": round(on_replica / n, 3)}


def _writers(url: str, count: int, stop: threading.Event, done: list[int]
             ) -> list[threading.Thread]:
    engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=count)

    def loop() -> None:
        n = 0
        with engine.connect() as c:
            while not stop.is_set():
                c.execute(text("UPDATE bench_rows SET v = v + 1 WHERE id = :id"),
                          {"id": random.randrange(ROWS)})
                n += 1
        done.append(n)

    threads = [threading.Thread(target=loop, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    return threads


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reads", type=int, default=2000)
    ap.add_argument("--writers", type=int, default=1)
    ap.add_argument("--waits", default="0,5,50")
    args = ap.parse_args()
    waits = [int(w) for w in args.waits.split(",")]
    out: dict[str, Any] = {"reads": args.reads, "writers": args.writers}
    with streaming_replica() as pair:
        setup = create_engine(pair.primary_url, isolation_level="AUTOCOMMIT")
        with setup.connect() as c:
            c.execute(text("CREATE TABLE bench_rows (id integer PRIMARY KEY, v bigint)"))
            c.execute(text("INSERT INTO bench_rows SELECT g, 0 FROM generate_series(0, :n) g"),
                      {"n": ROWS - 1})
        setup.dispose()
        pair.wait_replayed()
        for label, load in (("idle", 0), ("under_writes", args.writers)):
            stop, done = threading.Event(), []
            threads = _writers(pair.primary_url, load, stop, done) if load else []
            started = time.perf_counter()
            figures: dict[str, Any] = {}
            for wait in waits:
                db = Database.connect(pair.primary_url, replica_url=pair.replica_url,
                                      replica_wait=wait / 1000)
                try:
                    if wait == waits[0]:
                        figures["primary"] = _time_reads(_on_primary(db), args.reads)
                        figures["lagging"] = _time_reads(db.read_lagging, args.reads)
                    figures[f"fresh_wait_{wait}ms"] = _time_reads(db.read_fresh, args.reads)
                finally:
                    db.dispose()
            stop.set()
            for t in threads:
                t.join()
            if load:
                figures["writes_per_s"] = round(sum(done) / (time.perf_counter() - started))
            out[label] = figures
            print(label, json.dumps(figures))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
