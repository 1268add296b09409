"""The ``openssl`` command for the SM2 tests that check Anxin against OpenSSL 3: run it,
or run it and insist that it worked, and the SM2 user id option (GM/T 0009's default
``1234567812345678``) its ``-sigopt``/``-vfyopt``/``-pkeyopt`` need.

Example::

    ok("pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pkeyopt", DISTID, ...)
    code, output = run("verify", "-CAfile", root, leaf)
"""

from __future__ import annotations

import subprocess
from pathlib import Path

DISTID = "distid:1234567812345678"


def run(*args: str | Path) -> tuple[int, str]:
    """``openssl ARGS``: its exit code and its output (stdout then stderr)."""
    done = subprocess.run(["openssl", *map(str, args)], capture_output=True, check=False,
                          timeout=60)
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")


def ok(*args: str | Path) -> str:
    """``openssl ARGS``, which must succeed: its output."""
    code, output = run(*args)
    assert code == 0, f"openssl {' '.join(map(str, args))} failed:\n{output}"
    return output
