"""Waiting for a real ``anxin serve`` process to answer ``/healthz`` (tests and benches)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

import httpx


def wait_until_healthy(base: str, proc: subprocess.Popen[bytes], *, timeout: float,
                       explain: Callable[[], str] = lambda: "") -> None:
    """Return once ``base``/healthz answers 200; AssertionError (with ``explain()``, e.g.
    the server's log) if the process exits or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert proc.poll() is None, f"anxin serve exited: {explain()}"
        assert time.monotonic() < deadline, f"anxin serve did not become ready: {explain()}"
        time.sleep(0.2)
