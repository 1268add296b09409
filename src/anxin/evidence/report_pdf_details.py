"""The detail pages of the report PDF, each label in zh-CN and en: the validation policy,
the signature (format, level, scope, digest), the trust anchor, every certificate with its
revocation status and source, every timestamp and its TSA, every validation object with
its proof of existence, the status history, each check and the warnings."""

from __future__ import annotations

from collections.abc import Callable

from fpdf import FPDF

from anxin.evidence.labels import status_label
from anxin.evidence.policy import POLICY
from anxin.evidence.report import CheckResult, Report
from anxin.evidence.report_pdf_completion import times_in_report_zone
from anxin.letters.render import write_lines

CHECK_TITLES_ZH = {
    "trust_anchor": "信任锚", "manifest_files": "证据包清单（每个文件的 SHA-256）",
    "manifest_signature": "清单签名（平台印章，带时间戳）", "document_integrity": "文件完整性",
    "signature_value": "签名值", "signer_certificate_chain": "签名证书链",
    "letter_text": "授权书文本及其声明的哈希", "letter_binding": "授权书文本及其声明的哈希",
    "event_certificate_binding": "事件证书绑定",
    "event_certificate": "事件证书：身份、承诺与授权书绑定",
    "signature_timestamp": "签名时间（RFC 3161 时间戳）",
    "document_timestamp": "文档时间戳（B-LTA）",
    "timestamp_token": "签名时间戳令牌", "letter_passkey": "授权书内的通行密钥断言",
    "passkey_assertion": "通行密钥断言（WebAuthn）", "checkpoint_signature": "账本检查点签名",
    "ledger_inclusion": "账本：每个条目包含于已签名检查点", "sms_evidence": "短信验证记录",
    "package_profile": "证据包的签名配置",
    "sm2_manifest_files": "证据包清单（每个文件的 SM3）",
    "sm2_manifest_signature": "清单 SM2 签名（平台 SM2 印章，带时间戳）",
    "sm2_letter_signature": "授权书 SM2 签名（GB/T 35275，SM2 事件证书）",
    "sm2_signature_timestamp": "SM2 签名时间戳（SM3 摘要，SM2 时间戳机构）",
    "sm2_revocation": "SM2 事件证书状态（SM2 CRL / OCSP）",
    "sm2_archive_timestamp": "SM2 文档时间戳（字节范围的 SM3）",
    "sm2_checkpoint_signature": "账本检查点 SM2 签名",
    "ledger_leaves_sm3": "账本条目的 SM3 摘要",
    "consent_receipt": "同意回执（平台印章签名，与授权记录一致）",
}
RESULT_ZH = {"PASSED": "通过", "FAILED": "未通过", "INDETERMINATE": "无法确定"}


def detail_zh(check: CheckResult) -> str:
    """The check's outcome in Chinese: what was checked and its result; the English detail
    (the verifier's own words, with the values found) follows it in the report."""
    title = CHECK_TITLES_ZH.get(check.id, check.title)
    outcome = RESULT_ZH.get(check.result, check.result)
    if check.result == "PASSED":
        return f"已核验“{title}”：{outcome}。"
    extra = f"（{check.sub_indication}）" if check.sub_indication else ""
    return f"已核验“{title}”：{outcome}{extra}；所见情况见下方英文说明。"


PROFILE_ZH = {"intl": "国际算法（ECDSA P-256 / SHA-256）", "sm": "国密（SM2 / SM3）",
              "dual": "双算法（国际 + 国密）"}
PROTECTS_ZH = {"letter": "授权书 / letter", "manifest": "清单 / manifest",
               "timestamps": "时间戳 / timestamps", "receipts": "回执 / receipts",
               "checkpoints": "账本检查点 / checkpoints", "leaves": "账本条目 / leaves"}
ROLES_ZH = {
    "signer (event certificate)": "签署人（事件证书）", "issuing CA": "签发 CA",
    "root CA (trust anchor)": "根 CA（信任锚）",
    "root CA (claimed, untrusted)": "根 CA（包内声明，未受信任）",
    "timestamping authority (TSA)": "时间戳机构（TSA）", "platform seal": "平台印章",
    "other": "其他",
}
TYPES_ZH = {"certificate": "证书 / certificate", "crl": "证书吊销列表 / CRL",
            "ocsp_response": "OCSP 响应 / OCSP response", "timestamp": "时间戳 / timestamp",
            "signed_data": "签名数据 / signed data"}

Row = Callable[..., None]
Heading = Callable[..., None]


def render_details(pdf: FPDF, report: Report, *, row: Row, heading: Heading,
                   width: float) -> None:
    heading(pdf, "技术细节", "Technical details", size=13)
    write_lines(pdf, "指示按 ETSI TS 119 102-1/-2；XML 报告（report.xml）符合 "
                "ETSI TS 119 102-2。 / "
                "Indications per ETSI TS 119 102-1/-2; the XML report (report.xml) follows "
                "ETSI TS 119 102-2.", size=8.5, line_h=5, width=width)
    _policy(pdf, row, heading, width)
    _signature(pdf, report, row, heading)
    _anchor(pdf, report, row, heading)
    _certificates(pdf, report, row, heading)
    _timestamps(pdf, report, row, heading)
    _objects(pdf, report, row, heading)
    _history(pdf, report, row, heading)
    _checks(pdf, report, heading, width)
    heading(pdf, "警告", "Warnings")
    for w in report.warnings or ["无 / none"]:
        write_lines(pdf, times_in_report_zone(w), size=8.5, line_h=5, width=width)


def _policy(pdf: FPDF, row: Row, heading: Heading, width: float) -> None:
    heading(pdf, "验证策略", "Validation policy")
    row(pdf, "名称 / Name", f"{POLICY.name_zh} / {POLICY.name}")
    row(pdf, "标识与版本 / Id and version", f"{POLICY.id}, version {POLICY.version}")
    for n, (zh, en) in enumerate(POLICY.rules, start=1):
        write_lines(pdf, f"{n}. {zh}", size=8.5, line_h=5, width=width)
        write_lines(pdf, f"   {en}", size=8.5, line_h=5, width=width)


def _signature(pdf: FPDF, report: Report, row: Row, heading: Heading) -> None:
    sig = report.signature
    heading(pdf, "签名", "Signature")
    if sig is None:
        row(pdf, "签名 / Signature", "无法读取 / could not be read")
        return
    for label, value in (
        ("格式与级别 / Format and level", f"{sig.level} ({sig.format})"),
        ("级别依据 / Basis of the level", "; ".join(sig.level_basis)),
        ("签名域 / Signature field", sig.field_name),
        ("SubFilter", sig.sub_filter),
        ("签名范围 / Signature scope", sig.scope),
        ("字节范围 / Byte range", " ".join(str(n) for n in sig.byte_range)),
        ("被签名字节 SHA-256 / SHA-256 of the signed bytes", sig.signed_bytes_sha256),
        ("签名修订版 SHA-256 / SHA-256 of the signed revision", sig.revision_sha256),
        ("摘要与签名算法 / Digest and signature algorithms",
         f"{sig.digest_algorithm}, {sig.signature_algorithm}"),
        ("最佳签名时间 / Best signature time",
         f"{sig.best_signature_time or '—'} (签名时间戳 genTime / the signature timestamp's "
         "genTime)"),
        ("验证时间 / Validation time", report.verified_at),
        ("文档时间戳数 / Document timestamps", str(sig.document_timestamps)),
    ):
        row(pdf, label, value)


def _anchor(pdf: FPDF, report: Report, row: Row, heading: Heading) -> None:
    anchor = report.trust_anchor
    heading(pdf, "信任锚", "Trust anchor")
    if not anchor.roots:
        row(pdf, "受信任的根 / Trusted root", f"无 / none ({anchor.source})")
    for r in anchor.roots:
        row(pdf, "受信任的根 / Trusted root", r.subject)
        row(pdf, "SHA-256 指纹 / fingerprint", r.sha256)
        row(pdf, "来源 / Source", r.source)
    if anchor.claimed is not None:
        note = ("与受信任的根相同 / the same as the trusted root" if anchor.claimed_is_trusted
                else "不被信任，仅供比对 / not trusted, shown for comparison")
        row(pdf, "文件声明的根 / Root the input claims",
            f"{anchor.claimed.subject}, SHA-256 {anchor.claimed.sha256} ({note})")


def _certificates(pdf: FPDF, report: Report, row: Row, heading: Heading) -> None:
    inv = report.inventory
    heading(pdf, "证书", "Certificates")
    for c in inv.certificates if inv is not None else ():
        row(pdf, "角色 / Role", f"{ROLES_ZH.get(c.role, c.role)} / {c.role}", size=9.5)
        row(pdf, "主体 / Subject", c.subject, size=8.5)
        row(pdf, "签发者 / Issuer", c.issuer, size=8.5)
        row(pdf, "序列号 / Serial", c.serial, size=8.5)
        row(pdf, "有效期 / Validity", f"{c.not_before} — {c.not_after}", size=8.5)
        row(pdf, "SHA-256 指纹 / fingerprint", c.sha256, size=8.5)
        row(pdf, "吊销状态 / Revocation status", c.revocation_summary, size=8.5)
        pdf.ln(1.5)


def _timestamps(pdf: FPDF, report: Report, row: Row, heading: Heading) -> None:
    inv = report.inventory
    heading(pdf, "时间戳", "Timestamps")
    for t in inv.timestamps if inv is not None else ():
        row(pdf, "类型 / Kind", f"{t.kind} [{t.id}]", size=9)
        row(pdf, "时间 / genTime", t.gen_time, size=8.5)
        row(pdf, "时间戳机构 / TSA", t.tsa, size=8.5)
        row(pdf, "覆盖 / Covers", t.covers, size=8.5)
        pdf.ln(1)


def _objects(pdf: FPDF, report: Report, row: Row, heading: Heading) -> None:
    inv = report.inventory
    heading(pdf, "验证对象及其存在证明", "Validation objects and their proofs of existence")
    for o in inv.objects if inv is not None else ():
        poe = (f"{o.poe.time} — {o.poe.label} [{o.poe.by}]" if o.poe is not None
               else "无 / none")
        row(pdf, TYPES_ZH.get(o.type, o.type), f"{o.label} [{o.id}]", size=8.5)
        row(pdf, "SHA-256", o.sha256, size=8)
        row(pdf, "来源 / Found in", ", ".join(o.sources), size=8)
        row(pdf, "存在证明 / Proof of existence", poe, size=8)
        pdf.ln(1)


def _history(pdf: FPDF, report: Report, row: Row, heading: Heading) -> None:
    c = report.consent
    heading(pdf, "授权状态历史", "Status history")
    if c is None or not c.history:
        row(pdf, "状态 / Status", status_label(c.status if c else None))
        return
    for status, at in c.history:
        row(pdf, status_label(status), at)
    if c.package_time:
        row(pdf, "制作证据包时间 / Package made", c.package_time)


def _checks(pdf: FPDF, report: Report, heading: Heading, width: float) -> None:
    heading(pdf, "各项检查", "Each check")
    for c in report.checks:
        write_lines(pdf, f"{CHECK_TITLES_ZH.get(c.id, c.id)} / {c.title}  [{c.id}]", size=10,
                    line_h=6, width=width)
        write_lines(pdf, f"{RESULT_ZH.get(c.result, c.result)} / {c.result}"
                    + (f" / {c.sub_indication}" if c.sub_indication else ""),
                    size=9, line_h=5.5, width=width)
        write_lines(pdf, detail_zh(c), size=8.5, line_h=5, width=width)
        write_lines(pdf, times_in_report_zone(c.detail), size=8.5, line_h=5, width=width)
        pdf.ln(1.5)
