"""The public ``/verify`` page: anyone uploads a letter or an evidence package and gets the
verification report against this platform's root. Size-limited
(ANXIN_MAX_UPLOAD_BYTES); nothing is stored."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from anxin.error_codes import Code
from anxin.errors import AnxinError, ValidationFailed
from anxin.evidence.offline import anchor_label, verify_bytes
from anxin.evidence.sm_trust import from_asn1
from anxin.services.context import Context
from anxin.web.problems import problem_response, problems

router = APIRouter(tags=["verification"])


@router.get("/verify", response_class=HTMLResponse, include_in_schema=False)
def form(request: Request) -> HTMLResponse:
    return HTMLResponse(request.app.state.templates.get_template("verify.html").render(
        report=None, error=None))


@router.post("/verify", responses=problems(s413=[Code.PAYLOAD_TOO_LARGE],
                                           s422=[Code.UNREADABLE_INPUT]),
             summary="Verify an uploaded letter (PDF) or evidence package (ZIP)")
async def verify(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    ctx: Context = request.app.state.ctx
    # The whole body is bounded by ANXIN_MAX_UPLOAD_BYTES before it is read
    # (anxin.web.body_limit); the file inside it is bounded the same.
    limit = ctx.settings.max_upload_bytes
    data = await file.read(limit + 1)
    wants_json = "application/json" in request.headers.get("accept", "")
    if len(data) > limit:
        return problem_response(413, Code.PAYLOAD_TOO_LARGE, "Content too large",
                                f"uploads are limited to {limit} bytes", limit=limit)
    roots = [ctx.pki.root_cert]
    if ctx.sm2 is not None:  # sm, dual: the SM2 root too (anxin verify in a data directory)
        roots.append(from_asn1(ctx.sm2.pki.root_cert))
    try:
        report = await run_in_threadpool(
            verify_bytes, data, file.filename or "upload", roots,
            anchor_label(roots, "this platform's root"))
    except AnxinError as exc:
        if exc.code != Code.UNREADABLE_INPUT and not isinstance(exc, ValidationFailed):
            raise
        if wants_json:
            return problem_response(422, Code.UNREADABLE_INPUT, "Unprocessable content",
                                    exc.detail)
        return HTMLResponse(request.app.state.templates.get_template("verify.html").render(
            report=None, error=exc.detail), status_code=422)
    if wants_json:
        return JSONResponse(report.as_dict())
    from anxin.evidence.answers import first_answer, second_answer
    return HTMLResponse(request.app.state.templates.get_template("verify.html").render(
        report=report, error=None, answers=(first_answer(report), second_answer(report))))
