"""Passkey endpoints behind the signing link.

- ``POST /s/<token>/passkey/register/options``  ``{"otp"}`` → creation options
- ``POST /s/<token>/passkey/register/verify``   ``{"challenge_id", "credential"}`` → 201
- ``POST /s/<token>/passkey/assertion/options`` ``{"otp"}`` → request options whose
  challenge commits to the letter (``registered: 0`` when the subject has none yet)

The assertion itself travels with ``POST /s/<token>/sign`` as its ``passkey`` member
(``{"challenge_id", "credential"}``), checked by the signing use case through its
``ctx.passkey_check`` port (chosen in :mod:`anxin.bootstrap`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from anxin.error_codes import Code
from anxin.services import passkey_signing
from anxin.web.deps import CtxDep
from anxin.web.input_guard import read_json_object
from anxin.web.problems import problems

router = APIRouter(tags=["signing page"])

_OTP_REFUSALS = problems(
    s404=[Code.SIGNING_LINK_INVALID], s409=[Code.AUTHORIZATION_NOT_PENDING, Code.OTP_LOCKED],
    s422=[Code.OTP_INVALID])


async def _json(request: Request) -> dict[str, Any]:
    return await read_json_object(request)


@router.post("/s/{token}/passkey/register/options", responses=_OTP_REFUSALS,
             summary="Options to register a passkey (needs the current SMS code)")
async def register_options(token: str, request: Request, ctx: CtxDep) -> JSONResponse:
    data = await _json(request)
    out = await run_in_threadpool(passkey_signing.registration_options, ctx, token,
                                  data.get("otp"))
    return JSONResponse(out, headers={"Cache-Control": "no-store"})


@router.post("/s/{token}/passkey/register/verify", status_code=201, responses=problems(
    s404=[Code.SIGNING_LINK_INVALID], s409=[Code.AUTHORIZATION_NOT_PENDING,
                                         Code.PASSKEY_ALREADY_REGISTERED],
    s422=[Code.PASSKEY_INVALID]), summary="Register the new passkey")
async def register_verify(token: str, request: Request, ctx: CtxDep) -> JSONResponse:
    data = await _json(request)
    out = await run_in_threadpool(passkey_signing.register, ctx, token, data)
    return JSONResponse(out, status_code=201)


@router.post("/s/{token}/passkey/assertion/options", responses=_OTP_REFUSALS,
             summary="Options for the letter-bound passkey assertion (needs the SMS code)")
async def assertion_options(token: str, request: Request, ctx: CtxDep) -> JSONResponse:
    data = await _json(request)
    out = await run_in_threadpool(passkey_signing.assertion_options, ctx, token,
                                  data.get("otp"))
    return JSONResponse(out, headers={"Cache-Control": "no-store"})
