"""Request dependencies: the services context and the calling institution."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

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
