"""The incremental path (``compliance.tests_applied``, through ``result_record`` and a laboratory's load of a
day): after every step the stored rows are exactly those a full recomputation gives (``compliance.refresh``
over everyone, the oracle), and the due days are the rule's — a result arriving late for an earlier day, a
membership ended, a frequency tightened in the middle of a period (the anchor before the change: the person
recomputed), a person in two groups held to the strictest, a positive. Fixed dates, no clock; the same SQL
on SQLite and PostgreSQL (``DATABASE_URL``)."""

import datetime as dt

import pytest

from fangkong.testing.builders import citizen_id as any_citizen_id

from .. import compliance
from ..models import Compliance, KeyTest
from ..selectors import compliance_of, overdue_entries
from ..services import frequency_set, group_create, member_add, overdue_run, result_record, results_apply

pytestmark = pytest.mark.django_db
D = dt.date
_born = iter(range(10_000))
FIELDS = ("person_id", "stretch_from", "stretch_until", "prior_from", "prior_days", "steady_from", "steady_days",
          "last_test_on", "positive_on", "next_due_on", "interval_days")


def _cid(region="440106"):
    return any_citizen_id(region, born=D(1970, 1, 1) + dt.timedelta(days=next(_born)))


def _group(actor, days, population="cold_chain", name="天河冷库"):
    return group_create(actor=actor, name=name, population=population, region="440106", frequency_days=days,
                        effective_from=D(2022, 4, 1))


def _member(actor, group, start=None, end=None, cid=None):
    cid, start = cid or _cid(), start or D(2022, 4, 1)
    entry = member_add(actor=actor, group=group.pk, start=start, end=end, name="测试员", citizen_id=cid,
                       address_region="440106").entry
    return entry.person_id, cid


def _test(actor, group, cid, day, result="negative"):
    return result_record(actor=actor, group=group.pk, citizen_id=cid, sampled_on=day, result=result)[0]


def _rows():
    return sorted(Compliance.objects.values_list(*FIELDS))


def assert_as_recomputed():
    """The rows the incremental path left are those a full recomputation writes."""
    kept = _rows()
    compliance.refresh()
    assert kept == _rows()


def _status(person, day):
    row = compliance_of([person], day).get(person)
    return (row.last_test_on, row.next_due_on, row.interval_days) if row else None


def _overdue(user, day):
    return {entry.person_id for entry in overdue_entries(user=user, day=day)}


def test_a_result_arriving_late_for_an_earlier_day(guangzhou_epi):
    daily = _group(guangzhou_epi, 1)
    person, cid = _member(guangzhou_epi, daily)
    _test(guangzhou_epi, daily, cid, D(2022, 4, 10))
    assert _status(person, D(2022, 4, 10)) == (D(2022, 4, 10), D(2022, 4, 11), 1)
    # the 8th's result comes in after the 10th's: the last test stays the 10th, nothing else moves
    _test(guangzhou_epi, daily, cid, D(2022, 4, 8))
    assert _status(person, D(2022, 4, 12)) == (D(2022, 4, 10), D(2022, 4, 11), 1)
    assert _overdue(guangzhou_epi, D(2022, 4, 12)) == {person}
    # the 11th's result arrives on the 13th: no longer overdue on the 12th, due on the 12th
    _test(guangzhou_epi, daily, cid, D(2022, 4, 11))
    assert _status(person, D(2022, 4, 12)) == (D(2022, 4, 11), D(2022, 4, 12), 1)
    assert _overdue(guangzhou_epi, D(2022, 4, 12)) == set()
    assert _overdue(guangzhou_epi, D(2022, 4, 13)) == {person}
    assert_as_recomputed()


def test_a_membership_ended(guangzhou_epi):
    daily = _group(guangzhou_epi, 1)
    person, cid = _member(guangzhou_epi, daily)
    _test(guangzhou_epi, daily, cid, D(2022, 4, 5))
    assert _overdue(guangzhou_epi, D(2022, 4, 8)) == {person}
    # ended on the 9th (the same membership, its end given): overdue until then, not after
    member_add(actor=guangzhou_epi, group=daily.pk, start=D(2022, 4, 1), end=D(2022, 4, 9), name="测试员",
               citizen_id=cid, address_region="440106")
    assert _overdue(guangzhou_epi, D(2022, 4, 9)) == {person}
    assert _overdue(guangzhou_epi, D(2022, 4, 10)) == set() and _status(person, D(2022, 4, 10)) is None
    assert overdue_run(today=D(2022, 4, 10))["overdue"] == 0
    # a test after the end changes the stored row, not the verdict
    _test(guangzhou_epi, daily, cid, D(2022, 4, 11))
    assert Compliance.objects.get(person=person).next_due_on is None  # the next test after the end
    assert_as_recomputed()


def test_a_frequency_tightened_in_the_middle_of_a_period(guangzhou_epi):
    group = _group(guangzhou_epi, 7)
    person, cid = _member(guangzhou_epi, group)
    _test(guangzhou_epi, group, cid, D(2022, 4, 3))
    frequency_set(actor=guangzhou_epi, group=group.pk, days=1, effective_from=D(2022, 4, 10))
    row = Compliance.objects.get(person=person)
    assert (row.prior_from, row.prior_days, row.steady_from, row.steady_days, row.next_due_on) == (
        D(2022, 4, 1), 7, D(2022, 4, 10), 1, D(2022, 4, 10))
    # tested on the 8th, before the change: weekly would give the 15th, the daily rule the 10th
    _test(guangzhou_epi, group, cid, D(2022, 4, 8))
    assert _status(person, D(2022, 4, 9)) == (D(2022, 4, 8), D(2022, 4, 10), 1)
    assert_as_recomputed()
    # tested on the 9th: the day before the change, the daily rule counts from it — due on the 10th
    _test(guangzhou_epi, group, cid, D(2022, 4, 9))
    assert _status(person, D(2022, 4, 9)) == (D(2022, 4, 9), D(2022, 4, 10), 1)
    # tested on the 10th: in the steady tail, one UPDATE — due on the 11th
    _test(guangzhou_epi, group, cid, D(2022, 4, 10))
    assert _status(person, D(2022, 4, 10)) == (D(2022, 4, 10), D(2022, 4, 11), 1)
    assert _overdue(guangzhou_epi, D(2022, 4, 12)) == {person}
    assert_as_recomputed()


def test_two_changes_after_the_last_test_recompute_the_person(guangzhou_epi):
    """Weekly, daily from the 10th, every two days from the 14th, last test on the 3rd: a late result of
    the 5th has its anchor before both last blocks — the person is recomputed, due on the 10th."""
    group = _group(guangzhou_epi, 7)
    person, cid = _member(guangzhou_epi, group)
    _test(guangzhou_epi, group, cid, D(2022, 4, 3))
    frequency_set(actor=guangzhou_epi, group=group.pk, days=1, effective_from=D(2022, 4, 10))
    frequency_set(actor=guangzhou_epi, group=group.pk, days=2, effective_from=D(2022, 4, 14))
    row = Compliance.objects.get(person=person)
    assert (row.prior_from, row.prior_days, row.steady_from, row.steady_days, row.next_due_on) == (
        D(2022, 4, 10), 1, D(2022, 4, 14), 2, D(2022, 4, 10))
    _test(guangzhou_epi, group, cid, D(2022, 4, 5))
    assert _status(person, D(2022, 4, 9)) == (D(2022, 4, 5), D(2022, 4, 10), 1)
    assert_as_recomputed()
    _test(guangzhou_epi, group, cid, D(2022, 4, 13))  # the last day of the daily block: every two days next
    assert _status(person, D(2022, 4, 14)) == (D(2022, 4, 13), D(2022, 4, 15), 2)
    assert_as_recomputed()


def test_a_person_in_two_groups_is_held_to_the_strictest(guangzhou_epi):
    weekly = _group(guangzhou_epi, 7)
    daily = _group(guangzhou_epi, 1, population="port_frontline", name="天河口岸")
    person, cid = _member(guangzhou_epi, weekly)
    _member(guangzhou_epi, daily, start=D(2022, 4, 6), end=D(2022, 4, 9), cid=cid)
    _test(guangzhou_epi, weekly, cid, D(2022, 4, 5))
    assert _status(person, D(2022, 4, 6)) == (D(2022, 4, 5), D(2022, 4, 6), 1)
    _test(guangzhou_epi, daily, cid, D(2022, 4, 6))  # through the other group: the same person's test
    assert _status(person, D(2022, 4, 7)) == (D(2022, 4, 6), D(2022, 4, 7), 1)
    assert _overdue(guangzhou_epi, D(2022, 4, 8)) == {person}
    assert_as_recomputed()
    # tested on the 9th, the daily membership's last day: weekly again from the 10th
    _test(guangzhou_epi, daily, cid, D(2022, 4, 9))
    assert _status(person, D(2022, 4, 10)) == (D(2022, 4, 9), D(2022, 4, 16), 7)
    assert _overdue(guangzhou_epi, D(2022, 4, 12)) == set()
    assert_as_recomputed()


def test_a_positive_is_kept_with_the_last_test(guangzhou_epi):
    daily = _group(guangzhou_epi, 1)
    person, cid = _member(guangzhou_epi, daily)
    _test(guangzhou_epi, daily, cid, D(2022, 4, 9))
    _test(guangzhou_epi, daily, cid, D(2022, 4, 9), result="positive")  # replaces that day's negative
    row = Compliance.objects.get(person=person)
    assert (row.last_test_on, row.positive_on, row.next_due_on) == (D(2022, 4, 9), D(2022, 4, 9), D(2022, 4, 10))
    _test(guangzhou_epi, daily, cid, D(2022, 4, 10))  # a later negative does not clear the positive
    row = Compliance.objects.get(person=person)
    assert (row.last_test_on, row.positive_on, row.next_due_on) == (D(2022, 4, 10), D(2022, 4, 9), D(2022, 4, 11))
    assert_as_recomputed()


def test_a_laboratorys_day_loaded_at_once(guangzhou_epi):
    """Tests written in bulk (as a laboratory's feed loads them), then applied by id in one call: every row as a
    recomputation gives; applied again, nothing changes; tests of nobody's or no id change nothing."""
    weekly, every_2 = _group(guangzhou_epi, 7), _group(guangzhou_epi, 2, name="天河冷库二")
    frequency_set(actor=guangzhou_epi, group=weekly.pk, days=1, effective_from=D(2022, 4, 12))
    frequency_set(actor=guangzhou_epi, group=weekly.pk, days=2, effective_from=D(2022, 4, 14))
    persons = [_member(guangzhou_epi, weekly)[0] for _i in range(4)] + [_member(guangzhou_epi, every_2)[0]
                                                                       for _i in range(4)]
    _member(guangzhou_epi, every_2, start=D(2022, 4, 5), end=D(2022, 4, 8))  # someone else, not tested
    before = KeyTest.objects.order_by("-id").values_list("id", flat=True).first() or 0
    days = [D(2022, 4, 3), D(2022, 4, 10), D(2022, 4, 11), D(2022, 4, 12)]
    KeyTest.objects.bulk_create(
        [KeyTest(person_id=pk, group=weekly if i < 4 else every_2, sampled_on=days[i % 4],
                 result="positive" if i == 5 else "negative") for i, pk in enumerate(persons)])
    assert results_apply(after_id=before) == 8  # one row each
    assert_as_recomputed()
    assert results_apply(after_id=before) == 0  # idempotent
    assert results_apply([]) == 0 and results_apply([10**9]) == 0
    # the weekly group daily from the 12th, every two days from the 14th: tested on the 3rd due on the 10th
    # (weekly; recomputed), on the 10th due on the 12th (recomputed), on the 11th the 12th, on the 12th the 13th
    assert [_status(pk, D(2022, 4, 12))[1] for pk in persons[:4]] == [
        D(2022, 4, 10), D(2022, 4, 12), D(2022, 4, 12), D(2022, 4, 13)]
    assert Compliance.objects.get(person=persons[5]).positive_on == D(2022, 4, 10)


def test_random_rosters_and_results_in_any_order_match_a_recomputation():
    """Groups whose frequency changes up to three times, persons on one to three of them with gaps and ends,
    results arriving in shuffled batches (late ones included, a few positives): after every batch applied
    incrementally, the rows are those a full recomputation gives (a fixed seed: the same case every run)."""
    import random

    from fangkong.persons.models import Person

    from ..models import GroupFrequency, KeyGroup, RosterEntry, TestingRule

    rng = random.Random(28)
    rule = TestingRule.objects.first()
    start = D(2022, 4, 1)
    groups = []
    for i in range(5):
        group = KeyGroup.objects.create(name=f"组{i}", population="cold_chain", region_id="440106")
        for since in sorted(rng.sample(range(0, 30), rng.randint(1, 4))):
            GroupFrequency.objects.create(group=group, effective_from=start + dt.timedelta(days=since),
                                          days=rng.choice([1, 2, 3, 7]), rule=rule)
        groups.append(group)
    tests = []
    for i in range(30):
        person = Person.objects.create(name=f"人{i}", address_region_id="440106")
        for group in rng.sample(groups, rng.randint(1, 3)):
            first = rng.randint(0, 25)
            end = first + rng.randint(0, 20) if rng.random() < 0.4 else None
            RosterEntry.objects.create(group=group, person=person, start=start + dt.timedelta(days=first),
                                       end=None if end is None else start + dt.timedelta(days=end))
        days = sorted(rng.sample(range(0, 45), rng.randint(0, 12)))
        tests += [KeyTest(person=person, group=group, sampled_on=start + dt.timedelta(days=day),
                          result="positive" if rng.random() < 0.05 else "negative") for day in days]
    compliance.refresh()  # the rosters as they stand, no test yet
    rng.shuffle(tests)
    while tests:
        size = rng.randint(1, 25)
        batch, tests = tests[:size], tests[size:]
        first = KeyTest.objects.order_by("-id").values_list("id", flat=True).first() or 0
        KeyTest.objects.bulk_create(batch)
        compliance.tests_applied(after_id=first)
        assert_as_recomputed()
    assert Compliance.objects.exclude(positive_on=None).exists() and Compliance.objects.count() > 30
