"""The report PDF as a certificate of completion (issue 15): the signing's timeline, step by
step with its time, client IP, user agent and the identity checks passed, and the letter's
first page as an image; plus the one time zone every time of the report is written in.

The timeline is read from the evidence package's own files (``authorization.json``,
``identity/sms.json``, ``identity/passkey.json``, the ledger's status history), so it says
exactly what the package holds; the report's checks say whether those files are intact.
The trusted signing time is the signature timestamp's genTime (the TSA's), which is not
inside the signed revision; the stamp on the letter shows the server's time.

>>> in_report_zone("2026-11-28T09:00:00.123456+00:00")
'2026-11-28 17:00:00 (UTC+8)'
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fpdf import FPDF

from anxin.evidence.labels import status_label
from anxin.evidence.report import Report
from anxin.letters.render import write_lines

REPORT_TZ = dt.timezone(dt.timedelta(hours=8))
ZONE_NOTE = ("本报告所有时间均为北京时间（UTC+8），精确到秒。 / "
             "All times in this report are China Standard Time (UTC+8), to the second.")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?")
Row = Callable[..., None]
Heading = Callable[..., None]


def in_report_zone(moment: str | dt.datetime | None) -> str:
    """One instant written in the report's zone (UTC+8, seconds); "—" when unknown.
    A time without a zone is taken as UTC (the platform stores UTC)."""
    if moment is None or moment == "":
        return "—"
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            return str(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return f"{moment.astimezone(REPORT_TZ):%Y-%m-%d %H:%M:%S} (UTC+8)"


def times_in_report_zone(text: str) -> str:
    """``text`` with every ISO 8601 instant in it rewritten by :func:`in_report_zone`."""
    return _ISO.sub(lambda m: in_report_zone(m.group(0)), text)


@dataclass(frozen=True)
class Step:
    """One step of the signing as the package records it."""

    zh: str
    en: str
    at: str | None
    client_ip: str | None = None
    user_agent: str | None = None
    checks: tuple[str, ...] = ()


def _json(files: Mapping[str, bytes], name: str) -> dict[str, Any]:
    try:
        value = json.loads(files[name])
    except (KeyError, ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def signing_timeline(files: Mapping[str, bytes], report: Report) -> list[Step]:
    """The steps, in order of time, from the package's files."""
    record = _json(files, "authorization.json")
    sms = _json(files, "identity/sms.json")
    passkey = _json(files, "identity/passkey.json")
    signing = record.get("signing") if isinstance(record.get("signing"), dict) else {}
    assert isinstance(signing, dict)
    ip, ua = sms.get("client_ip") or signing.get("client_ip"), (
        sms.get("user_agent") or signing.get("user_agent"))
    mobile = sms.get("mobile_masked") or "—"
    steps = [Step("机构发起授权请求", "The institution requested the authorization",
                  record.get("created_at"))]
    for sent in sms.get("codes_sent_at") or []:
        steps.append(Step(f"短信验证码已发送至 {mobile}", f"SMS code sent to {mobile}", sent))
    checks = ["已阅读并确认授权书全文 / read and confirmed the full letter",
              f"短信验证码正确（{mobile}） / SMS code correct ({mobile})"]
    if passkey:
        checks.append("通行密钥断言通过（WebAuthn） / passkey assertion verified (WebAuthn)")
    steps.append(Step("身份核验通过", "Identity checks passed",
                      sms.get("code_verified_at") or signing.get("otp_verified_at"), ip, ua,
                      tuple(checks)))
    steps.append(Step("授权书已签署（服务器时间）", "Letter signed (server time)",
                      record.get("signed_at"), ip, ua))
    trusted = report.facts.get("signature_time")
    if trusted:
        steps.append(Step("可信签署时间（时间戳机构 genTime）",
                          "Trusted signing time (the TSA's genTime)", str(trusted)))
    for entry in record.get("status_history") or []:
        if isinstance(entry, dict) and entry.get("status") not in (None, "pending", "active"):
            zh, _, en = status_label(str(entry["status"])).partition(" / ")
            steps.append(Step(f"状态变为：{zh}", f"Status became: {en or zh}", entry.get("at")))
    return sorted(steps, key=_sort_key)


def _sort_key(step: Step) -> str:
    if not step.at:
        return "9999"
    try:
        return dt.datetime.fromisoformat(step.at.replace("Z", "+00:00")).astimezone(
            dt.UTC).isoformat()
    except ValueError:
        return step.at


def render_completion(pdf: FPDF, report: Report, files: Mapping[str, bytes], *, row: Row,
                      heading: Heading, width: float) -> None:
    """The certificate of completion: timeline, then the letter's first page."""
    heading(pdf, "签署完成证明：签署过程", "Certificate of completion: the signing timeline",
            size=13)
    write_lines(pdf, ZONE_NOTE, size=8.5, line_h=5, width=width)
    for n, step in enumerate(signing_timeline(files, report), start=1):
        row(pdf, f"{n}. {in_report_zone(step.at)}", f"{step.zh} / {step.en}", size=9.5)
        if step.client_ip or step.user_agent:
            row(pdf, "客户端 IP / Client IP", step.client_ip or "—", size=8.5)
            row(pdf, "浏览器 / User agent", step.user_agent or "—", size=8.5)
        for check in step.checks:
            row(pdf, "核验 / Check", check, size=8.5)
        pdf.ln(1)
    if "letter.pdf" in files:
        _letter_image(pdf, files["letter.pdf"], heading, width)


def _letter_image(pdf: FPDF, letter: bytes, heading: Heading, width: float) -> None:
    """The first page of the signed letter, rasterised (pdfium) and framed."""
    import pypdfium2 as pdfium  # the one rasteriser: only the report needs it

    try:
        document = pdfium.PdfDocument(letter)
        image = document[0].render(scale=150 / 72).to_pil()
    except pdfium.PdfiumError:
        heading(pdf, "授权书第一页", "The letter's first page")
        write_lines(pdf, "无法显示 / could not be shown", size=9, line_h=5, width=width)
        return
    pdf.add_page()
    heading(pdf, "授权书第一页（图像，仅供阅读；以签名的 PDF 为准）",
            "The letter's first page (an image for reading; the signed PDF is authoritative)")
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="PNG", optimize=True)
    room = pdf.h - pdf.get_y() - 24
    w = min(width * 0.8, room * image.width / image.height)
    x = pdf.l_margin + (width - w) / 2
    pdf.image(buffer, x=x, y=pdf.get_y() + 1, w=w)
    pdf.set_draw_color(150, 150, 150)
    pdf.rect(x, pdf.get_y() + 1, w, w * image.height / image.width)
