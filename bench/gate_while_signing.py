"""Benchmark: the use gate while letters are being signed, against the gate alone.

Starts one `anxin serve` worker (SQLite by default: its database-wide write lock is what a
signing inside a transaction would hold; `--pg` for PostgreSQL), signs authorizations for
the gate, prepares pending requests with their codes, then runs in interleaved rounds:
the gate alone (`POST /v1/authorizations/{id}/uses` from wrk, a second process), and the
gate while three threads (`--signers`) sign letters through `POST /s/{token}/sign` (the
whole PAdES B-LTA pipeline, in-process TSA). Prints the medians of both (uses/s, p50,
p99), their ratios (loaded / alone) and the signings per second, then one JSON line.

    python bench/gate_while_signing.py [--seconds 8] [--rounds 3] [--connections 4]
                                       [--signers 3] [--pg URL]

Needs `wrk` (Debian package wrk; `make bench` installs it). To measure another tree, put
its `src` first on PYTHONPATH: the server is started with this interpreter and that path.
"""

from __future__ import annotations

import argparse
import json
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.use_gate import bench_server, lua, median_run, run_wrk
from tests.common.backends import throwaway_postgres


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=3,
                    help="interleaved alone/while-signing rounds; the medians are reported")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--signers", type=int, default=3, help="threads signing letters")
    ap.add_argument("--authorizations", type=int, default=10, help="signed, for the gate")
    ap.add_argument("--letters", type=int, default=0,
                    help="pending requests prepared for the signers (default: enough)")
    ap.add_argument("--timeout", type=int, default=30,
                    help="seconds before wrk gives a gate call up (counted, not timed)")
    ap.add_argument("--pg", default=None, help="a PostgreSQL admin URL (default: SQLite)")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    database: AbstractContextManager[str | None] = (
        throwaway_postgres(args.pg) if args.pg else nullcontext(None))
    with database as pg_url, tempfile.TemporaryDirectory() as tmp, \
            bench_server(pg_url or f"sqlite:///{tmp}/anxin.db", tmp, workers=1) as (base, key, _):
        result = bench(base, key, Path(tmp), args)
    result["database"] = "postgresql" if args.pg else "sqlite"
    print(json.dumps(result))


class Requests:
    """Creates requests and sends their codes, one at a time (the outbox's last line is
    then the code just sent)."""

    def __init__(self, c: httpx.Client, outbox: Path) -> None:
        self.c = c
        self.outbox = outbox
        self.seq = 0

    def pending(self) -> tuple[str, str, str]:
        """(id, token, code) of a new request whose code was just sent."""
        self.seq += 1
        seq = self.seq
        r = self.c.post("/v1/authorizations", json={
            "template": "bench", "reference": f"G-{seq}",
            "subject": {"name": "Bench", "id_type": "passport", "id_number": f"E{seq:08d}",
                        "mobile": f"139{seq:08d}"}})
        r.raise_for_status()
        tok = r.json()["signing_url"].rsplit("/", 1)[1]
        self.c.post(f"/s/{tok}/otp").raise_for_status()
        last = self.outbox.read_text().splitlines()[-1]
        code = re.search(r"\b(\d{6})\b", json.loads(last)["text"])
        assert code is not None
        return str(r.json()["id"]), tok, code.group(1)

    def signed(self) -> str:
        auth_id, tok, code = self.pending()
        self.c.post(f"/s/{tok}/sign", json={"otp": code, "read_confirmed": True}
                    ).raise_for_status()
        return auth_id


def sign_while(base: str, letters: queue.Queue[tuple[str, str, str]], stop: threading.Event,
               n: int) -> dict[str, Any]:
    """``n`` threads sign letters from ``letters`` until ``stop``; answers how many."""
    done: list[float] = []
    failed: list[str] = []
    dry = threading.Event()

    def signer() -> None:
        with httpx.Client(base_url=base, timeout=120) as c:
            while not stop.is_set():
                try:
                    _, tok, code = letters.get_nowait()
                except queue.Empty:
                    dry.set()
                    return
                t0 = time.perf_counter()
                r = c.post(f"/s/{tok}/sign", json={"otp": code, "read_confirmed": True})
                if r.status_code == 200:
                    done.append(time.perf_counter() - t0)
                else:
                    failed.append(f"{r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=signer) for _ in range(n)]
    for t in threads:
        t.start()
    return {"threads": threads, "done": done, "failed": failed, "dry": dry}


def bench(base: str, key: str, data: Path, args: argparse.Namespace) -> dict[str, Any]:
    h = {"Authorization": f"Bearer {key}"}
    c = httpx.Client(base_url=base, headers=h, timeout=120)
    c.post("/v1/templates", json={
        "code": "bench", "title": "Bench", "purpose": "account_opening",
        "data_scope": ["identity_verification"],
        "body": "{{ subject_name }} authorizes {{ institution }} to verify their identity.",
        "locale": "en", "validity_days": 30, "max_uses": 10000}).raise_for_status()
    make = Requests(c, data / "outbox" / "sms.jsonl")
    ids = [make.signed() for _ in range(args.authorizations)]

    # How fast does one signing go here? Enough pending letters for every loaded round.
    t0 = time.perf_counter()
    for _ in range(3):
        make.signed()
    one = (time.perf_counter() - t0) / 3
    # The signers share the worker's interpreter: together they go at most about 2.5 times
    # as fast as one signing alone on this 2-CPU class of machine (a warning if not).
    letters_n = args.letters or int(args.rounds * args.seconds / one * 2.5) + 10
    letters: queue.Queue[tuple[str, str, str]] = queue.Queue()
    for _ in range(letters_n):
        letters.put(make.pending())
    print(f"prepared {letters_n} pending letters (one request + sign ≈ {one * 1000:.0f} ms)")

    body = json.dumps({"purpose": "account_opening", "reference": "bench",
                       "operator": "wrk", "data_item": "identity_verification"})
    gate = lua("POST", [f"/v1/authorizations/{i}/uses" for i in ids],
               {**h, "Content-Type": "application/json"}, body)
    alone, loaded, signings = [], [], []
    ran_dry = False
    failures: list[str] = []
    for r in range(args.rounds):
        alone.append(run_wrk(base, gate, args.seconds, args.connections,
                             timeout_s=args.timeout))
        stop = threading.Event()
        started = time.perf_counter()
        signers = sign_while(base, letters, stop, args.signers)
        loaded.append(run_wrk(base, gate, args.seconds, args.connections,
                              timeout_s=args.timeout))
        stop.set()
        for t in signers["threads"]:
            t.join()
        window = time.perf_counter() - started
        signings.append(len(signers["done"]) / window)
        ran_dry |= signers["dry"].is_set()
        failures += signers["failed"]
        print(f"round {r + 1}: alone {alone[-1]['per_s']:.0f} uses/s "
              f"p99 {alone[-1]['p99_ms']:.1f} ms; while signing {loaded[-1]['per_s']:.0f} "
              f"uses/s p99 {loaded[-1]['p99_ms']:.1f} ms, {signings[-1]:.1f} letters/s")
    a, w = median_run(alone), median_run(loaded)
    per_s = sorted(signings)[len(signings) // 2]
    if ran_dry:
        print("WARNING: the signers ran out of prepared letters; pass a larger --letters")
    if failures:
        print(f"WARNING: {len(failures)} signings failed, e.g. {failures[0]}")
    print(f"gate alone           : {a['per_s']:8.0f} uses/s p50 {a['p50_ms']:.2f} ms  "
          f"p99 {a['p99_ms']:.2f} ms")
    print(f"gate while signing   : {w['per_s']:8.0f} uses/s p50 {w['p50_ms']:.2f} ms  "
          f"p99 {w['p99_ms']:.2f} ms")
    print(f"while / alone        : uses/s {w['per_s'] / a['per_s']:.0%}  "
          f"p50 ×{w['p50_ms'] / a['p50_ms']:.2f}  p99 ×{w['p99_ms'] / a['p99_ms']:.2f}")
    print(f"letters signed       : {per_s:.1f}/s by {args.signers} threads")
    print(f"gate calls timed out : {sum(x['timeouts'] for x in alone)} alone, "
          f"{sum(x['timeouts'] for x in loaded)} while signing (after {args.timeout} s)")
    return {"alone_per_s": round(a["per_s"], 1), "alone_p50_ms": round(a["p50_ms"], 2),
            "alone_p99_ms": round(a["p99_ms"], 2), "loaded_per_s": round(w["per_s"], 1),
            "loaded_p50_ms": round(w["p50_ms"], 2), "loaded_p99_ms": round(w["p99_ms"], 2),
            "per_s_ratio": round(w["per_s"] / a["per_s"], 3),
            "p99_ratio": round(w["p99_ms"] / a["p99_ms"], 2),
            "letters_per_s": round(per_s, 2), "signing_failures": len(failures),
            "timeouts": sum(x["timeouts"] for x in loaded),
            "ran_dry": ran_dry}


if __name__ == "__main__":
    main()
