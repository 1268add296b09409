"""Background work on several nodes of one PostgreSQL database (issue 18): the ledger
sequencer is taken over when its holder is killed or frozen mid-integration, two nodes
racing to sign checkpoints never store two roots for one size (the database refuses
it), and two nodes' TSA serial sources never issue one number twice."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from anxin.bootstrap import build_services
from anxin.config import Settings, load_settings
from anxin.services.context import Context
from anxin.services.pki_services import DbSerialSource
from anxin.services.setup import initialise
from anxin.storage.database import Database
from anxin.storage.ledger_queue import enqueue_leaf
from anxin.storage.models import LedgerCheckpoint
from tests.cluster.nodes import ROOT
from tests.common.backends import require_postgres, throwaway_postgres

# A node's sequencer, stopped while it holds the sequencer's lock and the head row:
# what a node is between two statements of an integration when it is killed or frozen.
_HOLDER = """
import datetime as dt, sys, time
from pathlib import Path
from anxin.bootstrap import build_services
from anxin.config import load_settings
from anxin.storage.ledger_store import SqlLedgerStore
ctx = build_services(load_settings(data_dir=Path(sys.argv[1])), background_workers=False)
with SqlLedgerStore(ctx.db).transaction() as tx:
    assert tx.try_sequencer_lock()
    tx.lock_head(dt.datetime.now(dt.UTC))
    print("locked", flush=True)
    time.sleep(600)
"""


@pytest.fixture(scope="module")
def pg_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    with throwaway_postgres(require_postgres()) as url:
        data = tmp_path_factory.mktemp("background") / "data"
        initialise(load_settings(data_dir=data, database_url=url))
        yield load_settings(data_dir=data, database_url=url)


@pytest.fixture
def node(pg_settings: Settings) -> Iterator[Context]:
    ctx = build_services(pg_settings, background_workers=False)
    yield ctx
    ctx.close()


def _enqueue(ctx: Context, n: int = 1) -> None:
    with ctx.db.transaction() as s:
        for _ in range(n):
            enqueue_leaf(s, os.urandom(16), authorization_id=None, at=ctx.clock())


def _holder(settings: Settings, **env: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(settings.data_dir)], text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
             "ANXIN_DATABASE_URL": settings.effective_database_url, **env})
    assert proc.stdout is not None
    seen = []  # its start-up warnings (the outbox gateway), then "locked"
    while (line := proc.stdout.readline()) and line.strip() != "locked":
        seen.append(line)
    if not line:
        proc.kill()
        proc.wait(30)
        raise AssertionError(f"the holder did not take the lock: {''.join(seen)}")
    return proc


def _taken_over_within(ctx: Context, seconds: float) -> float:
    """Seconds until this node's background-style integration sequences the queue."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if ctx.ledger.integrate(wait=False) > 0:
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"no takeover of the sequencer within {seconds} s")


def test_a_sigkilled_integrator_is_taken_over(pg_settings: Settings, node: Context) -> None:
    holder = _holder(pg_settings, ANXIN_DB_IDLE_IN_TRANSACTION_SECONDS="0")
    try:
        _enqueue(node)
        assert node.ledger.integrate(wait=False) == 0, "two sequencers at once"
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        # The server sees the connection close and rolls the holder's transaction back.
        assert _taken_over_within(node, 10) < 10
    finally:
        holder.kill()
        holder.wait(10)
        if holder.stdout:
            holder.stdout.close()


def test_a_frozen_integrator_is_taken_over(pg_settings: Settings, node: Context) -> None:
    # SIGSTOP: the process lives and its connection stays open (a node paused, or cut
    # off from the database by the network); only the server-side idle-in-transaction
    # timeout (ANXIN_DB_IDLE_IN_TRANSACTION_SECONDS) frees the lock.
    holder = _holder(pg_settings, ANXIN_DB_IDLE_IN_TRANSACTION_SECONDS="2")
    try:
        _enqueue(node)
        holder.send_signal(signal.SIGSTOP)
        assert node.ledger.integrate(wait=False) == 0, "two sequencers at once"
        assert _taken_over_within(node, 20) < 20
    finally:
        holder.kill()
        holder.wait(10)
        if holder.stdout:
            holder.stdout.close()


def test_two_nodes_racing_to_checkpoint_never_sign_two_roots(pg_settings: Settings) -> None:
    a = build_services(pg_settings, background_workers=False)
    b = build_services(pg_settings, background_workers=False)
    stop = threading.Event()
    errors: list[BaseException] = []

    def feed() -> None:
        while not stop.is_set():
            _enqueue(a, 3)
            time.sleep(0.01)

    def sign(ctx: Context) -> None:
        try:
            for _ in range(25):
                ctx.ledger.checkpoint(force=True)
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)

    try:
        feeder = threading.Thread(target=feed)
        feeder.start()
        racers = [threading.Thread(target=sign, args=(c,)) for c in (a, b, a, b)]
        for t in racers:
            t.start()
        for t in racers:
            t.join(120)
        stop.set()
        feeder.join(30)
        assert not errors, errors
        with a.db.transaction() as s:
            stored = [(int(r[0]), bytes(r[1]), str(r[2])) for r in s.execute(select(
                LedgerCheckpoint.size, LedgerCheckpoint.root_hash, LedgerCheckpoint.note))]
        assert len(stored) > 5, stored
        for size, root, note in stored:
            assert a.ledger.root(size) == root == b.ledger.root(size)
            assert a.ledger.verify_note(note).root == root
        # The database itself refuses a second root for a size already signed.
        size, root, note = stored[-1]
        with pytest.raises(IntegrityError), a.db.transaction() as s:
            s.execute(insert(LedgerCheckpoint).values(
                size=size, root_hash=bytes(32), note=note, tsa_token=None,
                created_at=dt.datetime.now(dt.UTC)))
    finally:
        stop.set()
        a.close()
        b.close()


def test_tsa_serials_of_two_nodes_never_repeat(pg_settings: Settings) -> None:
    dbs = [Database.connect(pg_settings.effective_database_url) for _ in range(2)]
    sources = [DbSerialSource(db, name="cluster_test_serial", block_size=8, prefetch=True)
               for db in dbs]
    drawn: list[int] = []
    lock = threading.Lock()

    def draw(src: DbSerialSource) -> None:
        mine = [src.next_serial() for _ in range(300)]
        with lock:
            drawn.extend(mine)

    try:
        threads = [threading.Thread(target=draw, args=(src,)) for src in sources * 2]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert len(drawn) == 1200
        assert len(set(drawn)) == len(drawn), "a serial was issued twice"
    finally:
        time.sleep(0.2)  # let a prefetch refill finish before its engine goes
        for db in dbs:
            db.dispose()

