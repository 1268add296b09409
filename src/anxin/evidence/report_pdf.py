"""The verification report as a PDF a judge can read: zh-CN and en side by side, both
answers in plain words on page one (was the consent validly given and signed; what was
its status when the package was made), then the technical detail a court's expert needs
(:mod:`anxin.evidence.report_pdf_details`). Issued by the platform, it is signed by the
platform seal and timestamped (PAdES B-T)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from anxin.asyncutil import run_coroutine
from anxin.evidence.answers import first_answer, second_answer
from anxin.evidence.labels import purpose_text, scope_text, status_label
from anxin.evidence.policy import POLICY
from anxin.evidence.report import (
    FAILED,
    INDETERMINATE,
    PASSED,
    TOTAL_FAILED,
    TOTAL_PASSED,
    Report,
)
from anxin.evidence.report_pdf_completion import (
    ZONE_NOTE,
    render_completion,
    times_in_report_zone,
)
from anxin.evidence.report_pdf_details import (
    CHECK_TITLES_ZH,
    PROFILE_ZH,
    PROTECTS_ZH,
    detail_zh,
    render_details,
)
from anxin.letters.font import CJK_FAMILY, attach_cjk_font, cjk_face
from anxin.letters.render import PRODUCT_NAME, PrebuiltSubsetProducer, write_lines

WIDTH = 180.0
LABEL_W = 58.0
VERDICT = {
    TOTAL_PASSED: ("验证通过", "VERIFIED — TOTAL_PASSED"),
    TOTAL_FAILED: ("验证失败", "FAILED — TOTAL_FAILED"),
}
UNDETERMINED = ("无法确定", "INDETERMINATE")
RESULT_WORDS = {PASSED: "通过 / PASSED", FAILED: "失败 / FAILED",
                INDETERMINATE: "未定 / INDETERMINATE"}
COLORS = {TOTAL_PASSED: (15, 107, 47), TOTAL_FAILED: (164, 22, 26)}
STATUS_COLORS = {"active": (15, 107, 47), "revoked": (164, 22, 26)}


class _ReportPDF(FPDF):
    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(CJK_FAMILY, size=8)
        self.cell(0, 6, f"第 {self.page_no()} / {{nb}} 页 · Page {self.page_no()} of {{nb}}",
                  align="C")


def row(pdf: FPDF, label: str, value: str, *, size: float = 9) -> None:
    """One labelled line: the bilingual label on the left, the value wrapped beside it."""
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    page, y = pdf.page, pdf.get_y()
    pdf.set_text_color(70, 70, 70)
    write_lines(pdf, label, size=size, line_h=5.5, width=LABEL_W - 2)
    after_label = pdf.get_y()
    pdf.set_y(y)
    pdf.set_text_color(0, 0, 0)
    for paragraph in (times_in_report_zone(value) or "—").split("\n"):
        write_lines(pdf, paragraph, size=size, line_h=5.5, width=WIDTH - LABEL_W,
                    x=pdf.l_margin + LABEL_W)
    if pdf.page == page:
        pdf.set_y(max(pdf.get_y(), after_label))


def heading(pdf: FPDF, zh: str, en: str, *, size: float = 12) -> None:
    pdf.ln(2)
    pdf.set_text_color(0, 0, 0)
    write_lines(pdf, f"{zh} / {en}", size=size, line_h=size * 0.6, width=WIDTH)
    pdf.set_draw_color(180, 180, 180)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + WIDTH, pdf.get_y())
    pdf.ln(1.5)


def _answer(pdf: FPDF, title_zh: str, title_en: str, big: tuple[str, str],
            color: tuple[int, int, int], text: tuple[str, str]) -> None:
    heading(pdf, title_zh, title_en)
    pdf.set_text_color(*color)
    write_lines(pdf, f"{big[0]} · {big[1]}", size=15, line_h=8.5, width=WIDTH)
    pdf.set_text_color(0, 0, 0)
    write_lines(pdf, times_in_report_zone(text[0]), size=10, line_h=6, width=WIDTH)
    write_lines(pdf, times_in_report_zone(text[1]), size=10, line_h=6, width=WIDTH)


def _first_page(pdf: FPDF, report: Report) -> None:
    write_lines(pdf, "数字签名验证报告", size=18, line_h=10, width=WIDTH, align="C")
    write_lines(pdf, "Digital Signature Verification Report", size=12, line_h=7, width=WIDTH,
                align="C")
    write_lines(pdf, f"{POLICY.name_zh} / {POLICY.name} ({POLICY.id}, v{POLICY.version})",
                size=8, line_h=5, width=WIDTH, align="C")
    write_lines(pdf, ZONE_NOTE, size=8, line_h=5, width=WIDTH, align="C")
    if report.test:  # test mode: said first, in red
        pdf.set_text_color(200, 30, 30)
        write_lines(pdf, "TEST — no legal effect / 测试——不具法律效力 (test CA, "
                    "/pki/test/root.crt)", size=12, line_h=8, width=WIDTH, align="C")
        pdf.set_text_color(0, 0, 0)
    zh, en = VERDICT.get(report.indication, UNDETERMINED)
    _answer(pdf, "结论一：同意是否有效作出并签署", "Answer 1: was the consent validly given "
            "and signed?", (zh, en), COLORS.get(report.indication, (120, 80, 0)),
            first_answer(report))
    if report.sub_indication:
        write_lines(pdf, f"子指示 / Sub-indication: {report.sub_indication}", size=9,
                    line_h=5.5, width=WIDTH)
    if report.failed_checks:
        write_lines(pdf, "未通过的检查 / Failed checks: " + ", ".join(
            f"{CHECK_TITLES_ZH.get(c, c)} ({c})" for c in report.failed_checks),
            size=9, line_h=5.5, width=WIDTH)
    status = report.consent.status if report.consent else None
    _answer(pdf, "结论二：制作证据包时的授权状态", "Answer 2: its status at package time",
            tuple(status_label(status).split(" / ", 1)),  # type: ignore[arg-type]
            STATUS_COLORS.get(status or "", (120, 80, 0)), second_answer(report))
    heading(pdf, "要点", "Key facts")
    f, sig, anchor = report.facts, report.signature, report.trust_anchor
    uses = f"{f.get('uses', '—')} / {f.get('max_uses', '—')}"
    for label, value in (
        ("授权编号 / Authorization", report.authorization_id or "—"),
        ("验证对象 / Subject", f"{report.subject} ({report.kind})"),
        ("签署人 / Signer", str(f.get("signer") or "—")),
        ("用途 / Purpose", purpose_text(f.get("purpose"))),
        ("数据范围 / Data scope", scope_text(f.get("data_scope"))),
        ("已用次数 / Uses made", uses),
        ("签名格式与级别 / Format and level", sig.level if sig else "—"),
        ("可信签署时间 / Trusted signing time",
         f"{f.get('signature_time') or '—'} (时间戳机构 genTime / the TSA's genTime)"),
        ("服务器时间 / Server time", f"{f.get('signed_at') or '—'} (签署时 / at signing)"),
        ("最佳签名时间 / Best signature time", report.best_signature_time or "—"),
        ("验证时间 / Validation time", report.verified_at),
        ("信任锚 / Trust anchor", anchor.label()),
        ("授权书 SHA-256 / Letter SHA-256", str(f.get("letter_sha256") or "—")),
        ("验证程序 / Verifier", report.verifier),
    ):
        row(pdf, label, value)
    _algorithms(pdf, report)
    if not anchor.roots and anchor.claimed is not None:
        row(pdf, "所需信任锚 / Anchor needed",
            f"{anchor.claimed.subject}, SHA-256 {anchor.claimed.sha256} — 请从运营方公布的来源"
            "（<base>/pki/root.crt）获取根证书并比对指纹 / obtain the operator's published root "
            "(<base>/pki/root.crt) and compare its fingerprint")
    heading(pdf, "检查一览", "Checks")
    for c in report.checks:
        row(pdf, RESULT_WORDS[c.result], f"{CHECK_TITLES_ZH.get(c.id, c.id)} / {c.title}\n"
            f"{detail_zh(c)}\n{c.detail}", size=8.5)
    for n in report.not_applicable:
        row(pdf, "不适用 / N/A", f"{CHECK_TITLES_ZH.get(n['id'], n['id'])} / {n['title']}: "
            f"{n['reason']}")


def _algorithms(pdf: FPDF, report: Report) -> None:
    """The package's profile and which algorithms protect what (issue 14)."""
    if report.profile is None:
        return
    row(pdf, "签名配置 / Signature profile",
        f"{PROFILE_ZH.get(report.profile, report.profile)} / {report.profile}")
    for what, names in report.algorithms.items():
        row(pdf, f"算法：{PROTECTS_ZH.get(what, what)}", "; ".join(names))


def render_report_pdf(report: Report, *, seal: tuple[Any, Any] | None = None,
                      files: Mapping[str, bytes] | None = None) -> bytes:
    """The report; with the package's ``files`` it is also the certificate of completion
    (:mod:`anxin.evidence.report_pdf_completion`: the signing timeline, the letter's
    first page)."""
    pdf = _ReportPDF(orientation="P", unit="mm", format="A4")
    attach_cjk_font(pdf, cjk_face())
    pdf.set_title("Digital Signature Verification Report")
    pdf.set_creator(PRODUCT_NAME)
    pdf.set_lang("zh-CN")
    pdf.alias_nb_pages()
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    _first_page(pdf, report)
    if files is not None:
        pdf.add_page()
        render_completion(pdf, report, files, row=row, heading=heading, width=WIDTH)
    pdf.add_page()
    render_details(pdf, report, row=row, heading=heading, width=WIDTH)
    pdf.set_text_color(0, 0, 0)
    out = bytes(pdf.output(output_producer_class=PrebuiltSubsetProducer))
    return _seal(out, *seal) if seal is not None else out


def _seal(pdf: bytes, pki: Any, timestamper: Any) -> bytes:
    def asn1(cert: Any) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

    key = keys.PrivateKeyInfo.load(pki.seal_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    signer = signers.SimpleSigner(
        signing_cert=asn1(pki.seal_cert), signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs(  # type: ignore[no-untyped-call]
            [asn1(pki.issuing_cert), asn1(pki.root_cert)]))
    meta = signers.PdfSignatureMetadata(
        field_name="AnxinSeal", subfilter=fields.SigSeedSubFilter.PADES,
        reason="Anxin verification report", location="Anxin")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = io.BytesIO()
    run_coroutine(lambda: signers.PdfSigner(meta, signer=signer, timestamper=timestamper)
                  .async_sign_pdf(writer, output=out))
    return out.getvalue()
