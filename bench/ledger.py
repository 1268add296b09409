"""Ledger benchmark: appends per second, and proof times at 1k, 100k and 1M leaves.

    python bench/ledger.py [--pg-admin-url URL] [--max-size 1000000] [--no-sqlite]
                           [--producers 4] [--threads 8] [--seconds 8]

Appends, the figure (issue 18): *concurrent* is the production path. ``--producers``
processes of ``--threads`` threads each run use-case transactions that enqueue ONE leaf
each (``Database.transaction`` + :func:`anxin.storage.ledger_queue.enqueue_leaf`, a
commit per leaf), while the production sequencer loop
(:meth:`anxin.ledger.log.LedgerLog.start_background`, checkpoints included) integrates
them concurrently; appends/s is leaves *integrated* per second over the measured
window, after a warm-up. The log is drained and audited afterwards.

*The floor* is what the machine allows at all: the same producers' INSERTs on bare
psycopg connections (no pool, no SQLAlchemy, no sequencer), enqueued per second; and
*the floor without Python*: pgbench, PostgreSQL's C client, committing the same INSERT
from as many connections (what the database takes when the producers cost nearly nothing,
as when they run on other machines). *The ledger with producers that cost nothing
here*: the production sequencer loop integrating while pgbench commits that INSERT, one
leaf per transaction (drained and audited): what the ledger itself takes when its
use cases run elsewhere, extra information beside the issue's row.

The older rows stay as extra information: *single* is one use-case transaction
enqueuing a leaf followed by one sequencer transaction integrating it; *batched* is
1,000 leaves enqueued in one transaction, then integrated by one sequencer transaction.

Proofs: the log is grown to each size by bulk loading leaves and the nodes computed in
memory (COPY on PostgreSQL), then inclusion and consistency proofs are timed through
:class:`anxin.services.ledger.Ledger` (a transaction, one batched node read, the fold)
at random indices. PostgreSQL runs in a throwaway database
that is dropped at the end. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import multiprocessing
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from bench.proc_cpu import process_cpu
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from tests.common.backends import libpq_url

from anxin.config import load_settings
from anxin.ledger.checkpoint import NoteSigner
from anxin.ledger.leaf import make_leaf
from anxin.ledger.merkle import (
    append_nodes,
    frontier,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from anxin.services.ledger import Ledger, audit_ledger
from anxin.storage.database import Database
from anxin.storage.ledger_queue import enqueue_leaf
from anxin.storage.models import LedgerQueued

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BULK = 50_000


def leaf(n: int) -> bytes:
    return make_leaf("authorization:use:granted", at=AT, authorization_id=f"{n:036d}",
                     institution_id="inst", request_sha256="ab" * 32, n=n)


@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def pg_url(admin_url: str) -> Iterator[str]:
    name = f"anxin_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def open_ledger(url: str) -> Ledger:
    db = Database.connect(url)
    db.migrate()
    settings = load_settings(Path(tempfile.gettempdir()), database_url=url)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    del settings
    return Ledger(db, signer=NoteSigner("bench/anxin", Ed25519PrivateKey.generate()))


def bench_appends(ledger: Ledger, single: int, batches: int) -> dict[str, float]:
    db = ledger.db
    before = ledger.size()
    t0 = time.perf_counter()
    for n in range(single):
        with db.transaction() as session:
            enqueue_leaf(session, leaf(n), authorization_id=None, at=AT)
        ledger.integrate()
    single_rate = single / (time.perf_counter() - t0)
    integrate_time = 0.0
    t0 = time.perf_counter()
    for b in range(batches):
        with db.transaction() as session:
            for n in range(1000):
                enqueue_leaf(session, leaf(single + b * 1000 + n), authorization_id=None, at=AT)
        t1 = time.perf_counter()
        assert ledger.integrate(max_batch=1000) == 1000
        integrate_time += time.perf_counter() - t1
    batched_rate = batches * 1000 / (time.perf_counter() - t0)
    base = single + batches * 1000
    t0 = time.perf_counter()
    for b in range(batches):  # a producer that inserts its 1,000 queue rows in one statement
        with db.transaction() as session:
            session.execute(insert(LedgerQueued), [
                {"data": leaf(base + b * 1000 + n), "authorization_id": None, "created_at": AT}
                for n in range(1000)])
        assert ledger.integrate(max_batch=1000) == 1000
    bulk_rate = batches * 1000 / (time.perf_counter() - t0)
    report = audit_ledger(ledger.db, ledger.signer.verifier_key)
    assert report.ok, report.problems
    assert report.size == before + single + 2 * batches * 1000
    return {"single": single_rate, "batched": batched_rate, "batched_bulk_enqueue": bulk_rate,
            "sequencer_only": batches * 1000 / integrate_time}


PRODUCER_MODES = ("statement", "transaction")
_RAW_ENQUEUE = ("INSERT INTO ledger_queue (data, authorization_id, created_at) "
                "VALUES ($1, $2, $3) RETURNING id")


def _producer(url: str, mode: str, threads: int, first: int, start: Any, stop: Any,
              counts: Any, cpu: Any, slot: int) -> None:
    """One producer process: ``threads`` threads, each committing one use-case
    transaction per leaf until ``stop`` is set: in ``statement`` mode the leaf's INSERT
    is the whole transaction, in autocommit (``Database.single_statement``, as the
    gate's grant on PostgreSQL); in ``transaction`` mode an ORM transaction (BEGIN,
    INSERT, COMMIT: ``Database.transaction``, as the other use cases)."""
    db = Database.connect(url, pool_size=threads)
    done = [0] * threads
    begin = db.single_statement if mode == "statement" else db.transaction

    def run(t: int) -> None:
        n = first + t * 10_000_000
        start.wait()
        while not stop.is_set():
            with begin() as conn:
                enqueue_leaf(conn, leaf(n), authorization_id=None, at=AT)
            n += 1
            done[t] += 1

    def run_raw(t: int) -> None:  # the floor: the same INSERT on a bare psycopg connection
        n = first + t * 10_000_000
        libpq = libpq_url(url)
        with psycopg.connect(libpq, autocommit=True) as raw:
            start.wait()
            while not stop.is_set():
                with psycopg.RawCursor(raw) as cur:
                    cur.execute(_RAW_ENQUEUE, [leaf(n), None, AT])
                    cur.fetchone()
                n += 1
                done[t] += 1


    target = run_raw if mode == "raw" else run
    workers = [threading.Thread(target=target, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    counts[slot] = -1  # ready: imported and started
    start.wait()
    cpu0 = time.process_time()
    for w in workers:
        w.join()
    cpu[slot] = time.process_time() - cpu0
    counts[slot] = sum(done)
    db.dispose()


@dataclasses.dataclass
class _Window:
    """What the sequencer integrated over a measured window, and the CPU it cost."""
    leaves: int
    seconds: float
    postgres_cpu: float | None
    sequencer_cpu: float

    @classmethod
    def measure(cls, ledger: Ledger, seconds: float) -> _Window:
        size0, t0 = ledger.size(), time.perf_counter()
        pg0, seq0 = _server_cpu(ledger), time.process_time()
        time.sleep(seconds)
        size1, t1 = ledger.size(), time.perf_counter()
        pg1, seq1 = _server_cpu(ledger), time.process_time()
        return cls(size1 - size0, t1 - t0,
                   pg1 - pg0 if pg0 is not None and pg1 is not None else None, seq1 - seq0)

    def figures(self) -> dict[str, Any]:
        """Leaves integrated per second, and the CPU microseconds per leaf."""
        return {"per_s": self.leaves / self.seconds, "cpu_us_per_leaf": {
            "sequencer_process": self.sequencer_cpu / self.leaves * 1e6,
            "postgres": None if self.postgres_cpu is None
            else self.postgres_cpu / self.leaves * 1e6}}


def _drain_and_audit(ledger: Ledger, sequencer: threading.Thread, seq_stop: threading.Event,
                     *, base: int, enqueued: int) -> None:
    """Stop the sequencer loop, integrate what is left, and check that every enqueued
    leaf is in the log, the queue empty and the log's audit clean."""
    seq_stop.set()
    sequencer.join(timeout=30)
    ledger.integrate_all()
    size = ledger.size()
    assert size - base == enqueued, (size, base, enqueued)
    with ledger.db.transaction() as session:
        left = session.execute(text("SELECT count(*) FROM ledger_queue")).scalar()
    assert left == 0, left
    report = audit_ledger(ledger.db, ledger.signer.verifier_key)
    assert report.ok, report.problems


def bench_concurrent(ledger: Ledger, url: str, *, mode: str, producers: int, threads: int,
                     seconds: float, warmup: float = 2.0) -> dict[str, float]:
    """Leaves integrated per second while ``producers`` × ``threads`` concurrent use-case
    transactions each enqueue one leaf and the production sequencer loop runs."""
    ctx = multiprocessing.get_context("spawn")
    start, stop = ctx.Event(), ctx.Event()
    counts, cpu = ctx.Array("q", producers), ctx.Array("d", producers)
    base = ledger.size()
    procs = [ctx.Process(target=_producer, args=(url, mode, threads, 10**12 * (p + 1), start,
                                                 stop, counts, cpu, p))
             for p in range(producers)]
    for p in procs:
        p.start()
    seq_stop = threading.Event()
    sequencer = ledger.start_background(seq_stop)
    while any(c != -1 for c in counts):  # every producer has imported and started
        time.sleep(0.1)
    start.set()
    time.sleep(warmup)
    window = _Window.measure(ledger, seconds)
    stop.set()
    for p in procs:
        p.join()
    enqueued = sum(counts)
    _drain_and_audit(ledger, sequencer, seq_stop, base=base, enqueued=enqueued)
    out = window.figures()
    out["cpu_us_per_leaf"] = {"producers": sum(cpu) / enqueued * 1e6,
                              **out["cpu_us_per_leaf"]}
    return {**out, "enqueued": enqueued, "connections": producers * threads}


def bench_floor(ledger: Ledger, url: str, *, producers: int, threads: int,
                seconds: float) -> dict[str, float]:
    """What this machine allows one leaf per transaction at all: the same producers
    and the same INSERT of a leaf, one per autocommit statement, on bare psycopg
    connections (no pool, no SQLAlchemy) and with no sequencer running; enqueued/s over
    the window (rows counted in the queue at both ends). The queue is emptied
    afterwards (those rows are not leaves)."""
    ctx = multiprocessing.get_context("spawn")
    start, stop = ctx.Event(), ctx.Event()
    counts, cpu = ctx.Array("q", producers), ctx.Array("d", producers)
    procs = [ctx.Process(target=_producer, args=(url, "raw", threads, 10**12 * (p + 1), start,
                                                 stop, counts, cpu, p))
             for p in range(producers)]
    for p in procs:
        p.start()
    while any(c != -1 for c in counts):
        time.sleep(0.1)
    start.set()
    time.sleep(1.0)  # every connection open and busy

    def queued() -> int:
        with ledger.db.transaction() as session:
            return int(session.execute(text("SELECT count(*) FROM ledger_queue")).scalar_one())

    n0, pg0, t0 = queued(), _server_cpu(ledger), time.perf_counter()
    time.sleep(seconds)
    n1, pg1, t1 = queued(), _server_cpu(ledger), time.perf_counter()
    stop.set()
    for p in procs:
        p.join()
    enqueued = sum(counts)
    with ledger.db.transaction() as session:
        session.execute(text("DELETE FROM ledger_queue"))
    return {"per_s": (n1 - n0) / (t1 - t0), "enqueued": enqueued,
            "cpu_us_per_leaf": {
                "producers": sum(cpu) / enqueued * 1e6,
                "postgres": (pg1 - pg0) / (n1 - n0) * 1e6
                if pg0 is not None and pg1 is not None else None}}


def _pgbench(url: str, *, clients: int, seconds: float
             ) -> tuple[subprocess.Popen[str], Path] | None:
    """pgbench (PostgreSQL's own C client) committing, from ``clients`` connections on 2
    threads for ``seconds``, the production enqueue: the INSERT that
    :func:`anxin.storage.ledger_queue.enqueue_leaf` runs, of a leaf of this benchmark's
    size (its last 8 bytes random), one row per autocommit transaction; the process and
    its script, which :func:`_pgbench_done` removes. None without pgbench (it comes with
    the PostgreSQL server's Debian package)."""
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        return None
    head = leaf(0)[:-8]
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as fh:
        fh.write("\\set n random(1, 9000000000000000000)\n"
                 "INSERT INTO ledger_queue (data, authorization_id, created_at) "
                 f"VALUES (decode('{head.hex()}', 'hex') || int8send(:n), NULL, now());\n")
    proc = subprocess.Popen([pgbench, "-n", "-c", str(clients), "-j", "2",
                             "-T", str(max(1, round(seconds))), "-f", fh.name, libpq_url(url)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc, Path(fh.name)


def _pgbench_done(run: tuple[subprocess.Popen[str], Path]) -> tuple[float, int]:
    """(tps, transactions committed) of a :func:`_pgbench` run, once it has finished."""
    proc, script = run
    out, _ = proc.communicate()
    script.unlink()
    if proc.returncode != 0:
        raise RuntimeError(f"pgbench failed ({proc.returncode}): {out[-500:]}")
    tps = re.search(r"^tps = ([\d.]+)", out, re.M)
    done = re.search(r"^number of transactions actually processed: (\d+)", out, re.M)
    if tps is None or done is None:
        raise RuntimeError(f"pgbench printed no result: {out[-500:]}")
    return float(tps.group(1)), int(done.group(1))


def bench_floor_pgbench(ledger: Ledger, url: str, *, clients: int,
                        seconds: float) -> dict[str, float] | None:
    """The machine's floor without Python: pgbench committing the production enqueue
    (:func:`_pgbench`) with no sequencer; its tps. The rows are deleted afterwards (they
    are not leaves)."""
    run = _pgbench(url, clients=clients, seconds=seconds)
    if run is None:
        return None
    tps, _ = _pgbench_done(run)
    with ledger.db.transaction() as session:
        session.execute(text("DELETE FROM ledger_queue"))
    return {"per_s": tps, "bytes": len(leaf(0))}


def bench_sequencer_c_producers(ledger: Ledger, url: str, *, clients: int, seconds: float,
                                warmup: float = 2.0) -> dict[str, float] | None:
    """The ledger itself, its producers' cost taken away: leaves integrated per second
    by the production sequencer loop while pgbench commits the production enqueue
    (:func:`_pgbench`), one leaf per transaction, as use cases on other machines would;
    drained and audited afterwards as the concurrent rows are. Extra information: the
    issue's figure is the row with the product's own use-case transactions."""
    base = ledger.size()
    run = _pgbench(url, clients=clients, seconds=warmup + seconds + 1)
    if run is None:
        return None
    seq_stop = threading.Event()
    sequencer = ledger.start_background(seq_stop)
    time.sleep(warmup)
    window = _Window.measure(ledger, seconds)
    _, enqueued = _pgbench_done(run)
    _drain_and_audit(ledger, sequencer, seq_stop, base=base, enqueued=enqueued)
    return {**window.figures(), "enqueued": enqueued}


def _server_cpu(ledger: Ledger) -> float | None:
    """CPU seconds used so far by the server processes of this database's sessions (read
    in /proc: the server runs on this machine); None on SQLite or when /proc has them not.
    Backends that stay connected through the window (the producers' pools) count whole."""
    if ledger.db.dialect != "postgresql":
        return None
    with ledger.db.engine.connect() as conn:
        pids = conn.scalars(text("SELECT pid FROM pg_stat_activity "
                                 "WHERE datname = current_database()")).all()
    total = 0.0
    for pid in pids:
        if (got := process_cpu(pid)) is None:
            return None
        total += got[1]
    return total


class _Frontier:
    """The right edge of the tree: appends compute the nodes they complete."""

    def __init__(self) -> None:
        self.size = 0
        self.edge: dict[tuple[int, int], bytes] = {}

    def append(self, h: bytes) -> list[tuple[int, int, bytes]]:
        made = append_nodes(self.size, h, lambda lv, ix: self.edge[(lv, ix)])
        for lv, ix, nh in made:
            self.edge[(lv, ix)] = nh
        self.size += 1
        keep = set(frontier(self.size))
        if len(self.edge) > 256:
            self.edge = {k: v for k, v in self.edge.items() if k in keep}
        return made

    def root(self) -> bytes:
        parts = frontier(self.size)
        acc = self.edge[parts[-1]]
        for p in reversed(parts[:-1]):
            acc = node_hash(self.edge[p], acc)
        return acc


class BulkLoader:
    """Grows a log by writing leaves, nodes and the head directly (no queue).

    :meth:`grow_to` appends this benchmark's synthetic leaves; :meth:`append` any leaves
    (bench/cluster.py: the leaves of bulk-loaded authorizations), then :meth:`finish`
    writes the head. ``keep_hashes`` keeps every leaf hash in memory (to check proofs
    against); at 10M leaves that is ~1 GB, so callers that do not need them turn it off."""

    def __init__(self, ledger: Ledger, *, keep_hashes: bool = True) -> None:
        self.ledger = ledger
        self.frontier = _Frontier()
        self.hashes: dict[int, bytes] = {}
        self.keep_hashes = keep_hashes

    def resume(self) -> None:
        """Continues the log already in the database (its integrated head): reads the
        perfect subtrees of its right edge, so that appends compute the nodes they
        complete (the sequencer must not run meanwhile)."""
        with self.ledger.db.engine.connect() as conn:
            size = int(conn.scalar(text("SELECT size FROM ledger_head WHERE id = 1")) or 0)
            for level, idx in frontier(size):
                h = conn.scalar(text("SELECT hash FROM ledger_nodes WHERE level = :l "
                                     "AND idx = :i"), {"l": level, "i": idx})
                self.frontier.edge[(level, idx)] = bytes(h)
        self.frontier.size = size

    def grow_to(self, size: int) -> None:
        while self.frontier.size < size:
            stop = min(size, self.frontier.size + BULK)
            self.append([(leaf(i), None) for i in range(self.frontier.size, stop)])
        self.finish()

    def append(self, items: list[tuple[bytes, str | None]]) -> None:
        """Appends leaves ``(data, authorization_id)`` at the end of the log, in one
        transaction (COPY on PostgreSQL)."""
        leaves, nodes = [], []
        for data, authorization_id in items:
            i = self.frontier.size
            h = leaf_hash(data)
            if self.keep_hashes:
                self.hashes[i] = h
            leaves.append((i, data, h, authorization_id, AT))
            nodes.extend(self.frontier.append(h))
        self._write(leaves, nodes)

    def finish(self) -> None:
        """Writes the head (size and root) and refreshes the planner's statistics."""
        with self.ledger.db.transaction() as session:
            session.execute(text("UPDATE ledger_head SET size = :s, root_hash = :r WHERE id = 1"),
                            {"s": self.frontier.size, "r": self.frontier.root()})
        with self.ledger.db.engine.connect() as conn:  # fresh statistics after a bulk load
            conn.execute(text("ANALYZE"))
            conn.commit()

    def _write(self, leaves: list[tuple[Any, ...]], nodes: list[tuple[int, int, bytes]]) -> None:
        raw = self.ledger.db.engine.raw_connection()
        try:
            conn: Any = raw.driver_connection
            if isinstance(conn, sqlite3.Connection):
                cur = conn.cursor()
                cur.execute("BEGIN")
                cur.executemany("INSERT INTO ledger_leaves (idx, data, leaf_hash, "
                                "authorization_id, created_at) VALUES (?, ?, ?, ?, ?)",
                                [(i, d, h, a, AT.replace(tzinfo=None).isoformat(" "))
                                 for i, d, h, a, _ in leaves])
                cur.executemany("INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)",
                                nodes)
                cur.execute("COMMIT")
            else:
                with conn.cursor() as cur:
                    with cur.copy("COPY ledger_leaves (idx, data, leaf_hash, authorization_id, "
                                  "created_at) FROM STDIN") as copy:
                        for row in leaves:
                            copy.write_row(row)
                    with cur.copy("COPY ledger_nodes (level, idx, hash) FROM STDIN") as copy:
                        for row in nodes:
                            copy.write_row(row)
                conn.commit()
        finally:
            raw.close()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def bench_proofs(ledger: Ledger, sizes: list[int], repeat: int, *, verify: bool = False
                 ) -> dict[int, dict[str, float]]:
    loader = BulkLoader(ledger)
    ledger.integrate()  # creates the head row
    rng = random.Random(7)
    out = {}
    for size in sizes:
        t0 = time.perf_counter()
        loader.grow_to(size)
        build = time.perf_counter() - t0
        root = ledger.root(size)
        index, first = rng.randrange(size), rng.randrange(1, size)
        verify_inclusion(loader.hashes[index], index, size, ledger.inclusion_proof(index, size),
                         root)
        verify_consistency(first, size, ledger.root(first), root,
                           ledger.consistency_proof(first, size))
        inc = timed(lambda s=size: ledger.inclusion_proof(rng.randrange(s), s), repeat)
        con = timed(lambda s=size: ledger.consistency_proof(rng.randrange(1, s), s), repeat)
        rt = timed(lambda s=size: ledger.root(s), repeat)
        verify_s = None
        if verify and size == sizes[-1]:
            t0 = time.perf_counter()
            report = audit_ledger(ledger.db, ledger.signer.verifier_key)
            verify_s = time.perf_counter() - t0
            assert report.ok, report.problems
            print(f"    full verify (anxin ledger verify) of {size:,} leaves: {verify_s:.1f} s")
        out[size] = {"build_s": build, "verify_s": verify_s or 0.0,
                     "inclusion_ms": inc[0], "inclusion_p95_ms": inc[1],
                     "consistency_ms": con[0], "consistency_p95_ms": con[1], "root_ms": rt[0]}
        print(f"    {size:>9,} leaves (built in {build:5.1f} s): inclusion {inc[0]:.2f} ms "
              f"(p95 {inc[1]:.2f}), consistency {con[0]:.2f} ms (p95 {con[1]:.2f}), "
              f"root {rt[0]:.2f} ms")
    return out


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    print(f"== {name}")
    ledger = open_ledger(url)
    try:
        appends: dict[str, Any] = {}
        for mode in PRODUCER_MODES:
            got = bench_concurrent(ledger, url, mode=mode, producers=args.producers,
                                   threads=args.threads, seconds=args.seconds)
            appends[f"concurrent_{mode}"] = got["per_s"]
            print(f"    appends through the production path ({mode} producers): "
                  f"{got['per_s']:,.0f}/s integrated ({args.producers} processes × "
                  f"{args.threads} threads, one leaf per use-case transaction, the sequencer "
                  f"loop concurrent; {got['enqueued']:,} leaves in all, audited)")
            appends[f"cpu_us_per_leaf_{mode}"] = got["cpu_us_per_leaf"]
            print("      CPU per leaf (µs): " + ", ".join(
                f"{k} {v:,.0f}" for k, v in got["cpu_us_per_leaf"].items() if v is not None))
        if name == "postgresql":
            floor = bench_floor(ledger, url, producers=args.producers, threads=args.threads,
                                seconds=args.seconds)
            appends["floor_raw_enqueue"] = floor["per_s"]
            print(f"    the floor: the same producers' INSERTs on bare psycopg, no pool, no "
                  f"sequencer: {floor['per_s']:,.0f}/s enqueued; CPU per leaf (µs): " +
                  ", ".join(f"{k} {v:,.0f}" for k, v in floor["cpu_us_per_leaf"].items()
                            if v is not None))
            c_floor = bench_floor_pgbench(ledger, url, clients=args.producers * args.threads,
                                          seconds=args.seconds)
            if c_floor is not None:
                appends["floor_pgbench"] = c_floor["per_s"]
                print(f"    the floor without Python: pgbench, the same INSERT of a "
                      f"{c_floor['bytes']}-byte leaf from {args.producers * args.threads} "
                      f"connections: {c_floor['per_s']:,.0f}/s committed")
            c_seq = bench_sequencer_c_producers(ledger, url,
                                                clients=args.producers * args.threads,
                                                seconds=args.seconds)
            if c_seq is not None:
                appends["sequencer_c_producers"] = c_seq["per_s"]
                print(f"    the ledger with producers that cost nothing here (pgbench, the "
                      f"same INSERT, one leaf per transaction): {c_seq['per_s']:,.0f}/s "
                      f"integrated ({c_seq['enqueued']:,} leaves in all, audited); CPU per "
                      "leaf (µs): " + ", ".join(
                          f"{k} {v:,.0f}" for k, v in c_seq["cpu_us_per_leaf"].items()
                          if v is not None))
        appends |= bench_appends(ledger, args.single, args.batches)
        print(f"    appends: single {appends['single']:,.0f}/s; batched "
              f"{appends['batched']:,.0f}/s (enqueued row by row), "
              f"{appends['batched_bulk_enqueue']:,.0f}/s (enqueued in one statement); "
              f"the sequencer alone {appends['sequencer_only']:,.0f}/s")
        ledger.db.dispose()
    finally:
        ledger.db.dispose()
    with (sqlite_url() if name == "sqlite" else pg_url(args.pg_admin_url)) as fresh:
        ledger = open_ledger(fresh)
        try:
            sizes = [s for s in (1_000, 100_000, 1_000_000) if s <= args.max_size]
            proofs = bench_proofs(ledger, sizes, args.repeat, verify=args.verify)
        finally:
            ledger.db.dispose()
    return {"appends": appends, "proofs": proofs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG)
    parser.add_argument("--max-size", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=500)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--producers", type=int, default=4,
                        help="producer processes of the concurrent appends")
    parser.add_argument("--threads", type=int, default=8,
                        help="threads (connections) per producer process")
    parser.add_argument("--seconds", type=float, default=8.0,
                        help="measured window of the concurrent appends")
    parser.add_argument("--verify", action="store_true",
                        help="also time a full verify of the largest log")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    if not args.no_sqlite:
        with sqlite_url() as url:
            results["sqlite"] = run_backend("sqlite", url, args)
    with pg_url(args.pg_admin_url) as url:
        results["pg"] = run_backend("postgresql", url, args)
    summary: dict[str, float] = {
        "append_pg_per_s": round(results["pg"]["appends"]["concurrent_statement"]),
        "append_pg_orm_transaction_per_s": round(
            results["pg"]["appends"]["concurrent_transaction"]),
        "append_batched_pg_per_s": round(results["pg"]["appends"]["batched"]),
        "append_single_pg_per_s": round(results["pg"]["appends"]["single"]),
        "append_batched_bulk_enqueue_pg_per_s": round(
            results["pg"]["appends"]["batched_bulk_enqueue"]),
        "sequencer_pg_per_s": round(results["pg"]["appends"]["sequencer_only"]),
        "floor_raw_enqueue_pg_per_s": round(results["pg"]["appends"]["floor_raw_enqueue"]),
    }
    if "floor_pgbench" in results["pg"]["appends"]:
        summary["floor_pgbench_pg_per_s"] = round(results["pg"]["appends"]["floor_pgbench"])
    if "sequencer_c_producers" in results["pg"]["appends"]:
        summary["append_pg_c_producers_per_s"] = round(
            results["pg"]["appends"]["sequencer_c_producers"])
    labels = {1_000: "1k", 100_000: "100k", 1_000_000: "1m"}
    for size, label in labels.items():
        if size in results["pg"]["proofs"]:
            summary[f"inclusion_ms_{label}"] = round(
                results["pg"]["proofs"][size]["inclusion_ms"], 3)
            summary[f"consistency_ms_{label}"] = round(
                results["pg"]["proofs"][size]["consistency_ms"], 3)
    if "sqlite" in results:
        summary["append_sqlite_per_s"] = round(
            results["sqlite"]["appends"]["concurrent_statement"])
        summary["append_batched_sqlite_per_s"] = round(results["sqlite"]["appends"]["batched"])
        summary["append_single_sqlite_per_s"] = round(results["sqlite"]["appends"]["single"])
        for size, label in labels.items():
            if size in results["sqlite"]["proofs"]:
                summary[f"inclusion_ms_{label}_sqlite"] = round(
                    results["sqlite"]["proofs"][size]["inclusion_ms"], 3)
                summary[f"consistency_ms_{label}_sqlite"] = round(
                    results["sqlite"]["proofs"][size]["consistency_ms"], 3)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
