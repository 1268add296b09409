"""The template lint: wording of a letter that contradicts the terms the product enforces.

A letter is what the person signs, so it must not promise what the platform does not do.
Every authorization can be revoked at any time (the portal's one-step revoke; revocation
is not retroactive), and every authorization has a finite number of uses (``max_uses``,
enforced at the gate). A template whose text says otherwise is refused with 422
``letter_contradicts_terms`` naming the ``rule``:

- ``irrevocable``: "irrevocable", "cannot be revoked", "不可撤销", "不得撤回"...;
- ``unlimited_uses``: "unlimited", "any number of times", "不限次数", "无限次"...;

and, where the terms v2 set them (:class:`anxin.domain.terms.TermsV2`):

- ``unlimited_frequency`` (a frequency is set): "no frequency limit", "query at any time",
  "不限频次", "随时查询"...;
- ``unlimited_data_range`` (a data range is set): "entire credit history", "all
  historical data", "全部历史", "不限时间范围"...;
- ``kept_forever`` (a data life is set): "kept permanently", "indefinitely", "永久保存",
  "长期保留"...

Example::

    check_wording("本人不可撤销地授权……", title="授权书", max_uses=1)  # raises
"""

from __future__ import annotations

import re

from anxin.domain.terms import TermsV2
from anxin.error_codes import Code
from anxin.errors import ValidationFailed

_IRREVOCABLE = re.compile(
    r"irrevocabl|non-?revocable|(?:cannot|can ?not|may not|shall not|will not) be "
    r"(?:revoked|withdrawn|cancell?ed)"
    r"|(?:不可|不能|不得|无法|不会被?)(?:撤销|撤回|撤消|收回|取消)", re.IGNORECASE)
_UNLIMITED = re.compile(
    r"unlimited|without (?:any )?limit|any number of times|as (?:many|often) as"
    r"|不限次|次数不限|无限次|次数无限|不限制次数|无次数限制", re.IGNORECASE)

_UNLIMITED_FREQUENCY = re.compile(
    r"(?:no|without (?:any )?)frequency limit|any frequency|(?:query|queries|check|access)\w*"
    r"(?: [\w-]+){0,4} at any time|whenever (?:it|they) (?:wish|want|need)"
    r"|不限频次|频次不限|不限频率|频率不限|随时查询|随时调取|随时获取", re.IGNORECASE)
_UNLIMITED_RANGE = re.compile(
    r"(?:entire|whole|full|complete) (?:credit )?history|all (?:of )?(?:my )?historical"
    r"|any period|(?:no|without (?:any )?)(?:time|date|period) limit"
    r"|全部历史|所有历史|全部信用记录|全部历史记录|不限时间范围|不限期间|时间范围不限",
    re.IGNORECASE)
_KEPT_FOREVER = re.compile(
    r"permanent(?:ly)?|forever|indefinite(?:ly)?|for an unlimited (?:time|period)"
    r"|永久|长期保存|长期保留|无限期", re.IGNORECASE)
_TERM_RULES = (
    ("frequency", _UNLIMITED_FREQUENCY, "unlimited_frequency",
     "the terms limit the uses per {per}: say the frequency (the frequency placeholder)"),
    ("data_range", _UNLIMITED_RANGE, "unlimited_data_range",
     "the terms limit the period of the data: say it (the data_range placeholder)"),
    ("data_life_days", _KEPT_FOREVER, "kept_forever",
     "the terms oblige deletion {days} day(s) after each use (the data_life "
     "placeholder)"),
)


def _found(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(re.sub(r"\s+", " ", text))
    return m.group(0) if m else None


def check_wording(body: str, *, title: str = "", max_uses: int,
                  terms: TermsV2 | None = None) -> None:
    """Raise :class:`ValidationFailed` (``letter_contradicts_terms``) when the body or
    title contradicts revocability, the finite ``max_uses`` or a term v2 that is set."""
    for text, field in ((body, "body"), (title, "title")):
        if (said := _found(_IRREVOCABLE, text)) is not None:
            raise ValidationFailed(
                f"the {field} says {said!r}, but every authorization can be revoked at any "
                "time: say that it is revocable (and that revocation is not retroactive)",
                field=field, code=Code.LETTER_CONTRADICTS_TERMS, rule="irrevocable")
        if max_uses >= 1 and (said := _found(_UNLIMITED, text)) is not None:
            raise ValidationFailed(
                f"the {field} says {said!r}, but the terms allow at most {max_uses} use(s): "
                "say the number (the max_uses placeholder)",
                field=field, code=Code.LETTER_CONTRADICTS_TERMS, rule="unlimited_uses")
    if terms is not None:
        _check_terms_wording(body, title, terms)


def _check_terms_wording(body: str, title: str, terms: TermsV2) -> None:
    values = {"frequency": terms.frequency, "data_range": terms.data_range,
              "data_life_days": terms.data_life_days}
    for term, pattern, rule, advice in _TERM_RULES:
        value = values[term]
        if value is None:
            continue
        for text, field in ((body, "body"), (title, "title")):
            if (said := _found(pattern, text)) is not None:
                hint = advice.format(per=getattr(value, "per", ""), days=value)
                raise ValidationFailed(f"the {field} says {said!r}, but {hint}",
                                       field=field, code=Code.LETTER_CONTRADICTS_TERMS,
                                       rule=rule)
