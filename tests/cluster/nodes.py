"""Three ``anxin serve`` nodes on one PostgreSQL database, behind HAProxy, for tests/cluster.

A :class:`Node` is one ``anxin serve`` process with its own data directory and port; it
can be SIGKILLed and started again on the same port. :func:`join_node` brings nodes 2
and 3 in as an operator does: ``anxin node secret`` on the first, ``anxin node add`` on
each new one (the keys come from the database; no node generates its own).
:class:`HAProxy` is a throwaway ``haproxy`` with its own configuration file on 127.0.0.1,
round-robin, health-checking ``/healthz``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from tests.common.serve import wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]
HAPROXY_CANDIDATES = ("haproxy", "/usr/sbin/haproxy")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def haproxy_binary() -> str | None:
    for name in HAPROXY_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def node_env(db_url: str, base_url: str) -> dict[str, str]:
    """The environment of every node and ``anxin`` command of the cluster."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ANXIN_") or k == "ANXIN_TEST_DATABASE_URL"}
    env |= {
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "ANXIN_DATABASE_URL": db_url,
        # One public address for every node: the load balancer's (signing links).
        "ANXIN_BASE_URL": base_url,
        # The test's callback receiver listens on 127.0.0.1 (docs/operations.md).
        "ANXIN_OUTBOUND_ALLOW": "127.0.0.1",
        # Every client is 127.0.0.1 behind HAProxy: the per-address SMS limit would
        # stop the load, which is not what this test measures.
        "ANXIN_SMS_LIMIT_PER_IP": "100000",
        "ANXIN_SMS_LIMIT_GLOBAL": "100000",
        "ANXIN_SMS_LIMIT_PER_SESSION": "1000",
        "ANXIN_CHECKPOINT_INTERVAL_SECONDS": "1",
        "ANXIN_SWEEP_INTERVAL_SECONDS": "2",
        "ANXIN_WORKER_THREADS": "4",
    }
    return env


def anxin(env: dict[str, str], *args: str, timeout: float = 180
          ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "anxin", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


def join_node(first_dir: Path, new_dir: Path, db_url: str, env: dict[str, str]) -> None:
    """Make ``new_dir`` a new node of the deployment whose first node is ``first_dir`` on
    ``db_url``, as docs/operations.md says an operator does: the master secret from
    ``anxin node secret`` on the first node, then ``anxin node add`` on the new one, which
    takes every key from the database and generates none."""
    assert db_url.startswith("postgresql"), db_url
    secret = anxin(env, "node", "secret", "--data-dir", str(first_dir))
    assert secret.returncode == 0, secret.stdout + secret.stderr
    added = anxin({**env, "ANXIN_MASTER_KEY": secret.stdout.strip()}, "node", "add",
                  "--data-dir", str(new_dir), "--database-url", db_url)
    assert added.returncode == 0, added.stdout + added.stderr


@dataclass
class Node:
    """One ``anxin serve`` process: its data directory, port and log."""

    name: str
    data_dir: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"{self.name}.log"

    def start(self) -> None:
        self.starts += 1
        if self._log is not None:
            self._log.close()
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "anxin", "serve", "--data-dir", str(self.data_dir),
             "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120) -> None:
        assert self.proc is not None
        wait_until_healthy(self.url, self.proc, timeout=timeout,
                           explain=lambda: self.log_path.read_text(errors="replace")[-4000:])

    def kill(self) -> None:
        """SIGKILL: no shutdown, open transactions and leases are left to the others."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        if self._log is not None:
            self._log.close()
            self._log = None


HAPROXY_CONFIG = """\
global
    maxconn 512
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    retries 2
    option redispatch
frontend anxin
    bind 127.0.0.1:{port}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 1
{servers}
"""


@dataclass
class HAProxy:
    binary: str
    workdir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, nodes: list[Node]) -> None:
        servers = "\n".join(f"    server {n.name} 127.0.0.1:{n.port} check" for n in nodes)
        cfg = self.workdir / "haproxy.cfg"
        cfg.write_text(HAPROXY_CONFIG.format(port=self.port, servers=servers))
        check = subprocess.run([self.binary, "-c", "-f", str(cfg)], capture_output=True,
                               text=True, timeout=30)
        assert check.returncode == 0, check.stdout + check.stderr
        self._log = (self.workdir / "haproxy.log").open("wb")
        self.proc = subprocess.Popen([self.binary, "-db", "-f", str(cfg)],
                                     stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, (self.workdir / "haproxy.log").read_text()
            assert time.monotonic() < deadline, "HAProxy did not answer /healthz"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        if self._log is not None:
            self._log.close()
            self._log = None
