"""Calendar periods as integer keys, the same arithmetic in Python as in SQL (sql/cohorts.py).

A period key numbers the calendar periods consecutively, so "period t-1" is `key - 1` and
"periods since acquisition" is `key(order) - key(first order)`:
- day: days since 1970-01-01;
- week: weeks (Monday to Sunday) since Monday 1970-01-05;
- month: year * 12 + month - 1; quarter: year * 4 + (month - 1) // 3; year: the year.
"""

from __future__ import annotations

from datetime import date, timedelta

from retention.errors import UserInputError

PERIODS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
_EPOCH = date(1970, 1, 1)
_WEEK_EPOCH = date(1970, 1, 5)  # a Monday: ISO weeks start on Monday, like date_trunc('week')


def check_period(period: str, allowed: tuple[str, ...] = PERIODS) -> str:
    if period not in allowed:
        raise UserInputError(f"Unknown period {period!r}; use one of: {', '.join(allowed)}.")
    return period


def period_key(d: date, period: str) -> int:
    """The integer key of the calendar period holding day `d`."""
    if period == "day":
        return (d - _EPOCH).days
    if period == "week":
        return (d - _WEEK_EPOCH).days // 7
    if period == "month":
        return d.year * 12 + d.month - 1
    if period == "quarter":
        return d.year * 4 + (d.month - 1) // 3
    if period == "year":
        return d.year
    raise UserInputError(f"Unknown period {period!r}; use one of: {', '.join(PERIODS)}.")


def period_start(key: int, period: str) -> date:
    """The first day of the period with this key."""
    key = int(key)
    if period == "day":
        return _EPOCH + timedelta(days=key)
    if period == "week":
        return _WEEK_EPOCH + timedelta(days=7 * key)
    if period == "month":
        return date(key // 12, key % 12 + 1, 1)
    if period == "quarter":
        return date(key // 4, (key % 4) * 3 + 1, 1)
    if period == "year":
        return date(key, 1, 1)
    raise UserInputError(f"Unknown period {period!r}; use one of: {', '.join(PERIODS)}.")


def period_end(key: int, period: str) -> date:
    """The last day of the period with this key."""
    return period_start(int(key) + 1, period) - timedelta(days=1)


def is_complete(key: int, period: str, as_of: date) -> bool:
    """A period is complete when its last day is on or before `as_of` (observed through as_of)."""
    return period_end(key, period) <= as_of
