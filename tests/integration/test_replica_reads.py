"""Reads from a real PostgreSQL streaming replica (``ANXIN_DATABASE_REPLICA_URL``).

A primary and its hot standby of the test's own (tests/common/pg_replica.py), and one
``anxin serve`` on both. What goes where is shown from the outside, by what each side
can know: while the replica's replay is paused, a new request is in the record (GET by
id: read-your-writes through the primary) but not in the list (the replica's); a proof
for a tree the replica has not replayed is the primary's, and verifies; while the
replica is stopped every read is the primary's and none fails; once the primary is
stopped, entries and proofs of the trees the replica holds still answer and verify, so
they came from the replica. Every proof is checked against the signed checkpoint.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from anxin.ledger.checkpoint import verify_checkpoint
from anxin.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from anxin.storage.replica import RETRY_AFTER
from tests.common.factories import EN_BODY, mobile, resident_id
from tests.common.pg_replica import ReplicaPair, streaming_replica
from tests.common.serve import wait_until_healthy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCOPE = ["credit_report", "credit_score"]
PURPOSE = "post_loan_management"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    pair: ReplicaPair
    base: str
    data: Path
    api: httpx.Client
    page: httpx.Client
    log: Path


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """``anxin serve`` with ANXIN_DATABASE_URL = the primary and
    ANXIN_DATABASE_REPLICA_URL = its streaming replica."""
    with streaming_replica() as pair:
        data = tmp_path_factory.mktemp("replica") / "data"
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANXIN_")}
        env.update({"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
                    "ANXIN_DATA_DIR": str(data), "ANXIN_BASE_URL": base,
                    "ANXIN_DATABASE_URL": pair.primary_url,
                    "ANXIN_DATABASE_REPLICA_URL": pair.replica_url,
                    "ANXIN_DATABASE_REPLICA_WAIT_MS": "50",
                    "ANXIN_CHECKPOINT_INTERVAL_SECONDS": "0.2"})

        def anxin(*args: str) -> str:
            return subprocess.run([sys.executable, "-m", "anxin", *args], env=env,
                                  text=True, capture_output=True, timeout=120,
                                  check=True).stdout
        anxin("init")
        key = json.loads(anxin("institution", "add", "Replica Bank", "--json"))["api_key"]
        log = data.parent / "serve.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "anxin", "serve", "--host",
                                     "127.0.0.1", "--port", str(port)], env=env,
                                    stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(base, proc, timeout=90, explain=log.read_text)
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                              timeout=30) as api, httpx.Client(base_url=base,
                                                               timeout=30) as page:
                r = api.post("/v1/templates", json={
                    "code": "replica", "title": "Credit check", "purpose": PURPOSE,
                    "data_scope": SCOPE, "body": EN_BODY, "locale": "en",
                    "validity_days": 365, "max_uses": 100})
                assert r.status_code == 201, r.text
                yield Node(pair, base, data, api, page, log)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _request(node: Node, seq: int) -> dict[str, str]:
    r = node.api.post("/v1/authorizations", json={
        "template": "replica", "reference": f"REPLICA-{seq}",
        "subject": {"name": "Zhang San", "id_type": "resident_id",
                    "id_number": resident_id(seq), "mobile": mobile(seq)}})
    assert r.status_code == 201, r.text
    return dict(r.json())


def _sign(node: Node, auth: dict[str, str], seq: int) -> None:
    token = auth["signing_url"].rsplit("/", 1)[1]
    assert node.page.post(f"/s/{token}/otp").status_code == 204
    sms = [json.loads(line) for line in (node.data / "outbox" / "sms.jsonl")
           .read_text(encoding="utf-8").splitlines()]
    mine = [m for m in sms if m["to"] == "+86" + mobile(seq)]
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", mine[-1]["text"])
    assert code is not None
    r = node.page.post(f"/s/{token}/sign", json={"otp": code.group(1),
                                                 "read_confirmed": True})
    assert r.status_code == 200, r.text


def _use(node: Node, auth_id: str, n: int) -> None:
    r = node.api.post(f"/v1/authorizations/{auth_id}/uses", json={
        "purpose": PURPOSE, "reference": f"Q-{n}", "operator": "officer-7",
        "data_item": "credit_report"})
    assert r.status_code == 201, r.text


def _checkpoint_covering(node: Node, size: int) -> tuple[int, bytes]:
    """The signed checkpoint once it covers ``size`` leaves, verified with /ledger/key."""
    vkey = node.page.get("/ledger/key").text.strip()
    deadline = time.monotonic() + 30
    while True:
        r = node.page.get("/ledger/checkpoint")
        if r.status_code == 200:
            cp = verify_checkpoint(r.text, vkey)
            if cp.size >= size:
                return cp.size, cp.root
        assert time.monotonic() < deadline, f"no checkpoint of {size} leaves: {r.text}"
        time.sleep(0.1)


def _leaf_count(node: Node) -> int:
    """Leaves sequenced or queued on the primary (what the log will have)."""
    return int(str(node.pair.primary_scalar(
        "SELECT (SELECT count(*) FROM ledger_leaves) + (SELECT count(*) FROM ledger_queue)")))


def _entries(node: Node, start: int, end: int) -> list[bytes]:
    out: list[bytes] = []
    while start < end:
        r = node.page.get("/ledger/entries", params={"start": start, "end": end})
        assert r.status_code == 200, r.text
        got = r.json()["entries"]
        assert got, f"an empty page at {start} of a log of {end}"
        assert [e["index"] for e in got] == list(range(start, start + len(got)))
        out += [base64.b64decode(e["data"]) for e in got]
        start += len(got)
    return out


def _verify_all(node: Node, size: int, root: bytes) -> None:
    """Every entry of the tree of ``size`` leaves, with its inclusion proof, against the
    signed checkpoint's root."""
    for index, data in enumerate(_entries(node, 0, size)):
        r = node.page.get("/ledger/proof/inclusion", params={"index": index, "size": size})
        assert r.status_code == 200, r.text
        proof = [base64.b64decode(h) for h in r.json()["hashes"]]
        verify_inclusion(leaf_hash(data), index, size, proof, root)


def _replica_size(node: Node) -> int:
    return int(str(node.pair.replica_scalar("SELECT coalesce(max(size), 0) FROM ledger_head")))


def _replica_gauges(node: Node) -> dict[str, float]:
    """The replica's gauges on /metrics (anxin_db_replica_*)."""
    r = node.page.get("/metrics")
    assert r.status_code == 200, r.text
    return {line.split()[0]: float(line.split()[1]) for line in r.text.splitlines()
            if line.startswith("anxin_db_replica_")}


def test_replica_reads_verify_and_never_lose_a_write(node: Node) -> None:
    # Requests, signings and uses, all on the primary.
    first = _request(node, 1)
    _sign(node, first, 1)
    for n in range(3):
        _use(node, first["id"], n)
    size, root = _checkpoint_covering(node, _leaf_count(node))
    node.pair.wait_replayed()
    assert _replica_size(node) >= size
    _verify_all(node, size, root)
    listed = node.api.get("/v1/authorizations", params={"reference": "REPLICA-1"}).json()
    assert [a["id"] for a in listed["items"]] == [first["id"]]
    assert listed["items"][0]["uses"] == 3
    gauges = _replica_gauges(node)  # caught up (a checkpoint may commit meanwhile)
    assert gauges["anxin_db_replica_up"] == 1
    assert gauges["anxin_db_replica_lag_bytes"] >= 0

    # The replica lags on purpose: it receives WAL and applies none.
    node.pair.pause_replay()
    try:
        behind = _replica_size(node)
        second = _request(node, 2)
        _use(node, first["id"], 3)
        # Read-your-writes: the new record and the new use are there at once...
        got = node.api.get(f"/v1/authorizations/{second['id']}")
        assert got.status_code == 200, got.text
        assert got.json()["status"] == "pending"
        assert node.api.get(f"/v1/authorizations/{first['id']}").json()["uses"] == 4
        # ...while the list, served by the replica, does not have them yet.
        lagging = node.api.get("/v1/authorizations").json()
        assert second["id"] not in [a["id"] for a in lagging["items"]]
        assert [a["uses"] for a in lagging["items"] if a["id"] == first["id"]] == [3]
        # The same of templates: the new one by its code at once, in the list later.
        r = node.api.post("/v1/templates", json={
            "code": "replica-2", "title": "Second", "purpose": PURPOSE,
            "data_scope": SCOPE, "body": EN_BODY, "locale": "en",
            "validity_days": 30, "max_uses": 1})
        assert r.status_code == 201, r.text
        assert node.api.get("/v1/templates/replica-2").status_code == 200
        codes = [t["code"] for t in node.api.get("/v1/templates").json()["items"]]
        assert codes == ["replica"]
        # A tree the replica does not have: proofs and entries as the primary answers.
        new_size, new_root = _checkpoint_covering(node, _leaf_count(node))
        assert new_size > behind == _replica_size(node)
        # /metrics says so: WAL received and not replayed, and for how long.
        gauges = _replica_gauges(node)
        assert gauges["anxin_db_replica_up"] == 1
        assert gauges["anxin_db_replica_lag_bytes"] > 0
        assert gauges["anxin_db_replica_lag_seconds"] > 0
        _verify_all(node, new_size, new_root)
        r = node.page.get("/ledger/proof/consistency",
                          params={"first": size, "second": new_size})
        assert r.status_code == 200, r.text
        verify_consistency(size, new_size, root, new_root,
                           [base64.b64decode(h) for h in r.json()["hashes"]])
    finally:
        node.pair.resume_replay()
    node.pair.wait_replayed()
    caught_up = node.api.get("/v1/authorizations").json()
    assert second["id"] in [a["id"] for a in caught_up["items"]]
    codes = [t["code"] for t in node.api.get("/v1/templates").json()["items"]]
    assert codes == ["replica", "replica-2"]
    # The events feed (a fresh read) has the signing, once it has settled.
    deadline = time.monotonic() + 30
    while True:
        events = node.api.get("/v1/events")
        assert events.status_code == 200, events.text
        if any(e["authorization_id"] == first["id"] and e["event"] == "authorization:signed"
               for e in events.json()["events"]):
            break
        assert time.monotonic() < deadline, events.text
        time.sleep(0.5)

    # The replica goes away under the node's pooled connections: every read is the
    # primary's, none fails.
    node.pair.stop_replica()
    for _ in range(3):
        listed = node.api.get("/v1/authorizations")
        assert listed.status_code == 200, listed.text
        assert {first["id"], second["id"]} <= {a["id"] for a in listed.json()["items"]}
        assert node.api.get(f"/v1/authorizations/{first['id']}").status_code == 200
    _verify_all(node, new_size, new_root)
    gauges = _replica_gauges(node)
    assert gauges["anxin_db_replica_up"] == 0
    assert math.isnan(gauges["anxin_db_replica_lag_bytes"])
    # It comes back; once the node tries it again (RETRY_AFTER), reads go there again.
    node.pair.start_replica()
    node.pair.wait_replayed()
    time.sleep(RETRY_AFTER + 0.5)
    assert node.api.get("/v1/authorizations").status_code == 200

    # The primary stops: what the replica holds is still served, and still verifies.
    node.pair.stop_primary()
    _verify_all(node, new_size, new_root)
    r = node.page.get("/ledger/proof/consistency", params={"first": size, "second": new_size})
    assert r.status_code == 200, r.text
    verify_consistency(size, new_size, root, new_root,
                       [base64.b64decode(h) for h in r.json()["hashes"]])
    # A tree beyond the replica's needs the primary: 503, never a wrong or partial proof.
    r = node.page.get("/ledger/proof/inclusion", params={"index": 0, "size": new_size + 1000})
    assert r.status_code == 503, r.text
