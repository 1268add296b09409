"""What the portal and the console pages share: cookies, CSRF, forms, no-store."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from anxin.keys import new_token
from anxin.services.context import Context
from anxin.web.input_guard import read_form

# The security headers (CSP, X-Frame-Options, nosniff, Referrer-Policy) are set on every
# response by anxin.web.security_headers; pages add only that they are not cached.
SAFE_HEADERS = {"Cache-Control": "no-store"}


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def secure_cookies(ctx: Context) -> bool:
    return ctx.settings.effective_base_url.startswith("https://")


def set_cookie(response: Response, ctx: Context, name: str, value: str, *, path: str,
               max_age: int | None = None) -> None:
    """Http-only, SameSite=Strict, Secure whenever the site is served over https."""
    response.set_cookie(name, value, path=path, httponly=True, samesite="strict",
                        secure=secure_cookies(ctx), max_age=max_age)


def pre_token(request: Request, name: str) -> tuple[str, bool]:
    """The pre-sign-in CSRF cookie (double submit): its value, and whether it is new."""
    value = request.cookies.get(name)
    if value and 20 <= len(value) <= 100:
        return value, False
    return new_token(), True


def pre_csrf(ctx: Context, realm: str, pre: str) -> str:
    return ctx.keys.secret_mac(f"pre-csrf-{realm}", pre)[:40]


async def form_of(request: Request) -> dict[str, str]:
    """The form's fields; control characters refused with 422 naming the field."""
    return await read_form(request)


def html(request: Request, template: str, status: int = 200, **values: Any) -> HTMLResponse:
    body = request.app.state.templates.get_template(template).render(**values)
    return HTMLResponse(body, status_code=status, headers=SAFE_HEADERS)


def fmt_time(value: dt.datetime | None, locale: str) -> str:
    """China time, as the person reads it."""
    if value is None:
        return ""
    local = value.astimezone(dt.timezone(dt.timedelta(hours=8)))
    if locale == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return local.strftime("%d %b %Y %H:%M") + " (UTC+8)"


def fmt_instant(value: dt.datetime | None, locale: str, zone: ZoneInfo) -> str:
    """A moment to the second in the deployment's zone (``ANXIN_TIME_ZONE``), the zone
    and its offset named: how the portal shows the TSA's trusted time of a letter."""
    if value is None:
        return ""
    local = value.astimezone(zone)
    offset = local.strftime("%z")
    where = f"{zone.key}, UTC{offset[:3]}:{offset[3:]}"
    if locale == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}（{where}）"
    return local.strftime("%d %b %Y %H:%M:%S") + f" ({where})"
