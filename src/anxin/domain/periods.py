"""Calendar arithmetic of the terms v2: the frequency's periods and the data range's
lookback, in the deployment's time zone (``ANXIN_TIME_ZONE``, default Asia/Shanghai).

A frequency counts granted uses per calendar day, ISO week (Monday to Sunday) or month
of the zone; a period is named by a key that sorts in time (``2026-12-01``,
``2026-W49``, ``2026-12``), which the gate's counter row keeps. A lookback of N months
reaches back from the local date of each gate call to the same day N months earlier,
clamped to the month's last day (31 March minus one month is 28 or 29 February).

>>> import datetime as dt
>>> from zoneinfo import ZoneInfo
>>> z = ZoneInfo("Asia/Shanghai")
>>> t = dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)   # 1 Dec 00:30 in Shanghai
>>> period_key(t, "day", z), period_key(t, "week", z), period_key(t, "month", z)
('2026-12-01', '2026-W49', '2026-12')
>>> months_before(dt.date(2026, 3, 31), 1)
datetime.date(2026, 2, 28)
"""

from __future__ import annotations

import calendar
import datetime as dt
import math


def period_key(now: dt.datetime, per: str, zone: dt.tzinfo) -> str:
    """The name of the calendar period of ``per`` that holds ``now`` in ``zone``."""
    local = now.astimezone(zone)
    if per == "day":
        return local.date().isoformat()
    if per == "week":
        iso = local.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if per == "month":
        return f"{local.year:04d}-{local.month:02d}"
    raise ValueError(f"unknown period {per!r}")


def next_period_start(now: dt.datetime, per: str, zone: dt.tzinfo) -> dt.datetime:
    """The first instant of the period after the one holding ``now`` (in UTC)."""
    day = now.astimezone(zone).date()
    if per == "day":
        nxt = day + dt.timedelta(days=1)
    elif per == "week":
        nxt = day + dt.timedelta(days=7 - day.weekday())
    elif per == "month":
        nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    else:
        raise ValueError(f"unknown period {per!r}")
    return dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).astimezone(dt.UTC)


def seconds_to_next_period(now: dt.datetime, per: str, zone: dt.tzinfo) -> int:
    """Whole seconds (at least 1) from ``now`` until the next period begins."""
    return max(1, math.ceil((next_period_start(now, per, zone) - now).total_seconds()))


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months before ``day``, clamped to month end."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def years_after(moment: dt.datetime, years: int) -> dt.datetime:
    """The same calendar date and time ``years`` later; a 29 February with no 29 February
    in that year is 1 March (never earlier than the full count of years: a retention
    period is served whole).

    >>> years_after(dt.datetime(2028, 2, 29, 12), 5)
    datetime.datetime(2033, 3, 1, 12, 0)
    >>> years_after(dt.datetime(2028, 2, 29), 4)
    datetime.datetime(2032, 2, 29, 0, 0)
    >>> years_after(dt.datetime(2026, 12, 1, 8, 30), 5)
    datetime.datetime(2031, 12, 1, 8, 30)
    """
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a common year
        return moment.replace(year=moment.year + years, month=3, day=1)


def lookback_window(now: dt.datetime, months: int, zone: dt.tzinfo) -> tuple[dt.date, dt.date]:
    """The dates a lookback of ``months`` allows at ``now``: from the same day
    ``months`` months before today (in ``zone``) to today, both included."""
    today = now.astimezone(zone).date()
    return months_before(today, months), today


# The period names as the gate's SQL spells them (constants, never user input).
PERIOD_NAMES_SQL = ("day", "week", "month")


def period_keys(now: dt.datetime, zone: dt.tzinfo) -> dict[str, str]:
    """The keys of the day, week and month holding ``now``, as the gate's statements bind
    them (``:p_day``, ``:p_week``, ``:p_month``)."""
    local = now.astimezone(zone)  # once: this runs on every gate call
    year, week, _ = local.isocalendar()
    return {"p_day": f"{local.year:04d}-{local.month:02d}-{local.day:02d}",
            "p_week": f"{year:04d}-W{week:02d}",
            "p_month": f"{local.year:04d}-{local.month:02d}"}
