"""Terms of a request checked against its template and the per-purpose ceilings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

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
