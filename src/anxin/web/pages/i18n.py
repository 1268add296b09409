"""Strings of the person-facing pages, in zh-CN and en."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "lang": "zh-CN", "app": "安心授权", "title": "个人信息查询授权书",
        "key_terms": "授权要点", "institution": "被授权机构", "purpose": "用途",
        "scope": "数据范围", "validity": "有效期", "uses": "可使用次数",
        "uses_n": "{n} 次", "until": "至", "letter": "授权书全文",
        "letter_hash": "授权书 SHA-256", "read_confirm": "我已完整阅读并理解上述授权书",
        "mobile": "验证码将发送至", "send_code": "获取短信验证码",
        "resend_in": "{s} 秒后可重新发送",
        "code_label": "短信验证码（6 位数字）", "sign": "确认签署", "decline": "拒绝授权",
        "decline_confirm": "确定拒绝这份授权吗？", "signed": "已签署：授权已生效。",
        "declined": "您已拒绝这份授权。", "cancelled": "机构已撤回这份授权申请。",
        "lapsed": "这份授权申请已过期，不能再签署。", "active": "这份授权书已签署，正在生效。",
        "exhausted": "这份授权的使用次数已用完。", "expired": "这份授权已到期。",
        "revoked": "这份授权已被撤销。", "locked": "验证码错误次数过多，此申请已锁定。",
        "code_sent": "验证码已发送。", "passkey_label": "同时使用通行密钥（指纹/面容）确认",
        "passkey_required": "此授权书需要通行密钥（指纹/面容）确认。",
        "download": "下载已签署的授权书 (PDF)", "switch": "English",
        "error": "出错了：", "expires": "签署截止",
    },
    "en": {
        "lang": "en", "app": "Anxin", "title": "Authorization to query personal data",
        "key_terms": "Key terms", "institution": "Institution", "purpose": "Purpose",
        "scope": "Data scope", "validity": "Valid", "uses": "Number of uses",
        "uses_n": "{n}", "until": "until", "letter": "Full letter",
        "letter_hash": "Letter SHA-256",
        "read_confirm": "I have read the whole letter and understand it",
        "mobile": "The code goes to", "send_code": "Send me a code by SMS",
        "resend_in": "New code in {s} s", "code_label": "SMS code (6 digits)",
        "sign": "Sign", "decline": "Decline", "decline_confirm": "Decline this authorization?",
        "signed": "Signed: the authorization is now active.",
        "declined": "You declined this authorization.",
        "cancelled": "The institution withdrew this request.",
        "lapsed": "This request has expired and can no longer be signed.",
        "active": "This letter is signed and in force.",
        "exhausted": "All uses of this authorization are spent.",
        "expired": "This authorization has expired.",
        "revoked": "This authorization was revoked.",
        "locked": "Too many wrong codes: this request is locked.",
        "code_sent": "Code sent.",
        "passkey_label": "Also confirm with a passkey (fingerprint/face)",
        "passkey_required": "This letter must be confirmed with a passkey (fingerprint/face).",
        "download": "Download the signed letter (PDF)", "switch": "中文",
        "error": "Error: ", "expires": "Sign before",
    },
}


def strings(locale: str) -> dict[str, str]:
    return STRINGS.get(locale, STRINGS["en"])
