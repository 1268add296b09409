"""Strings of the person-facing pages, in zh-CN and en, and the one lookup every page's
catalogue uses (the signing page's here, the portal's in :mod:`.portal_i18n`, the
console's in :mod:`.console_i18n`).

Keys that equal a problem ``code`` (``otp_invalid``, ``passkey_required``...) are the
message shown for that refusal, by the server-rendered page (no JavaScript) and by the
page's script alike; ``*_n`` variants take a number.

Example::

    lang = chosen(query_lang, cookie_lang) or "zh-CN"
    t = lookup(PORTAL_STRINGS, lang)
"""

from __future__ import annotations

from collections.abc import Mapping

LOCALES = ("zh-CN", "en")


def chosen(*asked: str | None) -> str | None:
    """The first of ``asked`` (a ``?lang=``, a language cookie) that is one of ours."""
    for value in asked:
        if value in LOCALES:
            return value
    return None


def lookup(catalogue: Mapping[str, dict[str, str]], locale: str, *,
           default: str = "zh-CN") -> dict[str, str]:
    """The strings of ``locale`` in a catalogue of both languages, else the default's."""
    return catalogue.get(locale, catalogue[default])

STRINGS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "lang": "zh-CN", "app": "安心授权", "title": "个人信息查询授权书",
        "asks": "{institution} 请求您授权查询您的个人信息。请阅读后决定是否签署。",
        "key_terms": "授权要点", "institution": "被授权机构", "subject": "授权人",
        "purpose": "用途", "scope": "数据范围", "validity": "有效期", "uses": "可使用次数",
        "uses_n": "{n} 次", "until": "至", "letter": "授权书全文",
        "letter_hint": "以下为将被签署的完整授权书，可滚动阅读。",
        "letter_hint_done": "以下为这份授权书的全文。",
        "letter_hint_signed": "以下为您已签署的授权书全文。",
        "masked_note": "为保护您的信息，页面上的证件号码和手机号已部分隐藏；"
                       "已签署的 PDF 中为完整内容，授权书哈希覆盖完整文本。",
        "letter_language": "授权书以其签署语言（{language}）显示。",
        "language_zh-CN": "中文", "language_en": "英文",
        "done_h": "下一步", "download_window": "在此浏览器中 {m} 分钟内可直接下载；"
        "之后请登录“我的授权”下载已签署的授权书。",
        "download_later": "已签署的授权书和回执可随时在“我的授权”中下载。",
        "to_portal": "前往“我的授权”", "return_to": "返回{institution}",
        "declined_next": "您可以在“我的授权”中查看您的全部授权。",
        "read_first": "请先勾选“我已完整阅读”，再获取验证码。",
        "passkey_new_device": "这台设备上没有此手机号的通行密钥？短信验证码已验证，"
                              "您可以在这台设备上创建一个新的通行密钥并用它签署。",
        "passkey_enrol": "在这台设备上创建通行密钥并签署",
        "passkey_cancelled": "通行密钥未完成确认。",
        "letter_hash": "授权书 SHA-256", "read_confirm": "我已完整阅读并理解上述授权书",
        "step_read": "1. 阅读并确认", "step_code": "2. 短信验证码", "step_sign": "3. 签署",
        "mobile": "验证码将发送至", "send_code": "获取短信验证码",
        "resend_in": "{s} 秒后可重新获取", "code_valid": "验证码 {m}:{ss} 内有效",
        "code_expired": "验证码已过期，请重新获取。",
        "code_label": "短信验证码（6 位数字）", "sign": "确认签署", "decline": "拒绝授权",
        "decline_hint": "不同意？您可以拒绝，机构将收到通知。",
        "decline_confirm": "确定拒绝这份授权吗？",
        "declined": "您已拒绝这份授权。", "cancelled": "机构已撤回这份授权申请。",
        "lapsed": "这份授权申请已过期，不能再签署。", "active": "已签署，授权已生效。",
        "exhausted": "这份授权的使用次数已用完。", "expired": "这份授权已到期。",
        "revoked": "这份授权已被撤销。",
        "locked": "验证码错误次数过多，此申请已锁定，不能再签署。如需授权，请联系机构重新发起。",
        "code_sent": "验证码已发送，请查看短信。",
        "passkey_label": "同时使用通行密钥（指纹/面容）确认",
        "passkey_explain": "您的设备将用指纹或面容解锁，亲自签署这一份授权书；"
                           "密钥不会离开您的设备。",
        "passkey_required": "此授权书必须用通行密钥（指纹/面容）确认，没有通行密钥无法签署。",
        "passkey_needs_js": "通行密钥确认需要启用 JavaScript。",
        "passkey_wait": "请在设备上用指纹或面容确认……",
        "passkey_register": "首次使用：请为本手机号创建通行密钥……",
        "passkey_unsupported": "此浏览器不支持通行密钥。",
        "passkey_invalid": "通行密钥验证未通过，请重试。",
        "passkey_already_registered": "该通行密钥已登记。",
        "signing": "正在签署……", "passkey_cancel": "取消通行密钥确认",
        "download": "下载已签署的授权书 (PDF)",
        "download_receipt": "下载同意回执 (JSON)", "switch": "English", "switch_label": "切换语言",
        "error": "未能完成：", "expires": "签署截止", "signed_at": "签署时间",
        "otp_invalid": "验证码错误或已过期。",
        "otp_invalid_n": "验证码错误或已过期，还可尝试 {n} 次。",
        "otp_locked": "验证码错误次数过多，此申请已锁定。",
        "otp_rate_limited": "请稍候，每分钟只能获取一次验证码。",
        "otp_rate_limited_n": "请 {n} 秒后再获取验证码。",
        "otp_send_limit": "本申请的验证码发送次数已达上限。",
        "sms_country_not_allowed": "不支持向该国家或地区的号码发送短信。",
        "sms_ip_limit": "此网络请求验证码过于频繁，请稍后再试。",
        "sms_session_limit": "请求验证码过于频繁，请稍后再试。",
        "sms_global_limit": "短信服务繁忙，请稍后再试。",
        "read_not_confirmed": "请先勾选确认已完整阅读授权书。",
        "authorization_not_pending": "这份申请已不能签署。",
        "realname_mismatch": "姓名、证件号码与手机号不匹配，无法签署。",
        "signing_link_invalid": "签署链接无效。", "network": "网络异常，请重试。",
    },
    "en": {
        "lang": "en", "app": "Anxin", "title": "Authorization to query personal data",
        "asks": "{institution} asks for your authorization to query your personal data. "
                "Read it, then decide whether to sign.",
        "key_terms": "Key terms", "institution": "Institution", "subject": "You",
        "purpose": "Purpose", "scope": "Data scope", "validity": "Valid", "uses": "Number of uses",
        "uses_n": "{n}", "until": "until", "letter": "Full letter",
        "letter_hint": "The complete letter you are signing; scroll to read it all.",
        "letter_hint_done": "The whole letter.",
        "letter_hint_signed": "The whole letter you signed.",
        "masked_note": "To protect you, the ID number and mobile are partly hidden on this "
                       "page; the signed PDF holds them in full, and the letter's hash covers "
                       "the full text.",
        "letter_language": "The letter is shown in the language it is signed in ({language}).",
        "language_zh-CN": "Chinese", "language_en": "English",
        "done_h": "What next", "download_window": "You can download it here, in this browser, "
        "for {m} minutes; after that, sign in to My authorizations to download the signed "
        "letter.",
        "download_later": "The signed letter and receipt can be downloaded at any time from "
                          "My authorizations.",
        "to_portal": "Go to My authorizations", "return_to": "Back to {institution}",
        "declined_next": "My authorizations shows all your authorizations.",
        "read_first": "First tick \u201cI have read\u201d, then ask for a code.",
        "passkey_new_device": "No passkey for this number on this device? Your SMS code is "
                              "verified: you can create a new passkey on this device and sign "
                              "with it.",
        "passkey_enrol": "Create a passkey on this device and sign",
        "passkey_cancelled": "The passkey was not confirmed.",
        "letter_hash": "Letter SHA-256",
        "read_confirm": "I have read the whole letter and understand it",
        "step_read": "1. Read and confirm", "step_code": "2. Code by SMS", "step_sign": "3. Sign",
        "mobile": "The code goes to", "send_code": "Send me a code by SMS",
        "resend_in": "New code in {s} s", "code_valid": "Code valid for {m}:{ss}",
        "code_expired": "The code has expired: ask for a new one.",
        "code_label": "SMS code (6 digits)",
        "sign": "Sign", "decline": "Decline",
        "decline_hint": "Don't agree? You can decline; the institution is told.",
        "decline_confirm": "Decline this authorization?",
                "declined": "You declined this authorization.",
        "cancelled": "The institution withdrew this request.",
        "lapsed": "This request has expired and can no longer be signed.",
        "active": "Signed: the authorization is in force.",
        "exhausted": "All uses of this authorization are spent.",
        "expired": "This authorization has expired.",
        "revoked": "This authorization was revoked.",
        "locked": "Too many wrong codes: this request is locked and can no longer be signed. "
                  "Ask the institution for a new request.",
        "code_sent": "Code sent: check your text messages.",
        "passkey_label": "Also confirm with a passkey (fingerprint/face)",
        "passkey_explain": "Your device's fingerprint or face unlock signs this very letter; "
                           "the key never leaves your device.",
        "passkey_required": "This letter must be confirmed with a passkey (fingerprint/face): "
                            "it cannot be signed without one.",
        "passkey_needs_js": "Confirming with a passkey needs JavaScript turned on.",
        "passkey_wait": "Confirm with your fingerprint or face on your device…",
        "passkey_register": "First time: create a passkey for this number…",
        "passkey_unsupported": "This browser does not support passkeys.",
        "passkey_invalid": "The passkey could not be verified: try again.",
        "passkey_already_registered": "This passkey is already registered.",
        "signing": "Signing…", "passkey_cancel": "Cancel the passkey",
        "download": "Download the signed letter (PDF)",
        "download_receipt": "Download the consent receipt (JSON)", "switch": "中文",
        "switch_label": "Switch language",
        "error": "Not done: ", "expires": "Sign before", "signed_at": "Signed",
        "otp_invalid": "The code is wrong or has expired.",
        "otp_invalid_n": "The code is wrong or has expired: {n} tries left.",
        "otp_locked": "Too many wrong codes: this request is locked.",
        "otp_rate_limited": "Please wait: one code a minute.",
        "otp_rate_limited_n": "Please wait {n} s before asking for a new code.",
        "otp_send_limit": "No more codes can be sent for this request.",
        "sms_country_not_allowed": "SMS cannot be sent to numbers of this country.",
        "sms_ip_limit": "Too many codes asked from this network: try again later.",
        "sms_session_limit": "Too many codes asked: try again later.",
        "sms_global_limit": "The SMS service is busy: try again later.",
        "read_not_confirmed": "First confirm that you have read the whole letter.",
        "authorization_not_pending": "This request can no longer be signed.",
        "realname_mismatch": "The name, ID number and mobile do not belong together: "
                             "this letter cannot be signed.",
        "signing_link_invalid": "This signing link is not valid.",
        "network": "Network problem: try again.",
    },
}


def strings(locale: str) -> dict[str, str]:
    return lookup(STRINGS, locale, default="en")
