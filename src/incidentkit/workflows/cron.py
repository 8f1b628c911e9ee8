"""Cron ticks for ``schedule`` triggers: which minutes a five-field expression fires on.

The loader accepts numbers, ``*``, ranges, lists and ``/`` steps (``schema.check_cron``); this
module evaluates exactly that syntax, in UTC, with the usual rule that when both day of month and
day of week are restricted, a day matching either fires. Pure: the caller passes the times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))

MAX_CATCH_UP = timedelta(days=1)
"""Ticks further back than this are not started after a pause (one day of missed digests is plenty)."""


def _values(text: str, low: int, high: int) -> frozenset[int]:
    found: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, last = base.split("-")
            start, end = int(first), int(last)
        else:
            start = int(base)
            end = high if step_text else start
        found.update(range(start, end + 1, step))
    return frozenset(found)


@dataclass(frozen=True)
class CronSchedule:
    """A parsed five-field cron expression (minute hour day month weekday), evaluated in UTC."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        """Parse an expression the loader accepted.

        Raises:
            ValueError: it does not have five fields of numbers, ranges, lists, steps or ``*``.
        """
        fields = expression.split()
        if len(fields) != 5:
            raise ValueError(f"cron needs 5 fields, got {len(fields)}: {expression!r}")
        parsed = [_values(text, low, high) for text, (low, high) in zip(fields, _RANGES, strict=True)]
        # Sunday is 0 and 7.
        weekdays = frozenset(0 if day == 7 else day for day in parsed[4])
        return cls(parsed[0], parsed[1], parsed[2], parsed[3], weekdays, fields[2] == "*", fields[4] == "*")

    def matches(self, moment: datetime) -> bool:
        """Whether the schedule fires in this minute."""
        if (
            moment.minute not in self.minutes
            or moment.hour not in self.hours
            or moment.month not in self.months
        ):
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day and self.any_weekday:
            return True
        if self.any_day:
            return weekday_ok
        if self.any_weekday:
            return day_ok
        return day_ok or weekday_ok

    def ticks(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """The minutes in ``(after, until]`` the schedule fires on, oldest first (at most a day back)."""
        start = max(after, until - MAX_CATCH_UP)
        moment = start.replace(second=0, microsecond=0) + timedelta(minutes=1)
        while moment <= until:
            if self.matches(moment):
                yield moment
            moment += timedelta(minutes=1)
