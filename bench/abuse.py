"""Bounded abuse test (issue 12 item 5): 1,000 unauthenticated large and malformed requests
at a real ``anxin serve`` on 127.0.0.1; reports its peak RSS against idle, and that the
use gate still grants afterwards.

    python bench/abuse.py [--requests 1000] [--concurrency 32] [--pg-admin-url URL]

Before the body limits, eight 100 MB POSTs took the server from 323 MB to 1.27 GB. The
goal is a peak within 100 MB of idle. The mix: bodies declaring 100 MB (a first 64 KiB
sent), chunked bodies without a length (up to 4 MiB sent), 30 MB uploads to /verify,
JSON nested 1,000 deep, bad UTF-8, NUL bytes in the query and the path, integers past
64 bits, unknown routes, cross-site posts, nonsense Content-Length. Not part of the
suite; every connection goes to 127.0.0.1. The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.common.* helpers
from tests.common.serve import wait_until_healthy

HOST = "127.0.0.1"
MB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident set of the server and its children (uvicorn may fork workers)."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        m = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(m.group(1)) if m else 0
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    out = [int(k) for k in kids]
    for k in list(out):
        out += _children(k)
    return out


def _raw(port: int, head: bytes, body_chunks: int = 0, chunk: bytes = b"") -> int:
    """Sends a request head and up to ``body_chunks`` chunks; returns the status (0 if
    the server closed without answering)."""
    with socket.create_connection((HOST, port), timeout=30) as s:
        s.sendall(head)
        try:
            for _ in range(body_chunks):
                s.sendall(chunk)
        except OSError:
            pass  # the server answered and closed: what we want
        s.settimeout(30)
        data = b""
        try:
            while b"\r\n" not in data:
                more = s.recv(4096)
                if not more:
                    break
                data += more
        except OSError:
            return 0
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else 0


def attacks(port: int, base: str) -> list[Any]:
    """The request kinds; each a callable returning a status."""
    h = f"Host: {HOST}:{port}\r\n"
    big = 100 * MB

    def declared_100mb() -> int:
        head = (f"POST /v1/authorizations HTTP/1.1\r\n{h}Content-Type: application/json\r\n"
                f"Content-Length: {big}\r\n\r\n").encode()
        return _raw(port, head, 1, b"a" * 65536)

    def chunked_endless() -> int:
        head = (f"POST /v1/templates HTTP/1.1\r\n{h}Content-Type: application/json\r\n"
                f"Transfer-Encoding: chunked\r\n\r\n").encode()
        return _raw(port, head, 64, b"10000\r\n" + b"a" * 65536 + b"\r\n")

    def verify_30mb() -> int:
        head = (f"POST /verify HTTP/1.1\r\n{h}Accept: application/json\r\n"
                f"Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {30 * MB}\r\n\r\n").encode()
        return _raw(port, head, 1, b"--x\r\n" + b"a" * 65536)

    def bad_length() -> int:
        head = (f"POST /v1/authorizations HTTP/1.1\r\n{h}Content-Length: -5\r\n\r\n").encode()
        return _raw(port, head)

    client = httpx.Client(base_url=base, timeout=30)
    json_ct = {"Content-Type": "application/json"}

    def deep_json() -> int:
        return client.post("/v1/authorizations", content=b"[" * 1000 + b"]" * 1000,
                           headers=json_ct).status_code

    def deep_json_page() -> int:
        return client.post("/s/x/sign", content=b'{"a":' * 1000 + b"1" + b"}" * 1000,
                           headers=json_ct).status_code

    def bad_utf8() -> int:
        return client.post("/v1/authorizations", content=b'{"a": "\xff\xfe"}',
                           headers=json_ct).status_code

    def nul_query() -> int:
        return client.get("/v1/authorizations?reference=a%00b").status_code

    def nul_path() -> int:
        return client.get("/s/abc%00def").status_code

    def huge_int() -> int:
        return client.get("/v1/authorizations?page=10000000000000000000").status_code

    def unknown() -> int:
        return client.get("/no/such/route").status_code

    def cross_site() -> int:
        return client.post("/s/x/decline", headers={"Origin": "https://evil.example"}
                           ).status_code

    return [declared_100mb, chunked_endless, verify_30mb, bad_length, deep_json,
            deep_json_page, bad_utf8, nul_query, nul_path, huge_int, unknown, cross_site]


def _prepare(base: str, data_dir: Path, env: dict[str, str]) -> tuple[str, str]:
    """An institution, a template and a signed authorization to call the gate on."""
    out = subprocess.run([sys.executable, "-m", "anxin", "institution", "add", "Bench Bank",
                          "--json", "--data-dir", str(data_dir)], env=env,
                         capture_output=True, text=True, check=True)
    key = json.loads(out.stdout)["api_key"]
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    body = ("I, {{ subject_name }} ({{ subject_id_type }} {{ subject_id_number }}), authorize "
            "{{ institution }} to query my {{ scope }} for {{ purpose }} only, from "
            "{{ valid_from }} until {{ valid_until }}, at most {{ max_uses }} time(s). "
            "Reference {{ reference }}.")
    r = api.post("/v1/templates", json={
        "code": "bench", "title": "Credit check", "purpose": "loan_approval",
        "data_scope": ["credit_report"], "body": body, "locale": "en",
        "validity_days": 30, "max_uses": 3})
    assert r.status_code == 201, r.text
    from anxin.domain.subject import resident_id_check_char
    first17 = "11010519900101001"
    r = api.post("/v1/authorizations", json={
        "template": "bench", "reference": "BENCH-1",
        "subject": {"name": "Zhang San", "id_type": "resident_id",
                    "id_number": first17 + resident_id_check_char(first17),
                    "mobile": "13900000001"}})
    r.raise_for_status()
    auth = r.json()
    token = auth["signing_url"].rsplit("/", 1)[1]
    page = httpx.Client(base_url=base, timeout=60)
    page.post(f"/s/{token}/otp").raise_for_status()
    sms = (data_dir / "outbox" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    code = re.search(r"\b(\d{6})\b", json.loads(sms[-1])["text"])
    assert code is not None
    page.post(f"/s/{token}/sign", json={"otp": code.group(1), "read_confirmed": True}
              ).raise_for_status()
    return key, auth["id"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--pg-admin-url", default=None,
                    help="serve from a throwaway PostgreSQL database instead of SQLite")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="anxin-abuse-"))
    data_dir = tmp / "data"
    port = _free_port()
    base = f"http://{HOST}:{port}"
    env = {**os.environ, "ANXIN_DATA_DIR": str(data_dir), "ANXIN_BASE_URL": base}
    env.pop("ANXIN_DATABASE_URL", None)
    drop = None
    if args.pg_admin_url:
        from tests.common.backends import throwaway_postgres
        drop = throwaway_postgres(args.pg_admin_url)
        env["ANXIN_DATABASE_URL"] = drop.__enter__()
    log = (tmp / "serve.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "anxin", "serve", "--data-dir",
                             str(data_dir), "--host", HOST, "--port", str(port)], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(base, proc, timeout=90,
                           explain=lambda: (tmp / "serve.log").read_text())
        key, auth_id = _prepare(base, data_dir, env)
        gate = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                            timeout=30)
        use = {"purpose": "loan_approval", "reference": "Q-1", "operator": "bench",
               "data_item": "credit_report"}
        assert gate.post(f"/v1/authorizations/{auth_id}/uses", json=use).status_code == 201
        time.sleep(1)
        idle = rss_mb(proc.pid)
        peak = idle
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, rss_mb(proc.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        kinds = attacks(port, base)
        statuses: collections.Counter[str] = collections.Counter()
        t0 = time.perf_counter()

        def one(i: int) -> tuple[str, int]:
            kind = kinds[i % len(kinds)]
            try:
                return kind.__name__, kind()
            except (OSError, httpx.HTTPError):
                return kind.__name__, 0

        with ThreadPoolExecutor(args.concurrency) as pool:
            for name, status in pool.map(one, range(args.requests)):
                statuses[f"{name} {status}"] += 1
        elapsed = time.perf_counter() - t0
        stop.set()
        sampler.join()
        after = rss_mb(proc.pid)
        r = gate.post(f"/v1/authorizations/{auth_id}/uses", json=use)
        result = {"requests": args.requests, "seconds": round(elapsed, 2),
                  "database": "postgresql" if args.pg_admin_url else "sqlite",
                  "idle_rss_mb": round(idle, 1), "peak_rss_mb": round(peak, 1),
                  "after_rss_mb": round(after, 1), "peak_over_idle_mb": round(peak - idle, 1),
                  "within_100mb": peak - idle <= 100, "gate_after": r.status_code,
                  "statuses": dict(sorted(statuses.items())),
                  "server_errors": sum(n for k, n in statuses.items()
                                       if k.split()[-1].startswith("5"))}
        for k, v in result.items():
            if k != "statuses":
                print(f"{k:>20}: {v}")
        for k, v in result["statuses"].items():  # type: ignore[union-attr]
            print(f"{'':>20}  {k}: {v}")
        print(json.dumps(result))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        if drop is not None:
            drop.__exit__(None, None, None)


if __name__ == "__main__":
    main()
