"""The ledger over storage, on SQLite and PostgreSQL: every event becomes a leaf, proofs
verify against signed checkpoints, tampering and truncation are found, several writers
produce one linear log."""

import base64
import hashlib
import json
import multiprocessing
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import delete, select, update

from anxin.ledger.leaf import make_leaf
from anxin.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from anxin.services.ledger import audit_ledger
from anxin.storage.database import Database
from anxin.storage.ledger_queue import enqueue_leaf
from anxin.storage.models import LedgerLeaf, LedgerNode
from tests.common.factories import sign


@pytest.fixture
def settings(tmp_path, backend):
    """A database of its own: a ledger holds checkpoints of exactly one signing key."""
    from anxin.config import load_settings
    from anxin.services.setup import initialise
    from tests.common.backends import require_postgres, throwaway_postgres

    def make(url):
        initialise(load_settings(data_dir=tmp_path / "data", database_url=url))
        return load_settings(data_dir=tmp_path / "data", database_url=url)

    if backend.startswith("sqlite"):
        yield make(f"sqlite:///{tmp_path / 'ledger.db'}")
    else:
        with throwaway_postgres(require_postgres()) as url:
            yield make(url)


def independent_verify(note: str, vkey: str) -> tuple[int, bytes]:
    """A checkpoint verifier that uses only `cryptography` and `hashlib`."""
    name, khash_hex, key_b64 = vkey.strip().split("+", 2)
    raw = base64.b64decode(key_b64)
    assert raw[0] == 1
    assert hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex() == khash_hex
    body, sigs = note.split("\n\n", 1)
    body += "\n"
    line = next(ln for ln in sigs.splitlines() if ln.startswith("\u2014 " + name + " "))
    blob = base64.b64decode(line.split(" ")[2])
    assert blob[:4].hex() == khash_hex
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], body.encode())
    origin, size, root = body.split("\n")[:3]
    assert origin == name
    return int(size), base64.b64decode(root)


def test_events_become_leaves_with_valid_proofs(api, client, outbox, ctx):
    api.template(max_uses=2)
    auth = api.request()
    sign(client, outbox, auth)
    api.use(auth["id"])
    api.use(auth["id"], data_item="judicial_records")
    ctx.ledger.checkpoint(force=True)
    note = client.get("/ledger/checkpoint").text
    vkey = client.get("/ledger/key").text
    size, root = independent_verify(note, vkey)
    assert size == ctx.ledger.size()
    mine = ctx.ledger.entries_for_authorization(auth["id"])
    events = [json.loads(e.data)["event"] for e in mine]
    assert events[0] == "authorization:requested"
    assert "authorization:use:refused" in events
    for e in mine:
        proof = client.get("/ledger/proof/inclusion",
                           params={"index": e.index, "size": size}).json()["hashes"]
        verify_inclusion(leaf_hash(e.data), e.index, size,
                         [base64.b64decode(h) for h in proof], root)
    page = client.get("/ledger/entries", params={"start": 0, "end": size}).json()["entries"]
    assert [p["index"] for p in page] == list(range(size))
    assert base64.b64decode(page[mine[0].index]["data"]) == mine[0].data


def test_consistency_between_checkpoints(api, client, outbox, ctx):
    api.template()
    api.request(seq=1)
    first = ctx.ledger.checkpoint(force=True)
    api.request(seq=2)
    second = ctx.ledger.checkpoint(force=True)
    assert second.size > first.size
    proof = client.get("/ledger/proof/consistency",
                       params={"first": first.size, "second": second.size}).json()["hashes"]
    verify_consistency(first.size, second.size, first.root, second.root,
                       [base64.b64decode(h) for h in proof])
    r = client.get("/ledger/proof/inclusion", params={"index": 0, "size": 10**9})
    assert r.status_code == 404


def test_rolled_back_use_case_leaves_no_leaf(ctx):
    before = ctx.ledger.size()
    def failing_use_case():
        with ctx.db.transaction() as s:
            enqueue_leaf(s, make_leaf("test:rollback", at=ctx.clock()), authorization_id=None,
                         at=ctx.clock())
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        failing_use_case()
    ctx.ledger.integrate_all()
    assert ctx.ledger.size() == before


def test_tampered_leaf_or_node_is_found_with_its_index(api, ctx):
    api.template()
    for i in range(5):
        api.request(seq=i)
    ctx.ledger.checkpoint(force=True)
    vkey = ctx.ledger.signer.verifier_key
    assert audit_ledger(ctx.db, vkey).ok
    with ctx.db.transaction() as s:
        s.execute(update(LedgerLeaf).where(LedgerLeaf.idx == 3).values(data=b'{"forged":1}'))
    report = audit_ledger(ctx.db, vkey)
    assert not report.ok
    assert report.first_bad_index == 3
    with ctx.db.transaction() as s:
        row = s.scalars(select(LedgerLeaf).where(LedgerLeaf.idx == 4)).one()
        s.execute(update(LedgerLeaf).where(LedgerLeaf.idx == 3).values(
            data=row.data, leaf_hash=row.leaf_hash))
        s.execute(update(LedgerNode).where(LedgerNode.level == 0, LedgerNode.idx == 3)
                  .values(hash=row.leaf_hash))
    assert audit_ledger(ctx.db, vkey).first_bad_index is not None


def test_truncation_is_found_against_a_published_checkpoint(api, ctx, settings):
    api.template()
    for i in range(4):
        api.request(seq=i)
    cp = ctx.ledger.checkpoint(force=True)
    with ctx.db.transaction() as s:
        s.execute(delete(LedgerLeaf).where(LedgerLeaf.idx >= cp.size - 2))
    report = audit_ledger(ctx.db, ctx.ledger.signer.verifier_key)
    assert not report.ok
    assert any("truncated" in p for p in report.problems)
    r = subprocess.run([sys.executable, "-m", "anxin", "ledger", "verify", "--data-dir",
                        str(settings.data_dir)], capture_output=True, text=True, check=False,
                       env={"ANXIN_DATABASE_URL": settings.effective_database_url,
                            "PATH": "/usr/bin:/bin"})
    assert r.returncode == 1, r.stdout + r.stderr
    assert "first bad index" in r.stderr


def test_ledger_verify_cli_passes_on_a_sound_log(api, ctx, settings):
    api.template()
    api.request()
    ctx.ledger.checkpoint(force=True)
    r = subprocess.run([sys.executable, "-m", "anxin", "ledger", "verify", "--data-dir",
                        str(settings.data_dir)], capture_output=True, text=True, check=False,
                       env={"ANXIN_DATABASE_URL": settings.effective_database_url,
                            "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ledger OK" in r.stdout


def _writer(url: str, tag: str, n: int) -> None:
    import datetime as dt

    from anxin.services.ledger import Ledger
    db = Database.connect(url)

    class _NoSign:
        name = "x"

    ledger = Ledger(db, signer=_NoSign())  # type: ignore[arg-type]
    for i in range(n):
        now = dt.datetime.now(dt.UTC)
        with db.transaction() as s:
            enqueue_leaf(s, make_leaf("test:concurrent", at=now, writer=tag, i=i),
                         authorization_id=None, at=now)
        if i % 7 == 0:
            ledger.integrate()
    ledger.integrate_all()
    db.dispose()


@pytest.mark.postgres
def test_two_processes_append_to_one_linear_log(tmp_path):
    """Several workers are a PostgreSQL deployment (SQLite is one box, one process)."""
    from anxin.config import load_settings
    from anxin.ledger.checkpoint import load_note_signer
    from anxin.services.ledger import Ledger, fix_origin
    from anxin.services.setup import initialise
    from tests.common.backends import require_postgres, throwaway_postgres

    with throwaway_postgres(require_postgres()) as url:
        initialise(load_settings(data_dir=tmp_path / "d", database_url=url))
        settings = load_settings(data_dir=tmp_path / "d", database_url=url)
        db = Database.connect(url)
        ledger = Ledger(db, signer=load_note_signer(settings, fix_origin(db, settings)))
        procs = [multiprocessing.get_context("spawn").Process(
            target=_writer, args=(url, tag, 150)) for tag in "ab"]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
            assert p.exitcode == 0
        ledger.integrate_all()
        assert ledger.size() == 300
        ledger.checkpoint(force=True)
        report = audit_ledger(db, ledger.signer.verifier_key)
        assert report.ok, report.problems
        with db.transaction() as s:
            idx = list(s.scalars(select(LedgerLeaf.idx).order_by(LedgerLeaf.idx)))
            writers = [json.loads(d)["writer"] for d in s.scalars(
                select(LedgerLeaf.data).order_by(LedgerLeaf.idx))]
        assert idx == list(range(300))
        assert writers.count("a") == writers.count("b") == 150
        db.dispose()
