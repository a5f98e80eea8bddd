"""Who may record whose checks (issue 26, "What must hold"): a quarantine-site manager only for the persons
placed now in the sites it manages (``fangkong.resources`` room assignments), a community worker only for
the persons under home monitoring in its area; the manager's floor list of one site on one screen. Every
denied path refuses and changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.cases.tests.builders import make_case, make_person
from fangkong.resources import services as resources

from ..models import HealthCheck
from ..selectors import due_list, may_record
from ..services import health_check_record, sample_record
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


def _user(username: str, region: str, role: str) -> User:
    user = User.objects.create(username=username)
    Membership.objects.create(user=user, region_id=region, role=role)
    return user


def _post(subject, **fields) -> dict:
    return {"subject": subject.pk, "day": timezone.localdate().isoformat(), "slot": "morning", "temperature": "36.6",
            **fields}


@pytest.fixture
def world(shenzhen_epi):
    """Two Futian sites (``a`` managed by ``manager``, ``b`` by ``other``); persons under management: ``in_a``
    (room 101 of a), ``in_b`` (room 201 of b), ``home`` (at home in Futian), ``luohu`` (at home in Luohu)."""
    commander = _user("fu_sz_cmd", "440300", Role.LOCAL_COMMANDER)
    manager = _user("fu_qm", "440300", Role.QUARANTINE_MANAGER)
    other = _user("fu_qm2", "440300", Role.QUARANTINE_MANAGER)
    worker = _user("fu_cw", "440304", Role.COMMUNITY_WORKER)
    a = resources.site_create(actor=commander, region="440304", name="福田甲酒店", kind="hotel")
    b = resources.site_create(actor=commander, region="440304", name="福田乙隔离点", kind="purpose_built")
    resources.rooms_add(actor=commander, site=a, first=101, last=103, kind="single")
    resources.rooms_add(actor=commander, site=b, first=201, last=202, kind="single")
    resources.site_manager_add(actor=commander, site=a, username="fu_qm")
    resources.site_manager_add(actor=commander, site=b, username="fu_qm2")
    case = make_case(shenzhen_epi, region="440304", day=days_ago(3).isoformat())
    subjects = {}
    for key, address in (("in_a", "440304"), ("in_b", "440304"), ("home", "440304"), ("luohu", "440303")):
        person = make_person(shenzhen_epi, name=f"随访{key}", region=address)
        contact, subjects[key] = managed_contact(shenzhen_epi, case=case, person=person)
        if key in ("in_a", "in_b"):
            site = a if key == "in_a" else b
            resources.check_in(actor=commander, room_id=site.rooms.order_by("number").first().pk,
                               contact_no=contact.contact_no)
    return {"manager": manager, "other": other, "worker": worker, "a": a, "b": b, **subjects}


def test_a_site_manager_records_for_the_persons_of_its_sites_only(world):
    manager = world["manager"]
    check = health_check_record(actor=manager, subject=world["in_a"], day=timezone.localdate(), slot="morning",
                                temperature=Decimal("36.7"))
    assert check.checked_by == manager
    before = AuditEvent.objects.count()
    for other_person in ("in_b", "home", "luohu"):
        assert not may_record(manager, world[other_person])
        with pytest.raises(PermissionDenied):
            health_check_record(actor=manager, subject=world[other_person], day=timezone.localdate(), slot="morning",
                                temperature=Decimal("36.7"))
        with pytest.raises(PermissionDenied):
            sample_record(actor=manager, test=world[other_person].tests.first(), taken_on=timezone.localdate())
    assert list(HealthCheck.objects.values_list("subject_id", flat=True)) == [world["in_a"].pk]
    assert AuditEvent.objects.count() == before
    assert {row.subject.pk for row in due_list(user=manager, day=timezone.localdate())} == {world["in_a"].pk}
    assert {row.subject.pk for row in due_list(user=world["other"], day=timezone.localdate())} == {world["in_b"].pk}


def test_a_person_checked_out_of_the_site_leaves_the_managers_reach(world):
    from fangkong.resources.models import Assignment

    manager = world["manager"]
    assignment = Assignment.objects.get(person_id=world["in_a"].person_id)
    resources.check_out(actor=_user("fu_cmd2", "440300", Role.LOCAL_COMMANDER), assignment_id=assignment.pk)
    assert not may_record(manager, world["in_a"])
    with pytest.raises(PermissionDenied):
        health_check_record(actor=manager, subject=world["in_a"], day=timezone.localdate(), slot="morning",
                            temperature=Decimal("36.7"))
    assert HealthCheck.objects.count() == 0


def test_a_community_worker_records_for_persons_at_home_in_its_area_only(world):
    worker = world["worker"]
    health_check_record(actor=worker, subject=world["home"], day=timezone.localdate(), slot="morning",
                        temperature=Decimal("36.4"))
    for refused in ("luohu", "in_a", "in_b"):  # another area; placed in a quarantine site (the site records)
        assert not may_record(worker, world[refused]), refused
        with pytest.raises(PermissionDenied):
            health_check_record(actor=worker, subject=world[refused], day=timezone.localdate(), slot="morning",
                                temperature=Decimal("36.4"))
    assert list(HealthCheck.objects.values_list("subject_id", flat=True)) == [world["home"].pk]
    assert {row.subject.pk for row in due_list(user=worker, day=timezone.localdate())} == {world["home"].pk}


def test_the_pages_and_the_denied_paths_of_the_manager_and_the_worker(client, world):
    client.force_login(world["manager"])
    text = client.get("/followup/").content.decode()
    assert "随访in_a" in text and "随访in_b" not in text and "随访home" not in text
    for key in ("in_b", "home", "luohu"):  # another site's, another area's person: not even found
        assert client.get(f"/followup/subjects/{world[key].pk}/").status_code == 404
        assert client.post(f"/followup/subjects/{world[key].pk}/check/", _post(world[key])).status_code == 404
    assert client.post(f"/followup/subjects/{world['in_a'].pk}/check/",
                       {**_post(world["in_a"]), "next": "/followup/"}).status_code == 302
    detail = client.get(f"/followup/subjects/{world['in_a'].pk}/").content.decode()
    assert "随访in_a" in detail and "/persons/" not in detail  # the name, no link into the registry
    for closed in ("/followup/overdue/", "/api/v1/followup/due/", "/cases/"):  # named data region-wide: no
        assert client.get(closed).status_code == 403, closed
    client.force_login(world["worker"])
    text = client.get("/followup/").content.decode()
    assert "随访home" in text and "随访luohu" not in text and "随访in_a" not in text
    assert client.post(f"/followup/subjects/{world['luohu'].pk}/check/", _post(world["luohu"])).status_code == 404
    assert client.get("/cases/").status_code == 403
    assert sorted(HealthCheck.objects.values_list("subject_id", flat=True)) == [world["in_a"].pk]


def test_the_floor_list_shows_one_sites_persons_by_room_on_one_screen(client, world, shenzhen_epi):
    client.force_login(world["manager"])
    page = client.get("/followup/", {"site": world["a"].pk}).content.decode()
    assert "随访in_a" in page and "data-room" in page and "101" in page and "随访in_b" not in page
    assert "福田甲酒店" in page and "福田乙隔离点" not in page  # the manager's own sites to choose from
    other_site = client.get("/followup/", {"site": world["b"].pk}).content.decode()
    assert "随访in_b" not in other_site and "data-subject=" not in other_site
    client.force_login(shenzhen_epi)  # the epidemiologist sees the whole site too
    page = client.get("/followup/", {"site": world["b"].pk}).content.decode()
    assert "随访in_b" in page and "201" in page and "随访in_a" not in page
