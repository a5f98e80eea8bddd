"""Least privilege for employers (issue 28): an enterprise contact (``Role.ENTERPRISE_CONTACT``) reads and keeps
the rosters of its own employers' groups only (``Reach.OWN_ENTERPRISES``) — another employer's group or staff
answers 404 in page and API, the region-wide pages 403 — and a county commander sees its county's groups only."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.accounts.need_to_know import Category, Reach, role_reach
from fangkong.accounts.roles import Role
from fangkong.testing.builders import citizen_id as any_citizen_id
from fangkong.testing.builders import make_user

from ..models import EmployerAccess, GroupFrequency, KeyGroup, KeyTest, RosterEntry
from ..services import employer_access_grant, group_create, member_add, result_record

pytestmark = pytest.mark.django_db
D = dt.date
DAY = D(2022, 4, 12)
OURS = "91440300MA5ELN9E26"
THEIRS = "91440300MA5ELN9E39"
_born = iter(range(10_000))


def citizen_id(region: str = "440304") -> str:
    return any_citizen_id(region, born=D(1970, 1, 1) + dt.timedelta(days=next(_born)))


def _group(actor, name, employer_code="", region="440304"):
    return group_create(actor=actor, name=name, population="cold_chain", region=region, frequency_days=2,
                        effective_from=D(2022, 4, 1), employer_name=name if employer_code else "",
                        employer_code=employer_code)


def _staff(actor, group, name, cid=None):
    cid = cid or citizen_id()
    member_add(actor=actor, group=group.pk, start=D(2022, 4, 1), name=name, citizen_id=cid,
               address_region="440304")
    return cid


@pytest.fixture
def employers(shenzhen_epi, sysadmin):
    """Two Futian employers' groups and a group of no employer, one member each; our member overdue on DAY
    and positive once; the contact of our employer."""
    ours, theirs, alone = (_group(shenzhen_epi, "我司冷库", OURS), _group(shenzhen_epi, "他司冷库", THEIRS),
                           _group(shenzhen_epi, "无雇主组"))
    cid = _staff(shenzhen_epi, ours, "我司员工")
    _staff(shenzhen_epi, theirs, "他司员工")
    _staff(shenzhen_epi, alone, "无雇主员工")
    result_record(actor=shenzhen_epi, group=ours.pk, citizen_id=cid, sampled_on=D(2022, 4, 3), result="positive")
    contact = make_user("our_contact", ("440300", Role.ENTERPRISE_CONTACT))
    employer_access_grant(actor=sysadmin, user=contact, employer_code=OURS)
    return {"ours": ours, "theirs": theirs, "alone": alone, "contact": contact, "cid": cid}


def test_the_role_reads_its_own_enterprises_persons_and_nothing_else():
    assert role_reach(Role.ENTERPRISE_CONTACT, Category.NAMED) == Reach.OWN_ENTERPRISES
    assert role_reach(Role.ENTERPRISE_CONTACT, Category.REFERENCE) == Reach.REGION
    for category in (Category.AGGREGATES, Category.AUDIT, Category.IDENTIFIERS):  # no figure, no trail, no clear ID
        assert role_reach(Role.ENTERPRISE_CONTACT, category) is None, category
    # a person level includes the levels below it: pseudonymised rows of its own staff, nobody else's
    assert role_reach(Role.ENTERPRISE_CONTACT, Category.PSEUDONYMISED) == Reach.OWN_ENTERPRISES


def test_an_employer_sees_only_its_own_staff_in_page_and_api(client, employers):
    ours, theirs, alone = employers["ours"], employers["theirs"], employers["alone"]
    client.force_login(employers["contact"])
    home = client.get("/").content.decode()  # its entry in the navigation: the employer page, not the groups
    assert 'href="/keypopulations/employer/"' in home and 'href="/keypopulations/"' not in home
    page = client.get("/keypopulations/employer/?day=2022-04-12")
    text = page.content.decode()
    assert page.status_code == 200 and "我司员工" in text and "他司员工" not in text and "无雇主员工" not in text
    assert "*" * 18 in text  # the citizen ID fully masked (the region digits are for region-wide readers)
    assert "逾期" in text or "Overdue" in text  # tested on the 3rd, every 2 days: overdue on the 12th
    assert "Positive" not in text and "阳性" not in text  # results are the health authority's
    detail = client.get(f"/keypopulations/{ours.pk}/?day=2022-04-12")
    assert detail.status_code == 200 and "我司员工" in detail.content.decode()
    assert "阳性" not in detail.content.decode() and "Positive" not in detail.content.decode()
    for group in (theirs, alone):
        assert client.get(f"/keypopulations/{group.pk}/").status_code == 404
        assert client.get(f"/api/v1/keypopulation-groups/{group.pk}/roster/").status_code == 404
    assert client.get(f"/keypopulations/employer/?employer={THEIRS}").status_code == 404
    assert client.get(f"/api/v1/keypopulation-employer-staff/?employer={THEIRS}").status_code == 404
    roster = client.get(f"/api/v1/keypopulation-groups/{ours.pk}/roster/?day=2022-04-12").json()
    assert [row["name"] for row in roster] == ["我司员工"] and roster[0]["next_due_on"] == "2022-04-05"
    staff = client.get("/api/v1/keypopulation-employer-staff/?day=2022-04-12").json()
    assert [row["name"] for row in staff["results"]] == ["我司员工"] and staff["count"] == 1
    # region-wide pages and APIs, and every other module's person data: refused
    person = RosterEntry.objects.get(group=ours).person_id
    for url in ("/keypopulations/", "/keypopulations/overdue/", "/keypopulations/import/", "/keypopulations/new/",
                "/api/v1/keypopulation-groups/", f"/api/v1/keypopulation-groups/{ours.pk}/",
                "/api/v1/keypopulation-overdue/", f"/persons/{person}/", f"/api/v1/persons/{person}/",
                "/cases/", "/dashboard/"):
        assert client.get(url).status_code == 403, url


def test_an_employer_of_another_city_or_without_access_sees_nobody(client, employers, sysadmin):
    stranger = make_user("gz_contact", ("440100", Role.ENTERPRISE_CONTACT))
    employer_access_grant(actor=sysadmin, user=stranger, employer_code=OURS)  # Shenzhen's code, Guangzhou's account
    unlinked = make_user("unlinked_contact", ("440300", Role.ENTERPRISE_CONTACT))
    for user in (stranger, unlinked):
        client.force_login(user)
        assert client.get(f"/keypopulations/{employers['ours'].pk}/").status_code == 404
        assert client.get(f"/api/v1/keypopulation-groups/{employers['ours'].pk}/roster/").status_code == 404
        page = client.get("/keypopulations/employer/?day=2022-04-12").content.decode()
        assert "我司员工" not in page
        assert client.get("/api/v1/keypopulation-employer-staff/?day=2022-04-12").json()["results"] == []


def test_an_employer_keeps_its_own_rosters_and_nothing_else(client, employers):
    ours, theirs = employers["ours"], employers["theirs"]
    contact = employers["contact"]
    client.force_login(contact)
    new = citizen_id()
    posted = client.post(f"/keypopulations/{ours.pk}/", {"action": "member", "group": ours.pk, "name": "新员工",
                                                         "citizen_id": new, "address_region": "440304",
                                                         "start": "2022-04-10"})
    assert posted.status_code == 302 and RosterEntry.objects.filter(group=ours).count() == 2
    before = (RosterEntry.objects.count(), GroupFrequency.objects.count(), KeyTest.objects.count())
    assert client.post(f"/keypopulations/{theirs.pk}/", {"action": "member", "group": theirs.pk, "name": "混入者",
                                                         "citizen_id": citizen_id(), "address_region": "440304",
                                                         "start": "2022-04-10"}).status_code == 404
    assert client.post(f"/api/v1/keypopulation-groups/{theirs.pk}/roster/",
                       {"name": "混入者", "citizen_id": citizen_id(), "address_region": "440304",
                        "start": "2022-04-10"}, content_type="application/json").status_code == 404
    # the frequency and the test results are the health authority's
    assert client.post(f"/keypopulations/{ours.pk}/", {"action": "frequency", "days": 1,
                                                       "effective_from": "2022-04-12"}).status_code == 403
    assert client.post(f"/keypopulations/{ours.pk}/", {"action": "test", "group": ours.pk, "citizen_id": new,
                                                       "sampled_on": "2022-04-11", "result": "negative"}
                       ).status_code == 403
    assert client.post("/api/v1/keypopulation-tests/", {"group": ours.pk, "citizen_id": new, "sampled_on":
                                                        "2022-04-11", "result": "negative"},
                       content_type="application/json").status_code == 403
    assert client.post(f"/api/v1/keypopulation-groups/{ours.pk}/frequency/", {"days": 1, "effective_from":
                                                                               "2022-04-12"},
                       content_type="application/json").status_code == 403
    with pytest.raises(ValidationError) as unknown:  # the service too: another employer's group is unknown
        member_add(actor=contact, group=theirs.pk, start=D(2022, 4, 1), name="混入者", citizen_id=citizen_id(),
                   address_region="440304")
    assert "group" in unknown.value.message_dict
    # someone registered already, under another name: the registry's record is not the employer's to read
    refused = client.post(f"/api/v1/keypopulation-groups/{ours.pk}/roster/",
                          {"name": "冒名者", "citizen_id": employers["cid"], "address_region": "440304",
                           "start": "2022-04-11"}, content_type="application/json")
    assert refused.status_code == 400 and "name" in refused.json()["error"]["fields"]
    assert (RosterEntry.objects.count(), GroupFrequency.objects.count(), KeyTest.objects.count()) == before


def test_employer_access_is_granted_by_user_managers_only(employers, shenzhen_epi, sysadmin):
    contact = employers["contact"]
    with pytest.raises(PermissionDenied):
        employer_access_grant(actor=shenzhen_epi, user=contact, employer_code=THEIRS)
    with pytest.raises(PermissionDenied):
        employer_access_grant(actor=contact, user=contact, employer_code=THEIRS)  # not its own either
    with pytest.raises(ValidationError):
        employer_access_grant(actor=sysadmin, user=contact, employer_code="91440300MA5ELN9E27")  # check character wrong
    assert list(EmployerAccess.objects.filter(user=contact).values_list("employer_code", flat=True)) == [OURS]
    employer_access_grant(actor=sysadmin, user=contact, employer_code=OURS)  # again: nothing more
    assert EmployerAccess.objects.filter(user=contact).count() == 1


def test_a_county_sees_only_its_regions_groups_in_page_and_api(client, shenzhen_epi, futian_commander):
    futian = _group(shenzhen_epi, "福田组")
    nanshan = _group(shenzhen_epi, "南山组", region="440305")
    _staff(shenzhen_epi, nanshan, "南山员工")
    client.force_login(futian_commander)
    listing = client.get("/keypopulations/").content.decode()
    assert "福田组" in listing and "南山组" not in listing
    assert [g["id"] for g in client.get("/api/v1/keypopulation-groups/").json()["results"]] == [futian.pk]
    for url in (f"/keypopulations/{nanshan.pk}/", f"/api/v1/keypopulation-groups/{nanshan.pk}/",
                f"/api/v1/keypopulation-groups/{nanshan.pk}/roster/"):
        assert client.get(url).status_code == 404, url
    assert "南山员工" not in client.get("/keypopulations/overdue/?day=2022-04-30").content.decode()
    assert KeyGroup.objects.count() == 2


def test_the_employer_pages_its_staff_overdue_first_in_page_and_api(client, employers, shenzhen_epi):
    ours = employers["ours"]
    for i in range(4):  # tested on the 11th: due on the 13th (every two days), not overdue on DAY
        cid = _staff(shenzhen_epi, ours, f"按时{i}")
        result_record(actor=shenzhen_epi, group=ours.pk, citizen_id=cid, sampled_on=D(2022, 4, 11), result="negative")
    client.force_login(employers["contact"])
    first = client.get("/api/v1/keypopulation-employer-staff/?day=2022-04-12&limit=2").json()
    assert first["count"] == 5 and [row["name"] for row in first["results"]][0] == "我司员工"  # overdue first
    assert first["results"][0]["next_due_on"] == "2022-04-05" and first["next"]
    seen = [row["name"] for row in first["results"]]
    following = first["next"]
    while following:
        page = client.get(following.partition("testserver")[2]).json()
        seen += [row["name"] for row in page["results"]]
        following = page["next"]
    assert sorted(seen) == sorted(["我司员工"] + [f"按时{i}" for i in range(4)])  # each once, nobody else's
    html = client.get("/keypopulations/employer/?day=2022-04-12&limit=2")
    body = html.content.decode()
    assert html.status_code == 200 and "我司员工" in body and 'rel="next"' in body and "他司员工" not in body
    # on a phone (390 px) the table is read as cards of labelled lines (app.css), the group's column included
    assert 'class="table table-stacked"' in body and '<td data-label="人群分组">我司冷库</td>' in body
    # a forged cursor is refused (400); another employer's staff stays 404 on every page of the list
    cursor = first["next"].partition("cursor=")[2]
    assert client.get("/keypopulations/employer/?cursor=forged").status_code == 400
    assert client.get(f"/api/v1/keypopulation-employer-staff/?employer={THEIRS}&cursor={cursor}").status_code == 404


def test_the_stacked_table_of_a_phone_is_in_the_platforms_stylesheet():
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static" / "fangkong" / "app.css").read_text()
    phone = css[css.index(".table-stacked reads"):]
    assert "@media (max-width: 600px)" in phone and ".table-stacked td[data-label]::before" in phone
    assert "content: attr(data-label)" in phone and "white-space: normal" in phone
