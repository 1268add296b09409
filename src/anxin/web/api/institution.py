"""``GET`` and ``PATCH /v1/institution``: the calling institution's own settings, today
those of embedding (``frame_ancestors``, ``return_url_prefixes``; anxin.services.embedding).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from anxin.error_codes import Code
from anxin.services import embedding
from anxin.web.deps import CtxDep, InstitutionDep
from anxin.web.input_guard import Text
from anxin.web.problems import problems

router = APIRouter(prefix="/v1", tags=["institution API"])
AUTH = problems(s401=[Code.MISSING_API_KEY, Code.INVALID_API_KEY, Code.INSTITUTION_SUSPENDED])


class InstitutionPatch(BaseModel):
    """Members given replace the stored list; members absent keep it; [] clears it."""

    model_config = ConfigDict(extra="forbid")
    frame_ancestors: list[Text] | None = Field(None, max_length=embedding.MAX_ENTRIES,
                                               examples=[["https://app.bank.example"]],
                                               description=(
        "Origins (https://host[:port], no path) that may frame the signing pages of your "
        "authorizations; empty: none (frame-ancestors 'none')"))
    return_url_prefixes: list[Text] | None = Field(None, max_length=embedding.MAX_ENTRIES,
                                                   examples=[["https://app.bank.example/anxin/"]],
                                                   description=(
        "https URL prefixes that a request's return_url must start with"))


@router.get("/institution", responses=AUTH, summary="Your institution and its settings")
def get_institution(ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
    return embedding.get_settings(ctx, inst)


@router.patch("/institution", responses={**AUTH, **problems(s422=[Code.VALIDATION_FAILED])},
              summary="Set the embedding settings (frame_ancestors, return_url_prefixes)")
def patch_institution(body: InstitutionPatch, ctx: CtxDep,
                      inst: InstitutionDep) -> dict[str, Any]:
    return embedding.update_embedding(ctx, inst.id, frame_ancestors=body.frame_ancestors,
                                      return_url_prefixes=body.return_url_prefixes)
