"""The due day of a person's next test, exact around day boundaries, frequency changes, several groups and
gaps in membership (fixed dates: no clock)."""

import datetime as dt

from ..compliance import Membership, next_due

D = dt.date
DAILY, EVERY_2, WEEKLY = 1, 2, 7


def member(start, end=None, *frequencies):
    return Membership(start, end, tuple(frequencies))


def test_daily_is_due_the_day_after_the_test_and_overdue_the_day_after_that():
    m = [member(D(2022, 4, 1), None, (D(2022, 4, 1), DAILY))]
    due = next_due(m, D(2022, 4, 10), D(2022, 4, 10))
    assert due.on == D(2022, 4, 11) and due.days == 1
    assert not due.on < D(2022, 4, 11)  # on the due day: due, not overdue
    assert due.on < D(2022, 4, 12)      # the day after: overdue


def test_a_new_member_is_due_on_the_first_day_daily_and_within_seven_days_weekly():
    assert next_due([member(D(2022, 4, 5), None, (D(2022, 4, 1), DAILY))], None, D(2022, 4, 5)).on == D(2022, 4, 5)
    assert next_due([member(D(2022, 4, 5), None, (D(2022, 4, 1), WEEKLY))], None, D(2022, 4, 5)).on == D(2022, 4, 11)
    # a test taken before membership changes nothing
    assert next_due([member(D(2022, 4, 5), None, (D(2022, 4, 1), WEEKLY))], D(2022, 4, 3), D(2022, 4, 5)).on == D(2022, 4, 11)


def test_a_stricter_frequency_takes_effect_on_its_own_day_counted_from_the_last_test():
    m = [member(D(2022, 4, 1), None, (D(2022, 4, 1), WEEKLY), (D(2022, 4, 10), DAILY))]
    assert next_due(m, D(2022, 4, 7), D(2022, 4, 8)).on == D(2022, 4, 10)
    # tested the day before the change: due on the change day + 0 → 4-10 (4-9 + 1)
    assert next_due(m, D(2022, 4, 9), D(2022, 4, 9)).on == D(2022, 4, 10)
    # a test long ago under the weekly rule already overdue stays overdue from its own due day
    assert next_due(m, D(2022, 4, 1), D(2022, 4, 10)).on == D(2022, 4, 8)


def test_a_looser_frequency_counts_from_the_last_test():
    m = [member(D(2022, 4, 1), None, (D(2022, 4, 1), DAILY), (D(2022, 4, 10), WEEKLY))]
    assert next_due(m, D(2022, 4, 9), D(2022, 4, 9)).on == D(2022, 4, 16)
    # last test on the 8th: due on the 9th under the daily rule (before the change)
    assert next_due(m, D(2022, 4, 8), D(2022, 4, 9)).on == D(2022, 4, 9)


def test_the_strictest_of_several_groups_applies_while_both_hold():
    weekly = member(D(2022, 4, 1), None, (D(2022, 4, 1), WEEKLY))
    daily = member(D(2022, 4, 5), D(2022, 4, 8), (D(2022, 4, 1), DAILY))
    assert next_due([weekly, daily], D(2022, 4, 4), D(2022, 4, 5)).on == D(2022, 4, 5)
    assert next_due([weekly, daily], D(2022, 4, 5), D(2022, 4, 5)).on == D(2022, 4, 6)
    # tested on the 8th, the daily membership ends on the 8th: the weekly rule from the 9th
    assert next_due([weekly, daily], D(2022, 4, 8), D(2022, 4, 8)).on == D(2022, 4, 15)


def test_membership_end_and_gaps():
    ended = member(D(2022, 4, 1), D(2022, 4, 10), (D(2022, 4, 1), DAILY))
    assert next_due([ended], D(2022, 4, 10), D(2022, 4, 10)).on is None  # due on the 11th: no longer a member
    assert next_due([ended], D(2022, 4, 5), D(2022, 4, 12)).on is None   # history makes nobody overdue
    again = member(D(2022, 4, 20), None, (D(2022, 4, 1), EVERY_2))
    assert next_due([ended, again], D(2022, 4, 5), D(2022, 4, 12)).on == D(2022, 4, 21)
    # a membership ending the day it falls due: due that day
    assert next_due([ended], D(2022, 4, 9), D(2022, 4, 9)).on == D(2022, 4, 10)


def test_no_frequency_yet_means_nothing_due():
    m = [member(D(2022, 4, 1), None, (D(2022, 4, 10), DAILY))]
    assert next_due(m, None, D(2022, 4, 2)).on == D(2022, 4, 10)
    assert next_due([], None, D(2022, 4, 2)).on is None
