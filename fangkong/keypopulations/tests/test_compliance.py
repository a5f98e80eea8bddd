"""The set-based due days (``compliance.refresh``: one SQL statement over everyone) on a data set with every
boundary — the day after a test, new members, a frequency tightened or loosened counted from the last test,
several groups (the strictest while both hold), a membership ending, gaps and history, no frequency yet —
each person checked against the day the rule gives, read on a day as the pages read it
(``selectors.compliance_of``, fixed dates, no clock); a test after a day asked about counts for that day only
in the as-of reading (``overdue_counts``). The same statement runs on SQLite and PostgreSQL (run these with
``DATABASE_URL`` set for the latter)."""

import datetime as dt
import itertools

import pytest

from fangkong.persons.models import Person

from .. import compliance
from ..models import Compliance, GroupFrequency, KeyGroup, KeyTest, RosterEntry, TestingRule
from ..selectors import compliance_of, overdue_q

pytestmark = pytest.mark.django_db
D = dt.date
DAILY, EVERY_2, WEEKLY = 1, 2, 7
_names = itertools.count()


def group(*frequencies):
    """A group with its frequencies, ``(from, days)`` pairs."""
    found = KeyGroup.objects.create(name=f"组{next(_names)}", population="cold_chain", region_id="440304")
    rule = TestingRule.objects.first()
    for since, days in frequencies:
        GroupFrequency.objects.create(group=found, effective_from=since, days=days, rule=rule)
    return found


def person(*memberships, tests=()):
    """A person on ``(group, start, end)`` rosters with negative tests on ``tests``."""
    found = Person.objects.create(name=f"人{next(_names)}", address_region_id="440304")
    for member_of, start, end in memberships:
        RosterEntry.objects.create(group=member_of, person=found, start=start, end=end)
    for day in tests:
        KeyTest.objects.create(person=found, group=memberships[0][0], sampled_on=day, result="negative")
    return found.pk


def due_of(pk, day):
    """(next due day, frequency) of the person as shown on ``day``; (None, None) without a stretch then."""
    row = compliance_of([pk], day).get(pk)
    return (row.next_due_on, row.interval_days) if row else (None, None)


def overdue_as_of(day, group):
    """The overdue on ``day`` of a group computed as of that day (the tests sampled until then)."""
    return sum(compliance.overdue_counts(day=day, groups_sql="%s", groups_params=[group.pk]).values())


@pytest.fixture
def groups(db):
    return {
        "daily": group((D(2022, 4, 1), DAILY)),
        "weekly": group((D(2022, 4, 1), WEEKLY)),
        "every_2": group((D(2022, 4, 1), EVERY_2)),
        "tightened": group((D(2022, 4, 1), WEEKLY), (D(2022, 4, 10), DAILY)),
        "loosened": group((D(2022, 4, 1), DAILY), (D(2022, 4, 10), WEEKLY)),
        "later": group((D(2022, 4, 10), DAILY)),  # no frequency before the 10th
    }


def test_every_boundary_in_one_statement_over_everyone(groups):
    g = groups
    open_daily, open_weekly = (g["daily"], D(2022, 4, 1), None), (g["weekly"], D(2022, 4, 1), None)
    cases = {  # person → (as of, expected due day, expected frequency)
        # daily, tested on the 10th: due on the 11th (overdue on the 12th)
        person(open_daily, tests=[D(2022, 4, 10)]): (D(2022, 4, 10), D(2022, 4, 11), DAILY),
        # every test recorded counts in what is stored (the as-of reading: below)
        person(open_daily, tests=[D(2022, 4, 8), D(2022, 4, 11)]): (D(2022, 4, 10), D(2022, 4, 12), DAILY),
        # new members: daily due on their first day, weekly within the first seven; a test before changes nothing
        person((g["daily"], D(2022, 4, 5), None)): (D(2022, 4, 5), D(2022, 4, 5), DAILY),
        person((g["weekly"], D(2022, 4, 5), None)): (D(2022, 4, 5), D(2022, 4, 11), WEEKLY),
        person((g["weekly"], D(2022, 4, 5), None), tests=[D(2022, 4, 3)]): (D(2022, 4, 5), D(2022, 4, 11), WEEKLY),
        # tightened on the 10th (weekly → daily), counted from the last test
        person((g["tightened"], D(2022, 4, 1), None), tests=[D(2022, 4, 7)]): (D(2022, 4, 8), D(2022, 4, 10), DAILY),
        person((g["tightened"], D(2022, 4, 1), None), tests=[D(2022, 4, 9)]): (D(2022, 4, 9), D(2022, 4, 10), DAILY),
        person((g["tightened"], D(2022, 4, 1), None), tests=[D(2022, 4, 1)]): (D(2022, 4, 10), D(2022, 4, 8), WEEKLY),
        # loosened on the 10th (daily → weekly)
        person((g["loosened"], D(2022, 4, 1), None), tests=[D(2022, 4, 9)]): (D(2022, 4, 9), D(2022, 4, 16), WEEKLY),
        person((g["loosened"], D(2022, 4, 1), None), tests=[D(2022, 4, 8)]): (D(2022, 4, 9), D(2022, 4, 9), DAILY),
        # weekly and, from the 5th to the 8th, daily: the strictest while both hold
        person(open_weekly, (g["daily"], D(2022, 4, 5), D(2022, 4, 8)), tests=[D(2022, 4, 4)]):
            (D(2022, 4, 5), D(2022, 4, 5), DAILY),
        person(open_weekly, (g["daily"], D(2022, 4, 5), D(2022, 4, 8)), tests=[D(2022, 4, 5)]):
            (D(2022, 4, 5), D(2022, 4, 6), DAILY),
        person(open_weekly, (g["daily"], D(2022, 4, 5), D(2022, 4, 8)), tests=[D(2022, 4, 8)]):
            (D(2022, 4, 8), D(2022, 4, 15), WEEKLY),
        # a membership ending: due after its end → nothing due; ended before the day → history
        person((g["daily"], D(2022, 4, 1), D(2022, 4, 10)), tests=[D(2022, 4, 10)]): (D(2022, 4, 10), None, None),
        person((g["daily"], D(2022, 4, 1), D(2022, 4, 10)), tests=[D(2022, 4, 5)]): (D(2022, 4, 12), None, None),
        # ... ending the day it falls due: due that day
        person((g["daily"], D(2022, 4, 1), D(2022, 4, 10)), tests=[D(2022, 4, 9)]): (D(2022, 4, 9), D(2022, 4, 10), DAILY),
        # a gap, then a new membership every two days: counted from the day before it starts
        person((g["daily"], D(2022, 4, 1), D(2022, 4, 10)), (g["every_2"], D(2022, 4, 20), None),
               tests=[D(2022, 4, 5)]): (D(2022, 4, 12), D(2022, 4, 21), EVERY_2),
        # two memberships back to back: one stretch, counted from the last test, no fresh start (which
        # would give the 12th)
        person((g["weekly"], D(2022, 4, 1), D(2022, 4, 10)), (g["every_2"], D(2022, 4, 11), None),
               tests=[D(2022, 4, 5)]): (D(2022, 4, 12), D(2022, 4, 11), EVERY_2),
        # no frequency until the 10th: due on the 10th
        person((g["later"], D(2022, 4, 1), None)): (D(2022, 4, 2), D(2022, 4, 10), DAILY),
    }
    compliance.refresh()  # everyone, once: what is stored does not depend on the day
    for pk, (when, due, days) in cases.items():
        assert due_of(pk, when) == (due, days), (pk, when)
    # one membership at one frequency: the stretch is steady from its first day; tightened on the 10th:
    # steady from then
    row = Compliance.objects.get(person=next(iter(cases)))
    assert (row.stretch_from, row.stretch_until, row.prior_from, row.steady_from, row.steady_days) == (
        D(2022, 4, 1), None, None, D(2022, 4, 1), DAILY)
    tightened = Compliance.objects.filter(person__in=cases, stretch_from=D(2022, 4, 1), prior_from=D(2022, 4, 1),
                                          prior_days=WEEKLY, steady_from=D(2022, 4, 10), steady_days=DAILY)
    assert tightened.count() == 3
    # weekly, daily from the 5th to the 8th, weekly again: the last two blocks kept
    both = Compliance.objects.filter(person__in=cases, prior_from=D(2022, 4, 5), prior_days=DAILY,
                                     steady_from=D(2022, 4, 9), steady_days=WEEKLY)
    assert both.count() == 3
    # a gap, then another membership: two stretches, the first (history) with nothing due in it
    two = [pk for pk in cases if Compliance.objects.filter(person=pk).count() == 2]
    assert len(two) == 1
    first, second = Compliance.objects.filter(person=two[0]).order_by("stretch_from")
    assert (first.stretch_until, first.next_due_on, second.stretch_from, second.next_due_on) == (
        D(2022, 4, 10), D(2022, 4, 6), D(2022, 4, 20), D(2022, 4, 21))


def test_the_as_of_reading_counts_only_the_tests_sampled_until_the_day(groups):
    pk = person((groups["daily"], D(2022, 4, 1), None), tests=[D(2022, 4, 8), D(2022, 4, 11)])
    compliance.refresh()
    assert due_of(pk, D(2022, 4, 10)) == (D(2022, 4, 12), DAILY)  # stored: every test recorded
    assert overdue_as_of(D(2022, 4, 10), groups["daily"]) == 1  # as the 10th saw it: due on the 9th
    assert overdue_as_of(D(2022, 4, 11), groups["daily"]) == 0


def test_a_person_overdue_the_day_after_the_due_day_not_on_it(groups):
    pk = person((groups["daily"], D(2022, 4, 1), None), tests=[D(2022, 4, 10)])
    compliance.refresh()
    assert due_of(pk, D(2022, 4, 11)) == (D(2022, 4, 11), DAILY)  # due on the 11th: due, not overdue
    overdue = RosterEntry.objects.filter(person=pk)
    assert not overdue.filter(overdue_q(D(2022, 4, 11))).exists()
    assert overdue.filter(overdue_q(D(2022, 4, 12))).exists()  # the day after: overdue, nothing rewritten


def test_refresh_of_some_persons_or_a_group_leaves_the_others_alone(groups):
    first = person((groups["daily"], D(2022, 4, 1), None), tests=[D(2022, 4, 10)])
    second = person((groups["weekly"], D(2022, 4, 1), None), tests=[D(2022, 4, 10)])
    assert compliance.refresh(persons=[first]) == 1
    assert Compliance.objects.filter(person=second).count() == 0
    assert compliance.refresh(group=groups["weekly"].pk) == 1
    assert due_of(second, D(2022, 4, 10)) == (D(2022, 4, 17), WEEKLY)
    # again: the rows are replaced, not added
    assert compliance.refresh() == 2
    assert Compliance.objects.count() == 2


def test_a_positive_test_is_kept_with_the_last_test(groups):
    pk = person((groups["daily"], D(2022, 4, 1), None), tests=[D(2022, 4, 8)])
    KeyTest.objects.create(person_id=pk, group=groups["daily"], sampled_on=D(2022, 4, 9), result="positive")
    compliance.refresh()
    row = Compliance.objects.get(person=pk)
    assert (row.last_test_on, row.positive_on, row.next_due_on) == (D(2022, 4, 9), D(2022, 4, 9), D(2022, 4, 10))
