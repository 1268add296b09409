"""Bounds of a rendered letter: at most ``letter_max_chars`` characters and
``letter_max_pages`` pages (settings ``ANXIN_LETTER_MAX_CHARS``, default 20,000, and
``ANXIN_LETTER_MAX_PAGES``, default 6).

Why: a letter is signed, timestamped and stored, and the person must be able to read it
on a phone. A 1 MB letter took 7 s to sign and, on SQLite, held every other institution's
gate for 6.6 s. The bounds are checked when a template is made -- rendered with the
longest value every placeholder can take, so no later request can exceed them -- and
again on every request with the real values. Refusals are 422 ``letter_too_long`` naming
the rule (``letter_max_chars`` or ``letter_max_pages``) and the field ``body``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence

from anxin.error_codes import Code
from anxin.errors import ValidationFailed
from anxin.letters.render import LetterSpec, letter_page_count
from anxin.letters.text import LetterValues, letter_too_long, render_letter_text

# The widest character the letter font sets (a full-width ideograph), for "longest".
_WIDE = "龘"


def longest_values(locale: str, *, purpose: str, scope: str, validity_days: int,
                   max_uses: int) -> LetterValues:
    """The longest value each placeholder can take (the field limits of the API)."""
    date = "2026年12月31日" if locale == "zh-CN" else "30 September 2026"
    return LetterValues(
        subject_name=_WIDE * 100, subject_id_type="居民身份证" if locale == "zh-CN"
        else "resident ID", subject_id_number="W" * 20, institution=_WIDE * 200,
        purpose=purpose, scope=scope, valid_from=date, valid_until=date,
        validity_days=validity_days, max_uses=max_uses, reference=_WIDE * 200)


def check_letter(text: str, *, locale: str, title: str, institution: str,
                 purpose_label: str, scope_labels: Sequence[str], subject_name: str,
                 reference: str, max_uses: int, max_chars: int, max_pages: int) -> None:
    """Refuse a rendered letter over either bound (422 ``letter_too_long``)."""
    if len(text) > max_chars:
        raise letter_too_long(max_chars)
    now = dt.datetime.now(dt.UTC)
    spec = LetterSpec(
        authorization_id="00000000-0000-0000-0000-000000000000", locale=locale,
        title=title, institution_name=institution, purpose_label=purpose_label,
        scope_labels=tuple(scope_labels), valid_from=now, valid_until=now,
        max_uses=max_uses, subject_name=subject_name, subject_id_masked="W" * 20,
        reference=reference, letter_text=text,
        letter_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(), root_sha256="0" * 64,
        # The longest footer: a ``dual`` letter prints both roots' fingerprints.
        sm2_root_sha256="0" * 64)
    pages = letter_page_count(spec)
    if pages > max_pages:
        raise ValidationFailed(f"the letter would have {pages} pages; at most {max_pages} "
                               "are allowed", field="body", code=Code.LETTER_TOO_LONG,
                               rule="letter_max_pages", limit=max_pages)


def check_template_letter(body: str, *, locale: str, title: str, purpose_label: str,
                          scope_labels: Sequence[str], scope: str, validity_days: int,
                          max_uses: int, max_chars: int, max_pages: int) -> None:
    """A template's letter, rendered with the longest values, within both bounds."""
    values = longest_values(locale, purpose=purpose_label, scope=scope,
                            validity_days=validity_days, max_uses=max_uses)
    text = render_letter_text(body, values, max_chars=max_chars)
    check_letter(text, locale=locale, title=title, institution=values.institution,
                 purpose_label=purpose_label, scope_labels=scope_labels,
                 subject_name=values.subject_name, reference=values.reference,
                 max_uses=max_uses, max_chars=max_chars, max_pages=max_pages)
