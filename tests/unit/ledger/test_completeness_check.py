"""The verifier's `ledger_completeness` on chains built here: the final status must be the
last state entry's, and entries made before the chain are never called complete."""

import datetime as dt

from anxin.evidence.ledger_completeness import add_completeness_checks
from anxin.evidence.report import Report
from anxin.ledger.chain import ZERO_HASH, chained_leaf
from anxin.ledger.leaf import make_leaf
from anxin.ledger.merkle import leaf_hash

AT = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)


def chained(events, start_seq=0, prev=ZERO_HASH, first_index=0):
    out = []
    for i, ev in enumerate(events):
        data = chained_leaf(ev, at=AT, prev=prev, seq=start_seq + i, authorization_id="a1")
        out.append((first_index + i, data))
        prev = leaf_hash(data)
    return out


def completeness(status, entries):
    report = Report(subject="p.zip", trust_anchor="t")
    add_completeness_checks(report, {}, {"status": status, "uses_log": []}, entries)
    return next(c for c in report.checks if c.id == "ledger_completeness")


LIFE = ["authorization:requested", "authorization:otp:sent", "authorization:signed"]


def test_the_status_must_be_the_last_state_entrys():
    assert completeness("active", chained(LIFE)).result == "PASSED"
    assert completeness("revoked", chained(LIFE)).result == "FAILED"
    revoked = chained([*LIFE, "authorization:revoked"])
    assert completeness("revoked", revoked).result == "PASSED"
    assert completeness("active", revoked).result == "FAILED"
    # A use after signing is not a state entry: still active.
    assert completeness("active", chained([*LIFE, "authorization:use:granted"])
                        ).result == "PASSED"


def test_entries_before_the_chain_make_it_indeterminate():
    old = [(0, make_leaf("authorization:requested", at=AT, authorization_id="a1"))]
    new = chained(["authorization:otp:sent", "authorization:signed"], first_index=1)
    assert completeness("active", old + new).result == "INDETERMINATE"
    assert completeness("active", old).result == "INDETERMINATE"


def test_an_unknown_status_is_not_judged():
    assert completeness("frozen", chained(LIFE)).result == "INDETERMINATE"


def test_a_pause_and_a_resume_are_state_entries():
    paused = [*LIFE, "authorization:paused"]
    assert completeness("paused", chained(paused)).result == "PASSED"
    assert completeness("active", chained(paused)).result == "FAILED"  # the resume left out
    assert completeness("active", chained([*paused, "authorization:resumed"])
                        ).result == "PASSED"
    assert completeness("paused", chained([*paused, "authorization:resumed"])
                        ).result == "FAILED"
