"""Benchmark: 1, 2 and 3 ``anxin serve`` nodes on one PostgreSQL, and the cost of each
figure as the data grows.

    python bench/cluster.py nodes  [--nodes 1,2,3] [--workers 2] [--seconds 10] [--rounds 3]
                                   [--connections 32] [--signers 8] [--pg URL]
    python bench/cluster.py growth [--sizes 10000,1000000,10000000] [--seconds 8]
                                   [--leaves 10000000] [--pg URL]

**nodes**: one deployment (``anxin init`` on a throwaway PostgreSQL database); nodes 2..n
join it through :func:`add_node`, every node runs ``anxin serve --workers W`` on its own
port, and HAProxy (Debian ``haproxy``, started here on 127.0.0.1, round-robin) is the one
address clients use (``ANXIN_BASE_URL``). In interleaved rounds, with the first 1, 2, 3
nodes behind HAProxy: the use gate driven by wrk (bench/use_gate.py's helpers), and
signings (request, code, sign: three HTTP calls each, from ``--signers`` client threads)
for ``--seconds``. The nodes share this machine's cores with PostgreSQL, HAProxy and the
load generator, so the ratios n/1 say what adding nodes costs or gains *without* adding
hardware (coordination through the database, more connections), not what more machines
would give.

**growth**: one node (2 workers) on a throwaway database; at each size of ``--sizes`` the
nodes are stopped, the database is bulk-loaded up to that many authorizations
(:mod:`bench.bulk_authorizations`: copies of one really signed authorization, with their
certificates and ledger leaves) and analysed, the node restarted, then measured: the gate
on random bulk authorizations (p50/p99), ``GET /v1/authorizations/{id}`` on random ones,
``GET /v1/authorizations?page=`` on the first page and on pages deep in the list,
inclusion and consistency proofs (in process, bench/ledger.py's timing) at the log's
size, and PostgreSQL bytes per authorization (``pg_total_relation_size`` of the tables
the rows live in, divided by the authorizations; the signed letter PDF measured on the
signed model and added beside). ``--leaves`` grows the log to at least that many leaves
at the last size (the proofs at 10M leaves). The database is dropped at the end.

Needs ``wrk`` and ``haproxy`` (``scripts/system-deps.sh --bench``) and PostgreSQL (default
127.0.0.1:5432, user postgres). The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.bulk_authorizations import AuthorizationCloner
from bench.ledger import BULK, BulkLoader, leaf, open_ledger, timed
from bench.use_gate import free_port, lua, median_run, run_wrk
from tests.common.backends import DEFAULT_PG, throwaway_postgres
from tests.common.serve import wait_until_healthy

from anxin.services.authorizations import make_cursor

ANXIN = [sys.executable, "-m", "anxin"]
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"  # Debian's is in sbin
GATE_BODY = json.dumps({"purpose": "account_opening", "reference": "bench", "operator": "wrk",
                        "data_item": "identity_verification"})


def add_node(first: Path, new: Path, env: dict[str, str]) -> None:
    """Brings a new node into the deployment of ``first`` as docs/operations.md says:
    ``anxin node secret`` there, ``anxin node add`` here (the key material comes from the
    database; the node generates none)."""
    secret = subprocess.run([*ANXIN, "node", "secret", "--data-dir", str(first)], env=env,
                            check=True, capture_output=True, text=True).stdout.strip()
    env = {k: v for k, v in env.items() if k != "ANXIN_DATA_DIR"}
    subprocess.run([*ANXIN, "node", "add", "--data-dir", str(new), "--database-url",
                    env["ANXIN_DATABASE_URL"]], env={**env, "ANXIN_MASTER_KEY": secret},
                   check=True, capture_output=True)


class Cluster:
    """One deployment on ``db_url``: nodes (``anxin serve`` processes) and HAProxy."""

    def __init__(self, db_url: str, root: Path, *, workers: int) -> None:
        self.db_url, self.root, self.workers = db_url, root, workers
        self.lb_port = free_port()
        self.base = f"http://localhost:{self.lb_port}"
        self.nodes: list[tuple[Path, int, subprocess.Popen[bytes] | None]] = []
        self.haproxy: subprocess.Popen[bytes] | None = None
        first = root / "node1"
        env = self.env(first, self.lb_port)
        subprocess.run([*ANXIN, "init"], env=env, check=True, capture_output=True)
        self.api_key = str(json.loads(subprocess.run(
            [*ANXIN, "institution", "add", "Bench Bank", "--json"], env=env, check=True,
            capture_output=True).stdout)["api_key"])

    def env(self, data_dir: Path, port: int) -> dict[str, str]:
        # Signings come from one address: the anti-pumping SMS limits are lifted.
        return {**os.environ, "ANXIN_DATA_DIR": str(data_dir),
                "ANXIN_DATABASE_URL": self.db_url, "ANXIN_PORT": str(port),
                "ANXIN_BASE_URL": self.base, "ANXIN_TRUSTED_PROXIES": "127.0.0.1",
                "ANXIN_SMS_LIMIT_PER_IP": str(10**9), "ANXIN_SMS_LIMIT_GLOBAL": str(10**9),
                "ANXIN_SMS_LIMIT_PER_SESSION": str(10**9)}

    def grow(self, n: int) -> None:
        """Starts nodes until ``n`` run (adding data directories for new ones)."""
        while len(self.nodes) < n:
            data = self.root / f"node{len(self.nodes) + 1}"
            if not data.exists():
                add_node(self.root / "node1", data, self.env(data, self.lb_port))
            self.nodes.append((data, free_port(), None))
        for i, (data, port, proc) in enumerate(self.nodes):
            if proc is None:
                self.nodes[i] = (data, port, self._start(data, port))

    def _start(self, data: Path, port: int) -> subprocess.Popen[bytes]:
        log = (data / "serve.log").open("ab")
        proc = subprocess.Popen([*ANXIN, "serve", "--workers", str(self.workers)],
                                env=self.env(data, port), stdout=log, stderr=log,
                                start_new_session=True)
        wait_until_healthy(f"http://127.0.0.1:{port}", proc, timeout=90,
                           explain=lambda: (data / "serve.log").read_text()[-2000:])
        return proc

    def stop_nodes(self) -> None:
        for i, (data, port, proc) in enumerate(self.nodes):
            if proc is not None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=60)
            self.nodes[i] = (data, port, None)

    def balance(self, n: int) -> None:
        """(Re)starts HAProxy with the first ``n`` nodes as its round-robin backends."""
        self._stop_haproxy()
        servers = "".join(f"    server n{i + 1} 127.0.0.1:{port}\n"
                          for i, (_, port, _) in enumerate(self.nodes[:n]))
        cfg = self.root / "haproxy.cfg"
        cfg.write_text(
            "global\n    maxconn 4096\n"
            "defaults\n    mode http\n    timeout connect 5s\n    timeout client 60s\n"
            "    timeout server 60s\n    option forwardfor\n"
            f"frontend fe\n    bind 127.0.0.1:{self.lb_port}\n    default_backend nodes\n"
            f"backend nodes\n    balance roundrobin\n    http-reuse always\n{servers}")
        self.haproxy = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.haproxy.poll() is None, "haproxy exited"
            assert time.monotonic() < deadline, "haproxy did not answer"
            time.sleep(0.1)

    def _stop_haproxy(self) -> None:
        if self.haproxy is not None:
            self.haproxy.terminate()
            self.haproxy.wait(timeout=10)
            self.haproxy = None

    def close(self) -> None:
        self._stop_haproxy()
        self.stop_nodes()

    def outboxes(self) -> list[Path]:
        return [data / "outbox" / "sms.jsonl" for data, _, _ in self.nodes]


class Codes:
    """The signing codes the nodes wrote to their SMS outboxes, by mobile number."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.offsets: dict[Path, int] = {}
        self.codes: dict[str, str] = {}
        self.lock = threading.Lock()

    def code_for(self, mobile: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                self._read()
                if mobile in self.codes:
                    return self.codes.pop(mobile)
            assert time.monotonic() < deadline, f"no code for {mobile}"
            time.sleep(0.01)

    def _read(self) -> None:
        for path in self.cluster.outboxes():
            if not path.exists():
                continue
            with path.open("rb") as fh:
                fh.seek(self.offsets.get(path, 0))
                chunk = fh.read()
            end = chunk.rfind(b"\n") + 1
            self.offsets[path] = self.offsets.get(path, 0) + end
            for line in chunk[:end].splitlines():
                msg = json.loads(line)
                m = re.search(r"\b(\d{6})\b", msg["text"])
                if m:
                    self.codes[re.sub(r"\D", "", msg["to"])[-11:]] = m.group(1)


def make_template(c: httpx.Client) -> None:
    c.post("/v1/templates", json={
        "code": "bench", "title": "Bench", "purpose": "account_opening",
        "data_scope": ["identity_verification"], "body": "{{ subject_name }} {{ institution }}",
        "locale": "en", "validity_days": 30, "max_uses": 10000}).raise_for_status()


def sign_one(c: httpx.Client, codes: Codes, seq: int, max_uses: int = 10000) -> str:
    """Request, code, sign through the cluster's address; returns the authorization id."""
    mobile = f"139{seq:08d}"
    r = c.post("/v1/authorizations", json={
        "template": "bench", "reference": f"B-{seq}", "max_uses": max_uses,
        "subject": {"name": "Bench", "id_type": "passport", "id_number": f"E{seq:08d}",
                    "mobile": mobile}})
    r.raise_for_status()
    tok = r.json()["signing_url"].rsplit("/", 1)[1]
    c.post(f"/s/{tok}/otp").raise_for_status()
    c.post(f"/s/{tok}/sign", json={"otp": codes.code_for(mobile),
                                   "read_confirmed": True}).raise_for_status()
    return str(r.json()["id"])


def signing_rate(cluster: Cluster, codes: Codes, seconds: float, threads: int,
                 first_seq: int) -> dict[str, float]:
    """Signings completed per second by ``threads`` clients for ``seconds``."""
    done: list[float] = []
    errors: list[str] = []
    seq = iter(range(first_seq, first_seq + 10**7))
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client() -> None:
        with httpx.Client(base_url=cluster.base, timeout=60,
                          headers={"Authorization": f"Bearer {cluster.api_key}"}) as c:
            while time.monotonic() < stop:
                with lock:
                    n = next(seq)
                t0 = time.perf_counter()
                try:
                    sign_one(c, codes, n)
                except (httpx.HTTPError, AssertionError) as exc:
                    errors.append(repr(exc))
                    continue
                done.append(time.perf_counter() - t0)

    t0 = time.monotonic()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.monotonic() - t0
    done.sort()
    return {"per_s": len(done) / elapsed, "errors": len(errors),
            "p50_ms": done[len(done) // 2] * 1000 if done else float("nan")}


def bench_nodes(args: argparse.Namespace) -> dict[str, Any]:
    counts = [int(n) for n in args.nodes.split(",")]
    with throwaway_postgres(args.pg, "growth") as db_url, tempfile.TemporaryDirectory() as tmp:
        cluster = Cluster(db_url, Path(tmp), workers=args.workers)
        try:
            cluster.grow(max(counts))
            cluster.balance(max(counts))
            codes = Codes(cluster)
            h = {"Authorization": f"Bearer {cluster.api_key}"}
            c = httpx.Client(base_url=cluster.base, headers=h, timeout=60)
            make_template(c)
            ids = [sign_one(c, codes, i) for i in range(args.authorizations)]
            gate = lua("POST", [f"/v1/authorizations/{i}/uses" for i in ids],
                       {**h, "Content-Type": "application/json"}, GATE_BODY)
            gates: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
            signs: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
            seq = 1000
            for r in range(args.rounds):
                # Interleaved, the order rotating: a drift of the shared machine (another
                # engineer's tests, autovacuum) must not favour one node count.
                for n in counts[r % len(counts):] + counts[:r % len(counts)]:
                    cluster.balance(n)
                    gates[n].append(run_wrk(cluster.base, gate, args.seconds,
                                            args.connections))
                    signs[n].append(signing_rate(cluster, codes, args.seconds, args.signers,
                                                 seq))
                    seq += 10**5
                    print(f"round {r + 1}, {n} node(s): gate {gates[n][-1]['per_s']:.0f}/s "
                          f"(p99 {gates[n][-1]['p99_ms']:.1f} ms), signings "
                          f"{signs[n][-1]['per_s']:.1f}/s ({signs[n][-1]['errors']} errors)")
            over = 0
            for i in ids:
                a = c.get(f"/v1/authorizations/{i}").json()
                over += abs(sum(1 for u in a["uses_log"] if u["granted"]) - a["uses"])
        finally:
            cluster.close()
    out: dict[str, Any] = {"workers_per_node": args.workers, "uses_log_mismatch": over}
    base_gate = median_run(gates[counts[0]])["per_s"]
    base_sign = median_run(signs[counts[0]])["per_s"]
    for n in counts:
        g, s = median_run(gates[n]), median_run(signs[n])
        out[f"gate_per_s_{n}"] = round(g["per_s"], 1)
        out[f"gate_p99_ms_{n}"] = round(g["p99_ms"], 2)
        out[f"sign_per_s_{n}"] = round(s["per_s"], 1)
        out[f"gate_ratio_{n}"] = round(g["per_s"] / base_gate, 3)
        out[f"sign_ratio_{n}"] = round(s["per_s"] / base_sign, 3)
        print(f"{n} node(s): gate {g['per_s']:7.0f}/s ({g['per_s'] / base_gate:.2f}× of "
              f"{counts[0]}), p50 {g['p50_ms']:.1f} ms p99 {g['p99_ms']:.1f} ms; signings "
              f"{s['per_s']:6.1f}/s ({s['per_s'] / base_sign:.2f}×)")
    return out


def relation_bytes(db_url: str) -> dict[str, int]:
    tables = ["authorizations", "certificates", "ledger_leaves", "ledger_nodes", "documents"]
    eng = create_engine(db_url)
    with eng.connect() as c:
        out = {t: int(c.scalar(text(f"SELECT pg_total_relation_size('{t}')")) or 0)
               for t in tables}
        out["leaves"] = int(c.scalar(text("SELECT size FROM ledger_head WHERE id = 1")) or 0)
        out["count"] = int(c.scalar(text("SELECT count(*) FROM authorizations")) or 0)
        out["documents_model"] = int(c.scalar(text(
            "SELECT coalesce(sum(pg_column_size(d.*)), 0) / greatest(count(DISTINCT "
            "authorization_id), 1) FROM documents d")) or 0)
    eng.dispose()
    return out


def bench_growth(args: argparse.Namespace) -> dict[str, Any]:
    sizes = [int(s) for s in args.sizes.split(",")]
    out: dict[str, Any] = {}
    rng = random.Random(18)
    with throwaway_postgres(args.pg, "growth") as db_url, tempfile.TemporaryDirectory() as tmp:
        cluster = Cluster(db_url, Path(tmp), workers=2)
        try:
            cluster.grow(1)
            cluster.balance(1)
            codes = Codes(cluster)
            h = {"Authorization": f"Bearer {cluster.api_key}"}
            c = httpx.Client(base_url=cluster.base, headers=h, timeout=120)
            make_template(c)
            model = sign_one(c, codes, 0)
            cloner = AuthorizationCloner(db_url, Path(tmp) / "node1", model)
            print(f"model authorization {model}: {len(cloner.leaves)} ledger leaves, "
                  f"{len(cloner.certs)} certificate(s)")
            for size in sizes:
                cluster.close()
                loaded = cloner.grow_to(size, newest=dt.datetime.now(dt.UTC))
                if size == sizes[-1] and args.leaves:
                    loaded += grow_leaves(db_url, args.leaves)
                cluster.grow(1)
                cluster.balance(1)
                out[str(size)] = fig = measure(cluster, db_url, size, args, rng)
                fig["bulk_rows_checked"] = cloner.check(20)
                fig["load_s"] = round(loaded, 1)
                fig["load_parts_s"] = {k: round(v, 1) for k, v in cloner.timings.items()}
                print(f"{size:>10,} authorizations (loaded in {loaded:.0f} s): "
                      + json.dumps(fig))
        finally:
            cluster.close()
    return out


def grow_leaves(db_url: str, leaves: int) -> float:
    """Grows the log to at least ``leaves`` leaves (synthetic use leaves)."""
    t0 = time.perf_counter()
    ledger = open_ledger(db_url)
    try:
        loader = BulkLoader(ledger, keep_hashes=False)
        loader.resume()
        while loader.frontier.size < leaves:
            start = loader.frontier.size
            loader.append([(leaf(i), None) for i in range(start, min(leaves, start + BULK))])
        loader.finish()
    finally:
        ledger.db.dispose()
    return time.perf_counter() - t0


def measure(cluster: Cluster, db_url: str, size: int, args: argparse.Namespace,
            rng: random.Random) -> dict[str, Any]:
    eng = create_engine(db_url)
    with eng.connect() as conn:
        sample = [(r[0], r[1]) for r in conn.execute(text(
            "SELECT id, created_at FROM authorizations WHERE reference LIKE 'BULK-%' "
            "ORDER BY random() LIMIT 2000"))]
    eng.dispose()
    ids = [i for i, _ in sample]
    cursors = [make_cursor(at, i) for i, at in sample[:50]]
    rng.shuffle(ids)
    h = {"Authorization": f"Bearer {cluster.api_key}"}
    half = len(ids) // 2
    gate = run_wrk(cluster.base, lua("POST", [f"/v1/authorizations/{i}/uses" for i in ids[:half]],
                                     {**h, "Content-Type": "application/json"}, GATE_BODY),
                   args.seconds, args.connections)
    record = run_wrk(cluster.base, lua("GET", [f"/v1/authorizations/{i}" for i in ids[half:]],
                                       h, None), args.seconds, args.connections)
    pages = max(1, size // 50)
    first = run_wrk(cluster.base, lua("GET", ["/v1/authorizations?page=1"], h, None),
                    args.seconds, 4, timeout_s=30)
    deep = run_wrk(cluster.base, lua("GET", [f"/v1/authorizations?page={rng.randrange(pages)}"
                                             for _ in range(50)], h, None),
                   args.seconds, 4, timeout_s=30)
    # The same depths by cursor (after= a random row), and a status no bulk row has.
    deep_cursor = run_wrk(cluster.base, lua("GET", [f"/v1/authorizations?after={c}"
                                                    for c in cursors], h, None),
                          args.seconds, 4, timeout_s=30)
    rare = run_wrk(cluster.base, lua("GET", ["/v1/authorizations?status=pending"], h, None),
                   args.seconds, 4, timeout_s=30)
    ledger = open_ledger(db_url)
    try:
        n = relation_bytes(db_url)["leaves"]
        inc = timed(lambda: ledger.inclusion_proof(rng.randrange(n), n), 200)
        con = timed(lambda: ledger.consistency_proof(rng.randrange(1, n), n), 200)
    finally:
        ledger.db.dispose()
    b = relation_bytes(db_url)
    rows = sum(v for k, v in b.items() if k in {"authorizations", "certificates",
                                                 "ledger_leaves", "ledger_nodes"})
    return {
        "gate_per_s": round(gate["per_s"], 1), "gate_p50_ms": gate["p50_ms"],
        "gate_p99_ms": gate["p99_ms"], "record_per_s": round(record["per_s"], 1),
        "record_p50_ms": record["p50_ms"], "record_p99_ms": record["p99_ms"],
        "list_first_p50_ms": first["p50_ms"], "list_first_p99_ms": first["p99_ms"],
        "list_deep_p50_ms": deep["p50_ms"], "list_deep_p99_ms": deep["p99_ms"],
        "list_cursor_p50_ms": deep_cursor["p50_ms"], "list_cursor_p99_ms": deep_cursor["p99_ms"],
        "list_rare_status_p50_ms": rare["p50_ms"], "list_rare_status_p99_ms": rare["p99_ms"],
        "list_timeouts": sum(r["timeouts"] for r in (first, deep, deep_cursor, rare)),
        "leaves": n, "inclusion_ms": round(inc[0], 3), "inclusion_p95_ms": round(inc[1], 3),
        "consistency_ms": round(con[0], 3), "consistency_p95_ms": round(con[1], 3),
        "bytes_per_authorization": round(rows / b["count"]),
        "document_bytes_per_authorization": b["documents_model"],
        "table_bytes": {k: v for k, v in b.items() if k not in {"count", "documents_model"}},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    nodes = sub.add_parser("nodes", help="gate and signing throughput with 1, 2, 3 nodes")
    nodes.add_argument("--nodes", default="1,2,3")
    nodes.add_argument("--workers", type=int, default=2, help="anxin serve --workers per node")
    nodes.add_argument("--seconds", type=int, default=10)
    nodes.add_argument("--rounds", type=int, default=3)
    nodes.add_argument("--connections", type=int, default=32)
    nodes.add_argument("--signers", type=int, default=8, help="signing client threads")
    nodes.add_argument("--authorizations", type=int, default=20)
    growth = sub.add_parser("growth", help="each figure at 10k, 1M, 10M authorizations")
    growth.add_argument("--sizes", default="10000,1000000,10000000")
    growth.add_argument("--seconds", type=int, default=8)
    growth.add_argument("--connections", type=int, default=16)
    growth.add_argument("--leaves", type=int, default=0,
                        help="grow the log to at least this many leaves at the last size")
    for p in (nodes, growth):
        p.add_argument("--pg", default=os.environ.get("ANXIN_TEST_DATABASE_URL", DEFAULT_PG))
    args = ap.parse_args()
    for tool in ("wrk", HAPROXY):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is needed: scripts/system-deps.sh")
    result = bench_nodes(args) if args.what == "nodes" else bench_growth(args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
