"""Management periods as the protocol editions count them: from the last exposure.

Every edition counts a close contact's (and a contact of a close contact's) management from the *last
exposure* (8th edition: "医学观察期限为自最后一次与病例、无症状感染者发生无有效防护的接触后14天"; 9th edition:
"隔离管理期限自末次暴露后算起"), and an inbound traveller's from the day of entry. Day 1 of the period is the
day after that day (day 0); the test days of the editions ("第1、4、7、14天") are numbered the same way.
When a contact's last exposure is not known, the listing date stands in for it (day 0): management then
never ends before the protocol's full period after the day the contact was found, and the contact is
shown as "last exposure unknown".

The functions take any object with the rule fields of ``ProtocolVersion`` (the model, or the historical
model of a data migration), so that the stored dates and a migration recomputing them agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CATEGORIES = ("close", "secondary", "inbound")
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class ManagementPeriod:
    """One person's period under one edition. ``counted_from`` is day 0 (the last exposure, the listing date
    when that is unknown, or the day of entry); the centralised phase runs from day 1 to
    ``centralised_until`` (None when the row has no centralised phase), the home phase (home health
    monitoring, or home quarantine for contacts of close contacts under the 9th edition) to ``home_until``;
    ``release_due`` is the day after the last day of management."""

    counted_from: dt.date
    centralised_days: int
    home_days: int

    @property
    def first_day(self) -> dt.date:
        return self.counted_from + DAY

    @property
    def centralised_until(self) -> dt.date | None:
        return self.counted_from + dt.timedelta(days=self.centralised_days) if self.centralised_days else None

    @property
    def home_until(self) -> dt.date | None:
        if not self.home_days:
            return None
        return self.counted_from + dt.timedelta(days=self.centralised_days + self.home_days)

    @property
    def release_due(self) -> dt.date:
        return self.counted_from + dt.timedelta(days=self.centralised_days + self.home_days + 1)


def phase_days(rules, category: str) -> tuple[int, int] | None:
    """(centralised days, home days) of the edition's row for ``category``; None when it is not managed."""
    if category == "close":
        return rules.close_contact_centralised_days, rules.close_contact_home_days
    if category == "secondary":
        if not rules.secondary_contacts_traced:
            return None
        days = rules.secondary_contact_days
        return (days, 0) if rules.secondary_contact_centralised else (0, days)
    if category == "inbound":
        return rules.inbound_centralised_days, rules.inbound_home_days
    raise ValueError(f"unknown category {category!r}; known: {CATEGORIES}")


def management_period(rules, category: str, counted_from: dt.date) -> ManagementPeriod | None:
    """The period of ``category`` under ``rules`` when day 0 is ``counted_from``; None when not managed."""
    days = phase_days(rules, category)
    if days is None:
        return None
    return ManagementPeriod(counted_from=counted_from, centralised_days=days[0], home_days=days[1])


def contact_counted_from(*, exposure_end: dt.date | None, listed_date: dt.date) -> tuple[dt.date, bool]:
    """(day 0 of a contact's period, whether the last exposure is known): the end of the exposure window,
    or the listing date when no end is recorded (a start alone does not say when the exposure ended)."""
    if exposure_end is not None:
        return exposure_end, True
    return listed_date, False


def test_schedule(rules, category: str, first_day: dt.date) -> list[dict]:
    """Test dates when day 1 of the period is ``first_day``: [{"date", "phase", "day"}], the home phase's
    days numbered from its own first day; empty when the row has no tests or the category is not managed."""
    schedule = []
    if category == "close":
        for day in rules.close_contact_test_days:
            schedule.append({"date": (first_day + dt.timedelta(days=day - 1)).isoformat(),
                             "phase": "centralised", "day": day})
        home_start = first_day + dt.timedelta(days=rules.close_contact_centralised_days)
        for day in rules.close_contact_home_test_days:
            schedule.append({"date": (home_start + dt.timedelta(days=day - 1)).isoformat(),
                             "phase": "home", "day": day})
    elif category == "inbound":
        # Every edition tests inbound travellers on the days it tests close contacts, each phase counted from its
        # own first day (8th: 集中隔离第1、4、7、14天, 居家健康监测第2、7天; 9th: 第1、2、3、5、7天, 居家第3天; the
        # twenty measures: 第1、2、3、5天, 居家第1、3天): the close contacts' days, in the inbound phases. Days
        # beyond a phase are not kept (an edition whose inbound phases were shorter).
        home_start = first_day + dt.timedelta(days=rules.inbound_centralised_days)
        for phase, days, start, length in (
                ("centralised", rules.close_contact_test_days, first_day, rules.inbound_centralised_days),
                ("home", rules.close_contact_home_test_days, home_start, rules.inbound_home_days)):
            schedule.extend({"date": (start + dt.timedelta(days=day - 1)).isoformat(), "phase": phase, "day": day}
                            for day in days if day <= length)
    elif category == "secondary" and rules.secondary_contacts_traced:
        phase = "centralised" if rules.secondary_contact_centralised else "home"
        for day in rules.secondary_contact_test_days:
            schedule.append({"date": (first_day + dt.timedelta(days=day - 1)).isoformat(),
                             "phase": phase, "day": day})
    return schedule


def contact_plan(rules, category: str, *, exposure_end: dt.date | None,
                 listed_date: dt.date) -> tuple[list[dict], dt.date | None]:
    """(test schedule, release due) of a contact, counted from its last exposure (or listing date)."""
    counted_from, _known = contact_counted_from(exposure_end=exposure_end, listed_date=listed_date)
    period = management_period(rules, category, counted_from)
    if period is None:
        return [], None
    return test_schedule(rules, category, period.first_day), period.release_due
