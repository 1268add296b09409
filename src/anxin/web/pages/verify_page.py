"""The public ``/verify`` page: anyone uploads a letter or an evidence package and gets the
verification report against this platform's root. Size-limited
(ANXIN_MAX_UPLOAD_BYTES); nothing is stored."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from anxin.error_codes import Code
from anxin.errors import AnxinError, ValidationFailed
from anxin.evidence.offline import anchor_label, verify_bytes
from anxin.evidence.report import Report
from anxin.evidence.report_pdf import render_report_pdf
from anxin.evidence.report_pdf_completion import in_report_zone, times_in_report_zone
from anxin.evidence.report_pdf_details import CHECK_TITLES_ZH, detail_zh
from anxin.evidence.sm_trust import from_asn1
from anxin.services.context import Context
from anxin.web.problems import problem_response, problems

router = APIRouter(tags=["verification"])


RESULT_WORDS = {"PASSED": "通过 / Passed", "FAILED": "未通过 / Failed",
                "INDETERMINATE": "无法确定 / Indeterminate"}


def _page(request: Request, **values: Any) -> str:
    """verify.html with the helpers it writes checks and times with."""
    values.setdefault("letter_id", None)
    return str(request.app.state.templates.get_template("verify.html").render(
        titles_zh=CHECK_TITLES_ZH, detail_zh=detail_zh, result_words=RESULT_WORDS,
        zone=in_report_zone, zone_text=times_in_report_zone, **values))


@router.get("/verify", response_class=HTMLResponse, include_in_schema=False)
def form(request: Request, id: str | None = None) -> HTMLResponse:
    # ``id``: the letter's id from its QR code (letters/qr.py), shown, never looked up.
    letter_id = id[:100] if id and id.isprintable() else None
    return HTMLResponse(_page(request, report=None, error=None, letter_id=letter_id))


@router.post("/verify/report.pdf", responses=problems(s413=[Code.PAYLOAD_TOO_LARGE],
                                                      s422=[Code.UNREADABLE_INPUT]),
             summary="Verify an uploaded letter or evidence package; the report as PDF")
async def report_pdf(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    """The same verification as ``POST /verify``, answered with the report PDF (sealed by
    the platform's seal where the profile has the intl seal)."""
    outcome = await _verify_upload(request, file)
    if isinstance(outcome, Response):
        return outcome
    ctx: Context = request.app.state.ctx
    seal = (ctx.pki, ctx.timestamper) if ctx.profile.has_intl else None
    pdf = await run_in_threadpool(lambda: render_report_pdf(outcome, seal=seal))
    # The id comes from the uploaded file: only its safe characters name the download.
    safe = re.sub(r"[^A-Za-z0-9_-]", "", outcome.authorization_id or "")[:64]
    name = f"{safe or 'verification'}-report.pdf"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/verify", responses=problems(s413=[Code.PAYLOAD_TOO_LARGE],
                                           s422=[Code.UNREADABLE_INPUT]),
             summary="Verify an uploaded letter (PDF) or evidence package (ZIP)")
async def verify(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    outcome = await _verify_upload(request, file)
    if isinstance(outcome, Response):
        return outcome
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse(outcome.as_dict())
    from anxin.evidence.answers import first_answer, second_answer
    return HTMLResponse(_page(request, report=outcome, error=None,
                              answers=(first_answer(outcome), second_answer(outcome))))


async def _verify_upload(request: Request, file: UploadFile) -> Report | Response:
    """The upload's report, or the error answer (413; 422 as problem+json or the page)."""
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
        return HTMLResponse(_page(request, report=None, error=exc.detail), status_code=422)
    return report
