"""The verification report as a PDF a judge can read: zh-CN and en, the outcome in plain
words on page one, every check's technical detail after it. Issued by the platform, it is
signed by the platform seal and timestamped (PAdES B-T)."""

from __future__ import annotations

import io
from typing import Any

from asn1crypto import keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from fpdf import FPDF
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from anxin.asyncutil import run_coroutine
from anxin.evidence.report import (
    FAILED,
    INDETERMINATE,
    PASSED,
    TOTAL_FAILED,
    TOTAL_PASSED,
    Report,
)
from anxin.letters.font import CJK_FAMILY, attach_cjk_font, cjk_face
from anxin.letters.render import PrebuiltSubsetProducer, write_lines

WIDTH = 180.0
VERDICT = {
    TOTAL_PASSED: ("验证通过", "VERIFIED — TOTAL_PASSED",
                   "签署后文件未被改动；签名证书链至受信任的根证书并绑定本授权书；签署时间由可信时间戳确定；"
                   "相关事件均已记入防篡改账本。",
                   "The letter has not changed since it was signed; the signing certificate "
                   "chains to the trusted root and is bound to this very letter; the time of "
                   "signing is fixed by a trusted timestamp; every event is in the "
                   "tamper-evident ledger."),
    TOTAL_FAILED: ("验证失败", "FAILED — TOTAL_FAILED",
                   "至少一项检查未通过（见下文）：文件或记录在签署后被改动，或签名无效。",
                   "At least one check failed (see below): the document or a record was "
                   "changed after signing, or a signature is not valid."),
}
UNDETERMINED = ("无法确定", "INDETERMINATE",
                "无法得出结论：缺少受信任的根证书或验证所需的数据。这不是通过。",
                "No conclusion could be reached: a trust anchor or validation data is "
                "missing. This is not a pass.")
RESULT_WORDS = {PASSED: "通过 PASSED", FAILED: "失败 FAILED", INDETERMINATE: "未定 INDETERMINATE"}


class _ReportPDF(FPDF):
    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(CJK_FAMILY, size=8)
        self.cell(0, 6, f"第 {self.page_no()} / {{nb}} 页 · Page {self.page_no()} of {{nb}}",
                  align="C")


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(CJK_FAMILY, size=9)
    pdf.set_text_color(70, 70, 70)
    pdf.cell(52, 6, label)
    pdf.set_text_color(0, 0, 0)
    write_lines(pdf, value or "—", size=9, line_h=6, width=WIDTH - 52, x=pdf.l_margin + 52)


def render_report_pdf(report: Report, *, seal: tuple[Any, Any] | None = None) -> bytes:
    pdf = _ReportPDF(orientation="P", unit="mm", format="A4")
    attach_cjk_font(pdf, cjk_face())
    pdf.set_title("Digital Signature Verification Report")
    pdf.set_creator("Anxin")
    pdf.set_lang("zh-CN")
    pdf.alias_nb_pages()
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    write_lines(pdf, "数字签名验证报告", size=18, line_h=10, width=WIDTH, align="C")
    write_lines(pdf, "Digital Signature Verification Report", size=12, line_h=7, width=WIDTH,
                align="C")
    pdf.ln(4)
    zh, en, zh_text, en_text = VERDICT.get(report.indication, UNDETERMINED)
    color = {TOTAL_PASSED: (15, 107, 47), TOTAL_FAILED: (164, 22, 26)}.get(
        report.indication, (120, 80, 0))
    pdf.set_text_color(*color)
    write_lines(pdf, f"{zh} · {en}", size=16, line_h=9, width=WIDTH)
    if report.sub_indication:
        write_lines(pdf, f"Sub-indication: {report.sub_indication}", size=10, line_h=6,
                    width=WIDTH)
    pdf.set_text_color(0, 0, 0)
    write_lines(pdf, zh_text, size=10, line_h=6, width=WIDTH)
    write_lines(pdf, en_text, size=10, line_h=6, width=WIDTH)
    if report.failed_checks:
        write_lines(pdf, "未通过的检查 / Failed checks: " + ", ".join(report.failed_checks),
                    size=10, line_h=6, width=WIDTH)
    pdf.ln(3)
    f = report.facts
    for label, value in (
        ("授权编号 Authorization", report.authorization_id or "—"),
        ("验证对象 Subject", f"{report.subject} ({report.kind})"),
        ("签署人 Signer", str(f.get("signer") or "—")),
        ("签署时间 Signature time", str(f.get("signature_time") or "—")),
        ("用途 Purpose", str(f.get("purpose") or "—")),
        ("状态 Status", f"{f.get('status') or '—'}; uses {f.get('uses', '—')} of "
                        f"{f.get('max_uses', '—')}"),
        ("授权书 SHA-256", str(f.get("letter_sha256") or "—")),
        ("验证时间 Verified at", report.verified_at),
        ("验证程序 Verifier", report.verifier),
        ("信任锚 Trust anchor", report.trust_anchor),
    ):
        _row(pdf, label, value)
    pdf.ln(3)
    write_lines(pdf, "检查一览 / Checks", size=12, line_h=8, width=WIDTH)
    for c in report.checks:
        _row(pdf, RESULT_WORDS[c.result], c.title)
    pdf.add_page()
    write_lines(pdf, "技术细节 / Technical detail", size=13, line_h=8, width=WIDTH)
    write_lines(pdf, "Indications per ETSI TS 119 102-1/-2. Each check: what was checked and "
                "the result.", size=9, line_h=5.5, width=WIDTH)
    pdf.ln(2)
    for c in report.checks:
        pdf.set_text_color(0, 0, 0)
        write_lines(pdf, f"{c.title}  [{c.id}]", size=10.5, line_h=6.5, width=WIDTH)
        write_lines(pdf, f"{c.result}" + (f" / {c.sub_indication}" if c.sub_indication else ""),
                    size=9, line_h=5.5, width=WIDTH)
        write_lines(pdf, c.detail, size=9, line_h=5.5, width=WIDTH)
        pdf.ln(2)
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
            [asn1(pki.issuing_cert),
                                                         asn1(pki.root_cert)]))
    meta = signers.PdfSignatureMetadata(
        field_name="AnxinSeal", subfilter=fields.SigSeedSubFilter.PADES,
        reason="Anxin verification report", location="Anxin")
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = io.BytesIO()
    run_coroutine(lambda: signers.PdfSigner(meta, signer=signer, timestamper=timestamper)
                  .async_sign_pdf(writer, output=out))
    return out.getvalue()
