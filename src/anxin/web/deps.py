"""Request dependencies: the services context and the calling institution."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from anxin.services.context import Context
from anxin.services.institutions import InstitutionRef, authenticate


# The two dependencies below do no I/O, so they are ``async``: FastAPI runs a plain
# ``def`` dependency on the thread pool, a hop that costs more than their work.
async def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


CtxDep = Annotated[Context, Depends(get_ctx)]


async def get_api_key(authorization: Annotated[str | None, Header()] = None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    return None


ApiKey = Annotated[str | None, Depends(get_api_key)]


def get_institution(ctx: CtxDep, key: ApiKey) -> InstitutionRef:
    return authenticate(ctx, key)


InstitutionDep = Annotated[InstitutionRef, Depends(get_institution)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]


M = TypeVar("M", bound=BaseModel)


def validated_body(model: type[M], raw: bytes) -> M:
    """A JSON body validated against ``model`` by pydantic-core directly, with FastAPI's
    422 (the same errors, located under ``body``). For the hottest route only: the use
    gate cost 1.46 ms of CPU per call in-process with a FastAPI body parameter, 1.27 ms
    with this (minimum of 12 interleaved blocks of 300 calls, PostgreSQL)."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)],
            body=raw) from None
