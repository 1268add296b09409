"""TSA serial numbers never repeat: 1,000 concurrent tokens, two workers, a restart."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from asn1crypto import tsp
from sqlalchemy import select, text

from anxin.pki.authority import Pki
from anxin.pki.tsa import TimestampAuthority
from anxin.services.pki_services import DbSerialSource
from anxin.storage.database import Database
from anxin.storage.models import Counter
from tests.integration.pki_support import make_pki, sqlite_db, throwaway_postgres

TOKENS = 1000


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("serials"))[1]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        database = sqlite_db(tmp_path)
        yield database
        database.dispose()
    else:
        with throwaway_postgres() as database:
            yield database


def _request(i: int) -> bytes:
    return tsp.TimeStampReq({"version": "v1", "message_imprint": {
        "hash_algorithm": {"algorithm": "sha256"},
        "hashed_message": hashlib.sha256(str(i).encode()).digest()}, "nonce": i}).dump()


def _serial_and_nonce(reply: bytes) -> tuple[int, int]:
    response = tsp.TimeStampResp.load(reply)
    assert response["status"]["status"].native == "granted"
    info = response["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    return info["serial_number"].native, info["nonce"].native


def test_concurrent_tokens_have_distinct_serials(pki: Pki, db: Database) -> None:
    # two "workers" (separate TSAs and serial sources) sharing the database
    workers = [TimestampAuthority(pki, DbSerialSource(db)) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(lambda i: workers[i % 2].respond(_request(i)), range(TOKENS)))
    pairs = [_serial_and_nonce(r) for r in replies]
    assert [nonce for _, nonce in pairs] == list(range(TOKENS))
    serials = {serial for serial, _ in pairs}
    assert len(serials) == TOKENS
    with db.transaction() as session:
        counter = session.execute(select(Counter.value).where(
            Counter.name == "tsa_serial")).scalar_one()
    assert counter == TOKENS
    assert serials == set(range(1, TOKENS + 1))


def test_blocks_and_restarts_never_repeat(pki: Pki, db: Database) -> None:
    seen: list[int] = []
    for _restart in range(3):  # each new source is a restarted process
        sources = [DbSerialSource(db, block_size=7), DbSerialSource(db, block_size=1)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            seen += pool.map(lambda i, s=sources: s[i % 2].next_serial(), range(100))
    assert len(seen) == len(set(seen)) == 300
    assert min(seen) >= 1


def test_the_counter_row_is_created_by_racing_workers(db: Database) -> None:
    sources = [DbSerialSource(db, name="race") for _ in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda s: s.next_serial(), sources))
    assert sorted(got) == list(range(1, 9))


def test_prefetched_serials_while_the_caller_holds_the_write_lock(pki: Pki, tmp_path: Path
                                                                  ) -> None:
    """The letter signer time-stamps inside its own transaction; on SQLite that
    transaction holds the write lock, so the TSA must not need the database right then."""
    db = sqlite_db(tmp_path)
    tsa = TimestampAuthority(pki, DbSerialSource(db, block_size=4, prefetch=True))
    seen: list[int] = []
    for round_ in range(5):
        with db.transaction() as session:
            session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the write lock is ours
            start = time.perf_counter()
            seen += [_serial_and_nonce(tsa.respond(_request(i)))[0] for i in range(2)]
            assert time.perf_counter() - start < 2, f"round {round_} waited on the lock"
        time.sleep(0.3)  # the background refill gets the lock once we commit
    assert len(seen) == len(set(seen)) == 10
    db.dispose()


def test_prefetching_sources_stay_unique_under_load(pki: Pki, db: Database) -> None:
    sources = [DbSerialSource(db, block_size=16, prefetch=True) for _ in range(3)]
    workers = [TimestampAuthority(pki, s) for s in sources]
    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(lambda i: workers[i % 3].respond(_request(i)), range(TOKENS)))
    serials = [_serial_and_nonce(r)[0] for r in replies]
    assert len(set(serials)) == TOKENS
