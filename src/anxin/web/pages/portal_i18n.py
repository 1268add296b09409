"""Strings of the person's portal ``/me``, in zh-CN and en."""

from __future__ import annotations

from anxin.web.pages.i18n import lookup

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
        "evidence": "证据包 (ZIP)", "report": "验证报告 (PDF)",
        "receipt": "同意回执 (JSON，平台签名)", "revoke": "撤销授权",
        "revoke_h": "确认撤销这份授权？",
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
        "authorization_not_active": "只有生效中或已暂停的授权可以撤销或暂停。",
        "not_found": "没有找到这份授权。", "passkey_signin": "使用通行密钥登录",

        # Sign-in: a deep link, the code page, resending.
        "signin_first": "请先登录，登录后将打开您要查看的页面。",
        "resend": "重新发送验证码", "code_resent": "新的验证码已发送。",
        "retry_in": "请在 {s} 秒后再试。", "tries_left": "还可以再试 {n} 次。",
        # The list and the detail.
        "valid_until": "有效期至", "revoked_at": "撤销时间", "signed_at": "签署时间",
        "status_since": "状态变更时间", "data_item": "查询的数据",
        "evidence_note": "证据包含已签署的授权书、证书链、时间戳、账本证明和验证报告，"
                         "可用任何验证工具离线核验。",
        "r_authorization_revoked": "已撤销，不予查询",
        "r_authorization_exhausted": "使用次数已用完",
        "r_authorization_expired": "授权已到期", "r_authorization_not_active": "授权未生效",
        "r_authorization_paused": "授权已暂停", "r_purpose_mismatch": "用途与授权不符",
        "r_scope_mismatch": "数据不在授权范围内", "r_frequency_exceeded": "超过授权的查询频率",
        "r_data_range_mismatch": "数据时间范围与授权不符", "r_other": "不符合授权条件",
        "refused_because": "拒绝：{reason}",
        "st_paused": "已暂停",
        # Terms v2: deletion of what a use fetched.
        "delete_by": "机构应删除数据的期限", "deletion_attested": "机构已声明删除",
        "deletions_h": "机构的数据删除声明", "deleted_at": "删除时间",
        "deleted_uses": "涉及的使用次数",
        # Passkeys.
        "passkeys": "我的通行密钥",
        "passkeys_note": "通行密钥（指纹、面容或安全密钥）可用于登录和确认签署。"
                         "删除后，该设备不能再用于登录；签署时可用短信验证码重新登记。",
        "no_passkeys": "您还没有登记通行密钥。", "passkey_name": "名称",
        "passkey_unnamed": "未命名的通行密钥", "passkey_added": "登记时间",
        "passkey_last_used": "最近使用", "passkey_never_used": "尚未使用",
        "passkey_synced": "可同步（备份在云端）", "passkey_device": "仅在此设备上",
        "rename": "保存名称", "remove": "删除", "remove_h": "确认删除这个通行密钥？",
        "remove_note": "删除后，这个通行密钥不能再用于登录或签署。已签署的授权不受影响。",
        "remove_confirm": "确认删除", "passkey_renamed": "名称已保存。",
        "passkey_removed": "通行密钥已删除。", "passkey_not_found": "没有找到这个通行密钥。",
        "passkey_name_invalid": "名称须为 1 到 40 个字符。",
        "validation_failed": "输入有误，请检查后重试。", "error_other": "请稍后重试。",
        "passkeys_link": "管理我的通行密钥", "status_legend": "状态",
        "export_link": "下载我的全部数据（ZIP）",
        "export_note": "包括每份授权书、每一次查询（含被拒绝的）、账本记录和通行密钥，"
                       "JSON 格式与 PDF，可带走或交给他人核验。",
        "history_link": "谁查询了我的数据", "history_h": "我的数据被查询的记录",
        "history_note": "每一次机构凭您的授权查询您的数据，无论准予还是拒绝，都在这里。"
                        "被拒绝的查询可能是滥用的第一个迹象。",
        "history_summary": "共 {n} 次查询，其中 {r} 次被拒绝。",
        "preferences_link": "通知设置", "preferences_h": "通知设置",
        "refusal_alerts": "有机构对我数据的查询被拒绝时，短信通知我",
        "refusal_alerts_note": "每次检查最多发一条短信，告诉您被拒绝的次数和机构。",
        "save_preferences": "保存", "preferences_saved": "通知设置已保存。",
        "erase_link": "删除我的数据", "erase_h": "删除我在本平台的数据？",
        "erase_note": "将立即删除您从未签署的授权申请中的姓名、证件号码、手机号码和授权书文本"
                      "（待签署的申请会先被拒绝），以及您的通行密钥，并退出登录。",
        "erase_keep_note": "您已签署的授权（包括已撤销、已到期的）依法须作为同意的记录保存，"
                           "不会删除；我们会告诉您每一份保存到哪一天。",
        "erase_confirm": "确认删除", "erase_done_h": "我们已处理您的删除请求",
        "erase_answered_at": "处理时间：", "erased_h": "已删除",
        "erased_none": "没有可删除的记录。",
        "passkeys_erased": "已删除 {n} 个通行密钥。", "retained_h": "依法保存",
        "retained_until": "保存至", "retained_none": "没有需要保存的记录。",
        "retained_why": "这些是您签署过的授权：授权书和证据是您曾经同意的记录，到期后删除。",
        # Renewals.
        "renewals_h": "续期记录",
        "renewals_note": "续期是一份新的授权书，由您重新签署；原授权在其有效期内照常有效，"
                         "续期自签署时起生效。",
        "this_authorization": "本授权", "renewal_link": "查看这份授权",
        "signed_at_server": "签署时间（服务器时间）", "tsa_time": "可信时间戳",
        "tsa_time_note": "由时间戳服务机构（RFC 3161）签发的签署时间，证明授权书在此时刻已签署。",
        # Passkey sign-in (/me/passkey).
        "pk_signin_h": "使用通行密钥登录",
        "pk_signin_note": "使用您签署授权时登记的通行密钥（指纹、面容或安全密钥）登录，"
                          "无需输入手机号码。",
        "pk_signin_go": "使用通行密钥", "pk_signin_sms": "改用短信验证码登录",
        "pk_signin_failed": "未能用通行密钥登录：这个通行密钥未登记或已删除。"
                            "请改用短信验证码登录。",
        "pk_signin_cancelled": "通行密钥未完成确认（已取消或超时），请重试。",
        "pk_signin_unsupported": "此浏览器不支持通行密钥，请改用短信验证码登录。",
        "pk_signin_needs_js": "通行密钥登录需要启用 JavaScript；也可以改用短信验证码登录。",
        # Pause and resume.
        "pause": "暂停授权", "resume": "恢复授权",
        "pause_note": "暂停期间，{inst} 不能凭这份授权查询您的数据；您可以随时恢复。"
                      "暂停不延长有效期，到期后授权照常失效。",
        "resume_note": "恢复后，{inst} 可以在有效期和剩余次数内继续查询。",
        "paused_ok": "授权已暂停，立即生效。", "resumed_ok": "授权已恢复。",
        "paused_by_operator": "平台在处理争议期间暂停了这份授权，只有平台可以恢复。"
                              "您仍可以撤销它。",
        "authorization_paused": "这份授权已经暂停。",
        "invalid_transition": "这份授权现在不能这样操作。",
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
        "report": "Verification report (PDF)",
        "receipt": "Consent receipt (JSON, signed by the platform)",
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
        "authorization_not_active": "Only an authorization in force or paused can be "
                                    "revoked or paused.",
        "not_found": "No such authorization.", "passkey_signin": "Sign in with a passkey",

        "signin_first": "Sign in first: the page you asked for opens next.",
        "resend": "Send a new code", "code_resent": "A new code is on its way.",
        "retry_in": "Try again in {s} seconds.", "tries_left": "{n} tries left.",
        "valid_until": "Valid until", "revoked_at": "Revoked on", "signed_at": "Signed on",
        "status_since": "Status since", "data_item": "Data queried",
        "evidence_note": "The evidence holds the signed letter, the certificate chain, the "
                         "timestamps, the ledger proofs and the verification report: any "
                         "verifier checks it offline.",
        "r_authorization_revoked": "revoked, refused",
        "r_authorization_exhausted": "all uses spent",
        "r_authorization_expired": "the authorization had expired",
        "r_authorization_not_active": "the authorization was not in force",
        "r_authorization_paused": "the authorization was paused",
        "r_purpose_mismatch": "not the authorized purpose",
        "r_scope_mismatch": "data outside the authorized scope",
        "r_frequency_exceeded": "more often than authorized",
        "r_data_range_mismatch": "data period outside the authorized range",
        "r_other": "outside the authorization's terms",
        "refused_because": "refused: {reason}", "st_paused": "paused",
        "export_link": "Download all my data (ZIP)",
        "export_note": "Every letter, every query (refused ones too), the ledger entries "
                       "and your passkeys, as JSON and PDF: yours to keep or hand on.",
        "history_link": "Who queried my data", "history_h": "Queries of my data",
        "history_note": "Every time an institution queried your data under an "
                        "authorization, granted or refused. A refused query can be the "
                        "first sign of abuse.",
        "history_summary": "{n} queries, {r} of them refused.",
        "preferences_link": "Notification settings", "preferences_h": "Notification settings",
        "refusal_alerts": "Send me an SMS when an institution's query of my data is refused",
        "refusal_alerts_note": "At most one SMS a check, with the number refused and the "
                               "institution.",
        "save_preferences": "Save", "preferences_saved": "Notification settings saved.",
        "erase_link": "Erase my data", "erase_h": "Erase your data on this platform?",
        "erase_note": "We erase at once the name, id number, mobile and letter text of every "
                      "request you never signed (a pending one is declined first), and your "
                      "passkeys, and sign you out.",
        "erase_keep_note": "Authorizations you signed (revoked and expired ones too) are the "
                           "record of a consent given, which the law asks us to keep: they "
                           "are not erased, and we tell you until when each is kept.",
        "erase_confirm": "Yes, erase", "erase_done_h": "Your erasure request is answered",
        "erase_answered_at": "Answered on", "erased_h": "Erased",
        "erased_none": "Nothing could be erased.",
        "passkeys_erased": "{n} passkey(s) erased.", "retained_h": "Kept by law",
        "retained_until": "kept until", "retained_none": "Nothing is kept.",
        "retained_why": "These are authorizations you signed: their letter and evidence are "
                        "the record of your consent, erased when the period ends.",
        "renewals_h": "Renewals",
        "renewals_note": "A renewal is a new letter that you sign again; the original stays "
                         "in force until its own end date, and the renewal takes effect "
                         "when signed.",
        "this_authorization": "This authorization", "renewal_link": "Open this one",
        "pause": "Pause", "resume": "Resume",
        "pause_note": "While paused, {inst} cannot query your data under this "
                      "authorization; you can resume it any time. A pause does not extend "
                      "the validity: it still ends on its date.",
        "resume_note": "Once resumed, {inst} may query again within the validity and the "
                       "uses left.",
        "paused_ok": "Paused, with immediate effect.", "resumed_ok": "Resumed.",
        "paused_by_operator": "The platform paused this authorization while it handles a "
                              "dispute; only the platform can resume it. You can still "
                              "revoke it.",
        "authorization_paused": "This authorization is already paused.",
        "invalid_transition": "This cannot be done to the authorization now.",
        "delete_by": "Institution to delete the data by", "deletion_attested":
        "deletion attested by the institution", "deletions_h": "The institution's deletion "
        "attestations", "deleted_at": "Deleted on", "deleted_uses": "Uses covered",
        "passkeys": "My passkeys", "passkeys_note": "A passkey (fingerprint, face or security "
                    "key) signs you in and confirms signatures. Once removed, that device no "
                    "longer signs you in; when signing you can enrol again with an SMS code.",
        "no_passkeys": "You have no passkey registered.", "passkey_name": "Name",
        "passkey_unnamed": "Unnamed passkey", "passkey_added": "Registered",
        "passkey_last_used": "Last used", "passkey_never_used": "not used yet",
        "passkey_synced": "synced (backed up to the cloud)", "passkey_device": "this device only",
        "rename": "Save the name", "remove": "Remove", "remove_h": "Remove this passkey?",
        "remove_note": "Once removed, this passkey no longer signs you in or confirms a "
                       "signature. Authorizations already signed are not affected.",
        "remove_confirm": "Yes, remove", "passkey_renamed": "Name saved.",
        "passkey_removed": "Passkey removed.", "passkey_not_found": "No such passkey.",
        "passkey_name_invalid": "A name has 1 to 40 characters.",
        "validation_failed": "Something in the form is not right: check and try again.",
        "error_other": "please try again later.", "passkeys_link": "Manage my passkeys",
        "status_legend": "Status",
        "signed_at_server": "Signed on (server time)", "tsa_time": "Trusted time-stamp",
        "tsa_time_note": "The signing time certified by the time-stamp authority "
                         "(RFC 3161): proof that the letter was signed by then.",
        "pk_signin_h": "Sign in with a passkey",
        "pk_signin_note": "Use the passkey you registered when signing (fingerprint, face or "
                          "security key): no number to type.",
        "pk_signin_go": "Use my passkey", "pk_signin_sms": "Sign in with an SMS code instead",
        "pk_signin_failed": "The passkey did not sign you in: it is not registered or was "
                            "removed. Sign in with an SMS code instead.",
        "pk_signin_cancelled": "The passkey was not confirmed (cancelled or timed out): "
                               "try again.",
        "pk_signin_unsupported": "This browser does not support passkeys: sign in with an "
                                 "SMS code instead.",
        "pk_signin_needs_js": "Signing in with a passkey needs JavaScript; you can sign in "
                              "with an SMS code instead.",
    },
}


def portal_strings(locale: str) -> dict[str, str]:
    return lookup(PORTAL_STRINGS, locale)
