"""The working-hours calendar of task deadlines (configurable; urgent classes run round the clock).

A working day is Monday to Friday unless a ``CalendarDay`` says otherwise (public holidays off, weekends
worked in exchange on). Its working periods are ``WORKING_PERIODS`` (8:30–12:00 and 14:00–17:30, seven hours,
local time), or the setting ``FANGKONG_WORKING_PERIODS`` (``"08:30-12:00,14:00-17:30"``) when it is set.
The time allowed for each class (``sla``): extra urgent 2 h and urgent 24 h by the clock (weekends and
holidays included); routine three working days (21 working hours with the default periods). The second
escalation falls at 200 % of the time allowed, on the same calendar. Both deadlines are computed when the task
is created, with the calendar as it is then: a holiday recorded later moves no deadline already set.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from .models import CalendarDay, SlaClass

WORKING_PERIODS = ((dt.time(8, 30), dt.time(12, 0)), (dt.time(14, 0), dt.time(17, 30)))
MAX_DAYS = 3660  # a deadline further than ten years away is a configuration error


@dataclass(frozen=True)
class Sla:
    allowed: dt.timedelta
    round_the_clock: bool


def working_periods() -> tuple[tuple[dt.time, dt.time], ...]:
    """The working periods of a working day: the setting ``FANGKONG_WORKING_PERIODS`` (from the environment
    variable of that name) when set, else ``WORKING_PERIODS``. A value that is not periods in order within
    the day ("08:30-12:00,14:00-17:30") is a configuration error, said as such."""
    configured = getattr(settings, "FANGKONG_WORKING_PERIODS", "")
    if not configured:
        return WORKING_PERIODS
    periods = []
    try:
        for part in configured.split(","):
            start, end = part.strip().split("-")
            periods.append((dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())))
    except ValueError:
        periods = []
    ordered = all(start < end for start, end in periods) and all(
        before[1] <= after[0] for before, after in zip(periods, periods[1:], strict=False))
    if not periods or not ordered:
        raise ImproperlyConfigured(f"FANGKONG_WORKING_PERIODS={configured!r}: give working periods in order "
                                   "within the day, as in \"08:30-12:00,14:00-17:30\"")
    return tuple(periods)


def hours_per_day() -> dt.timedelta:
    day = dt.date(2000, 1, 3)
    return sum((dt.datetime.combine(day, end) - dt.datetime.combine(day, start) for start, end in working_periods()),
               dt.timedelta())


def sla(sla_class: str) -> Sla:
    if sla_class == SlaClass.EXTRA_URGENT:
        return Sla(dt.timedelta(hours=2), True)
    if sla_class == SlaClass.URGENT:
        return Sla(dt.timedelta(hours=24), True)
    return Sla(3 * hours_per_day(), False)


class Calendar:
    """Working time, with the overriding days read once (``days``: date → working; None: read the table)."""

    def __init__(self, days: dict[dt.date, bool] | None = None):
        self.days = dict(CalendarDay.objects.values_list("day", "working")) if days is None else days
        self.periods = working_periods()

    def working_day(self, day: dt.date) -> bool:
        return self.days.get(day, day.weekday() < 5)

    def _periods_from(self, moment: dt.datetime):
        """(start, end) of the working periods from ``moment`` on, the first one cut at ``moment``."""
        local = timezone.localtime(moment)
        day = local.date()
        for _ in range(MAX_DAYS):
            if self.working_day(day):
                for start, end in self.periods:
                    s = timezone.make_aware(dt.datetime.combine(day, start))
                    e = timezone.make_aware(dt.datetime.combine(day, end))
                    if e > local:
                        yield max(s, local), e
            day += dt.timedelta(days=1)
        raise ValueError("no working time within ten years: check the working calendar")

    def add(self, start: dt.datetime, allowed: dt.timedelta) -> dt.datetime:
        """The moment ``allowed`` working time after ``start``."""
        remaining = allowed
        for s, e in self._periods_from(start):
            if remaining <= e - s:
                return s + remaining
            remaining -= e - s
        raise AssertionError("unreachable")

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """The working time from ``start`` to ``end`` (zero when ``end`` is not after ``start``)."""
        total = dt.timedelta()
        for s, e in self._periods_from(start):
            if s >= end:
                break
            total += min(e, end) - s
        return total


def deadlines(created: dt.datetime, sla_class: str, deadline: dt.datetime | None = None,
              calendar: Calendar | None = None) -> tuple[dt.datetime, dt.datetime]:
    """(deadline, second deadline) of a task created at ``created``: the class's time allowed, or the deadline
    given; the second at twice the time allowed, by the clock for urgent classes, on the calendar otherwise."""
    rule = sla(sla_class)
    if rule.round_the_clock:
        first = deadline or created + rule.allowed
        return first, first + (first - created)
    calendar = calendar or Calendar()
    if deadline is None:
        allowed = rule.allowed
        first = calendar.add(created, allowed)
    else:
        first, allowed = deadline, calendar.between(created, deadline)
    return first, calendar.add(first, allowed) if allowed else first + (first - created)
