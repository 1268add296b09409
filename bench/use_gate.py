"""Benchmark: the use gate against a bare one-SELECT endpoint of the same stack.

Starts `anxin serve` (2 workers) on a throwaway PostgreSQL database, signs authorizations
through the real signing endpoints, then drives, from a second process (wrk), in
interleaved rounds, `GET /_bench/select/{id}` (one indexed SELECT in one round trip: the
floor of our framework) and `POST /v1/authorizations/{id}/uses`. Prints the medians of
both throughputs and latencies, checks that no authorization was ever granted more than
max_uses, and ends with one JSON line. Each side's CPU per answered request is read in
/proc around every round: the server's processes, the PostgreSQL backends of the
benchmark's database (the sequencer's and the background loops' included) and the WAL
writer; the medians are printed. They say where the gate's extra cost over the bare
endpoint lies, which the throughputs alone do not.

    python bench/use_gate.py [--seconds 10] [--rounds 3] [--connections 32] [--pg URL]
                             [--profile intl|sm|dual]

``--profile`` initialises the data directory in that signature profile (issue 14): in
``dual`` every grant signs two receipts (ES256 and SM2SM3), in ``sm`` one SM2SM3 receipt.

``--terms-v2`` (issue 17) adds a third side to every round: the gate on authorizations
whose letter has a frequency (10,000 a day: never reached, so every call is checked and
granted) and a data range (the last 24 months, so every call carries and has checked its
``data_from``/``data_to``), against the same gate on authorizations without v2 terms;
it prints their ratio (the goal: ≥ 0.9) and checks that neither over-granted.

Needs `wrk` (Debian package wrk; `make bench` installs it) and PostgreSQL (default
127.0.0.1:5432, user postgres).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.proc_cpu import group_cpu, process_cpu
from tests.common.backends import DEFAULT_PG, libpq_url, throwaway_postgres
from tests.common.serve import wait_until_healthy


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served(NamedTuple):
    base: str
    api_key: str
    pgid: int  # the process group of `anxin serve` and its workers (CPU accounting)


@contextmanager
def bench_server(db_url: str, data_dir: str, *, workers: int,
                 **settings: str) -> Iterator[Served]:
    """A real ``anxin serve`` (``workers`` processes) on a fresh data directory and
    ``db_url``, with one institution; yields its base URL, API key and process group.
    The benchmarks sign their authorizations from one address, so the anti-pumping SMS limits
    (docs/security.md), which they do not measure, are lifted. ``settings`` are more
    ``ANXIN_*`` variables."""
    env = {**os.environ, "ANXIN_DATA_DIR": data_dir, "ANXIN_DATABASE_URL": db_url,
           "ANXIN_PORT": str(free_port()),
           "ANXIN_SMS_LIMIT_PER_IP": str(10**9), "ANXIN_SMS_LIMIT_GLOBAL": str(10**9),
           **settings}
    base = f"http://localhost:{env['ANXIN_PORT']}"
    anxin = [sys.executable, "-m", "anxin"]
    subprocess.run([*anxin, "init"], env=env, check=True, capture_output=True)
    inst = json.loads(subprocess.run([*anxin, "institution", "add", "Bench Bank", "--json"],
                                     env=env, check=True, capture_output=True).stdout)
    proc = subprocess.Popen([*anxin, "serve", "--workers", str(workers)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        wait_until_healthy(base, proc, timeout=60)
        yield Served(base, inst["api_key"], proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def run_wrk(url: str, script: str, seconds: int, connections: int, *,
            timeout_s: int = 2) -> dict[str, float]:
    """One wrk run; a request slower than ``timeout_s`` counts in ``timeouts``, not in the
    latencies (wrk's default is 2 s)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["wrk", f"-t{min(2, connections)}", f"-c{connections}",
                          f"-d{seconds}s", f"--timeout={timeout_s}s", "--latency", "-s",
                          fh.name, url],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(fh.name)

    def ms(label: str) -> float:
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m is None:
            return float("nan")
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(non2xx.group(1)) if non2xx else 0
    timeouts = re.search(r"Socket errors:.*timeout (\d+)", out)
    return {"requests": total, "ok": total - bad, "per_s": (total - bad) / seconds,
            "p50_ms": ms("50"), "p99_ms": ms("99"),
            "timeouts": int(timeouts.group(1)) if timeouts else 0}


class CpuMeter:
    """CPU seconds used so far, read in /proc (every process runs on this machine): by
    the server's process group (``anxin serve`` and its workers), by the PostgreSQL
    backends of the benchmark's database, and by the WAL writer (shared by every
    database of the server: other work on it counts there too)."""

    def __init__(self, pgid: int, db_url: str) -> None:
        self.pgid = pgid
        self.libpq = libpq_url(db_url)

    def read(self) -> dict[str, float]:
        with psycopg.connect(self.libpq, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid, backend_type FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                "AND (datname = current_database() OR backend_type = 'walwriter')").fetchall()
        out = {"server": group_cpu(self.pgid), "postgres": 0.0, "walwriter": 0.0}
        for pid, kind in rows:
            if (got := process_cpu(pid)) is not None:
                out["walwriter" if kind == "walwriter" else "postgres"] += got[1]
        return out


def metered(meter: CpuMeter | None, run: Callable[[], dict[str, float]]
            ) -> dict[str, float]:
    """``run()`` (one wrk run) with the CPU microseconds per answered request of each of
    ``meter``'s parts added as ``cpu_us_<part>``."""
    if meter is None:
        return run()
    before = meter.read()
    out = run()
    after = meter.read()
    for part, t in after.items():
        out[f"cpu_us_{part}"] = (t - before[part]) / max(out["requests"], 1) * 1e6
    return out


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median throughput (its latencies with it)."""
    return dict(sorted(runs, key=lambda r: r["per_s"])[len(runs) // 2])


def lua(method: str, paths: list[str], headers: dict[str, str], body: str | None) -> str:
    hdr = "".join(f'wrk.headers["{k}"] = "{v}"\n' for k, v in headers.items())
    plist = ", ".join(f'"{p}"' for p in paths)
    b = "nil" if body is None else json.dumps(body)
    return (f'wrk.method = "{method}"\n{hdr}local paths = {{{plist}}}\nlocal i = 0\n'
            f"request = function()\n  i = i + 1\n"
            f"  return wrk.format(nil, paths[(i % #paths) + 1], nil, {b})\nend\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--authorizations", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved bare/gate rounds; the medians are reported")
    ap.add_argument("--pg", default=os.environ.get("ANXIN_TEST_DATABASE_URL", DEFAULT_PG))
    ap.add_argument("--profile", choices=["intl", "sm", "dual"], default="intl",
                    help="the signature profile of the data directory (anxin init)")
    ap.add_argument("--terms-v2", action="store_true",
                    help="also run the gate on letters with a frequency and a data range")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    with throwaway_postgres(args.pg) as db_url, tempfile.TemporaryDirectory() as tmp, \
            bench_server(db_url, tmp, workers=2, ANXIN_BENCH_ENDPOINTS="1",
                         ANXIN_PROFILE=args.profile) as served:
        meter = CpuMeter(served.pgid, db_url)
        result: dict[str, object] = {**bench(served.base, served.api_key, Path(tmp), args,
                                             meter=meter),
                                     "profile": args.profile}
    print(json.dumps(result))


def bench(base: str, key: str, data: Path, args: argparse.Namespace, *,
          meter: CpuMeter | None = None) -> dict[str, Any]:
    h = {"Authorization": f"Bearer {key}"}
    c = httpx.Client(base_url=base, headers=h, timeout=30)
    c.post("/v1/templates", json={
        "code": "bench", "title": "Bench", "purpose": "account_opening",
        "data_scope": ["identity_verification"], "body": "{{ subject_name }} {{ institution }}",
        "locale": "en", "validity_days": 30, "max_uses": 10000}).raise_for_status()
    outbox = data / "outbox" / "sms.jsonl"

    if args.terms_v2:
        c.post("/v1/templates", json={
            "code": "bench-v2", "title": "Bench v2", "purpose": "account_opening",
            "data_scope": ["identity_verification"],
            "body": "{{ subject_name }} {{ institution }}", "locale": "en",
            "validity_days": 30, "max_uses": 10000,
            "frequency": {"max_uses": 10000, "per": "day"},
            "data_range": {"lookback_months": 24}}).raise_for_status()

    def signed(max_uses: int, seq: int, template: str = "bench") -> str:
        r = c.post("/v1/authorizations", json={
            "template": template, "reference": f"B-{seq}", "max_uses": max_uses,
            "subject": {"name": "Bench", "id_type": "passport", "id_number": f"E{seq:08d}",
                        "mobile": f"139{seq:08d}"}})
        r.raise_for_status()
        tok = r.json()["signing_url"].rsplit("/", 1)[1]
        c.post(f"/s/{tok}/otp").raise_for_status()
        code = re.search(r"\b(\d{6})\b", outbox.read_text().splitlines()[-1]).group(1)  # type: ignore[union-attr]
        c.post(f"/s/{tok}/sign", json={"otp": code, "read_confirmed": True}).raise_for_status()
        return str(r.json()["id"])

    ids = [signed(10000, i) for i in range(args.authorizations)]
    tight = signed(3, 999)
    body = json.dumps({"purpose": "account_opening", "reference": "bench", "operator": "wrk",
                       "data_item": "identity_verification"})
    hdrs = {**h, "Content-Type": "application/json"}
    bare_script = lua("GET", [f"/_bench/select/{i}" for i in ids], {}, None)
    gate_script = lua("POST", [f"/v1/authorizations/{i}/uses" for i in ids], hdrs, body)
    # Interleaved rounds, medians: on a shared 2-core machine one run of either varies by
    # ±15 %, and a drift (autovacuum, a neighbour) should not favour one side.
    v2_ids: list[str] = []
    if args.terms_v2:
        import datetime as dt
        v2_ids = [signed(10000, 5000 + i, "bench-v2") for i in range(args.authorizations)]
        today = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()
        v2_body = json.dumps({**json.loads(body), "data_from": str(today.replace(day=1)),
                              "data_to": str(today)})
        v2_script = lua("POST", [f"/v1/authorizations/{i}/uses" for i in v2_ids], hdrs,
                        v2_body)
    bares, gates, v2s = [], [], []
    for r in range(args.rounds):
        bares.append(metered(meter, lambda: run_wrk(base, bare_script, args.seconds,
                                                    args.connections)))
        # With terms v2, the two gate sides swap places every round: the side that runs
        # right after the other's writes meets the database's deferred work (WAL,
        # autovacuum) and would be favoured or penalised by its place alone.
        if args.terms_v2 and r % 2:
            v2s.append(run_wrk(base, v2_script, args.seconds, args.connections))
        gates.append(metered(meter, lambda: run_wrk(base, gate_script, args.seconds,
                                                    args.connections)))
        if args.terms_v2 and not r % 2:
            v2s.append(run_wrk(base, v2_script, args.seconds, args.connections))
        line = (f"round {r + 1}: bare {bares[-1]['per_s']:.0f} req/s, "
                f"gate {gates[-1]['per_s']:.0f} uses/s")
        if args.terms_v2:
            line += f", gate with terms v2 {v2s[-1]['per_s']:.0f} uses/s"
        print(line)
    bare, gate = median_run(bares), median_run(gates)
    gate["requests"] = sum(g["requests"] for g in gates)
    gate["ok"] = sum(g["ok"] for g in gates)
    burst = run_wrk(base, lua("POST", [f"/v1/authorizations/{tight}/uses"], hdrs, body),
                    2, args.connections)
    over = 0
    granted_total = 0
    for i in [*ids, tight, *v2_ids]:
        a = c.get(f"/v1/authorizations/{i}").json()
        granted = sum(1 for u in a["uses_log"] if u["granted"])
        granted_total += granted
        over += max(0, a["uses"] - a["max_uses"]) + abs(granted - a["uses"])
    if burst["ok"] != 3:
        over += int(abs(burst["ok"] - 3))
    print(f"bare SELECT endpoint : {bare['per_s']:8.0f} req/s  p50 {bare['p50_ms']:.2f} ms  "
          f"p99 {bare['p99_ms']:.2f} ms")
    print(f"use gate (granted)   : {gate['per_s']:8.0f} uses/s p50 {gate['p50_ms']:.2f} ms  "
          f"p99 {gate['p99_ms']:.2f} ms  ({gate['per_s'] / bare['per_s']:.0%} of bare)")
    print(f"gate calls answered  : {gate['requests']} in {args.rounds} × {args.seconds} s, "
          f"{gate['ok']} granted")
    print(f"burst on max_uses=3  : {burst['requests']} calls, {burst['ok']} granted")
    print(f"granted in total     : {granted_total}; over-granted: {over}")
    cpu = {side: {part: round(statistics.median(r[f"cpu_us_{part}"] for r in runs))
                  for part in ("server", "postgres", "walwriter")}
           for side, runs in (("bare", bares), ("gate", gates)) if "cpu_us_server" in runs[0]}
    for side, parts in cpu.items():
        print(f"CPU per request, {side:4} : " + ", ".join(
            f"{part} {us} µs" for part, us in parts.items()) + " (medians of the rounds)")
    out = {"gate_per_s": round(gate["per_s"], 1), "bare_per_s": round(bare["per_s"], 1),
           "p99_ms": round(gate["p99_ms"], 2), "p50_ms": round(gate["p50_ms"], 2),
           "ratio": round(gate["per_s"] / bare["per_s"], 3), "over_granted": over,
           "cpu_us_per_request": cpu}
    if args.terms_v2:
        v2 = median_run(v2s)
        print(f"gate, terms v2       : {v2['per_s']:8.0f} uses/s p50 {v2['p50_ms']:.2f} ms  "
              f"p99 {v2['p99_ms']:.2f} ms  ({v2['per_s'] / gate['per_s']:.0%} of the gate "
              "without v2 terms; goal ≥ 90 %)")
        out |= {"v2_per_s": round(v2["per_s"], 1), "v2_p50_ms": round(v2["p50_ms"], 2),
                "v2_ratio": round(v2["per_s"] / gate["per_s"], 3)}
    return out


if __name__ == "__main__":
    main()
