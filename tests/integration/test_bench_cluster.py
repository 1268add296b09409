"""Smoke test of bench/cluster.py at tiny sizes: its figures are measured, not empty.

The benchmark is not part of the suite (it bulk-loads millions of rows); this runs both of
its halves in a minute, so that a change of the API or the schema that breaks it (a
column the bulk loader does not fill, a signing step it does not take) is seen here and
not on the day someone needs the figures. It also checks what the bulk loader claims:
its rows are read by the product (the gate grants on them, the record and the list
answer) and its encrypted fields open with the deployment's own keys.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.common.backends import require_postgres

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def run_bench(*args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "cluster.py"), *args,
                          "--pg", require_postgres()], env=env, capture_output=True,
                         text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_growth_measures_every_figure_on_bulk_loaded_rows():
    figures = run_bench("growth", "--sizes", "300", "--seconds", "1", "--connections", "2",
                        "--leaves", "2000")
    at = figures["300"]
    assert isinstance(at, dict)
    # Every request of every figure answered 2xx: the bulk rows are real to the product.
    for name in ("gate_per_s", "record_per_s"):
        assert at[name] > 0, (name, at)
    assert at["list_timeouts"] == 0
    # 20 random bulk rows open with the deployment's keys, their blind indexes recomputed.
    assert at["bulk_rows_checked"] == 20
    assert at["list_first_p50_ms"] > 0
    assert at["list_deep_p50_ms"] > 0
    assert at["list_cursor_p50_ms"] > 0
    assert at["list_rare_status_p50_ms"] > 0
    # 300 authorizations x their leaves, then grown to 2,000 leaves.
    assert at["leaves"] >= 2000
    assert at["inclusion_ms"] > 0
    assert at["consistency_ms"] > 0
    # A row with its certificate and leaves is kilobytes, the letter PDF tens of them.
    assert 2_000 < at["bytes_per_authorization"] < 100_000
    assert at["document_bytes_per_authorization"] > 10_000


def test_nodes_measures_gate_and_signing_on_each_node_count():
    figures = run_bench("nodes", "--nodes", "1,2", "--seconds", "1", "--rounds", "1",
                        "--authorizations", "2", "--signers", "2", "--connections", "4")
    for n in (1, 2):
        assert figures[f"gate_per_s_{n}"] > 0
        assert figures[f"sign_per_s_{n}"] > 0
    assert figures["gate_ratio_1"] == 1.0
    assert figures["uses_log_mismatch"] == 0
