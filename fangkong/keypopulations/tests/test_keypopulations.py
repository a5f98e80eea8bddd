"""The key-populations module's own tests: frequencies the protocol allows only, rosters through the
registry (idempotent, all or nothing), tests and compliance at fixed days, scope (county, city, employer),
and the same verdict from the page, the API and an import row."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import TestCase

from fangkong.accounts.roles import Role
from fangkong.inputs import validate_row
from fangkong.persons.models import Person
from fangkong.testing.builders import citizen_id as any_citizen_id
from fangkong.testing.builders import make_user

from ..inputs import MemberInput
from ..models import Compliance, EmployerAccess, GroupFrequency, KeyGroup, KeyTest, RosterEntry
from ..selectors import employer_staff, group_list, overdue_entries, rule_in_force
from ..services import (
    frequency_set,
    group_create,
    member_add,
    overdue_run,
    result_record,
    results_import,
    roster_import,
)

pytestmark = pytest.mark.django_db
D = dt.date
DAY = D(2022, 4, 12)
EMPLOYER = "91440300MA5ELN9E2C"


_born = iter(range(10_000))


def citizen_id(region: str) -> str:
    """A fresh valid citizen ID (the builder's sequence repeats numbers two by two: vary the birth day)."""
    return any_citizen_id(region, born=D(1980, 1, 1) + dt.timedelta(days=next(_born)))


def _group(actor, region="440304", population="cold_chain", days=2, **extra):
    return group_create(actor=actor, name="冷库员工", population=population, region=region, frequency_days=days,
                        effective_from=D(2022, 4, 1), **extra)


def _member(actor, group, start=None, end=None, cid=None, region="440304"):
    start = start or D(2022, 4, 1)
    cid = cid or citizen_id(region)
    return member_add(actor=actor, group=group.pk, start=start, end=end, name="张三", citizen_id=cid,
                      address_region=region).entry, cid


def test_rules_follow_edition_and_local_rule():
    assert rule_in_force("cold_chain", "440304", D(2022, 3, 1)).code == "8th-cold_chain"
    assert rule_in_force("cold_chain", "440304", DAY).code == "sz-2022-03-cold_chain"  # Shenzhen's local rule
    assert rule_in_force("cold_chain", "440106", DAY).code == "8th-cold_chain"  # Guangzhou: the national one
    assert rule_in_force("cold_chain", "440304", D(2022, 7, 1)).code == "9th-cold_chain"
    assert rule_in_force("cold_chain", "440304", D(2021, 1, 1)) is None


def test_a_frequency_the_protocol_does_not_allow_is_refused_and_nothing_is_created(shenzhen_epi):
    with pytest.raises(ValidationError) as refused:
        _group(shenzhen_epi, days=7)  # Shenzhen allows cold chain every 1 or 2 days in April 2022
    assert "frequency_days" in refused.value.message_dict
    assert not KeyGroup.objects.exists()
    group = _group(shenzhen_epi, region="440106", days=7) if False else _group(shenzhen_epi, days=None)
    assert group.frequencies.get().days == 2 and group.frequencies.get().rule.code == "sz-2022-03-cold_chain"
    with pytest.raises(ValidationError):
        frequency_set(actor=shenzhen_epi, group=group.pk, days=3, effective_from=DAY)
    assert group.frequencies.count() == 1


def test_roster_membership_is_idempotent_and_end_before_start_is_refused(shenzhen_epi):
    group = _group(shenzhen_epi)
    entry, cid = _member(shenzhen_epi, group)
    again = member_add(actor=shenzhen_epi, group=group.pk, start=D(2022, 4, 1), name="张三", citizen_id=cid,
                       address_region="440304")
    assert again.outcome == "existing" and again.entry.pk == entry.pk
    assert Person.objects.count() == 1 and RosterEntry.objects.count() == 1
    with pytest.raises(ValidationError) as refused:
        member_add(actor=shenzhen_epi, group=group.pk, start=D(2022, 4, 10), end=D(2022, 4, 9), name="张三",
                   citizen_id=cid, address_region="440304")
    assert "end" in refused.value.message_dict
    assert set(validate_row(MemberInput, {"group": group.pk, "name": "张三", "citizen_id": cid,
                                          "address_region": "440304", "start": "2022-04-10",
                                          "end": "2022-04-09"})[1]) == {"end"}
    with pytest.raises(ValidationError) as unknown:
        member_add(actor=shenzhen_epi, group=999999, start=D(2022, 4, 1), name="张三", citizen_id=cid,
                   address_region="440304")
    assert "group" in unknown.value.message_dict
    assert RosterEntry.objects.count() == 1


def _csv(rows):
    return ("\n".join(",".join(row) for row in rows) + "\n").encode()


def test_the_same_roster_imported_twice_adds_nothing_and_a_bad_row_keeps_nothing(shenzhen_epi):
    group = _group(shenzhen_epi)
    ids = [citizen_id("440304") for _ in range(3)]
    header = ["group", "name", "citizen_id", "address_region", "start", "end"]
    rows = [header] + [[str(group.pk), f"员工{i}", cid, "440304", "2022-04-01", ""] for i, cid in enumerate(ids)]
    first = roster_import(actor=shenzhen_epi, data=_csv(rows), name="roster.csv")
    assert first.ok and dict(first.counts) == {"created": 3}
    second = roster_import(actor=shenzhen_epi, data=_csv(rows), name="roster.csv")
    assert second.ok and dict(second.counts) == {"existing": 3}
    assert RosterEntry.objects.count() == 3 and Person.objects.count() == 3
    bad = rows + [["999999", "员工X", citizen_id("440304"), "440304", "2022-04-01", ""],
                  [str(group.pk), "员工Y", citizen_id("440304"), "440304", "2022-04-05", "2022-04-01"]]
    refused = roster_import(actor=shenzhen_epi, data=_csv(bad), name="roster.csv")
    assert not refused.ok and {(e["row"], e["column"]) for e in refused.errors} == {(6, "end")}
    bad = rows + [["999999", "员工X", citizen_id("440304"), "440304", "2022-04-01", ""]]
    refused = roster_import(actor=shenzhen_epi, data=_csv(bad), name="roster.csv")
    assert not refused.ok and {(e["row"], e["column"]) for e in refused.errors} == {(5, "group")}
    assert RosterEntry.objects.count() == 3 and Person.objects.count() == 3  # nothing lost, nothing added


def test_tests_and_compliance_at_a_fixed_day(shenzhen_epi, monkeypatch):
    group = _group(shenzhen_epi)  # every 2 days
    (entry, cid), (late, late_cid) = _member(shenzhen_epi, group), _member(shenzhen_epi, group)
    result_record(actor=shenzhen_epi, group=group.pk, citizen_id=cid, sampled_on=D(2022, 4, 11), result="negative")
    result_record(actor=shenzhen_epi, group=group.pk, citizen_id=late_cid, sampled_on=D(2022, 4, 9), result="negative")
    assert Compliance.objects.get(person=entry.person_id).next_due_on == D(2022, 4, 13)
    assert Compliance.objects.get(person=late.person_id).next_due_on == D(2022, 4, 11)
    assert [e.person_id for e in overdue_entries(user=shenzhen_epi, day=DAY)] == [late.person_id]
    assert [e.person_id for e in overdue_entries(user=shenzhen_epi, day=D(2022, 4, 11))] == []  # due that day
    # the same test again changes nothing; a positive on that day replaces the negative
    assert result_record(actor=shenzhen_epi, group=group.pk, citizen_id=cid, sampled_on=D(2022, 4, 11),
                       result="negative")[1] == "existing"
    assert result_record(actor=shenzhen_epi, group=group.pk, citizen_id=cid, sampled_on=D(2022, 4, 11),
                       result="positive")[1] == "updated"
    assert KeyTest.objects.count() == 2
    # daily from the 12th: the one tested on the 11th is due on the 12th
    frequency_set(actor=shenzhen_epi, group=group.pk, days=1, effective_from=DAY)
    assert Compliance.objects.get(person=entry.person_id).next_due_on == DAY
    # a person not on the roster cannot be tested through it
    with pytest.raises(ValidationError):
        result_record(actor=shenzhen_epi, group=group.pk, citizen_id=citizen_id("440304"), sampled_on=DAY,
                    result="negative")
    data = _csv([["group", "citizen_id", "sampled_on", "result"], [str(group.pk), late_cid, "2022-04-12", "阴性"]])
    assert dict(results_import(actor=shenzhen_epi, data=data, name="t.csv").counts) == {"created": 1}
    assert dict(results_import(actor=shenzhen_epi, data=data, name="t.csv").counts) == {"existing": 1}
    assert overdue_run(today=DAY)["overdue"] == 0


def test_a_county_sees_only_its_groups_and_an_employer_only_its_staff(shenzhen_epi, futian_commander, guangzhou_epi):
    futian = _group(shenzhen_epi, employer_name="冷链公司", employer_code=EMPLOYER)
    nanshan = _group(shenzhen_epi, region="440305")
    _member(shenzhen_epi, futian)
    _member(shenzhen_epi, nanshan)
    assert [g.pk for g in group_list(user=futian_commander, day=DAY)] == [futian.pk]
    assert {g.pk for g in group_list(user=shenzhen_epi, day=DAY)} == {futian.pk, nanshan.pk}
    assert list(group_list(user=guangzhou_epi, day=DAY)) == []
    assert [e.group_id for e in overdue_entries(user=futian_commander, day=D(2022, 4, 30))] == [futian.pk]
    with pytest.raises(ValidationError) as outside:  # another city's group: unknown, as a number never used
        _member(guangzhou_epi, futian)
    assert "group" in outside.value.message_dict
    employer = make_user("cold_chain_hr", ("440304", Role.ENTERPRISE_CONTACT))
    EmployerAccess.objects.create(user=employer, employer_code=EMPLOYER)
    assert [e.group_id for e in employer_staff(user=employer, employer=EMPLOYER, day=DAY)] == [futian.pk]
    with pytest.raises(Http404):
        employer_staff(user=employer, employer="91440300MA5ELN9E3A", day=DAY)
    with pytest.raises(Http404):
        employer_staff(user=shenzhen_epi, employer=EMPLOYER, day=DAY)


def test_page_api_and_import_row_put_the_same_member(client, shenzhen_epi):
    group = _group(shenzhen_epi)
    client.force_login(shenzhen_epi)
    cid = citizen_id("440304")
    page = client.post(f"/keypopulations/{group.pk}/", {"action": "member", "group": group.pk, "name": "李四", "citizen_id": cid,
                                                       "address_region": "440304", "start": "2022-04-01"})
    assert page.status_code == 302
    api = client.post(f"/api/v1/keypopulation-groups/{group.pk}/roster/",
                      {"name": "李四", "citizen_id": cid, "address_region": "440304", "start": "2022-04-01"},
                      content_type="application/json")
    assert api.status_code == 200 and api.json()["citizen_id"].endswith("*" * 12)
    assert RosterEntry.objects.count() == 1
    refused = client.post(f"/api/v1/keypopulation-groups/{group.pk}/roster/",
                          {"name": "李四", "citizen_id": cid, "address_region": "440304", "start": "2022-04-05",
                           "end": "2022-04-01"}, content_type="application/json")
    assert refused.status_code == 400 and "end" in refused.json()["error"]["fields"]
    bad = client.post("/api/v1/keypopulation-groups/", {"name": "x", "population": "cold_chain", "region": "440304",
                                                         "frequency_days": 7, "effective_from": "2022-04-01"},
                      content_type="application/json")
    assert bad.status_code == 400 and "frequency_days" in bad.json()["error"]["fields"]
    for url in ("/keypopulations/", f"/keypopulations/{group.pk}/", "/keypopulations/overdue/?day=2022-04-12",
                "/keypopulations/import/", "/keypopulations/new/",
                "/api/v1/keypopulation-groups/", "/api/v1/keypopulation-overdue/?day=2022-04-12"):
        assert client.get(url).status_code == 200, url
    for url in ("/keypopulations/employer/", "/api/v1/keypopulation-employer-staff/"):  # the employer's own
        assert client.get(url).status_code == 403, url
    assert GroupFrequency.objects.count() == 1


def test_the_import_page_reads_its_form_through_one_schema_and_refuses_what_it_does_not_offer(client, shenzhen_epi):
    from django.core.files.uploadedfile import SimpleUploadedFile

    group = _group(shenzhen_epi)
    header = ["group", "name", "citizen_id", "address_region", "start", "end"]
    roster = _csv([header, [str(group.pk), "员工甲", citizen_id("440304"), "440304", "2022-04-01", ""]])
    client.force_login(shenzhen_epi)
    for form in ({"kind": "vaccinations"}, {"kind": ""}, {}):  # a kind the page does not offer: not guessed
        page = client.post("/keypopulations/import/", {**form, "file": SimpleUploadedFile("r.csv", roster)})
        assert page.status_code == 400 and 'role="alert"' in page.content.decode()
    page = client.post("/keypopulations/import/", {"kind": "roster"})  # no file: said, not silently ignored
    assert page.status_code == 400 and 'role="alert"' in page.content.decode()
    assert not RosterEntry.objects.exists()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the import job starts once the upload commits
        page = client.post("/keypopulations/import/", {"kind": "roster", "file": SimpleUploadedFile("r.csv", roster)})
    assert page.status_code == 302 and page["Location"].startswith("/cases/import/")
    assert RosterEntry.objects.count() == 1


def test_a_form_the_group_page_does_not_have_is_refused_and_changes_nothing(client, shenzhen_epi):
    group = _group(shenzhen_epi)
    client.force_login(shenzhen_epi)
    for action in ("delete", ""):
        page = client.post(f"/keypopulations/{group.pk}/", {"action": action, "group": group.pk, "name": "李四",
                                                           "citizen_id": citizen_id("440304"),
                                                           "address_region": "440304", "start": "2022-04-01"})
        assert page.status_code == 400
    assert not RosterEntry.objects.exists()
