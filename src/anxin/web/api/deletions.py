"""``POST /v1/authorizations/{id}/deletion``: the institution attests that it deleted what
granted uses fetched (terms v2, data life; :mod:`anxin.services.deletions`)."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from anxin.error_codes import Code
from anxin.services import deletions
from anxin.web.deps import CtxDep, IdempotencyKey, InstitutionDep
from anxin.web.input_guard import Text
from anxin.web.problems import problems

router = APIRouter(prefix="/v1", tags=["institution API"])


class DeletionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    deleted_at: dt.datetime = Field(description="when the data was deleted (not in the "
                                                "future, not before any named use)")
    items: list[Text] = Field(description="the use_id of each granted use whose fetched "
                                          "data was deleted", examples=[["<use_id>"]])


@router.post("/authorizations/{auth_id}/deletion", status_code=201, responses={
    **problems(s401=[Code.MISSING_API_KEY, Code.INVALID_API_KEY, Code.INSTITUTION_SUSPENDED],
               s404=[Code.AUTHORIZATION_NOT_FOUND],
               s409=[Code.DELETION_ALREADY_ATTESTED],
               s422=[Code.VALIDATION_FAILED, Code.IDEMPOTENCY_KEY_REUSED])},
    summary="Attest the deletion of the data that granted uses fetched")
def attest_deletion(auth_id: str, body: DeletionIn, ctx: CtxDep, inst: InstitutionDep,
                    idempotency_key: IdempotencyKey = None) -> JSONResponse:
    status, out = deletions.attest_deletion(
        ctx, inst, auth_id, body.deleted_at, body.items, idempotency_key=idempotency_key,
        body_for_digest=body.model_dump(mode="json"))
    return JSONResponse(out, status_code=status)
