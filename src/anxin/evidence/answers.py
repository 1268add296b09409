"""The two answers every report gives, in zh-CN and en, in plain words.

(1) Was the consent validly given and signed? That is the indication (TOTAL_PASSED,
TOTAL_FAILED, INDETERMINATE), whose meaning does not change. (2) What was its status when
the package was made? A revoked consent was still validly given; it no longer permits
use. Keeping the two apart is what stops a revoked consent from reading as "a pass".
"""

from __future__ import annotations

from anxin.evidence.labels import CHANNEL_LABELS, PARTY_LABELS, STATUS_LABELS
from anxin.evidence.report import (
    FAILED,
    INDETERMINATE,
    PASSED,
    TOTAL_FAILED,
    TOTAL_PASSED,
    Report,
)

_ONE = {
    TOTAL_PASSED: ("同意已有效作出并签署。",
                   "The consent was validly given and signed."),
    TOTAL_FAILED: ("不能依赖此同意：至少一项检查未通过（文件或记录被改动，或签名无效）。",
                   "The consent cannot be relied on: at least one check failed (a document "
                   "or record was changed, or a signature is not valid)."),
}
_ONE_UNDETERMINED = ("无法确定同意是否有效作出并签署（缺少受信任的根证书或验证数据）。这不是通过。",
                     "Whether the consent was validly given and signed could not be "
                     "established (a trust anchor or validation data is missing). This is "
                     "not a pass.")


def first_answer(report: Report) -> tuple[str, str]:
    return _ONE.get(report.indication, _ONE_UNDETERMINED)


def second_answer(report: Report) -> tuple[str, str]:
    c = report.consent
    if c is None or not c.status:
        return ("状态：仅凭授权书无法得知（证据包载明制作时的状态）。",
                "Status: not known from the letter alone (an evidence package states its "
                "status at package time).")
    zh_status, en_status = STATUS_LABELS.get(c.status, (c.status, c.status.upper()))
    if c.status == "revoked":
        when = c.revoked_at or c.status_changed_at or "—"
        pzh, pen = PARTY_LABELS.get(c.revoked_by or "", ("—", "an unknown party"))
        via_zh = via_en = ""
        if c.revoked_via:
            czh, cen = CHANNEL_LABELS.get(c.revoked_via, (c.revoked_via, c.revoked_via))
            via_zh, via_en = f"（经{czh}）", f" via {cen}"
        return (f"制作证据包时的状态：{zh_status}，于 {when} 由{pzh}{via_zh}撤销。",
                f"Status at package time: {en_status} at {when} by {pen}{via_en}.")
    uses = ""
    uses_zh = ""
    if c.uses is not None and c.max_uses is not None:
        uses, uses_zh = (f"; {c.uses} of {c.max_uses} uses made",
                         f"；已使用 {c.uses} / {c.max_uses} 次")
    since = c.status_changed_at or "—"
    return (f"制作证据包时的状态：{zh_status}（自 {since}）{uses_zh}。",
            f"Status at package time: {en_status} since {since}{uses}.")


def summary_lines(report: Report) -> list[str]:
    """The report as the terminal prints it: indication, the two answers, each check."""
    lines = [f"{report.indication}"
             + (f" / {report.sub_indication}" if report.sub_indication else "")
             + f"  {report.subject}"]
    if report.authorization_id:
        lines.append(f"authorization {report.authorization_id}")
    lines.append(first_answer(report)[1])
    lines.append(second_answer(report)[1])
    lines.append(f"trust anchor: {report.trust_anchor.label()}")
    for c in report.checks:
        mark = {PASSED: "ok  ", FAILED: "FAIL", INDETERMINATE: "??  "}[c.result]
        lines.append(f"  [{mark}] {c.title}: {c.detail}")
    return lines
