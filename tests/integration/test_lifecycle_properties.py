"""Property test of the consent lifecycle through the real gate (issue 17): random
sequences of uses, pauses, resumes (by the person and the operator), revocations,
renewals and clock moves, on SQLite and PostgreSQL, against a model of the rules. After
every step the gate's answer is exactly the model's: it never grants beyond the total
count or the validity, nor while paused or revoked, a refusal spends nothing, and a
renewal never changes the original's answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anxin.domain.states import PausedBy
from anxin.errors import AnxinError
from anxin.services.context import Context
from anxin.services.pausing import pause_authorization, resume_authorization
from anxin.services.revocation import revoke_authorization
from tests.common.factories import Api, mobile, resident_id, sign
from tests.common.portal_fixtures import client

__all__ = ["client"]
MAX_USES = 3
VALIDITY_DAYS = 5

STEP = st.one_of(
    st.just(("use",)), st.just(("use",)), st.just(("use",)),
    st.tuples(st.just("pause"), st.sampled_from(list(PausedBy))),
    st.tuples(st.just("resume"), st.sampled_from(list(PausedBy))),
    st.just(("revoke",)),
    st.just(("renew",)),
    st.tuples(st.just("advance"), st.floats(0.1, 2.5)),
)


@dataclass
class Model:
    """The rules, written plainly."""

    until: dt.datetime
    status: str = "active"
    paused_by: PausedBy | None = None
    uses: int = 0
    renewed: bool = False  # a signed renewal stands: no second one
    log: list[str] = field(default_factory=list)

    def settle(self, now: dt.datetime) -> None:
        if self.status in ("active", "paused") and now >= self.until:
            self.status, self.paused_by = "expired", None

    def expect_use(self) -> str:
        if self.status == "revoked":
            return "authorization_revoked"
        if self.status == "exhausted" or self.uses >= MAX_USES:
            return "authorization_exhausted"
        if self.status == "expired":
            return "authorization_expired"
        if self.status == "paused":
            return "authorization_paused"
        return "granted"


@settings(max_examples=12, deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=14))
def test_the_gate_follows_the_rules_through_any_lifecycle(
        client: TestClient, api: Api, outbox, ctx: Context, clock, steps) -> None:
    api.template(validity_days=VALIDITY_DAYS, max_uses=MAX_USES)
    auth = api.request(seq=90)
    sign(client, outbox, auth)
    model = Model(until=dt.datetime.fromisoformat(
        api.get(f"/v1/authorizations/{auth['id']}").json()["valid_until"]))
    for step in steps:
        model.settle(ctx.clock())
        kind = step[0]
        if kind == "use":
            r = api.use(auth["id"])
            expected = model.expect_use()
            got = "granted" if r.status_code == 201 else r.json()["code"]
            assert got == expected, (steps, model)
            if got == "granted":
                model.uses += 1
                if model.uses >= MAX_USES:
                    model.status = "exhausted"
        elif kind == "advance":
            clock.advance(seconds=step[1] * 86400)
        elif kind == "renew":
            # a renewal is a new letter; it never changes the original's answers
            r = api.post("/v1/authorizations", {
                "template": "credit", "reference": "LOAN-90-R", "renews": auth["id"],
                "subject": {"name": "Zhang San", "id_type": "resident_id",
                            "id_number": resident_id(90), "mobile": mobile(90)}})
            allowed = (model.status in ("active", "paused", "exhausted")
                       and not model.renewed and ctx.clock() < model.until)
            assert (r.status_code == 201) is allowed, (steps, model, r.text)
            if allowed:
                sign(client, outbox, r.json())
                model.renewed = True
            else:
                assert r.json()["code"] == "renewal_not_allowed"
        else:
            try:
                if kind == "pause":
                    pause_authorization(ctx, auth["id"], by=step[1], channel="test")
                elif kind == "resume":
                    resume_authorization(ctx, auth["id"], by=step[1], channel="test")
                else:
                    revoke_authorization(ctx, auth["id"], subject_index=None, channel="test")
                done = True
            except AnxinError:
                done = False
            allowed = _model_allows(model, kind, step[1] if len(step) > 1 else None)
            assert done is allowed, (steps, model, kind)
        record = api.get(f"/v1/authorizations/{auth['id']}").json()
        model.settle(ctx.clock())
        assert record["status"] == model.status, (steps, model)
        assert record["uses"] == model.uses
        assert record["uses"] <= MAX_USES


def _model_allows(model: Model, kind: str, by: PausedBy | None) -> bool:
    """Apply a pause, resume or revoke to the model; whether the rules allow it."""
    if kind == "revoke":
        if model.status in ("active", "paused"):
            model.status, model.paused_by = "revoked", None
            return True
        return False
    if kind == "pause":
        if model.status == "active":
            model.status, model.paused_by = "paused", by
            return True
        if (model.status == "paused" and by is PausedBy.OPERATOR
                and model.paused_by is PausedBy.SUBJECT):
            model.paused_by = by  # the operator takes the pause over
            return True
        return False
    if model.status == "paused" and not (by is PausedBy.SUBJECT
                                         and model.paused_by is PausedBy.OPERATOR):
        model.status, model.paused_by = "active", None
        return True
    return False
