"""Terms of a request checked against its template and the per-purpose ceilings, and the
terms v2 values (frequency, data range, data life: :class:`TermsV2`) with the rule by which
a request narrows its template's.

>>> t = parse_terms({"frequency": {"max_uses": 1, "per": "month"}})
>>> narrow_terms(t, parse_terms({"data_life_days": 30})).to_dict()["data_life_days"]
30
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from anxin.error_codes import Code
from anxin.errors import ValidationFailed


def check_purpose_and_scope(purpose: str, data_scope: Sequence[str], *,
                            purposes: Sequence[str], categories: Sequence[str]) -> None:
    if purpose not in purposes:
        raise ValidationFailed(f"unknown purpose {purpose!r}; known: {', '.join(purposes)}",
                               field="purpose", code=Code.UNKNOWN_PURPOSE)
    if not data_scope:
        raise ValidationFailed("the data scope names at least one category",
                               field="data_scope")
    for i, item in enumerate(data_scope):
        if item not in categories:
            raise ValidationFailed(
                f"unknown data category {item!r}; known: {', '.join(categories)}",
                field=f"data_scope[{i}]", code=Code.UNKNOWN_DATA_CATEGORY)
    if len(set(data_scope)) != len(data_scope):
        raise ValidationFailed("the data scope names a category twice", field="data_scope")


def check_ceiling(purpose: str, *, validity_days: int, max_uses: int,
                  ceilings: Mapping[str, Mapping[str, int]], field_prefix: str = "") -> None:
    """Refuse terms beyond the configured ceiling of their purpose, naming the rule."""
    ceiling = ceilings.get(purpose)
    if not ceiling:
        return
    limit_days = ceiling.get("max_validity_days")
    if limit_days is not None and validity_days > limit_days:
        raise ValidationFailed(
            f"policy ceiling: {purpose} allows at most {limit_days} days of validity",
            field=f"{field_prefix}validity_days", code=Code.POLICY_CEILING_EXCEEDED,
            rule=f"{purpose}.max_validity_days")
    limit_uses = ceiling.get("max_uses")
    if limit_uses is not None and max_uses > limit_uses:
        raise ValidationFailed(
            f"policy ceiling: {purpose} allows at most {limit_uses} use(s)",
            field=f"{field_prefix}max_uses", code=Code.POLICY_CEILING_EXCEEDED,
            rule=f"{purpose}.max_uses")


def resolve_validity(*, now: dt.datetime, template_days: int,
                     requested_until: dt.datetime | None) -> dt.datetime:
    """The end of validity: the template's span by default, never beyond it."""
    latest = now + dt.timedelta(days=template_days)
    if requested_until is None:
        return latest
    if requested_until.tzinfo is None:
        raise ValidationFailed("valid_until needs a time zone (e.g. 2026-12-31T00:00:00Z)",
                               field="valid_until")
    if requested_until <= now:
        raise ValidationFailed("valid_until is in the past", field="valid_until")
    if requested_until > latest:
        raise ValidationFailed(
            f"valid_until is beyond the template's validity of {template_days} days",
            field="valid_until", code=Code.VALIDITY_EXCEEDS_TEMPLATE)
    return requested_until


def resolve_max_uses(*, template_max: int, requested: int | None) -> int:
    if requested is None:
        return template_max
    if requested < 1:
        raise ValidationFailed("max_uses is at least 1", field="max_uses")
    if requested > template_max:
        raise ValidationFailed(f"max_uses is above the template's {template_max}",
                               field="max_uses", code=Code.MAX_USES_EXCEEDS_TEMPLATE)
    return requested


# --- terms v2: frequency, data range, data life (issue 17, CONTRACT §8) ----------------

PERIODS = ("day", "week", "month")
# A request's frequency narrows the template's when every period of the request's lies
# inside one period of the template's: a day lies in one week and in one month, but a
# week may straddle two months, so "N per month" is no narrowing of "N per week".
_INSIDE = {("day", "day"), ("week", "week"), ("month", "month"), ("day", "week"),
           ("day", "month")}
MAX_FREQUENCY = 10000
MAX_LOOKBACK_MONTHS = 600
MAX_DATA_LIFE_DAYS = 3660


@dataclass(frozen=True, slots=True)
class Frequency:
    """At most ``max_uses`` granted uses per calendar ``per`` (day, ISO week from Monday,
    month) in the deployment's time zone."""

    max_uses: int
    per: str

    def to_dict(self) -> dict[str, Any]:
        return {"max_uses": self.max_uses, "per": self.per}


@dataclass(frozen=True, slots=True)
class DataRange:
    """The period of the subject's data a query may cover: the last ``lookback_months``
    counted back from the date of each gate call, or the fixed dates ``start``..``end``
    (inclusive; the wire names are ``from`` and ``to``)."""

    lookback_months: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.lookback_months is not None:
            return {"lookback_months": self.lookback_months}
        assert self.start is not None
        assert self.end is not None
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


@dataclass(frozen=True, slots=True)
class TermsV2:
    """The terms beyond purpose, scope, validity and ``max_uses``; each may be absent."""

    frequency: Frequency | None = None
    data_range: DataRange | None = None
    data_life_days: int | None = None

    @property
    def empty(self) -> bool:
        return self.frequency is None and self.data_range is None and (
            self.data_life_days is None)

    def to_dict(self) -> dict[str, Any]:
        """The terms as the API, the records and the receipt serialise them (absent terms
        are ``None``)."""
        return {"frequency": None if self.frequency is None else self.frequency.to_dict(),
                "data_range": None if self.data_range is None else self.data_range.to_dict(),
                "data_life_days": self.data_life_days}

    def stored(self) -> dict[str, Any] | None:
        """What the database keeps: None for no v2 terms at all."""
        return None if self.empty else self.to_dict()

    @classmethod
    def from_stored(cls, value: Mapping[str, Any] | None) -> TermsV2:
        """The inverse of :meth:`stored` (the database's own values: trusted)."""
        if not value:
            return cls()
        return parse_terms(value)


def _int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationFailed(f"{field} is a whole number from {low} to {high}", field=field)
    return value


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise ValidationFailed(f"{field} is a date, YYYY-MM-DD", field=field)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(f"{field} is a date, YYYY-MM-DD", field=field) from None


def _keys(value: Any, field: str, allowed: Sequence[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValidationFailed(f"{field} is an object", field=field)
    for key in value:
        if key not in allowed:
            raise ValidationFailed(f"{field} has no member {key!r} (only "
                                   f"{', '.join(allowed)})", field=f"{field}.{key}")
    return value


def parse_frequency(value: Any, field: str = "frequency") -> Frequency:
    raw = _keys(value, field, ("max_uses", "per"))
    if "max_uses" not in raw:
        raise ValidationFailed(f"{field}.max_uses is required", field=f"{field}.max_uses")
    per = raw.get("per")
    if per not in PERIODS:
        raise ValidationFailed(f"{field}.per is one of {', '.join(PERIODS)}",
                               field=f"{field}.per")
    return Frequency(_int(raw["max_uses"], f"{field}.max_uses", 1, MAX_FREQUENCY), str(per))


def parse_data_range(value: Any, field: str = "data_range") -> DataRange:
    raw = _keys(value, field, ("lookback_months", "from", "to"))
    if "lookback_months" in raw:
        if "from" in raw or "to" in raw:
            raise ValidationFailed(f"{field} is either lookback_months or from/to, not both",
                                   field=field)
        return DataRange(lookback_months=_int(raw["lookback_months"],
                                              f"{field}.lookback_months", 1,
                                              MAX_LOOKBACK_MONTHS))
    for key in ("from", "to"):
        if key not in raw:
            raise ValidationFailed(f"{field} needs lookback_months, or both from and to",
                                   field=f"{field}.{key}")
    start, end = _date(raw["from"], f"{field}.from"), _date(raw["to"], f"{field}.to")
    if start > end:
        raise ValidationFailed(f"{field}.from is after {field}.to", field=f"{field}.from")
    return DataRange(start=start, end=end)


def parse_terms(raw: Mapping[str, Any], prefix: str = "") -> TermsV2:
    """The v2 members of a template or request body (each optional, ``None`` = absent),
    validated; a refusal names the field (``frequency.per``, ``data_range.from``...)."""
    freq, rng, life = raw.get("frequency"), raw.get("data_range"), raw.get("data_life_days")
    return TermsV2(
        frequency=None if freq is None else parse_frequency(freq, f"{prefix}frequency"),
        data_range=None if rng is None else parse_data_range(rng, f"{prefix}data_range"),
        data_life_days=None if life is None else _int(life, f"{prefix}data_life_days", 1,
                                                      MAX_DATA_LIFE_DAYS))


def _wider(field: str, detail: str) -> ValidationFailed:
    return ValidationFailed(f"{field} is wider than the template's: {detail}", field=field,
                            code=Code.TERMS_EXCEED_TEMPLATE)


def narrow_terms(template: TermsV2, requested: TermsV2) -> TermsV2:
    """The terms of a request: the template's, each narrowed by the request where it says
    so, never widened (422 ``terms_exceed_template`` naming the field).

    - ``frequency``: the request's ``max_uses`` at most the template's, over the same
      period or a longer one that contains it (day inside week or month; a week is not
      inside a month); a template without a frequency takes any.
    - ``data_range``: a lookback of at most the template's months; fixed dates inside the
      template's dates; a lookback and fixed dates never narrow each other.
    - ``data_life_days``: at most the template's.
    A term the request leaves out is the template's."""
    freq = template.frequency
    if requested.frequency is not None:
        want = requested.frequency
        if freq is not None and ((freq.per, want.per) not in _INSIDE
                                 or want.max_uses > freq.max_uses):
            raise _wider("frequency", f"at most {freq.max_uses} per {freq.per}")
        freq = want
    rng = template.data_range
    if requested.data_range is not None:
        want_r = requested.data_range
        if rng is not None:
            if rng.lookback_months is not None:
                if want_r.lookback_months is None or want_r.lookback_months > rng.lookback_months:
                    raise _wider("data_range", f"the last {rng.lookback_months} month(s)")
            elif (want_r.start is None or want_r.end is None or rng.start is None
                  or rng.end is None or want_r.start < rng.start or want_r.end > rng.end):
                raise _wider("data_range", f"from {rng.start} to {rng.end}")
        rng = want_r
    life = template.data_life_days
    if requested.data_life_days is not None:
        if life is not None and requested.data_life_days > life:
            raise _wider("data_life_days", f"at most {life} day(s)")
        life = requested.data_life_days
    return TermsV2(freq, rng, life)


NO_TERMS = TermsV2()
"""No v2 term at all (the default of specs and requests; immutable)."""
