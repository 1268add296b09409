"""The letter's text, rendered from a template version in a sandbox.

Templates use Jinja2 placeholders: ``{{ subject_name }}``, ``{{ subject_id_type }}``,
``{{ subject_id_number }}``, ``{{ institution }}``, ``{{ purpose }}``, ``{{ scope }}``,
``{{ valid_from }}``, ``{{ valid_until }}``, ``{{ validity_days }}``, ``{{ max_uses }}``,
``{{ reference }}``. The sandbox refuses attribute access to Python internals, and an
unknown placeholder is an error, so a template can neither reach objects or files nor
silently drop a term.

>>> render_letter_text("{{ subject_name }} authorizes {{ institution }}.",
...                    sample_values("en")).strip()
'Zhang San authorizes Example Bank.'
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from anxin.errors import ValidationFailed

PLACEHOLDERS = ("subject_name", "subject_id_type", "subject_id_number", "institution",
                "purpose", "scope", "valid_from", "valid_until", "validity_days", "max_uses",
                "reference")

_ENV = None


def _env() -> ImmutableSandboxedEnvironment:
    global _ENV
    if _ENV is None:
        _ENV = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                             keep_trailing_newline=False)
    return _ENV


@dataclass(frozen=True, slots=True)
class LetterValues:
    subject_name: str
    subject_id_type: str
    subject_id_number: str
    institution: str
    purpose: str
    scope: str
    valid_from: str
    valid_until: str
    validity_days: int
    max_uses: int
    reference: str


def format_date(value: dt.datetime, locale: str) -> str:
    local = value.astimezone(dt.timezone(dt.timedelta(hours=8)))
    if locale == "zh-CN":
        return f"{local.year}年{local.month}月{local.day}日"
    return local.strftime("%d %B %Y")


def sample_values(locale: str) -> LetterValues:
    zh = locale == "zh-CN"
    return LetterValues(
        subject_name="张三" if zh else "Zhang San",
        subject_id_type="居民身份证" if zh else "resident ID",
        subject_id_number="11010519491231002X", institution="示例银行" if zh else "Example Bank",
        purpose="贷款审批" if zh else "loan approval",
        scope="个人信用报告" if zh else "credit report",
        valid_from="2026年1月1日" if zh else "01 January 2026",
        valid_until="2026年1月31日" if zh else "31 January 2026",
        validity_days=30, max_uses=1, reference="LA-0001")


def check_template_body(body: str, locale: str) -> None:
    """Refuse a body that does not parse or renders with an unknown placeholder."""
    if not body.strip():
        raise ValidationFailed("the letter body is empty", field="body")
    if len(body) > 20000:
        raise ValidationFailed("the letter body is longer than 20,000 characters",
                               field="body")
    try:
        render_letter_text(body, sample_values(locale))
    except ValidationFailed:
        raise
    except Exception as exc:
        raise ValidationFailed(f"the letter body does not render: {exc}", field="body") from None


def render_letter_text(body: str, values: LetterValues) -> str:
    try:
        return _env().from_string(body).render(**asdict(values)).strip() + "\n"
    except TemplateError as exc:
        raise ValidationFailed(f"the letter body does not render: {exc}", field="body") from None


def letter_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
