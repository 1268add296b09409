"""Three nodes behind HAProxy under a mixed load, one SIGKILLed and restarted midway
(issue 18): afterwards every acknowledged answer is stored, no authorization was granted
beyond ``max_uses``, the ledger verifies from every node's data directory, no two
checkpoints of one size have different roots (database and every node's
``GET /ledger/checkpoint`` during the run), every notification reached the receiver at
least once and in order per authorization, and every TSA serial is distinct."""

from __future__ import annotations

import collections
import threading
import time
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.cluster.conftest import Cluster
from tests.cluster.load import MAX_USES, Load
from tests.cluster.nodes import anxin
from tests.cluster.tsa_serials import tsa_serials
from tests.common.receiver import receiver

LOAD_SECONDS = 30.0
KILL_AT = 10.0
DOWN_SECONDS = 3.0
DELIVERY_WAIT = 150.0  # a killed node's delivery lease is 60 s (notify.worker.RetryPolicy)


def test_three_nodes_under_load_with_a_sigkill(cluster: Cluster) -> None:
    victim = cluster.nodes[1]
    with receiver() as (hook_url, received):  # answers 200, records in arrival order
        load = Load(cluster.proxy.url, cluster.api_key,
                    [n.data_dir / "outbox" / "sms.jsonl" for n in cluster.nodes],
                    [n.url for n in cluster.nodes], hook_url)
        load.prepare()
        threads = load.threads()
        for t in threads:
            t.start()
        started = time.monotonic()
        time.sleep(KILL_AT)
        signed_before_kill = len(load.acks.signed)
        victim.kill()
        time.sleep(DOWN_SECONDS)
        victim.start()
        victim.wait_ready()
        restarted = time.monotonic() - started
        time.sleep(max(0.0, LOAD_SECONDS - (time.monotonic() - started)))
        load.stop.set()
        for t in threads:
            t.join(60)
        load.close()
        acks = load.acks
        assert not [t.name for t in threads if t.is_alive()]
        assert signed_before_kill > 0, f"nothing signed before the kill: {acks.errors[:10]}"
        assert len(acks.signed) > signed_before_kill, \
            f"nothing signed after the restart: {acks.errors[:10]}"
        assert acks.grants, f"no use granted: {acks.errors[:10]}"
        assert acks.revoked, f"nothing revoked: {acks.errors[:10]}"

        print(f"cluster: {len(acks.created)} requested, {len(acks.signed)} signed, "
              f"{sum(map(len, acks.grants.values()))} uses granted, {len(acks.revoked)} "
              f"revoked, {len(acks.errors)} unacknowledged/failed calls "
              f"({collections.Counter(e.split(' ')[0] for e in acks.errors)}) in "
              f"{time.monotonic() - started:.0f} s; {victim.name} SIGKILLed at {KILL_AT} s, "
              f"serving again at {restarted:.0f} s; first errors: {acks.errors[:8]}")
        waited = time.monotonic()
        engine = create_engine(cluster.db_url)
        try:
            _delivered_in_order(engine, acks.created, received)
            _stored(engine, acks.created, acks.signed, acks.grants, acks.revoked)
            _checkpoints_agree(engine, acks.checkpoints)
        finally:
            engine.dispose()
        print(f"cluster: deliveries complete {time.monotonic() - waited:.0f} s after the load")
    for node in cluster.nodes:
        verified = anxin(cluster.env, "ledger", "verify", "--data-dir", str(node.data_dir))
        assert verified.returncode == 0, (node.name, verified.stdout + verified.stderr)
        assert "ledger OK" in verified.stdout
    _tsa_serials_distinct(cluster, acks.signed)


def _stored(engine: object, created: dict[str, int], signed: list[str],
            grants: dict[str, list[str]], revoked: list[str]) -> None:
    assert hasattr(engine, "connect")
    with engine.connect() as c:
        rows = {r.id: r for r in c.execute(text(
            "SELECT id, status, uses, max_uses, signed_at FROM authorizations"))}
        assert set(created) <= set(rows), "an acknowledged request is not stored"
        for a in signed:
            assert rows[a].signed_at is not None, f"acknowledged signature of {a} not stored"
            assert rows[a].status in ("active", "exhausted", "revoked"), rows[a]
        letters = set(c.execute(text(
            "SELECT authorization_id FROM documents WHERE kind = 'letter.pdf'")).scalars())
        assert set(signed) <= letters, "a signed letter is not stored"
        for a in revoked:
            assert rows[a].status == "revoked", rows[a]
        granted = collections.Counter(c.execute(text(
            "SELECT authorization_id FROM uses WHERE granted")).scalars())
        for auth_id, row in rows.items():
            assert granted[auth_id] <= row.max_uses == MAX_USES, (auth_id, granted[auth_id])
            assert row.uses == granted[auth_id], (auth_id, row.uses, granted[auth_id])
        use_ids = set(c.execute(text("SELECT id FROM uses WHERE granted")).scalars())
        acknowledged = {u for us in grants.values() for u in us}
        assert acknowledged <= use_ids, "an acknowledged grant is not stored"


def _checkpoints_agree(engine: object, seen: dict[str, set[tuple[int, bytes]]]) -> None:
    assert hasattr(engine, "connect")
    with engine.connect() as c:
        stored = [(int(r[0]), bytes(r[1])) for r in c.execute(text(
            "SELECT size, root_hash FROM ledger_checkpoints"))]
    roots: dict[int, set[bytes]] = collections.defaultdict(set)
    for size, root in [*stored, *(p for ps in seen.values() for p in ps)]:
        roots[size].add(root)
    assert len(seen) == 3, f"not every node answered /ledger/checkpoint: {list(seen)}"
    conflicting = {s: r for s, r in roots.items() if len(r) > 1}
    assert not conflicting, f"two roots for one size: {conflicting}"
    assert {s for ps in seen.values() for s, _ in ps} <= {s for s, _ in stored}


def _delivered_in_order(engine: object, created: dict[str, int],
                        received: list[dict[str, Any]]) -> None:
    """Waits (bounded) for every notification of the load's authorizations, then checks
    that each authorization's deliveries arrived in notification order."""
    assert hasattr(engine, "connect")
    ours = set(created)
    deadline = time.monotonic() + DELIVERY_WAIT
    while True:
        with engine.connect() as c:
            notes = [(int(r[0]), str(r[1]), str(r[2])) for r in c.execute(text(
                "SELECT id, authorization_id, state FROM notifications ORDER BY id"))]
        notes = [n for n in notes if n[1] in ours]
        got = {str(b.get("id")) for b in [r["body"] for r in list(received)]}
        missing = [n for n in notes if str(n[0]) not in got]
        if not missing:
            break
        assert time.monotonic() < deadline, f"{len(missing)} notification(s) never " \
            f"delivered, e.g. {missing[:5]}"
        time.sleep(1)
    assert notes, "the load made no notification"
    print(f"cluster: {len(notes)} notifications, {len(received)} deliveries received")
    per_auth: dict[str, list[int]] = collections.defaultdict(list)
    for body in [r["body"] for r in list(received)]:
        per_auth[str(body["authorization_id"])].append(int(str(body["id"])))
    for auth_id, ids in per_auth.items():
        assert ids == sorted(ids), f"deliveries of {auth_id} out of order: {ids}"


def _tsa_serials_distinct(cluster: Cluster, signed: list[str]) -> None:
    serials: list[int] = []
    lock = threading.Lock()
    with httpx.Client(base_url=cluster.proxy.url, timeout=60,
                      headers={"Authorization": f"Bearer {cluster.api_key}"}) as api:
        for auth_id in signed:
            r = api.get(f"/v1/authorizations/{auth_id}/letter.pdf")
            assert r.status_code == 200, r.text
            found = tsa_serials(r.content)
            assert found, f"no time-stamp token in the letter of {auth_id}"
            with lock:
                serials.extend(found)
    repeated = [s for s, n in collections.Counter(serials).items() if n > 1]
    assert not repeated, f"TSA serials issued twice: {repeated}"
