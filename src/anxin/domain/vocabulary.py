"""Labels of purpose codes and data categories in the letter's locale (CONTRACT §5), and
each purpose's query reason at the credit bureau (征信查询原因).

The purpose codes are the credit bureau's query reasons (贷款审批, 贷后管理, 信用卡审批,
担保资格审查, 保前审查, 资信审查, 特约商户实名审查, 异议核查), plus ``account_opening``,
which has none. A deployment adds its own purposes in ``anxin.toml``: the code in
``purposes`` and its words in a ``[purpose_labels.<code>]`` table (``zh-CN``, ``en``,
``bureau_reason``), passed here as ``configured``; a configured entry also overrides a
default's words. Codes without a label are shown as their code.

>>> bureau_reason("post_loan_management")
'贷后管理'
>>> purpose_label("car_loan", "en", {"car_loan": {"en": "car loan", "zh-CN": "车贷"}})
'car loan'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

LOCALES = ("zh-CN", "en")

PURPOSE_LABELS: dict[str, dict[str, str]] = {
    "loan_approval": {"zh-CN": "贷款审批", "en": "loan approval"},
    "post_loan_management": {"zh-CN": "贷后管理", "en": "post-loan management"},
    "credit_card_approval": {"zh-CN": "信用卡审批", "en": "credit card approval"},
    "guarantee_qualification": {"zh-CN": "担保资格审查", "en": "guarantee qualification"},
    "account_opening": {"zh-CN": "开户", "en": "account opening"},
    "pre_insurance_review": {"zh-CN": "保前审查", "en": "pre-insurance review"},
    "creditworthiness_review": {"zh-CN": "资信审查", "en": "creditworthiness review"},
    "merchant_real_name_review": {"zh-CN": "特约商户实名审查",
                                  "en": "merchant real-name review"},
    "dispute_verification": {"zh-CN": "异议核查", "en": "dispute verification"},
}
# The credit bureau's query reason of each purpose (None: not a bureau query reason).
BUREAU_REASONS: dict[str, str | None] = {
    "loan_approval": "贷款审批", "post_loan_management": "贷后管理",
    "credit_card_approval": "信用卡审批", "guarantee_qualification": "担保资格审查",
    "account_opening": None, "pre_insurance_review": "保前审查",
    "creditworthiness_review": "资信审查", "merchant_real_name_review": "特约商户实名审查",
    "dispute_verification": "异议核查",
}
LABEL_KEYS = ("zh-CN", "en", "bureau_reason")

CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "credit_report": {"zh-CN": "个人信用报告", "en": "credit report"},
    "credit_score": {"zh-CN": "信用评分", "en": "credit score"},
    "identity_verification": {"zh-CN": "身份核验信息", "en": "identity verification"},
    "income_verification": {"zh-CN": "收入核验信息", "en": "income verification"},
    "judicial_records": {"zh-CN": "司法记录", "en": "judicial records"},
}


def purpose_label(code: str, locale: str,
                  configured: Mapping[str, Mapping[str, str]] | None = None) -> str:
    if configured and locale in configured.get(code, {}):
        return configured[code][locale]
    return PURPOSE_LABELS.get(code, {}).get(locale, code)


def bureau_reason(code: str, configured: Mapping[str, Mapping[str, str]] | None = None
                  ) -> str | None:
    """The credit bureau's query reason of a purpose, or None."""
    if configured and "bureau_reason" in configured.get(code, {}):
        return configured[code]["bureau_reason"]
    return BUREAU_REASONS.get(code)


def scope_labels(codes: Sequence[str], locale: str) -> tuple[str, ...]:
    return tuple(CATEGORY_LABELS.get(c, {}).get(locale, c) for c in codes)


def join_labels(labels: Sequence[str], locale: str) -> str:
    return ("、" if locale == "zh-CN" else ", ").join(labels)
