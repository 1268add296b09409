"""``GET`` and ``PATCH /v1/institution``: the calling institution's own settings, today
those of embedding (``frame_ancestors``, ``return_url_prefixes``; anxin.services.embedding).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from anxin.error_codes import Code
from anxin.services import embedding
from anxin.web.api.schemas import Reply, Strict, Timestamp, Uuid
from anxin.web.deps import CtxDep, InstitutionDep
from anxin.web.input_guard import Text
from anxin.web.problems import problems

router = APIRouter(prefix="/v1", tags=["institution"])
# An origin or URL prefix: 1 to 2000 characters, no control character (then the
# embedding rules: https, an origin without a path, a prefix with one).
Entry = Annotated[Text, Field(min_length=1, max_length=2000)]

_EXAMPLE: dict[str, Any] = {"id": "7c1f7c3e-3f0f-4c47-9a55-8f5f6c2f0a11", "name": "Example Bank",
            "code": "91110000100000000X", "status": "active",
            "frame_ancestors": ["https://app.bank.example"],
            "return_url_prefixes": ["https://app.bank.example/anxin/"],
            "created_at": "2026-12-01T08:00:00+00:00"}


class InstitutionSettings(Reply):
    """Your institution and its embedding settings."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_EXAMPLE]})

    id: Uuid
    name: str
    code: str | None
    status: str = Field(examples=["active"])
    frame_ancestors: list[str] = Field(description=(
        "Origins that may frame your signing pages (CSP frame-ancestors)"))
    return_url_prefixes: list[str] = Field(description=(
        "Prefixes a request's return_url must start with"))
    created_at: Timestamp


class InstitutionPatch(Strict):
    """Members given replace the stored list; members absent keep it; [] clears it."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "frame_ancestors": ["https://app.bank.example"],
        "return_url_prefixes": ["https://app.bank.example/anxin/"]}]})
    frame_ancestors: list[Entry] | None = Field(None, max_length=embedding.MAX_ENTRIES,
                                               examples=[["https://app.bank.example"]],
                                               description=(
        "Origins (https://host[:port], no path) that may frame the signing pages of your "
        "authorizations; empty: none (frame-ancestors 'none')"))
    return_url_prefixes: list[Entry] | None = Field(None, max_length=embedding.MAX_ENTRIES,
                                                   examples=[["https://app.bank.example/anxin/"]],
                                                   description=(
        "https URL prefixes that a request's return_url must start with"))


@router.get("/institution", response_model=InstitutionSettings,
            summary="Your institution and its settings")
def get_institution(ctx: CtxDep, inst: InstitutionDep) -> dict[str, Any]:
    return embedding.get_settings(ctx, inst)


@router.patch("/institution", response_model=InstitutionSettings,
              responses=problems(s422=[Code.VALIDATION_FAILED]),
              summary="Set the embedding settings (frame_ancestors, return_url_prefixes)")
def update_institution(body: InstitutionPatch, ctx: CtxDep,
                       inst: InstitutionDep) -> dict[str, Any]:
    return embedding.update_embedding(ctx, inst.id, frame_ancestors=body.frame_ancestors,
                                      return_url_prefixes=body.return_url_prefixes)
