"""Run a command with a terminal attached (a pseudo-terminal as its controlling tty), to
test what the command asks, or does not ask, when someone could answer.

No fork in the test process: a tiny Python launcher makes the pty its controlling
terminal (``setsid`` + ``TIOCSCTTY``) and then execs the command.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import termios
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

_LAUNCH = ("import fcntl, os, sys, termios; os.setsid(); "
           "fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execvp(sys.argv[1], sys.argv[1:])")


@dataclass
class Terminal:
    """A process on a pty; ``output`` accumulates what it wrote."""

    proc: subprocess.Popen[bytes]
    master: int
    output: str = ""
    _raw: bytearray = field(default_factory=bytearray)

    def read(self, timeout: float = 0.2) -> str:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if ready:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the child closed the terminal
                chunk = b""
            self._raw.extend(chunk)
            self.output = self._raw.decode("utf-8", "replace")
        return self.output

    def expect(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared in:\n{self.output}")
            if self.proc.poll() is not None:
                self.read(0.5)
                if text not in self.output:
                    raise AssertionError(f"exited before {text!r}:\n{self.output}")
            self.read()

    def send(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def send_secret(self, line: str, timeout: float = 30) -> None:
        """Type ``line`` once the terminal stops echoing (a hidden prompt is ready:
        ``getpass`` flushes what was typed before it turned echo off)."""
        deadline = time.monotonic() + timeout
        while termios.tcgetattr(self.master)[3] & termios.ECHO:
            if time.monotonic() > deadline:
                raise AssertionError(f"echo never turned off:\n{self.output}")
            self.read(0.05)
        self.send(line)

    def wait(self, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.read()
        for _ in range(20):  # drain
            before = len(self._raw)
            self.read(0.05)
            if len(self._raw) == before:
                break
        return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        os.close(self.master)


def in_terminal(args: Sequence[str], env: dict[str, str]) -> Terminal:
    """Start ``args`` with a pty as stdin, stdout, stderr and controlling terminal."""
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, *args], stdin=slave,
                            stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    return Terminal(proc, master)
