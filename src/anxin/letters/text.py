"""The letter's text, rendered from a template version in a sandbox.

Templates use Jinja2 placeholders: ``{{ subject_name }}``, ``{{ subject_id_type }}``,
``{{ subject_id_number }}``, ``{{ institution }}``, ``{{ purpose }}``, ``{{ scope }}``,
``{{ valid_from }}``, ``{{ valid_until }}``, ``{{ validity_days }}``, ``{{ max_uses }}``,
``{{ reference }}``, and the terms v2 in words, ``{{ frequency }}``, ``{{ data_range }}``,
``{{ data_life }}`` (:mod:`anxin.domain.terms_wording`; "no further limit" when unset).
The sandbox refuses attribute access to Python internals, and an unknown placeholder is
an error, so a template can neither reach objects or files nor silently drop a term.

Rendering is bounded (issue 12 item 6: ``{{ 'x' * 10**8 }}`` was accepted, and Jinja's
constant folding even computed it while compiling). A letter body is text with
placeholders, filters and conditions: loops, macros and call blocks are refused, no
function or method is callable, only filters whose output is bounded by their input are
available, ``*``, ``**``, ``%`` and ``+`` are checked before they run (and so are never
folded at compile time), and the output is streamed and refused as soon as it passes
``max_chars`` (``letter_too_long``).

>>> render_letter_text("{{ subject_name }} authorizes {{ institution }}.",
...                    sample_values("en")).strip()
'Zhang San authorizes Example Bank.'
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from anxin.error_codes import Code
from anxin.errors import ValidationFailed

PLACEHOLDERS = ("subject_name", "subject_id_type", "subject_id_number", "institution",
                "purpose", "scope", "valid_from", "valid_until", "validity_days", "max_uses",
                "reference", "frequency", "data_range", "data_life")

DEFAULT_MAX_CHARS = 20_000
# Filters whose output is bounded by their input (no width, count or replacement argument).
_SAFE_FILTERS = ("upper", "lower", "title", "capitalize", "trim", "striptags", "escape", "e",
                 "string", "default", "d", "length", "count", "first", "last", "int", "float",
                 "abs", "round", "truncate", "wordcount")
# Statements that repeat work: without them a template's work is linear in its length.
_REFUSED_NODES = (nodes.For, nodes.Macro, nodes.CallBlock, nodes.FilterBlock)
_MAX_INT_BITS = 64


class _TooLong(SecurityError):
    """An operation whose result would be longer than any letter may be."""


class _LetterSandbox(ImmutableSandboxedEnvironment):
    """The sandbox for letter bodies: bounded operators, no calls, safe filters only."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False,
                         keep_trailing_newline=False)
        self.filters = {name: self.filters[name] for name in _SAFE_FILTERS}
        self.globals.clear()

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "%" and isinstance(left, str):
            raise SecurityError("string formatting with % is not available in a letter")
        if operator == "**" and (not isinstance(right, int | float) or abs(right) > 64):
            raise SecurityError("an exponent above 64 is not available in a letter")
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(n, int) and (
                        len(seq) * max(n, 0) > DEFAULT_MAX_CHARS):
                    raise _TooLong("a repetition longer than a letter")
        if operator == "+" and isinstance(left, str | list | tuple) and isinstance(
                right, str | list | tuple) and len(left) + len(right) > DEFAULT_MAX_CHARS:
            raise _TooLong("a concatenation longer than a letter")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, int) and result.bit_length() > _MAX_INT_BITS:
            raise SecurityError(f"a number beyond {_MAX_INT_BITS} bits")
        return result

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        raise SecurityError("a letter body calls no function or method")


def _env() -> _LetterSandbox:
    # Built per render: an environment is cheap next to compiling the template, and no
    # module-level state is kept.
    return _LetterSandbox()


def _check_statements(template_ast: nodes.Template) -> None:
    for node in template_ast.find_all(_REFUSED_NODES):
        kind = type(node).__name__.lower()
        raise ValidationFailed(f"a letter body has no {kind} statement (only text, "
                               "placeholders, filters and conditions)", field="body")


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
    frequency: str = ""
    data_range: str = ""
    data_life: str = ""


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
        validity_days=30, max_uses=1, reference="LA-0001",
        frequency="每自然月最多 1 次" if zh else "at most 1 per calendar month",
        data_range="查询日前 24 个月内的数据" if zh else "data of the 24 months before the "
        "day of each query",
        data_life="每次使用后 90 日内删除" if zh else "deleted within 90 days of each use")


def check_template_body(body: str, locale: str) -> None:
    """Refuse a body that does not parse, uses a refused statement or renders with an
    unknown placeholder. (Its rendered size is checked by :mod:`anxin.letters.bounds`.)"""
    if not body.strip():
        raise ValidationFailed("the letter body is empty", field="body")
    if len(body) > DEFAULT_MAX_CHARS:
        raise ValidationFailed("the letter body is longer than 20,000 characters",
                               field="body")
    render_letter_text(body, sample_values(locale))


def render_letter_text(body: str, values: LetterValues, *,
                       max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The letter's text, or ValidationFailed: ``field`` body when it does not render,
    ``letter_too_long`` as soon as the output passes ``max_chars`` (streamed: a hostile
    body never allocates more than about that)."""
    env = _env()
    try:
        _check_statements(env.parse(body))
        chunks: list[str] = []
        size = 0
        for chunk in env.from_string(body).generate(**asdict(values)):
            size += len(chunk)
            if size > max_chars + 2:  # the strip below may take a little back
                raise letter_too_long(max_chars)
            chunks.append(chunk)
    except ValidationFailed:
        raise
    except _TooLong:
        raise letter_too_long(max_chars) from None
    except (TemplateError, ArithmeticError, TypeError, ValueError, MemoryError,
            RecursionError) as exc:
        raise ValidationFailed(f"the letter body does not render: {exc}", field="body"
                               ) from None
    text = "".join(chunks).strip() + "\n"
    if len(text) > max_chars:
        raise letter_too_long(max_chars)
    return text


def letter_too_long(max_chars: int) -> ValidationFailed:
    return ValidationFailed(f"the rendered letter is longer than {max_chars:,} characters",
                            field="body", code=Code.LETTER_TOO_LONG,
                            rule="letter_max_chars", limit=max_chars)


def letter_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
