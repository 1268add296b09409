"""The terms v2 in words, in the letter's locale (zh-CN, en): the rows of the letter's key
terms table, the values of the ``{{ frequency }}``, ``{{ data_range }}`` and
``{{ data_life }}`` placeholders, and the paragraph the product appends to the signed
letter text whenever an authorization has v2 terms (so that what the gate enforces is
always in the words the person signs, whatever the template says).

>>> from anxin.domain.terms import parse_terms
>>> t = parse_terms({"frequency": {"max_uses": 1, "per": "month"},
...                  "data_range": {"lookback_months": 24}, "data_life_days": 90})
>>> [v for _, v in term_rows(t, "zh-CN")]
['每自然月最多 1 次', '查询日前 24 个月内的数据', '每次使用后 90 日内删除']
"""

from __future__ import annotations

from anxin.domain.terms import DataRange, Frequency, TermsV2

_PER = {"zh-CN": {"day": "自然日", "week": "自然周（周一至周日）", "month": "自然月"},
        "en": {"day": "calendar day", "week": "calendar week (Monday to Sunday)",
               "month": "calendar month"}}
_LABELS = {"zh-CN": {"frequency": "使用频率", "data_range": "数据时间范围",
                     "data_life": "数据保存期限"},
           "en": {"frequency": "Frequency", "data_range": "Period of data",
                  "data_life": "Data kept for"}}
_NONE = {"zh-CN": "不另设限制", "en": "no further limit"}


def _locale(locale: str) -> str:
    return "zh-CN" if locale == "zh-CN" else "en"


def frequency_text(f: Frequency | None, locale: str) -> str:
    loc = _locale(locale)
    if f is None:
        return _NONE[loc]
    if loc == "zh-CN":
        return f"每{_PER[loc][f.per]}最多 {f.max_uses} 次"
    return f"at most {f.max_uses} per {_PER[loc][f.per]}"


def data_range_text(r: DataRange | None, locale: str) -> str:
    loc = _locale(locale)
    if r is None:
        return _NONE[loc]
    if r.lookback_months is not None:
        if loc == "zh-CN":
            return f"查询日前 {r.lookback_months} 个月内的数据"
        return f"data of the {r.lookback_months} month(s) before the day of each query"
    if loc == "zh-CN":
        return f"{r.start} 至 {r.end} 期间的数据"
    return f"data from {r.start} to {r.end}"


def data_life_text(days: int | None, locale: str) -> str:
    loc = _locale(locale)
    if days is None:
        return _NONE[loc]
    if loc == "zh-CN":
        return f"每次使用后 {days} 日内删除"
    return f"deleted within {days} day(s) of each use"


def term_rows(terms: TermsV2, locale: str) -> list[tuple[str, str]]:
    """The key terms rows of the terms that are set, ``(label, value)``."""
    loc = _locale(locale)
    labels = _LABELS[loc]
    rows = []
    if terms.frequency is not None:
        rows.append((labels["frequency"], frequency_text(terms.frequency, loc)))
    if terms.data_range is not None:
        rows.append((labels["data_range"], data_range_text(terms.data_range, loc)))
    if terms.data_life_days is not None:
        rows.append((labels["data_life"], data_life_text(terms.data_life_days, loc)))
    return rows


def placeholder_values(terms: TermsV2, locale: str) -> dict[str, str]:
    """The values of the letter body's terms v2 placeholders."""
    return {"frequency": frequency_text(terms.frequency, locale),
            "data_range": data_range_text(terms.data_range, locale),
            "data_life": data_life_text(terms.data_life_days, locale)}


def terms_paragraph(terms: TermsV2, locale: str) -> str:
    """The paragraph appended to the letter text ("" without v2 terms)."""
    if terms.empty:
        return ""
    loc = _locale(locale)
    parts = []
    if loc == "zh-CN":
        if terms.frequency is not None:
            parts.append(f"查询频率：{frequency_text(terms.frequency, loc)}（按平台所在时区计）")
        if terms.data_range is not None:
            parts.append(f"查询的数据时间范围：{data_range_text(terms.data_range, loc)}")
        if terms.data_life_days is not None:
            life = data_life_text(terms.data_life_days, loc)
            parts.append(f"被授权机构对查询所得数据的保存期限：{life}，授权撤销时亦应删除，"
                         "并向平台提交删除声明")
        return "使用条件：" + "；".join(parts) + "。"
    if terms.frequency is not None:
        parts.append(f"queries {frequency_text(terms.frequency, loc)} (in the platform's time "
                     "zone)")
    if terms.data_range is not None:
        parts.append(f"each query covers only {data_range_text(terms.data_range, loc)}")
    if terms.data_life_days is not None:
        parts.append(f"what the institution fetches is "
                     f"{data_life_text(terms.data_life_days, loc)}, and on revocation, and "
                     "its deletion is attested to the platform")
    return "Conditions of use: " + "; ".join(parts) + "."
