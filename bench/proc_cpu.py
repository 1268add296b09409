"""CPU seconds of a process on this machine, read in /proc: the benchmarks' servers
(``anxin serve``, PostgreSQL's backends) run here, so their own counters say what each
figure cost, which a throughput alone does not."""

from __future__ import annotations

import os
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int | str) -> tuple[int, float] | None:
    """(process group, user + system CPU seconds so far) of process ``pid``; None when it
    is gone (or its stat is unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[2]), (int(fields[11]) + int(fields[12])) / _TICK
    except (OSError, IndexError, ValueError):
        return None


def group_cpu(pgid: int) -> float:
    """CPU seconds so far of the live processes of process group ``pgid``."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (got := process_cpu(entry.name)) and got[0] == pgid:
            total += got[1]
    return total
