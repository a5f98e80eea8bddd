"""Overdue and positive (issue 28): the overdue persons of an employer raise one problem of the three lists per
region, employer and day (declared source, idempotent, evidence without a person); a positive test becomes a
case through the cases service, once, and makes the person's workplaces due for inspection."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.cases.models import Case
from fangkong.places.models import Place
from fangkong.places.tests.builders import make_place
from fangkong.testing.builders import citizen_id as any_citizen_id
from fangkong.worklists.models import Problem, Task

from ..models import KeyTest, RosterEntry
from ..problems import raise_overdue
from ..services import (
    group_create,
    member_add,
    overdue_run,
    positive_to_case,
    result_record,
)

pytestmark = pytest.mark.django_db
D = dt.date
DAY = D(2022, 4, 12)
OURS = "91440300MA5ELN9E26"
_born = iter(range(10_000))


def _cid() -> str:
    return any_citizen_id("440304", born=D(1980, 6, 1) + dt.timedelta(days=next(_born)))


def _group(actor, name, code="", region="440304", **extra):
    return group_create(actor=actor, name=name, population="cold_chain", region=region, frequency_days=2,
                        effective_from=D(2022, 4, 1), employer_name=name if code else "", employer_code=code,
                        **extra)


def _members(actor, group, n, region="440304"):
    cids = [_cid() for _ in range(n)]
    for i, cid in enumerate(cids):
        member_add(actor=actor, group=group.pk, start=D(2022, 4, 1), name=f"员工{i}", citizen_id=cid,
                   address_region=region)
    return cids


def test_overdue_persons_raise_one_problem_per_employer_region_and_day_once(shenzhen_epi):
    cold, store = _group(shenzhen_epi, "我司冷库", OURS), _group(shenzhen_epi, "我司仓库", OURS)
    alone = _group(shenzhen_epi, "无雇主组", region="440305")
    _members(shenzhen_epi, cold, 2)
    shared = _members(shenzhen_epi, store, 1)[0]
    member_add(actor=shenzhen_epi, group=cold.pk, start=D(2022, 4, 1), name="员工0", citizen_id=shared,
               address_region="440304")  # in both of the employer's groups: counted once
    _members(shenzhen_epi, alone, 1, region="440305")
    on_time = _members(shenzhen_epi, alone, 1, region="440305")[0]
    result_record(actor=shenzhen_epi, group=alone.pk, citizen_id=on_time, sampled_on=D(2022, 4, 11),
                  result="negative")
    run = overdue_run(today=DAY)  # nobody else tested since the 1st: every 2 days, overdue from the 3rd
    assert run["problems_raised"] == 2
    problems = {p.region_id: p for p in Problem.objects.filter(source="keypop")}
    assert set(problems) == {"440304", "440305"}
    assert " 3 " in problems["440304"].title and "我司" in problems["440304"].title  # 3 distinct persons
    assert f"employer={OURS}" in problems["440304"].link and "region=440304" in problems["440304"].link
    names = set(RosterEntry.objects.values_list("person__name", flat=True))
    assert not any(name in problem.title + problem.evidence for problem in problems.values() for name in names)
    assert Task.objects.filter(problem__source="keypop").count() == 2  # the command unit's tasks, escalated by worklists
    # the same day again (the morning job, then the worklists feed): nothing more
    assert overdue_run(today=DAY)["problems_raised"] == 0 and raise_overdue(today=DAY) == 0
    assert Problem.objects.filter(source="keypop").count() == 2
    # the next day: the next day's problems
    assert raise_overdue(today=DAY + dt.timedelta(days=1)) == 2


def test_nobody_overdue_raises_nothing(shenzhen_epi):
    group = _group(shenzhen_epi, "我司冷库", OURS)
    cid = _members(shenzhen_epi, group, 1)[0]
    result_record(actor=shenzhen_epi, group=group.pk, citizen_id=cid, sampled_on=D(2022, 4, 11), result="negative")
    assert overdue_run(today=DAY)["problems_raised"] == 0 and not Problem.objects.exists()


def test_a_positive_test_becomes_a_case_once_and_flags_the_workplace(client, shenzhen_epi, futian_commander,
                                                                     analyst):
    place = make_place(futian_commander, name="福田冷库", category="cold_chain")
    Place.objects.filter(pk=place.pk).update(next_due_on=timezone.localdate() + dt.timedelta(days=30))
    group = _group(shenzhen_epi, "福田冷库员工", OURS, place=place.pk)
    cid = _members(shenzhen_epi, group, 1)[0]
    result_record(actor=shenzhen_epi, group=group.pk, citizen_id=cid, sampled_on=D(2022, 4, 11), result="positive")
    assert Place.objects.get(pk=place.pk).next_due_on == timezone.localdate()  # due for inspection today
    test = KeyTest.objects.get()
    client.force_login(shenzhen_epi)
    answer = client.post(f"/keypopulations/{group.pk}/", {"action": "case", "test": test.pk,
                                                          "diagnosed_at": "2022-04-11 20:00",
                                                          "classification": "confirmed"})
    assert answer.status_code == 302
    test.refresh_from_db()
    case = Case.objects.get()
    assert test.case_id == case.pk and case.person_id == test.person_id and case.detection_route == "screening"
    assert case.report_region_id == "440304" and case.sampling_date == D(2022, 4, 11)
    page = client.get(f"/keypopulations/{group.pk}/?day=2022-04-12").content.decode()
    assert case.case_no in page
    again = client.post("/api/v1/keypopulation-tests/case/", {"test": test.pk, "diagnosed_at": "2022-04-11 20:00"},
                        content_type="application/json")
    assert again.status_code == 200 and again.json()["case_no"] == case.case_no and Case.objects.count() == 1
    for bad in ({}, [test.pk], "x", None, 2**63):  # what the schema fuzzer sent as the test: a clear 400 naming it
        refused = client.post("/api/v1/keypopulation-tests/case/", {"test": bad, "diagnosed_at": "2022-04-11 20:00"},
                              content_type="application/json")
        assert refused.status_code == 400 and "test" in refused.json()["error"]["fields"], bad
    # a negative test, another group's test on this page, a role that may not register cases: refused
    negative_cid = _members(shenzhen_epi, group, 1)[0]
    negative, _outcome = result_record(actor=shenzhen_epi, group=group.pk, citizen_id=negative_cid,
                                       sampled_on=D(2022, 4, 11), result="negative")
    with pytest.raises(ValidationError):
        positive_to_case(actor=shenzhen_epi, test=negative.pk, diagnosed_at=timezone.now())
    other = _group(shenzhen_epi, "他组")
    assert client.post(f"/keypopulations/{other.pk}/", {"action": "case", "test": test.pk,
                                                         "diagnosed_at": "2022-04-11 20:00"}).status_code == 400
    with pytest.raises((PermissionDenied, ValidationError)):
        positive_to_case(actor=analyst, test=test.pk, diagnosed_at=timezone.now())
    assert Case.objects.count() == 1


THEIRS = "91440300MA5ELN9E39"


def test_a_positive_flags_each_workplace_of_the_day_once_and_raises_it_for_the_inspectors(
        client, shenzhen_epi, futian_commander, sysadmin):
    from fangkong.accounts.roles import Role
    from fangkong.testing.builders import make_user

    from ..models import WorkplaceFlag
    from ..problems import workplaces_feed
    from ..services import employer_access_grant

    place = make_place(futian_commander, name="福田冷库", category="cold_chain")
    at_place = _group(shenzhen_epi, "福田冷库员工", OURS, place=place.pk)
    employer_only = _group(shenzhen_epi, "他司冷链", THEIRS)
    alone, gone = _group(shenzhen_epi, "无雇主组"), _group(shenzhen_epi, "已离开", "91440300MA5ELN9E47")
    cid = _members(shenzhen_epi, at_place, 1)[0]
    for group, start, end in ((employer_only, D(2022, 4, 1), None), (alone, D(2022, 4, 1), None),
                              (gone, D(2022, 4, 1), D(2022, 4, 5))):  # left before the test: not a workplace then
        member_add(actor=shenzhen_epi, group=group.pk, start=start, end=end, name="员工0", citizen_id=cid,
                   address_region="440304")
    test, _outcome = result_record(actor=shenzhen_epi, group=at_place.pk, citizen_id=cid, sampled_on=D(2022, 4, 11),
                                   result="positive")
    flags = WorkplaceFlag.objects.filter(test=test)
    assert {(f.group_id, f.place_id, f.employer_code) for f in flags} == {
        (at_place.pk, place.pk, OURS), (employer_only.pk, None, THEIRS)}
    problems = Problem.objects.filter(source="keypop_workplace")
    assert {p.region_id for p in problems} == {"440304"} and problems.count() == 2
    assert all(p.severity == "serious" and Task.objects.filter(problem=p).exists() for p in problems)
    assert {p.link for p in problems} == {f"/keypopulations/{at_place.pk}/", f"/keypopulations/{employer_only.pk}/"}
    assert not any("员工0" in p.title + p.evidence or cid[:10] in p.evidence for p in problems)  # no person
    # recorded again, and the feed: nothing more
    result_record(actor=shenzhen_epi, group=at_place.pk, citizen_id=cid, sampled_on=D(2022, 4, 11), result="positive")
    assert workplaces_feed(timezone.now()) == 0 and flags.count() == 2 and problems.count() == 2
    # a flag the lists did not hear of (raised while the worklists were away) is raised by the feed
    Task.objects.filter(problem__in=problems).delete()
    problems.delete()
    assert workplaces_feed(timezone.now()) == 2
    # shown to the region's readers on the group's page and the list; not to the employer's contact
    client.force_login(shenzhen_epi)
    page = client.get(f"/keypopulations/{at_place.pk}/?day=2022-04-12").content.decode()
    assert 'id="flags"' in page and f"/places/{place.pk}/" in page
    listed = client.get("/keypopulations/?day=2022-04-12").content.decode()
    assert listed.count("工作场所已标记") == 2  # the two workplaces' groups, not the group of no workplace
    assert "工作场所已标记" not in client.get("/keypopulations/?day=2022-05-12").content.decode()  # a month on
    assert 'id="flags"' not in client.get(f"/keypopulations/{alone.pk}/?day=2022-04-12").content.decode()
    contact = make_user("flag_contact", ("440300", Role.ENTERPRISE_CONTACT))
    employer_access_grant(actor=sysadmin, user=contact, employer_code=OURS)
    client.force_login(contact)
    own = client.get(f"/keypopulations/{at_place.pk}/?day=2022-04-12")
    assert own.status_code == 200 and 'id="flags"' not in own.content.decode()


def test_a_negative_flags_nothing(shenzhen_epi, futian_commander):
    from ..models import WorkplaceFlag

    place = make_place(futian_commander, name="南山冷库", category="cold_chain")
    group = _group(shenzhen_epi, "南山冷库员工", OURS, place=place.pk)
    cid = _members(shenzhen_epi, group, 1)[0]
    result_record(actor=shenzhen_epi, group=group.pk, citizen_id=cid, sampled_on=D(2022, 4, 11), result="negative")
    assert not WorkplaceFlag.objects.exists() and not Problem.objects.filter(source="keypop_workplace").exists()
