"""Labels of purpose codes and data categories in the letter's locale (CONTRACT §5).

Codes added by configuration without a label are shown as their code.
"""

from __future__ import annotations

from collections.abc import Sequence

LOCALES = ("zh-CN", "en")

PURPOSE_LABELS: dict[str, dict[str, str]] = {
    "loan_approval": {"zh-CN": "贷款审批", "en": "loan approval"},
    "post_loan_management": {"zh-CN": "贷后管理", "en": "post-loan management"},
    "credit_card_approval": {"zh-CN": "信用卡审批", "en": "credit card approval"},
    "guarantee_qualification": {"zh-CN": "担保资格审查", "en": "guarantee qualification"},
    "account_opening": {"zh-CN": "开户", "en": "account opening"},
}

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "credit_report": {"zh-CN": "个人信用报告", "en": "credit report"},
    "credit_score": {"zh-CN": "信用评分", "en": "credit score"},
    "identity_verification": {"zh-CN": "身份核验信息", "en": "identity verification"},
    "income_verification": {"zh-CN": "收入核验信息", "en": "income verification"},
    "judicial_records": {"zh-CN": "司法记录", "en": "judicial records"},
}


def purpose_label(code: str, locale: str) -> str:
    return PURPOSE_LABELS.get(code, {}).get(locale, code)


def scope_labels(codes: Sequence[str], locale: str) -> tuple[str, ...]:
    return tuple(CATEGORY_LABELS.get(c, {}).get(locale, c) for c in codes)


def join_labels(labels: Sequence[str], locale: str) -> str:
    return ("、" if locale == "zh-CN" else ", ").join(labels)
