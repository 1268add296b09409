"""A PostgreSQL primary and its streaming replica of the test's own, on free ports.

The shared server on 5432 refuses replication connections and is never reconfigured, so
:func:`streaming_replica` makes a cluster of its own: ``initdb`` of a primary
(``wal_level = replica``, a ``replicator`` role allowed to replicate from 127.0.0.1 by
trust), ``pg_basebackup -R`` of it into a hot standby that streams from it, both run by
the ``postgres`` user (``runuser`` when the tests run as root) in a temporary directory
it owns, listening on 127.0.0.1 only. Both servers are stopped and the directory deleted
on exit. Every step is bounded in time (``initdb`` and the backup take a second or two).

Example::

    with streaming_replica() as pair:
        pair.wait_replayed()           # the replica has everything committed so far
        pair.pause_replay()            # now it lags on purpose
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.common.backends import unavailable

DATABASE = "replica_anxin"
STEP_TIMEOUT = 60


def pg_bin() -> Path | None:
    """The newest PostgreSQL server ``bin`` directory with initdb, pg_ctl and pg_basebackup."""
    found = sorted((p for p in Path("/usr/lib/postgresql").glob("*/bin")
                    if all((p / tool).is_file() for tool in ("initdb", "pg_ctl",
                                                             "pg_basebackup"))),
                   key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    if pwd.getpwuid(os.geteuid()).pw_name == "postgres":
        return args
    return unavailable("a PostgreSQL cluster of the test's own runs as root (runuser) or postgres")


def _run(args: list[str], *, cwd: Path) -> None:
    done = subprocess.run(_as_postgres(args), cwd=cwd, capture_output=True, text=True,
                          timeout=STEP_TIMEOUT, check=False)
    assert done.returncode == 0, f"{args[0]} failed: {done.stdout}{done.stderr}"


def _url(port: int, database: str = DATABASE) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"


@dataclass
class ReplicaPair:
    """The running primary and replica, and the few things a test does to them."""

    root: Path
    bin: Path
    primary_port: int
    replica_port: int

    @property
    def primary_url(self) -> str:
        return _url(self.primary_port)

    @property
    def replica_url(self) -> str:
        return _url(self.replica_port)

    def replica_scalar(self, sql: str) -> object:
        """One value from the replica (its own connection, closed after)."""
        engine = create_engine(self.replica_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as c:
                return c.execute(text(sql)).scalar()
        finally:
            engine.dispose()

    def primary_scalar(self, sql: str) -> object:
        engine = create_engine(self.primary_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as c:
                return c.execute(text(sql)).scalar()
        finally:
            engine.dispose()

    def wait_replayed(self, timeout: float = 30) -> None:
        """Return once the replica has replayed the primary's current WAL position."""
        lsn = str(self.primary_scalar("SELECT pg_current_wal_lsn()::text"))
        deadline = time.monotonic() + timeout
        while not self.replica_scalar(
                f"SELECT coalesce(pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn, false)"):
            assert time.monotonic() < deadline, f"the replica did not reach {lsn}"
            time.sleep(0.05)

    def pause_replay(self) -> None:
        """The replica keeps receiving WAL but applies none: it lags from now on."""
        self.replica_scalar("SELECT pg_wal_replay_pause()::text")
        deadline = time.monotonic() + STEP_TIMEOUT
        while self.replica_scalar("SELECT pg_get_wal_replay_pause_state()") != "paused":
            assert time.monotonic() < deadline, "the replica's replay did not pause"
            time.sleep(0.05)

    def resume_replay(self) -> None:
        self.replica_scalar("SELECT pg_wal_replay_resume()::text")

    def stop_replica(self) -> None:
        """The replica goes away at once (``immediate``: connections to it just break)."""
        _run([str(self.bin / "pg_ctl"), "-D", str(self.root / "replica"), "-m", "immediate",
              "-w", "-t", str(STEP_TIMEOUT), "stop"], cwd=self.root)

    def start_replica(self) -> None:
        """Start the replica again; it resumes streaming from the primary."""
        _run([str(self.bin / "pg_ctl"), "-D", str(self.root / "replica"), "-l",
              str(self.root / "replica.log"), "-w", "-t", str(STEP_TIMEOUT), "start"],
             cwd=self.root)

    def stop_primary(self) -> None:
        _run([str(self.bin / "pg_ctl"), "-D", str(self.root / "primary"), "-m", "fast",
              "-w", "-t", str(STEP_TIMEOUT), "stop"], cwd=self.root)

    def logs(self) -> str:
        return "\n".join(f"--- {name}\n" + (self.root / name).read_text(errors="replace")
                         for name in ("primary.log", "replica.log")
                         if (self.root / name).is_file())


_PRIMARY_CONF = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{root}'
wal_level = replica
max_wal_senders = 4
hot_standby = on
hot_standby_feedback = on
max_connections = 100
shared_buffers = 32MB
fsync = off
"""


def _cluster_unavailable() -> Path:
    found = pg_bin()
    if found is None:
        unavailable("no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) under "
                    "/usr/lib/postgresql/*/bin: scripts/system-deps.sh installs them")
    return found


@contextmanager
def streaming_replica() -> Iterator[ReplicaPair]:
    """A primary and its streaming hot standby, both answering; torn down on exit."""
    bin_dir = _cluster_unavailable()
    # Not pytest's tmp_path: its parents are root's 0700 directories, which the postgres
    # user cannot enter.
    root = Path(tempfile.mkdtemp(prefix="anxin-replica-"))
    postgres = pwd.getpwnam("postgres")
    os.chown(root, postgres.pw_uid, postgres.pw_gid)
    pair = ReplicaPair(root, bin_dir, _free_port(), _free_port())
    primary, replica = root / "primary", root / "replica"
    started: list[Path] = []
    try:
        _run([str(bin_dir / "initdb"), "-D", str(primary), "-U", "postgres", "-A", "trust",
              "-E", "UTF8", "--locale=C", "--no-sync"], cwd=root)
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(_PRIMARY_CONF.format(port=pair.primary_port, root=root))
        with (primary / "pg_hba.conf").open("a") as hba:
            hba.write("host replication replicator 127.0.0.1/32 trust\n")
        _run([str(bin_dir / "pg_ctl"), "-D", str(primary), "-l", str(root / "primary.log"),
              "-w", "-t", str(STEP_TIMEOUT), "start"], cwd=root)
        started.append(primary)
        admin = create_engine(_url(pair.primary_port, "postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as c:
                c.execute(text("CREATE ROLE replicator WITH REPLICATION LOGIN"))
                c.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        finally:
            admin.dispose()
        _run([str(bin_dir / "pg_basebackup"), "-h", "127.0.0.1", "-p",
              str(pair.primary_port), "-U", "replicator", "-D", str(replica), "-R",
              "-X", "stream", "--checkpoint=fast", "--no-sync"], cwd=root)
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {pair.replica_port}\n")
        _run([str(bin_dir / "pg_ctl"), "-D", str(replica), "-l", str(root / "replica.log"),
              "-w", "-t", str(STEP_TIMEOUT), "start"], cwd=root)
        started.append(replica)
        assert pair.replica_scalar("SELECT pg_is_in_recovery()") is True, pair.logs()
        pair.wait_replayed()
        yield pair
    finally:
        for data in reversed(started):
            subprocess.run(_as_postgres([str(bin_dir / "pg_ctl"), "-D", str(data), "-m",
                                         "immediate", "-w", "-t", "30", "stop"]),
                           cwd=root, capture_output=True, timeout=STEP_TIMEOUT, check=False)
        shutil.rmtree(root, ignore_errors=True)
