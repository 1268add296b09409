"""The HTML error pages a browser sees (issue 15): styled, in the person's language.

Every HTML route answers its refusals as a page with the same status as the problem a
script would get (CONTRACT §8: problem+json for ``Accept: application/json``). The page
says, in zh-CN or en, what happened and what to do; it never shows the machine code or
the server's English detail (the code is in ``data-code`` for tests and support).
Four kinds are worded: ``not_found`` (404, an unknown path or an invalid signing link),
``expired`` (a session or a download window that has ended), ``busy`` (429, with the
wait) and ``unavailable`` (503); any other status is ``refused``.

The language: ``?lang=`` if given, else the language the person chose on that part of
the site (the portal's and the console's switch keep it in a cookie, see
:func:`cookie_lang`), else the first of ``Accept-Language`` we have, else zh-CN (the
product's people are Chinese first).

Example::

    html = render_error_page(404, "signing_link_invalid", locale="en")
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from math import ceil

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

LOCALES = ("zh-CN", "en")

ERROR_STRINGS: dict[str, dict[str, str]] = {
    "zh-CN": {
        "lang": "zh-CN", "app": "安心授权", "switch": "English", "switch_label": "切换语言",
        "not_found_title": "页面不存在",
        "not_found_body": "您访问的页面不存在或已被移除。请检查地址是否完整。",
        "signing_link_invalid_title": "签署链接无效",
        "signing_link_invalid_body": "这个签署链接无效或不完整。请检查短信或邮件中的链接，"
                                     "或联系发起授权的机构重新发送。",
        "expired_title": "已过期",
        "expired_body": "此页面的有效时间已过。已签署的授权书和回执可在“我的授权”中随时下载。",
        "busy_title": "请求过于频繁",
        "busy_body": "请稍候再试。",
        "busy_wait": "请在 {n} 秒后重试。",
        "unavailable_title": "服务暂时不可用",
        "unavailable_body": "服务正在恢复中，请稍后刷新页面。您的授权不受影响。",
        "refused_title": "无法完成请求",
        "refused_body": "这个请求未能完成。请返回上一页重试；如果问题持续，请联系发起授权的机构。",
        "to_portal": "前往“我的授权”", "to_console": "返回管理控制台",
    },
    "en": {
        "lang": "en", "app": "Anxin", "switch": "中文", "switch_label": "Switch language",
        "not_found_title": "Page not found",
        "not_found_body": "The page you asked for does not exist or was removed. "
                          "Check that the address is complete.",
        "signing_link_invalid_title": "This signing link is not valid",
        "signing_link_invalid_body": "The signing link is not valid or not complete. Check "
                                     "the link in your text message or e-mail, or ask the "
                                     "institution that sent it for a new one.",
        "expired_title": "Expired",
        "expired_body": "The time for this page has run out. Your signed letters and receipts "
                        "can be downloaded at any time from My authorizations.",
        "busy_title": "Too many requests",
        "busy_body": "Please wait a moment and try again.",
        "busy_wait": "Try again in {n} s.",
        "unavailable_title": "Service temporarily unavailable",
        "unavailable_body": "The service is recovering: reload the page in a moment. "
                            "Your authorizations are not affected.",
        "refused_title": "The request could not be completed",
        "refused_body": "This request could not be completed. Go back and try again; if it "
                        "goes on, contact the institution that asked for the authorization.",
        "to_portal": "Go to My authorizations", "to_console": "Back to the console",
    },
}

# The cookie in which each part of the site keeps the language its switch chose.
PORTAL_LANG_COOKIE = "anxin_lang"
CONSOLE_LANG_COOKIE = "anxin_console_lang"
_LANG_COOKIES = (("/me", PORTAL_LANG_COOKIE), ("/console", CONSOLE_LANG_COOKIE))

_EXPIRED_CODES = frozenset({"session_expired", "signed_download_expired"})


def page_locale(accept_language: str, lang: str | None = None) -> str:
    """The page's language: ``lang`` if it is one of ours, else Accept-Language's first
    zh or en, else zh-CN."""
    if lang in LOCALES:
        return lang
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return "zh-CN"


def cookie_lang(path: str, cookies: dict[str, str]) -> str | None:
    """The language chosen on the part of the site ``path`` is in (its cookie), or None."""
    for prefix, name in _LANG_COOKIES:
        if path == prefix or path.startswith(prefix + "/"):
            value = cookies.get(name)
            return value if value in LOCALES else None
    return None


def kind_of(status: int, code: str) -> str:
    """Which worded page a status and code get."""
    if code == "signing_link_invalid":
        return "signing_link_invalid"
    if code in _EXPIRED_CODES or status == 410:
        return "expired"
    return {404: "not_found", 429: "busy", 503: "unavailable"}.get(status, "refused")


@cache
def _template() -> Template:
    path = str(resources.files("anxin.web") / "templates")
    env = Environment(loader=FileSystemLoader(path), autoescape=select_autoescape(["html"]))
    return env.get_template("error.html")


def render_error_page(status: int, code: str, *, locale: str,
                      retry_after: float | None = None, switch: bool = False,
                      path: str = "") -> str:
    """The error page's HTML (see the module docstring); ``switch``: offer the other
    language (a GET page, which ``?lang=`` can show again)."""
    t = ERROR_STRINGS.get(locale, ERROR_STRINGS["zh-CN"])
    kind = kind_of(status, code)
    wait = t["busy_wait"].replace("{n}", str(max(1, ceil(retry_after)))) if (
        kind == "busy" and retry_after is not None) else ""
    other = "en" if t["lang"] == "zh-CN" else "zh-CN"
    # Where to go next: the operators' console for its own pages, else the person's portal.
    home = (("/console", t["to_console"]) if path.startswith("/console")
            else ("/me", t["to_portal"]))
    return _template().render(t=t, kind=kind, status=status, code=code, wait=wait,
                              other_locale=other, switch=switch, home=home)
