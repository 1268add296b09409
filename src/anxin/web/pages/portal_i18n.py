"""Strings of the person's portal ``/me``, in zh-CN and en."""

from __future__ import annotations

PORTAL_STRINGS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "lang": "zh-CN", "app": "安心授权", "switch": "English", "portal": "我的授权",
        "signin_h": "登录查看我的授权", "mobile": "手机号码", "send_code": "获取短信验证码",
        "signin_note": "我们会向该号码发送验证码。登录后可查看您给出的全部授权、每一次使用记录，"
                       "并可随时撤销。",
        "code_h": "输入验证码", "code_sent_to": "验证码已发送至", "code": "短信验证码（6 位数字）",
        "signin": "登录", "other_number": "换一个号码", "signout": "退出登录",
        "none": "您还没有任何授权记录。", "institution": "被授权机构", "purpose": "用途",
        "scope": "数据范围", "validity": "有效期", "until": "至", "uses": "已使用",
        "uses_of": "{n} / {m} 次", "reference": "业务编号", "requested": "申请时间",
        "status": "状态", "details": "查看详情", "letter": "授权书全文",
        "letter_hash": "授权书 SHA-256", "uses_h": "使用记录", "no_uses": "尚无使用记录。",
        "when": "时间", "operator": "操作人", "outcome": "结果", "granted": "准予",
        "refused": "拒绝", "downloads": "下载", "letter_pdf": "已签署的授权书 (PDF)",
        "evidence": "证据包 (ZIP)", "revoke": "撤销授权", "revoke_h": "确认撤销这份授权？",
        "revoke_note": "撤销立即生效：{inst} 将不能再凭这份授权查询您的数据，并会立即收到通知。"
                       "撤销不影响撤销前已进行的查询。",
        "revoke_confirm": "确认撤销", "cancel": "返回", "back": "返回列表",
        "revoked_ok": "授权已撤销，立即生效。", "error": "出错了：",
        "st_pending": "待签署", "st_active": "生效中", "st_exhausted": "次数已用完",
        "st_expired": "已到期", "st_revoked": "已撤销", "st_declined": "已拒绝",
        "st_cancelled": "机构已撤回", "st_lapsed": "申请已过期",
        "otp_invalid": "验证码错误或已过期。",
        "otp_locked": "此验证码错误次数过多，已失效，请重新获取验证码。",
        "sms_country_not_allowed": "不支持向该国家或地区的号码发送短信。",
        "sms_ip_limit": "此网络请求验证码过于频繁，请稍后再试。",
        "sms_session_limit": "请求验证码过于频繁，请稍后再试。",
        "sms_global_limit": "短信服务繁忙，请稍后再试。",
        "otp_rate_limited": "每分钟只能获取一次验证码。",
        "otp_send_limit": "每小时最多获取 5 次验证码。", "invalid_mobile": "手机号码无效。",
        "csrf_failed": "页面已过期，请刷新后重试。", "session_expired": "登录已过期，请重新登录。",
        "authorization_not_active": "只有生效中的授权可以撤销。",
        "not_found": "没有找到这份授权。", "passkey_signin": "使用通行密钥登录",
    },
    "en": {
        "lang": "en", "app": "Anxin", "switch": "中文", "portal": "My authorizations",
        "signin_h": "Sign in to see your authorizations", "mobile": "Mobile number",
        "send_code": "Send me a code by SMS",
        "signin_note": "We send a code to this number. Once signed in you see every "
                       "authorization you gave and every use of it, and can revoke any time.",
        "code_h": "Enter the code", "code_sent_to": "The code went to",
        "code": "SMS code (6 digits)", "signin": "Sign in", "other_number": "Another number",
        "signout": "Sign out", "none": "You have not given any authorization yet.",
        "institution": "Institution", "purpose": "Purpose", "scope": "Data scope",
        "validity": "Valid", "until": "until", "uses": "Used", "uses_of": "{n} of {m}",
        "reference": "Reference", "requested": "Requested", "status": "Status",
        "details": "Details", "letter": "Full letter", "letter_hash": "Letter SHA-256",
        "uses_h": "Uses", "no_uses": "No use so far.", "when": "When",
        "operator": "Operator", "outcome": "Outcome", "granted": "granted",
        "refused": "refused", "downloads": "Downloads",
        "letter_pdf": "Signed letter (PDF)", "evidence": "Evidence package (ZIP)",
        "revoke": "Revoke", "revoke_h": "Revoke this authorization?",
        "revoke_note": "Revocation takes effect at once: {inst} can no longer query your "
                       "data under it and is notified now. Queries made before stay valid.",
        "revoke_confirm": "Yes, revoke", "cancel": "Back", "back": "Back to the list",
        "revoked_ok": "Revoked, with immediate effect.", "error": "Error: ",
        "st_pending": "waiting for signature", "st_active": "in force",
        "st_exhausted": "all uses spent", "st_expired": "expired", "st_revoked": "revoked",
        "st_declined": "declined", "st_cancelled": "withdrawn by the institution",
        "st_lapsed": "request expired",
        "otp_invalid": "The code is wrong or has expired.",
        "otp_locked": "Too many wrong tries of this code: ask for a new code.",
        "sms_country_not_allowed": "SMS cannot be sent to numbers of this country.",
        "sms_ip_limit": "Too many codes asked from this network: try again later.",
        "sms_session_limit": "Too many codes asked: try again later.",
        "sms_global_limit": "The SMS service is busy: try again later.",
        "otp_rate_limited": "One code a minute at most.",
        "otp_send_limit": "At most 5 codes an hour.",
        "invalid_mobile": "That is not a valid mobile number.",
        "csrf_failed": "The page had expired: please try again.",
        "session_expired": "Your session has ended: sign in again.",
        "authorization_not_active": "Only an authorization in force can be revoked.",
        "not_found": "No such authorization.", "passkey_signin": "Sign in with a passkey",
    },
}


def portal_strings(locale: str) -> dict[str, str]:
    return PORTAL_STRINGS.get(locale, PORTAL_STRINGS["zh-CN"])
