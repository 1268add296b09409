"""Bulk loading of realistic authorizations into a PostgreSQL deployment (bench/cluster.py).

One authorization signed through the real API is the model; each bulk row is a copy of
its row with what differs per person made by the product's own key helpers
(:class:`anxin.keys.DataKeys`): a new id, reference and token hash; the name, id number,
mobile and letter text encrypted under the new id (AES-GCM, the row and field as
associated data) and blind indexes of a new id number and mobile; its event
certificate(s) re-encrypted under a new serial; and its ledger leaves (the model's leaf
data with the new id in place of the model's: same sizes) appended to the log with the
nodes they complete. The signed letter PDF (``documents``) is not copied: its bytes per
authorization are measured on the model and reported beside (tens of KB each, they would
fill the disk at 10M). The model is read once its leaves are sequenced; the sequencer
must not run while rows are loaded (the nodes are stopped).

Why it is written by hand, and how it is fast. The encryption, blind indexes and leaf
hashes need the deployment's keys, so the rows cannot be made server-side
(``generate_series``: PostgreSQL has no AES-GCM) and must be made here. The first loader
adapted every value of every row through psycopg's ``write_row`` into tables with all
their indexes: 1M authorizations took 519-1,117 s on this shared machine; this one
loaded 100k in 80 s where the first took 342 s in the same run, and 1M in 326 s
(docs/operations.md, "Growth, 2026-12-02"). Now:

- the model's columns that every copy shares are rendered once, by PostgreSQL itself
  (``COPY (SELECT ...) TO STDOUT``), and each COPY line is that text after the row's own
  columns, formatted here (hex bytea, ISO times): no per-value adaptation;
- the four tables' indexes, unique, primary-key and foreign-key constraints are dropped
  before a load and made again after it (one sorted build each, parallel where
  PostgreSQL does, ``maintenance_work_mem`` 1 GB for the session) instead of ~15 random
  B-tree inserts per authorization; the keys are then checked once, by the constraints'
  own build. The rebuilt indexes are as compact as a REINDEX leaves them (an index grown
  row by row has split pages, ~10-30 % bigger): bytes per authorization are a settled
  table's. ``ANALYZE`` after; no VACUUM (the visibility map is as a load leaves it);
- the tables are loaded in one transaction per ``BATCH`` and table pair, the row
  tables and the log's on two connections (two backends) at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import secrets
import struct
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from struct import pack
from typing import Any

import psycopg
from bench.ledger import AT, BulkLoader, _Frontier, open_ledger
from psycopg.sql import SQL, Identifier
from tests.common.backends import libpq_url

from anxin.keys import DataKeys, load_master_key
from anxin.ledger.merkle import leaf_hash, node_hash

BATCH = 5_000  # authorizations per transaction (~50 MB of COPY)
WORKERS = os.cpu_count() or 1  # processes making rows


# The columns each copy makes for itself, in this order (AuthorizationCloner._rows); the
# others are the model's.
AUTH_VARYING = ["id", "reference", "created_at", "status_changed_at", "signed_at",
                "timestamp_at", "valid_from", "subject_name_enc", "subject_id_enc",
                "subject_id_index", "subject_mobile_enc", "subject_mobile_index",
                "letter_enc", "token_hash", "commitment_salt", "ledger_head", "ledger_prev"]
CERT_VARYING = ["serial", "authorization_id", "der_enc"]
LEAF_COLUMNS = ["idx", "data", "leaf_hash", "authorization_id", "created_at"]
NODE_COLUMNS = ["level", "idx", "hash"]
# Binary COPY (https://www.postgresql.org/docs/15/sql-copy.html, "Binary Format"): the
# signature, flags and header extension; a tuple is its field count (int16) and each
# field's length (int32) and bytes; -1 ends the data.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + pack(">ii", 0, 0)
COPY_TRAILER = pack(">h", -1)
PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # timestamptz: int64 microseconds since
LEAF_HEAD = pack(">hi", len(LEAF_COLUMNS), 8)  # the field count, the idx's length
NODE_LEAF = pack(">hiii", len(NODE_COLUMNS), 4, 0, 8)  # ... level 0, the idx's length
LEAF_AT = pack(">iq", 8, (AT - PG_EPOCH) // dt.timedelta(microseconds=1))


def _f(b: bytes) -> bytes:
    """One field of a binary COPY tuple."""
    return pack(">i", len(b)) + b


class _Edge(_Frontier):
    """The tree's right edge, as :class:`bench.ledger._Frontier` but appending in O(1)
    amortised: it keeps only the left siblings still waiting for their right one (the
    even-indexed perfect subtrees, which are exactly the edge), so nothing is pruned.
    The frontier's append recomputed the edge per leaf (~40 % of the rows' making)."""

    @classmethod
    def of(cls, f: _Frontier) -> _Edge:
        e = cls()
        e.size, e.edge = f.size, dict(f.edge)
        return e

    def append(self, h: bytes) -> list[tuple[int, int, bytes]]:
        out, level, i, edge = [(0, self.size, h)], 0, self.size, self.edge
        while i & 1:
            h = node_hash(edge.pop((level, i - 1)), h)
            level, i = level + 1, i >> 1
            out.append((level, i, h))
        edge[(level, i)] = h
        self.size += 1
        return out

    def tuples(self, hashes: list[bytes], fields: list[bytes]
               ) -> tuple[list[bytes], list[bytes]]:
        """:meth:`append` of each hash, made into binary COPY tuples of ``ledger_leaves``
        (the leaf's index, then its other ``fields``) and ``ledger_nodes``, in one loop:
        the writer's share of a load is this loop (~1 node hash per leaf), so it is
        written flat (half the time of append's tuples packed afterwards)."""
        leaves, nodes, edge, size, sha = [], [], self.edge, self.size, hashlib.sha256
        for h, f in zip(hashes, fields, strict=True):
            leaves.append(LEAF_HEAD + pack(">q", size) + f)
            nodes.append(NODE_LEAF + pack(">qi", size, 32) + h)
            level, i = 0, size
            while i & 1:
                h = sha(b"\x01" + edge.pop((level, i - 1)) + h).digest()
                level, i = level + 1, i >> 1
                nodes.append(pack(">hiiiqi", 3, 4, level, 8, i, 32) + h)
            edge[(level, i)] = h
            size += 1
        self.size = size
        return leaves, nodes


@dataclass
class _Batch:
    """Authorizations made by a worker: their COPY tuples, and their leaves' hashes and
    fields but for the index (the writer numbers them)."""

    authorizations: list[bytes] = field(default_factory=list)
    certificates: list[bytes] = field(default_factory=list)
    leaf_hashes: list[bytes] = field(default_factory=list)
    leaf_fields: list[bytes] = field(default_factory=list)


_CLONER: AuthorizationCloner | None = None


def _make_rows(start: int, stop: int, newest_us: int) -> _Batch:
    assert _CLONER is not None
    return _CLONER.rows(start, stop, newest_us)


class _Writers:
    """Two connections, each in its own thread, COPYing and committing what they are
    given: PostgreSQL parses and stores a COPY in one backend process, so two streams
    use both cores while this process makes the nodes. At most ``2 * 2`` jobs wait."""

    def __init__(self, db_url: str) -> None:
        self.conns = [psycopg.connect(libpq_url(db_url)) for _ in range(2)]
        self.pools = [ThreadPoolExecutor(1) for _ in self.conns]
        self.pending: list[Future[None]] = []
        self.turn = 0

    def __enter__(self) -> _Writers:
        return self

    def __exit__(self, *exc: object) -> None:
        for pool in self.pools:
            pool.shutdown(wait=True)
        for conn in self.conns:
            conn.close()

    def copy(self, jobs: list[tuple[str, list[bytes]]]) -> None:
        while len(self.pending) >= 2 * len(self.conns):
            self.pending.pop(0).result()
        conn, pool = self.conns[self.turn], self.pools[self.turn]
        self.turn = (self.turn + 1) % len(self.conns)
        self.pending.append(pool.submit(_copy, conn, jobs))

    def drain(self) -> None:
        while self.pending:
            self.pending.pop(0).result()


def _copy(conn: psycopg.Connection[Any], jobs: list[tuple[str, list[bytes]]]) -> None:
    with conn.cursor() as cur:
        for sql, lines in jobs:
            with cur.copy(sql) as cp:
                cp.write(b"".join((COPY_HEADER, *lines, COPY_TRAILER)))
    conn.commit()


@contextmanager
def without_indexes(conn: psycopg.Connection[Any], tables: list[str]) -> Iterator[None]:
    """Drops the constraints (primary key, unique, foreign key) and indexes of ``tables``,
    and makes them again on leaving (each one sorted build instead of a random insert
    per row; the constraints' builds check the loaded keys)."""
    constraints = conn.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM "
        "pg_constraint WHERE conrelid::regclass::text = ANY(%s) AND contype IN "
        "('p', 'u', 'f') ORDER BY contype <> 'p', contype = 'f'", (tables,)).fetchall()
    owned = {name for _, name, _ in constraints}
    indexes = [(name, sql) for name, sql in conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND "
        "tablename = ANY(%s)", (tables,)) if name not in owned]
    for name, _ in indexes:
        conn.execute(f'DROP INDEX "{name}"')
    for table, name, _ in reversed(constraints):
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    conn.commit()
    try:
        yield
    finally:
        conn.rollback()
        conn.execute("SET maintenance_work_mem = '1GB'")
        for table, name, sql in constraints:
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {sql}')
        for _, sql in indexes:
            conn.execute(sql)
        conn.commit()


class AuthorizationCloner:
    """Appends copies of the model authorization ``model_id`` (see the module docstring)."""

    def __init__(self, db_url: str, data_dir: Path, model_id: str) -> None:
        self.db_url = db_url
        self.keys: DataKeys = load_master_key(data_dir / "keys" / "master.key",
                                              os.environ.get("ANXIN_KEY_PASSPHRASE"))
        self.model_id = model_id
        with psycopg.connect(libpq_url(db_url), autocommit=True) as conn:
            # Its leaves are sequenced after the signing's commit: wait for all of them.
            deadline = time.monotonic() + 30
            while conn.execute("SELECT count(*) FROM ledger_queue WHERE authorization_id = "
                               "%s", (model_id,)).fetchone() != (0,):
                assert time.monotonic() < deadline, "the model's leaves were not sequenced"
                time.sleep(0.2)
            cur = conn.execute("SELECT * FROM authorizations WHERE id = %s", (model_id,))
            assert cur.description is not None
            self.columns = [d.name for d in cur.description]
            row = cur.fetchone()
            assert row is not None, model_id
            self.model = dict(zip(self.columns, row, strict=True))
            self.letter = self.keys.decrypt_text(bytes(self.model["letter_enc"]),
                                                 aad=f"{model_id}/letter")
            self.name = self.keys.decrypt_text(bytes(self.model["subject_name_enc"]),
                                               aad=f"{model_id}/name")
            cur = conn.execute("SELECT * FROM certificates WHERE authorization_id = %s",
                               (model_id,))
            assert cur.description is not None
            self.cert_columns = [d.name for d in cur.description]
            self.certs = [dict(zip(self.cert_columns, r, strict=True)) for r in cur]
            self.cert_ders = [self.keys.decrypt(bytes(c["der_enc"]),
                                                aad=f"certificates/{c['serial']}")
                              for c in self.certs]
            self.leaves = [bytes(r[0]) for r in conn.execute(
                "SELECT data FROM ledger_leaves WHERE authorization_id = %s ORDER BY idx",
                (model_id,))]
            self.auth_constant = [c for c in self.columns if c not in AUTH_VARYING]
            self.cert_constant = [c for c in self.cert_columns if c not in CERT_VARYING]
            self.auth_tail = self._constant_fields(conn, "authorizations", "id", model_id,
                                                   self.auth_constant)
            self.cert_tails = [self._constant_fields(conn, "certificates", "serial",
                                                     c["serial"], self.cert_constant)
                               for c in self.certs]
        self.auth_count = pack(">h", len(self.columns))
        self.cert_count = pack(">h", len(self.cert_columns))
        self.id_type = self.model["subject_id_type"]
        self.frontier = _Edge()
        self.count = 0
        # Seconds of the loads so far: waiting for the workers' rows, making the nodes,
        # COPY and commit, making the indexes and constraints again, ANALYZE.
        self.timings = dict.fromkeys(("rows_wait", "nodes", "copy", "indexes", "analyze"),
                                     0.0)

    def _constant_fields(self, conn: psycopg.Connection[Any], table: str, key: str,
                         value: str, columns: list[str]) -> bytes:
        """The model's ``columns`` as the fields of a binary COPY tuple, rendered by
        PostgreSQL (so every type is in its own binary form)."""
        sql = SQL("COPY (SELECT {} FROM {} WHERE {} = %s) TO STDOUT (FORMAT binary)").format(
            SQL(", ").join(map(Identifier, columns)), Identifier(table), Identifier(key))
        with conn.cursor().copy(sql, (value,)) as cp:
            out = b"".join(bytes(chunk) for chunk in cp)
        assert out.startswith(COPY_HEADER), (table, value)
        assert out.endswith(COPY_TRAILER), (table, value)
        tup = out[len(COPY_HEADER):-len(COPY_TRAILER)]
        assert struct.unpack(">h", tup[:2])[0] == len(columns), (table, value)
        return tup[2:]

    def rows(self, start: int, stop: int, newest_us: int) -> _Batch:
        """Makes bulk authorizations ``start`` to ``stop`` (the last of the load created
        at ``newest_us``, PostgreSQL microseconds), their certificates and leaves, as
        binary COPY tuples; the leaves' indexes and nodes are the writer's (one log)."""
        k, model_id, name, letter = self.keys, self.model_id.encode(), self.name, self.letter
        out = _Batch()
        for n in range(start, stop):
            at = pack(">iq", 8, newest_us - (stop - 1 - n) * 1_000_000)
            aid = str(uuid.uuid4())
            aid_b = aid.encode()
            id_number = f"1101011990{n:08d}"[:18]
            mobile = f"13{n:09d}"[-11:]
            out.authorizations.append(b"".join((
                self.auth_count, _f(aid_b), _f(f"BULK-{n}".encode()), at, at, at, at, at,
                _f(k.encrypt_text(name, aad=f"{aid}/name")),
                _f(k.encrypt_text(id_number, aad=f"{aid}/id")),
                _f(k.blind_index("id", f"{self.id_type}:{id_number}").encode()),
                _f(k.encrypt_text(mobile, aad=f"{aid}/mobile")),
                _f(k.blind_index("mobile", mobile).encode()),
                _f(k.encrypt_text(letter, aad=f"{aid}/letter")),
                _f(hashlib.sha256(secrets.token_bytes(16)).hexdigest().encode()),
                _f(os.urandom(16)), _f(os.urandom(32)), _f(os.urandom(32)), self.auth_tail)))
            for tail, der in zip(self.cert_tails, self.cert_ders, strict=True):
                serial = secrets.token_hex(16)
                out.certificates.append(b"".join((
                    self.cert_count, _f(serial.encode()), _f(aid_b),
                    _f(k.encrypt(der, aad=f"certificates/{serial}")), tail)))
            for d in self.leaves:
                data = d.replace(model_id, aid_b)
                h = leaf_hash(data)
                out.leaf_hashes.append(h)
                out.leaf_fields.append(b"".join((_f(data), _f(h), _f(aid_b), LEAF_AT)))
        return out

    def _ledger_rows(self, batch: _Batch) -> tuple[list[bytes], list[bytes]]:
        """The batch's leaves at the end of the log, and the nodes they complete."""
        return self.frontier.tuples(batch.leaf_hashes, batch.leaf_fields)

    def grow_to(self, size: int, *, newest: dt.datetime) -> float:
        """Appends authorizations until there are ``size`` bulk ones (created one second
        apart, the last at ``newest``); returns the seconds it took (indexes and
        constraints made again, and ANALYZE, included). ``WORKERS`` processes make the
        rows (the keys' work), this one numbers the leaves, makes the nodes and writes."""
        t0 = time.perf_counter()
        newest_us = (newest - PG_EPOCH) // dt.timedelta(microseconds=1)
        spans = [(n, min(size, n + BATCH), newest_us - (size - min(size, n + BATCH))
                  * 1_000_000) for n in range(self.count, size, BATCH)]
        global _CLONER
        _CLONER = self
        with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
            pending = [pool.apply_async(_make_rows, span) for span in spans[:2 * WORKERS]]
            ahead = iter(spans[2 * WORKERS:])

            def batches() -> Iterator[_Batch]:
                while pending:
                    batch = pending.pop(0).get()
                    if (span := next(ahead, None)) is not None:  # at most 2x WORKERS made
                        pending.append(pool.apply_async(_make_rows, span))
                    yield batch

            self._write(batches(), size)
        return time.perf_counter() - t0

    def _write(self, batches: Iterator[_Batch], size: int) -> None:
        ledger = open_ledger(self.db_url)
        loader = BulkLoader(ledger, keep_hashes=False)
        loader.resume()
        self.frontier = loader.frontier = _Edge.of(loader.frontier)
        copies = {t: f"COPY {t} ({', '.join(c)}) FROM STDIN (FORMAT binary)" for t, c in (
            ("authorizations", AUTH_VARYING + self.auth_constant),
            ("certificates", CERT_VARYING + self.cert_constant),
            ("ledger_leaves", LEAF_COLUMNS), ("ledger_nodes", NODE_COLUMNS))}
        try:
            with (psycopg.connect(libpq_url(self.db_url)) as conn,
                  without_indexes(conn, list(copies)), _Writers(self.db_url) as writers):
                t = time.perf_counter()
                for batch in batches:
                    self.timings["rows_wait"] += time.perf_counter() - t
                    t = time.perf_counter()
                    leaves, nodes = self._ledger_rows(batch)
                    self.timings["nodes"] += time.perf_counter() - t
                    t = time.perf_counter()
                    # The row tables on one connection, the log's on the other.
                    writers.copy([(copies["authorizations"], batch.authorizations),
                                  (copies["certificates"], batch.certificates)])
                    writers.copy([(copies["ledger_leaves"], leaves),
                                  (copies["ledger_nodes"], nodes)])
                    self.count += len(batch.authorizations)
                    self.timings["copy"] += time.perf_counter() - t
                    t = time.perf_counter()
                writers.drain()
                self.timings["copy"] += time.perf_counter() - t
                t = time.perf_counter()
            self.timings["indexes"] += time.perf_counter() - t
            assert self.count == size, (self.count, size)
            t = time.perf_counter()
            loader.finish()  # the head's root, and ANALYZE
            self.timings["analyze"] += time.perf_counter() - t
        finally:
            ledger.db.dispose()

    def check(self, sample: int = 20) -> int:
        """Opens ``sample`` random bulk rows with the deployment's keys (name, id number,
        mobile, letter) and recomputes their blind indexes; returns how many were right."""
        ok = 0
        with psycopg.connect(libpq_url(self.db_url)) as conn:
            for row in conn.execute(
                    "SELECT id, subject_name_enc, subject_id_enc, subject_id_type, "
                    "subject_id_index, subject_mobile_enc, subject_mobile_index, letter_enc "
                    "FROM authorizations WHERE reference LIKE 'BULK-%%' "
                    "ORDER BY random() LIMIT %s", (sample,)):
                aid, name, id_no, id_type, id_ix, mobile, mobile_ix, letter = row
                k = self.keys
                id_number = k.decrypt_text(bytes(id_no), aad=f"{aid}/id")
                mob = k.decrypt_text(bytes(mobile), aad=f"{aid}/mobile")
                ok += (k.decrypt_text(bytes(name), aad=f"{aid}/name") == self.name
                       and k.decrypt_text(bytes(letter), aad=f"{aid}/letter") == self.letter
                       and k.blind_index("id", f"{id_type}:{id_number}") == id_ix
                       and k.blind_index("mobile", mob) == mobile_ix)
        return ok
