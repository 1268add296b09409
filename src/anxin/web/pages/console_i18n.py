"""The operator console's words, in zh-CN (the default: the operators are Chinese
compliance staff) and en, and the labels of what the console shows from the records:
ledger events, statuses, gate outcomes, purposes, delivery states, operator actions.

The operator chooses the language (``?lang=`` on any console page, kept in the
``anxin_console_lang`` cookie); nothing of the records is shown as its machine code.
A code without a label (a purpose added by configuration) is shown with its words
("my_purpose" → "my purpose"), never with underscores.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from anxin.domain.vocabulary import CATEGORY_LABELS, PURPOSE_LABELS
from anxin.web.error_pages import CONSOLE_LANG_COOKIE
from anxin.web.pages.i18n import chosen

DEFAULT_LANG = "zh-CN"
LANG_COOKIE = CONSOLE_LANG_COOKIE

STRINGS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "app": "安心授权 · 运营控制台", "switch": "English", "switch_lang": "en",
        "switch_label": "切换语言",
        "nav_dashboard": "概览", "nav_institutions": "机构", "nav_templates": "模板",
        "nav_authorizations": "授权查询", "sign_out": "退出",
        "nav_deletions": "删除声明", "deletions_h": "逾期未声明删除",
        "deletions_note": "以下授权下已准予的使用，其数据保存期限已过（或授权已撤销），"
                          "机构尚未提交删除声明。",
        "overdue_uses": "逾期的使用次数", "due_since": "应删除期限",
        "deletions_of": "删除声明", "deleted_at": "删除时间", "deleted_uses": "涉及的使用",
        "sign_in_title": "运营人员登录", "username": "用户名", "password": "密码",
        "totp": "身份验证器动态码", "sign_in": "登录",
        "login_failed": "用户名、密码或动态码错误。",
        "login_locked": "登录失败次数过多，请 15 分钟后再试。",
        "csrf_failed": "表单已过期，请重试。",
        "session_expired": "登录已过期，请重新登录。",
        "form_expired": "表单已过期或来自其他网站。",
        "not_found": "未找到该记录。",
        # dashboard
        "dashboard": "概览", "range": "统计区间", "from": "自", "to": "至", "apply": "查看",
        "zone_note": "按 {zone} 时区的日历日统计。", "times_in": "时间均为 {zone} 时间。",
        "requested": "发起授权", "signed": "已签署", "declined": "已拒绝", "lapsed": "已过期未签",
        "sign_rate": "签署率", "median_sign": "签署用时中位数",
        "uses_granted": "使用放行", "uses_refused": "使用拒绝", "revocations": "撤销",
        "per_day": "每日发起与签署", "refused_by_reason": "拒绝原因",
        "per_institution": "各机构", "institution": "机构", "none_yet": "该区间内暂无记录。",
        "minutes": "{n} 分钟", "hours": "{n} 小时", "seconds": "{n} 秒", "dash": "—",
        # institutions
        "institutions": "机构", "status": "状态", "callback_url": "回调地址",
        "actions": "操作", "suspend": "暂停", "reactivate": "恢复",
        "rotate_key": "轮换 API 密钥", "save_webhook": "保存回调", "new_secret": "生成新密钥",
        "test_key": "签发测试密钥",
        "new_test_key": "{name} 的测试 API 密钥（测试模式，仅显示一次；旧测试密钥失效）：",
        "mode": "模式", "mode_live": "正式", "mode_test": "测试（TEST）", "mode_all": "全部",
        "secret_set": "（已设密钥）", "add_institution": "新增机构", "name": "名称",
        "uscc": "统一社会信用代码（可选）", "create": "创建",
        "new_key": "{name} 的 API 密钥（仅显示一次）：",
        "new_webhook_secret": "回调密钥（仅显示一次）：",
        "confirm_title": "请确认", "confirm": "确认", "cancel": "取消",
        "confirm_suspend": "暂停「{name}」？暂停后该机构的 API 密钥立即失效，"
                           "所有请求（包括使用授权）都将被拒绝，直到恢复。",
        "confirm_rotate": "轮换「{name}」的 API 密钥？旧密钥立即失效，"
                          "该机构须改用新密钥（仅显示一次）。",
        "msg_suspended": "机构已暂停。", "msg_activated": "机构已恢复。",
        "msg_webhook": "回调已保存。",
        "pause_authorization": "暂停授权（争议处理）", "resume_authorization": "恢复授权",
        "pause_hint": "暂停期间机构不能使用这份授权；只有平台可以恢复，本人仍可撤销。",
        "confirm_pause": "暂停授权「{ref}」？机构立即不能再使用它，直到平台恢复；"
                         "本人不能自行恢复，但仍可撤销。有效期照常计算。",
        "confirm_resume": "恢复授权「{ref}」？机构可以在有效期和剩余次数内继续使用。",
        "msg_paused": "授权已暂停。", "msg_resumed": "授权已恢复。",
        "paused_by_subject": "本人暂停了这份授权（平台暂停将接管，本人不能再自行恢复）。",
        "paused_by_operator": "平台在争议处理中暂停了这份授权。",
        "msg_embedding": "嵌入设置已保存。",
        "embedding": "嵌入", "frame_ancestors": "允许嵌入的来源（每行一个 https 来源）",
        "return_url_prefixes": "允许的返回地址前缀（每行一个）", "save_embedding": "保存嵌入设置",
        "inst_active": "正常", "inst_suspended": "已暂停",
        # templates
        "templates": "模板", "code": "代码", "version": "版本", "title": "标题",
        "purpose": "用途", "created": "创建时间", "current": "（当前）", "diff": "对比",
        "new_version": "新建版本", "new_template": "新建模板", "editor": "模板编辑",
        "editor_hint": "保存将创建一个新版本；已签署的授权书不受影响。",
        "scope": "数据范围", "locale": "授权书语言", "validity_days": "有效期（天）",
        "max_uses": "可使用次数", "request_ttl": "签署期限（分钟）",
        "require_passkey": "须用通行密钥确认", "body": "授权书正文",
        "terms_v2": "附加条款",
        "terms_v2_hint": "留空即不设该条款；均会写入授权书并由使用闸门执行。",
        "frequency_max_uses": "每期最多使用次数", "frequency_per": "期间",
        "every_day": "每日", "every_week": "每周", "every_month": "每月",
        "data_life_days": "数据保存天数", "data_range": "数据期间",
        "range_none": "不限", "range_lookback": "查询日前若干个月", "range_dates": "固定日期",
        "lookback_months": "回溯月数", "range_from": "起始日期", "range_to": "截止日期",
        "save_version": "保存为新版本", "preview": "预览", "preview_title": "授权书预览",
        "preview_hint": "按 PDF 的同一渲染器生成（示例数据）；编辑时自动更新。",
        "preview_failed": "无法预览：", "saved_version": "已保存 {code} v{version}。",
        "unchanged": "内容与当前版本相同，未创建新版本。",
        "lang_zh": "中文", "lang_en": "英文", "page_n": "第 {n} 页",
        # search
        "authorizations": "授权查询", "any_institution": "全部机构", "any_status": "全部状态",
        "reference": "业务编号", "date_from": "发起日期自", "date_to": "至",
        "id_type": "证件类型", "resident_id": "居民身份证", "passport": "护照",
        "id_number": "证件号码", "mobile": "手机号", "search": "查询",
        "blind_note": "证件号码和手机号通过盲索引匹配，不以明文存储或记录。",
        "found_n": "共 {n} 条", "requested_at": "发起时间", "subject": "授权人",
        "uses": "使用次数",
        # dispute
        "dispute": "争议查看", "id": "授权编号", "validity": "有效期",
        "signed_at": "签署时间", "method": "签署方式", "tsa_time": "可信时间戳",
        "letter_sha256": "授权书 SHA-256", "template": "模板",
        "downloads": "证据材料", "letter_pdf": "已签署的授权书 (PDF)",
        "evidence_zip": "证据包 (ZIP)", "report_pdf": "核验报告 (PDF)",
        "not_signed": "尚未签署，无签署文件。",
        "timeline": "时间线", "queued": "待入账", "ledger_index": "账本序号",
        "client": "客户端", "ip": "IP 地址", "user_agent": "浏览器",
        "not_recorded": "未记录", "details": "详情",
        "gate_calls": "使用记录", "at": "时间", "outcome": "结果", "item": "数据项",
        "operator": "操作员", "granted": "放行", "refused": "拒绝：{reason}",
        "notifications": "通知", "event": "事件", "delivery": "投递", "attempts": "尝试次数",
        "last_error": "最近错误", "none": "无",
        "method_otp": "短信验证码", "method_otp_passkey": "短信验证码 + 通行密钥",
        "hashes": "哈希值",
        "delivery_pending": "待投递", "delivery_delivered": "已送达",
        "delivery_no_endpoint": "无回调地址", "delivery_failed": "投递失败",
        # webhook endpoints (issue 16)
        "webhooks": "回调", "endpoint_id": "端点编号", "webhooks_of": "{name} · 回调端点与投递记录",
        "default_callback": "默认回调地址", "default_secret": "默认回调密钥",
        "secret_present": "已设置", "secret_absent": "未设置（首次投递时生成）",
        "endpoints": "回调端点（API 注册）", "no_endpoints": "该机构未通过 API 注册回调端点。",
        "events": "订阅事件", "all_events": "全部事件", "created_at": "创建时间",
        "secret_rotated_at": "密钥轮换时间", "previous_secret_until": "旧密钥有效至",
        "deliveries": "投递记录", "no_deliveries": "暂无投递记录。",
        "callback_deliveries": "按请求回调地址的投递", "last_attempt": "最近尝试",
        "response_status": "响应状态码", "delivery_cancelled": "已取消",
        "back_to_institutions": "返回机构列表",
    },
    "en": {
        "app": "Anxin · operator console", "switch": "中文", "switch_lang": "zh-CN",
        "switch_label": "Language",
        "nav_dashboard": "Dashboard", "nav_institutions": "Institutions",
        "nav_templates": "Templates", "nav_authorizations": "Authorizations",
        "nav_deletions": "Deletions", "deletions_h": "Overdue deletion attestations",
        "deletions_note": "Granted uses whose data life has ended (or whose authorization "
                          "was revoked) and whose deletion the institution has not attested.",
        "overdue_uses": "Overdue uses", "due_since": "Due since",
        "deletions_of": "Deletion attestations", "deleted_at": "Deleted on",
        "deleted_uses": "Uses covered",
        "sign_out": "Sign out",
        "sign_in_title": "Operator sign-in", "username": "Username", "password": "Password",
        "totp": "Authenticator code", "sign_in": "Sign in",
        "login_failed": "Wrong username, password or code.",
        "login_locked": "Too many failed sign-ins: wait 15 minutes.",
        "csrf_failed": "The form had expired: try again.",
        "session_expired": "Your session has ended: sign in again.",
        "form_expired": "The form had expired or came from another site.",
        "not_found": "No such record.",
        "dashboard": "Dashboard", "range": "Period", "from": "From", "to": "to",
        "apply": "Show", "zone_note": "Calendar days in {zone}.",
        "times_in": "Times in {zone}.",
        "requested": "Requested", "signed": "Signed", "declined": "Declined",
        "lapsed": "Lapsed unsigned", "sign_rate": "Sign rate",
        "median_sign": "Median time to sign", "uses_granted": "Uses granted",
        "uses_refused": "Uses refused", "revocations": "Revocations",
        "per_day": "Requested and signed per day", "refused_by_reason": "Refusals by reason",
        "per_institution": "Per institution", "institution": "Institution",
        "none_yet": "Nothing in this period.",
        "minutes": "{n} min", "hours": "{n} h", "seconds": "{n} s", "dash": "—",
        "institutions": "Institutions", "status": "Status", "callback_url": "Callback URL",
        "actions": "Actions", "suspend": "Suspend", "reactivate": "Reactivate",
        "rotate_key": "Rotate API key", "save_webhook": "Save webhook",
        "test_key": "Issue test key",
        "new_test_key": "Test API key for {name} (test mode, shown once; the previous test "
                        "key stops working):",
        "mode": "Mode", "mode_live": "Live", "mode_test": "Test (TEST)", "mode_all": "All",
        "new_secret": "new secret", "secret_set": "(secret set)",
        "add_institution": "Add an institution", "name": "Name",
        "uscc": "USCC (optional)", "create": "Create",
        "new_key": "API key for {name} (shown once):",
        "new_webhook_secret": "Webhook secret (shown once):",
        "confirm_title": "Please confirm", "confirm": "Confirm", "cancel": "Cancel",
        "confirm_suspend": "Suspend “{name}”? Its API key stops working at once and every "
                           "request, uses included, is refused until it is reactivated.",
        "confirm_rotate": "Rotate the API key of “{name}”? The old key stops working at "
                          "once; the institution must switch to the new one (shown once).",
        "msg_suspended": "Institution suspended.", "msg_activated": "Institution reactivated.",
        "pause_authorization": "Pause (dispute)", "resume_authorization": "Resume",
        "pause_hint": "While paused the institution cannot use it; only the platform can "
                      "resume it, the person can still revoke it.",
        "confirm_pause": "Pause the authorization “{ref}”? The institution cannot use it "
                         "from now until the platform resumes it; the person cannot resume "
                         "it but can still revoke it. Its validity keeps running.",
        "confirm_resume": "Resume the authorization “{ref}”? The institution may use it "
                          "again within its validity and the uses left.",
        "msg_paused": "Authorization paused.", "msg_resumed": "Authorization resumed.",
        "paused_by_subject": "The person paused it (a platform pause takes it over; the "
                             "person can then no longer resume it).",
        "paused_by_operator": "The platform paused it during a dispute.",
        "msg_webhook": "Webhook saved.", "msg_embedding": "Embedding settings saved.",
        "embedding": "Embedding", "frame_ancestors": "Origins that may frame the signing "
        "page (one https origin a line)", "return_url_prefixes": "Allowed return URL "
        "prefixes (one a line)", "save_embedding": "Save embedding",
        "inst_active": "Active", "inst_suspended": "Suspended",
        "templates": "Templates", "code": "Code", "version": "Version", "title": "Title",
        "purpose": "Purpose", "created": "Created", "current": "(current)", "diff": "diff",
        "new_version": "New version", "new_template": "New template",
        "editor": "Template editor",
        "editor_hint": "Saving creates a new version; letters already signed do not change.",
        "scope": "Data scope", "locale": "Letter language", "validity_days": "Valid (days)",
        "max_uses": "Number of uses", "request_ttl": "Time to sign (minutes)",
        "require_passkey": "Passkey required", "body": "Letter body",
        "terms_v2": "Further terms", "terms_v2_hint": "Leave a term blank for none; each is "
        "written into the letter and enforced by the use gate.",
        "frequency_max_uses": "Uses per period, at most", "frequency_per": "Period",
        "every_day": "a day", "every_week": "a week", "every_month": "a month",
        "data_life_days": "Data kept for (days)", "data_range": "Period of the data",
        "range_none": "Any", "range_lookback": "Months before each query",
        "range_dates": "Fixed dates", "lookback_months": "Months back",
        "range_from": "From", "range_to": "To",
        "save_version": "Save as a new version", "preview": "Preview",
        "preview_title": "Letter preview",
        "preview_hint": "Drawn by the PDF's own renderer (sample values); updates as you edit.",
        "preview_failed": "No preview: ", "saved_version": "Saved {code} v{version}.",
        "unchanged": "Same content as the current version: no new version made.",
        "lang_zh": "Chinese", "lang_en": "English", "page_n": "Page {n}",
        "authorizations": "Authorizations", "any_institution": "any institution",
        "any_status": "any status", "reference": "Reference", "date_from": "Requested from",
        "date_to": "to", "id_type": "Id type", "resident_id": "resident ID",
        "passport": "passport", "id_number": "Id number", "mobile": "Mobile",
        "search": "Search",
        "blind_note": "The id number and the mobile are matched through their blind "
                      "index; neither is stored nor logged.",
        "found_n": "{n} found", "requested_at": "Requested", "subject": "Subject",
        "uses": "Uses",
        "dispute": "Dispute view", "id": "Authorization id", "validity": "Valid",
        "signed_at": "Signed", "method": "Method", "tsa_time": "Trusted timestamp",
        "letter_sha256": "Letter SHA-256", "template": "Template",
        "downloads": "Evidence", "letter_pdf": "Signed letter (PDF)",
        "evidence_zip": "Evidence package (ZIP)", "report_pdf": "Verification report (PDF)",
        "not_signed": "Not signed: no signed documents yet.",
        "timeline": "Timeline", "queued": "queued", "ledger_index": "Ledger index",
        "client": "Client", "ip": "IP address", "user_agent": "Browser",
        "not_recorded": "not recorded", "details": "Details",
        "gate_calls": "Uses", "at": "Time", "outcome": "Outcome", "item": "Data item",
        "operator": "Operator", "granted": "granted", "refused": "refused: {reason}",
        "notifications": "Notifications", "event": "Event", "delivery": "Delivery",
        "attempts": "Attempts", "last_error": "Last error", "none": "none",
        "method_otp": "SMS code", "method_otp_passkey": "SMS code + passkey",
        "hashes": "Hashes",
        "delivery_pending": "pending", "delivery_delivered": "delivered",
        "delivery_no_endpoint": "no endpoint", "delivery_failed": "failed",
        # webhook endpoints (issue 16)
        "webhooks": "Webhooks", "endpoint_id": "Endpoint id",
        "webhooks_of": "{name} · webhook endpoints and deliveries",
        "default_callback": "Default callback URL", "default_secret": "Default webhook secret",
        "secret_present": "set", "secret_absent": "not set (made at the first delivery)",
        "endpoints": "Webhook endpoints (registered by API)",
        "no_endpoints": "This institution has registered no webhook endpoints.",
        "events": "Events", "all_events": "all events", "created_at": "Created",
        "secret_rotated_at": "Secret rotated", "previous_secret_until": "Old secret valid until",
        "deliveries": "Deliveries", "no_deliveries": "No deliveries yet.",
        "callback_deliveries": "Deliveries to per-request callback URLs",
        "last_attempt": "Last attempt", "response_status": "Response status",
        "delivery_cancelled": "cancelled", "back_to_institutions": "Back to institutions",
    },
}

# Ledger events, authorization statuses, gate refusals, delivery states, console actions.
LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "authorization:requested": "发起授权", "authorization:realname:checked": "实名核验",
        "authorization:link:sent": "短信发送签署链接",
        "authorization:reminder:sent": "短信提醒签署",
        "authorization:viewed": "首次打开签署页",
        "institution:embedding:updated": "修改嵌入设置",
        "authorization:otp:sent": "发送短信验证码", "authorization:otp:verified": "验证码通过",
        "authorization:otp:failed": "验证码错误", "authorization:otp:locked": "验证码锁定",
        "authorization:passkey:registered": "登记通行密钥",
        "authorization:passkey:verified": "通行密钥确认", "authorization:signed": "签署",
        "authorization:declined": "拒绝授权", "authorization:cancelled": "机构撤回",
        "authorization:lapsed": "过期未签", "authorization:use:granted": "使用放行",
        "authorization:use:refused": "使用被拒", "authorization:exhausted": "次数用完",
        "authorization:expired": "到期", "authorization:revoked": "撤销",
        "authorization:letter:renewed": "授权书续期时间戳", "authorization:paused": "暂停",
        "authorization:expiring": "到期提醒",
        "authorization:resumed": "恢复", "console:action": "控制台操作",
        "subject:erasure:answered": "本人删除请求已处理",
        "subject:refusal:alerted": "已短信提醒本人被拒查询",
        "authorization:deletion:attested": "机构声明已删除数据",
        "authorization:deletion:overdue": "删除声明逾期",
        "institution:created": "新增机构", "institution:key:rotated": "轮换 API 密钥",
        "institution:suspended": "暂停机构", "template:versioned": "模板新版本",
        "pending": "待签署", "active": "有效", "exhausted": "次数已用完", "expired": "已到期",
        "revoked": "已撤销", "declined": "已拒绝", "cancelled": "已撤回", "lapsed": "已过期未签",
        "paused": "已暂停",
        "authorization_revoked": "已撤销", "authorization_exhausted": "次数已用完",
        "authorization_expired": "已到期", "authorization_not_active": "未生效",
        "authorization_paused": "已暂停", "purpose_mismatch": "用途不符",
        "scope_mismatch": "数据范围不符", "frequency_exceeded": "超出频次",
        "data_range_mismatch": "数据区间不符", "institution_suspended": "机构已暂停",
        "delivered": "已送达", "no_endpoint": "无回调地址", "failed": "失败",
        "sms": "短信", "webauthn": "通行密钥", "otp": "短信验证码",
        "match": "一致", "mismatch": "不一致", "skipped": "未核验", "not_checked": "未核验",
        "none": "无", "webhook": "外部核验服务",
        # webhook endpoints (issue 16)
        "institution:webhook_secret:rotated": "轮换默认回调密钥",
        "institution:webhook_endpoint:created": "新增回调端点",
        "institution:webhook_endpoint:secret_rotated": "轮换回调端点密钥",
        "institution:webhook_endpoint:deleted": "删除回调端点", "webhook:ping": "回调测试",
    },
    "en": {
        "authorization:link:sent": "Signing link sent by SMS",
        "authorization:reminder:sent": "Reminder sent by SMS",
        "authorization:viewed": "Signing page first opened",
        "institution:embedding:updated": "Embedding settings changed",
        "authorization:requested": "Requested", "authorization:realname:checked":
        "Real-name check", "authorization:otp:sent": "SMS code sent",
        "authorization:otp:verified": "SMS code verified",
        "authorization:otp:failed": "Wrong SMS code", "authorization:otp:locked":
        "Locked after wrong codes", "authorization:passkey:registered": "Passkey enrolled",
        "authorization:passkey:verified": "Passkey confirmed",
        "authorization:signed": "Signed", "authorization:declined": "Declined",
        "authorization:cancelled": "Cancelled by the institution",
        "authorization:lapsed": "Lapsed unsigned", "authorization:use:granted": "Use granted",
        "authorization:use:refused": "Use refused", "authorization:exhausted":
        "Uses exhausted", "authorization:expired": "Expired", "authorization:revoked":
        "Revoked", "authorization:letter:renewed": "Archive timestamp renewed",
        "authorization:paused": "Paused", "authorization:resumed": "Resumed",
        "authorization:expiring": "Expiry reminder",
        "authorization:deletion:attested": "Deletion attested",
        "authorization:deletion:overdue": "Deletion attestation overdue",
        "console:action": "Console action", "institution:created": "Institution added",
        "subject:erasure:answered": "Erasure request answered",
        "subject:refusal:alerted": "Person alerted of refused queries",
        "institution:key:rotated": "API key rotated",
        "institution:suspended": "Institution suspended",
        "template:versioned": "Template version",
        "pending": "pending", "active": "active", "exhausted": "exhausted",
        "expired": "expired", "revoked": "revoked", "declined": "declined",
        "cancelled": "cancelled", "lapsed": "lapsed", "paused": "paused",
        "authorization_revoked": "revoked", "authorization_exhausted": "uses exhausted",
        "authorization_expired": "expired", "authorization_not_active": "not active",
        "authorization_paused": "paused", "purpose_mismatch": "purpose not authorized",
        "scope_mismatch": "data item not authorized", "frequency_exceeded":
        "over the frequency", "data_range_mismatch": "outside the data range",
        "institution_suspended": "institution suspended",
        "delivered": "delivered", "no_endpoint": "no endpoint", "failed": "failed",
        "sms": "SMS", "webauthn": "passkey", "otp": "SMS code",
        "match": "match", "mismatch": "mismatch", "skipped": "not checked",
        "not_checked": "not checked", "none": "none", "webhook": "external service",
        # webhook endpoints (issue 16)
        "institution:webhook_secret:rotated": "Default webhook secret rotated",
        "institution:webhook_endpoint:created": "Webhook endpoint added",
        "institution:webhook_endpoint:secret_rotated": "Webhook endpoint secret rotated",
        "institution:webhook_endpoint:deleted": "Webhook endpoint deleted",
        "webhook:ping": "Webhook test (ping)",
    },
}

# Ledger fields worth showing in a step's details, with their labels.
FIELD_LABELS: dict[str, dict[str, str]] = {
    "zh-CN": {"purpose": "用途", "template_version": "模板版本", "send_number": "第几次发送",
              "failures": "错误次数", "provider": "核验方", "result": "结果",
              "method": "方式", "data_item": "数据项", "reason": "原因",
              "channel": "渠道", "action": "操作"},
    "en": {"purpose": "purpose", "template_version": "template version",
           "send_number": "send", "failures": "failures", "provider": "provider",
           "result": "result", "method": "method", "data_item": "data item",
           "reason": "reason", "channel": "channel", "action": "action"},
}


def choose_lang(query: str | None, cookie: str | None) -> str:
    """The operator's choice: the query (a click on the switch), else the cookie."""
    return chosen(query, cookie) or DEFAULT_LANG


def words(code: str) -> str:
    """A code without a label, as words: ``my_purpose`` → ``my purpose``."""
    return code.replace("_", " ").replace(":", " ")


def label(code: str | None, lang: str) -> str:
    if code is None:
        return ""
    return LABELS[lang].get(code) or words(code)


def purpose(code: str, lang: str) -> str:
    return PURPOSE_LABELS.get(code, {}).get(lang) or words(code)


def category(code: str, lang: str) -> str:
    return CATEGORY_LABELS.get(code, {}).get(lang) or words(code)


def local_time(value: dt.datetime | str | None, zone: ZoneInfo, *, seconds: bool = False
               ) -> str:
    """A moment in the deployment's zone, to the minute (or second): ``2026-12-01 23:05``."""
    if value is None or value == "":
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # SQLite hands back naive UTC
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S" if seconds
                                            else "%Y-%m-%d %H:%M")


def duration(seconds: float | None, lang: str) -> str:
    s = STRINGS[lang]
    if seconds is None:
        return s["dash"]
    if seconds < 120:
        return s["seconds"].format(n=round(seconds))
    if seconds < 7200:
        return s["minutes"].format(n=round(seconds / 60))
    return s["hours"].format(n=round(seconds / 3600, 1))


def fact(key: str, value: Any, lang: str) -> str:
    """A ledger field's value as words: purposes and data items by their labels."""
    if key == "purpose":
        return purpose(str(value), lang)
    if key == "data_item":
        return category(str(value), lang)
    if key in ("method", "result", "provider", "reason", "channel"):
        return label(str(value), lang)
    return str(value)


def catalogue(lang: str, zone: ZoneInfo) -> dict[str, Any]:
    """What every console template receives: ``t`` (the strings) and the label helpers."""
    return {"lang": lang, "t": STRINGS[lang], "zone": zone.key,
            "label": lambda c: label(c, lang),
            "purpose_label": lambda c: purpose(c, lang),
            "category_label": lambda c: category(c, lang),
            "field_label": lambda k: FIELD_LABELS[lang].get(k) or words(k),
            "fact": lambda k, v: fact(k, v, lang),
            "local": lambda v, seconds=False: local_time(v, zone, seconds=seconds),
            "duration": lambda v: duration(v, lang)}
