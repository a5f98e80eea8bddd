"""Compliance exact around day boundaries and frequency changes, with fixed clocks (a given ``now``, never the
machine's): a sample at 23:59 and one at 00:01 Beijing time fall on two days, the morning run at 00:01 is
already the new day; a frequency tightened in the middle of a period takes effect on its day; a person in two
groups is held to the strictest while both hold."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fangkong.inputs import validate_row
from fangkong.testing.builders import citizen_id as any_citizen_id

from ..inputs import ResultInput
from ..models import Compliance
from ..selectors import overdue_entries
from ..services import frequency_set, group_create, member_add, overdue_run, result_record

pytestmark = pytest.mark.django_db
D = dt.date
BEIJING = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
_born = iter(range(10_000))


def _cid(region: str) -> str:
    return any_citizen_id(region, born=D(1985, 1, 1) + dt.timedelta(days=next(_born)))


def _group(actor, population: str, region: str, days: int, name: str):
    return group_create(actor=actor, name=name, population=population, region=region, frequency_days=days,
                        effective_from=D(2022, 4, 1))


def _member(actor, group, region: str, start=None, end=None, cid=None):
    start, cid = start or D(2022, 4, 1), cid or _cid(region)
    entry = member_add(actor=actor, group=group.pk, start=start, end=end, name="测试员", citizen_id=cid,
                       address_region=region).entry
    return entry.person_id, cid


def _record(actor, group, cid, **when):
    valid, errors = validate_row(ResultInput, {"group": group.pk, "citizen_id": cid, "result": "negative", **when})
    assert not errors, errors
    return result_record(actor=actor, **valid)[0]


def _due(person_id):
    return Compliance.objects.get(person=person_id).next_due_on


def _overdue(user, day):
    return {entry.person_id for entry in overdue_entries(user=user, day=day)}


def test_a_sample_at_2359_and_one_at_0001_local_time_fall_on_two_days(shenzhen_epi):
    group = _group(shenzhen_epi, "port_frontline", "440304", 1, "福田口岸")  # Shenzhen: daily
    late, late_cid = _member(shenzhen_epi, group, "440304")
    early, early_cid = _member(shenzhen_epi, group, "440304")
    # the laboratory's moments in UTC: 15:59Z is 23:59 in Beijing on the 11th, 16:01Z is 00:01 on the 12th
    assert _record(shenzhen_epi, group, late_cid, sampled_at="2022-04-11T15:59:00Z").sampled_on == D(2022, 4, 11)
    assert _record(shenzhen_epi, group, early_cid, sampled_at="2022-04-11T16:01:00Z").sampled_on == D(2022, 4, 12)
    # the same moments written in local time agree
    valid, _errors = validate_row(ResultInput, {"group": group.pk, "citizen_id": late_cid, "result": "negative",
                                                "sampled_at": "2022-04-11T23:59:00+08:00"})
    assert valid["sampled_on"] == D(2022, 4, 11)
    # the morning run at 23:59 on the 12th: the one tested at 23:59 on the 11th is due today, not overdue
    run = overdue_run(now=dt.datetime(2022, 4, 12, 23, 59, tzinfo=BEIJING))
    assert run["overdue"] == 0 and (_due(late), _due(early)) == (D(2022, 4, 12), D(2022, 4, 13))
    # two minutes later, 00:01 on the 13th (still the 12th in UTC): it is overdue, the other is due today
    stored = list(Compliance.objects.values_list())
    assert overdue_run(now=dt.datetime(2022, 4, 12, 16, 1, tzinfo=UTC))["overdue"] == 1
    assert _overdue(shenzhen_epi, D(2022, 4, 13)) == {late}
    assert list(Compliance.objects.values_list()) == stored  # nothing rewritten because the day changed
    # a day and a moment of the sample that disagree are refused, not guessed
    _valid, errors = validate_row(ResultInput, {"group": group.pk, "citizen_id": late_cid, "result": "negative",
                                                "sampled_on": "2022-04-11", "sampled_at": "2022-04-11T16:01:00Z"})
    assert set(errors) == {"sampled_on"}


def test_a_frequency_tightened_in_the_middle_of_a_period_takes_effect_on_its_day(guangzhou_epi):
    group = _group(guangzhou_epi, "cold_chain", "440106", 7, "天河冷库")  # the 8th edition allows weekly
    person, cid = _member(guangzhou_epi, group, "440106")
    _record(guangzhou_epi, group, cid, sampled_on="2022-04-05")
    assert _due(person) == D(2022, 4, 12)  # weekly: the next within seven days
    frequency_set(actor=guangzhou_epi, group=group.pk, days=1, effective_from=D(2022, 4, 8))
    assert _due(person) == D(2022, 4, 8)  # daily from the 8th, last test on the 5th: due on the 8th itself
    assert _overdue(guangzhou_epi, D(2022, 4, 8)) == set()
    overdue_run(now=dt.datetime(2022, 4, 9, 0, 1, tzinfo=BEIJING))
    assert _overdue(guangzhou_epi, D(2022, 4, 9)) == {person}
    # tested on the 9th: due on the 10th under the daily rule
    _record(guangzhou_epi, group, cid, sampled_on="2022-04-09")
    assert _due(person) == D(2022, 4, 10)


def test_a_person_in_two_groups_is_held_to_the_strictest_while_both_hold(guangzhou_epi):
    weekly = _group(guangzhou_epi, "cold_chain", "440106", 7, "天河冷库")
    daily = _group(guangzhou_epi, "port_frontline", "440106", 1, "天河口岸")
    person, cid = _member(guangzhou_epi, weekly, "440106")
    _member(guangzhou_epi, daily, "440106", start=D(2022, 4, 6), end=D(2022, 4, 9), cid=cid)
    _record(guangzhou_epi, weekly, cid, sampled_on="2022-04-05")
    assert (_due(person), Compliance.objects.get(person=person).interval_days) == (D(2022, 4, 6), 1)
    overdue_run(today=D(2022, 4, 7))
    assert _overdue(guangzhou_epi, D(2022, 4, 7)) == {person}
    # tested through either group: the same person's test. The daily membership ends on the 9th: weekly again
    _record(guangzhou_epi, daily, cid, sampled_on="2022-04-09")
    assert (_due(person), Compliance.objects.get(person=person).interval_days) == (D(2022, 4, 16), 7)
    assert _overdue(guangzhou_epi, D(2022, 4, 10)) == set()
