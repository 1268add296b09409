"""``POST /v1/authorizations/{id}/deletion``: the institution attests that it deleted what
granted uses fetched (terms v2, data life; :mod:`anxin.services.deletions`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import ConfigDict, Field

from anxin.error_codes import Code
from anxin.services import deletions
from anxin.web.api.schemas import Reply, Strict, Timestamp, Uuid
from anxin.web.deps import CtxDep, IdempotencyKey, InstitutionDep
from anxin.web.input_guard import Text
from anxin.web.problems import problems

router = APIRouter(prefix="/v1", tags=["authorizations"])
_USE = "f957c3b0-ecf7-470b-bc1b-22af679945c1"


class DeletionRequest(Strict):
    """What you deleted, and when (the data that granted uses fetched)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "deleted_at": "2026-12-01T08:00:00+08:00", "items": [_USE]}]})

    deleted_at: dt.datetime = Field(description=(
        "When the data was deleted, with a time zone (not in the future, not before any "
        "named use)"))
    items: list[Text] = Field(min_length=1, max_length=1000, description=(
        "The `use_id` of each granted use whose fetched data was deleted"))


class DeletionAttestation(Reply):
    """The attestation as recorded (a ledger leaf names the uses, nothing personal)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "id": "9b0f3f0e-1f4d-4d0e-8e7a-0a3c2b1d4e5f",
        "authorization_id": "7c1f7c3e-3f0f-4c47-9a55-8f5f6c2f0a11",
        "deleted_at": "2026-12-01T00:00:00+00:00", "items": [_USE],
        "created_at": "2026-12-01T00:00:05+00:00"}]})

    id: str
    authorization_id: Uuid
    deleted_at: Timestamp
    items: list[str]
    created_at: Timestamp


@router.post("/authorizations/{auth_id}/deletion", status_code=201,
             response_model=DeletionAttestation, responses={
    **problems(s404=[Code.AUTHORIZATION_NOT_FOUND],
               s409=[Code.DELETION_ALREADY_ATTESTED],
               s422=[Code.VALIDATION_FAILED, Code.IDEMPOTENCY_KEY_REUSED])},
    summary="Attest the deletion of the data that granted uses fetched")
def attest_deletion(auth_id: Annotated[Text, Path(description="The authorization's `id`")],
                    body: DeletionRequest, ctx: CtxDep, inst: InstitutionDep,
                    response: Response,
                    idempotency_key: IdempotencyKey = None) -> dict[str, Any]:
    status, out = deletions.attest_deletion(
        ctx, inst, auth_id, body.deleted_at, body.items, idempotency_key=idempotency_key,
        body_for_digest=body.model_dump(mode="json"))
    response.status_code = status
    return out
