"""Inbound travellers under daily follow-up (issue 26: "for inbound travellers when that module exists"): on
entering central quarantine or home health monitoring a traveller becomes a person of the one registry (found
by citizen ID, or registered without an identifier for a passport), its follow-up days and test days come
from the edition fixed at its arrival, and the floor list, the checks, the escalation and the strip work for
it as for a contact — the quarantine site's manager by its room, the community worker by its area at home,
the region holding it by its region. Every denied path refuses and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Case, Classification
from fangkong.followup.models import HealthCheck, Subject
from fangkong.followup.selectors import due_list, may_record
from fangkong.followup.services import health_check_record, subject_to_suspected, subjects_sync
from fangkong.persons.models import Person
from fangkong.persons.services import person_register
from fangkong.protocols import periods
from fangkong.resources import services as resources

from ..documents import document_parse
from ..followup import label_of
from ..models import IdKind, Status, Traveller
from ..services import handoff_send, handoffs_answer, manifest_import, traveller_step, travellers_arrive

pytestmark = pytest.mark.django_db
CITIZEN_ID = "44030519900101123X"


def _user(username: str, region: str, role: str) -> User:
    user = User.objects.create(username=username)
    Membership.objects.create(user=user, region_id=region, role=role)
    return user


def _arrived(users, *, kind=IdKind.PASSPORT, number="E11223344", destination="441900", no="粤Z0001港",
             name="旅客甲"):
    """A traveller at Huanggang (Futian) who arrived three days ago, handed over to Nanshan and acknowledged."""
    now = timezone.now()
    arrived = now - dt.timedelta(hours=72)
    result = manifest_import(actor=users["futian"], port="huanggang", carrier="vehicle", carrier_no=no,
                             arrival_date=timezone.localtime(arrived).date(),
                             rows=[{"name": name, "document": document_parse(kind, number),
                                    "destination": destination}])
    traveller = result.manifest.travellers.get()
    travellers_arrive(actor=users["futian"], travellers=[traveller], at=arrived)
    batch = handoff_send(actor=users["futian"], travellers=[traveller], stage="quarantine", receiver_region="440305",
                         receiver_unit="南山隔离酒店", sender_unit="皇岗口岸", expected_at=now)
    handoffs_answer(actor=users["nanshan"], handoffs=list(batch.handoffs.all()), accept=True)
    return Traveller.objects.get(pk=traveller.pk)


def _quarantined(users, **kwargs) -> Traveller:
    traveller = _arrived(users, **kwargs)
    traveller_step(actor=users["nanshan"], traveller=traveller, status=Status.CENTRAL_QUARANTINE)
    return Traveller.objects.get(pk=traveller.pk)


def _subject(traveller) -> Subject:
    subjects_sync(day=timezone.localdate(), kinds=("inbound",))
    return Subject.objects.get(kind="inbound", source_id=traveller.pk)


def _check(actor, subject, **fields):
    return health_check_record(actor=actor, subject=subject, day=timezone.localdate(), slot="morning",
                               **{"temperature": Decimal("36.6"), **fields})


def test_a_passport_holder_in_central_quarantine_is_a_person_followed_up_on_the_editions_days(users):
    traveller = _quarantined(users)
    person = traveller.person
    assert person is not None and person.name == "旅客甲"
    # the registry holds citizen IDs only: the passport stays on the traveller, protected there
    assert not person.citizen_id_hash and not person.citizen_id_sealed and person.address_region_id == "440305"
    event = AuditEvent.objects.filter(object_type="inbound.traveller", object_id=str(traveller.pk)).latest("id")
    assert event.detail["person"] == "registered"
    subject = _subject(traveller)
    entry = timezone.localtime(traveller.arrived_at).date()
    period = traveller.protocol.management_period("inbound", entry)
    assert (subject.person_id, subject.region_id, subject.category, subject.protocol_id, subject.label) == (
        person.pk, "440305", "inbound", traveller.protocol_id, label_of(traveller.pk))
    assert (subject.counted_from, subject.first_day, subject.last_day, subject.centralised_until) == (
        entry, period.first_day, period.release_due - periods.DAY, traveller.centralised_until)
    assert subject.last_day == traveller.release_due - periods.DAY
    expected = [(dt.date.fromisoformat(t["date"]), t["phase"], t["day"])
                for t in periods.test_schedule(traveller.protocol, "inbound", period.first_day)]
    assert expected and list(subject.tests.values_list("due_date", "phase", "day")) == expected


def test_a_returning_passport_holder_is_the_same_person_and_a_citizen_id_the_registered_one(users):
    first = _quarantined(users)
    traveller_step(actor=users["nanshan"], traveller=first, status=Status.RELEASED)
    second = _quarantined(users, no="粤Z0002港")  # the same passport on a later manifest
    assert second.pk != first.pk and second.person_id == first.person_id
    registered = person_register(actor=users["nanshan"], name="旅客乙", citizen_id=CITIZEN_ID,
                                 address_region="440305").person
    by_id = _quarantined(users, kind=IdKind.CITIZEN_ID, number=CITIZEN_ID, no="粤Z0003港", name="旅客乙")
    assert by_id.person_id == registered.pk
    assert Person.objects.filter(citizen_id_hash=registered.citizen_id_hash).count() == 1


def test_a_citizen_id_registered_in_another_region_is_not_linked_and_the_step_is_still_recorded(users):
    elsewhere = person_register(actor=users["guangzhou"], name="旅客丙", citizen_id=CITIZEN_ID,
                                address_region="440106").person
    traveller = _quarantined(users, kind=IdKind.CITIZEN_ID, number=CITIZEN_ID, name="旅客丙")
    assert traveller.status == Status.CENTRAL_QUARANTINE and traveller.person_id is None
    event = AuditEvent.objects.filter(object_type="inbound.traveller", object_id=str(traveller.pk)).latest("id")
    assert event.detail["person"] == "elsewhere"
    assert Person.objects.filter(name="旅客丙").count() == 1 and elsewhere.name == "旅客丙"
    subjects_sync(day=timezone.localdate(), kinds=("inbound",))
    assert not Subject.objects.filter(kind="inbound", source_id=traveller.pk).exists()


def test_travellers_not_in_quarantine_are_not_followed_up(users):
    traveller = _arrived(users)  # handed over, not checked in yet
    assert traveller.person_id is None
    subjects_sync(day=timezone.localdate(), kinds=("inbound",))
    assert not Subject.objects.filter(kind="inbound").exists()


def test_the_site_manager_records_for_the_traveller_in_its_room_and_no_other_manager_does(users, db):
    commander = _user("in_sz_cmd", "440300", Role.LOCAL_COMMANDER)
    manager, other = _user("in_qm", "440300", Role.QUARANTINE_MANAGER), _user("in_qm2", "440300",
                                                                              Role.QUARANTINE_MANAGER)
    site = resources.site_create(actor=commander, region="440305", name="南山隔离酒店", kind="hotel")
    elsewhere = resources.site_create(actor=commander, region="440305", name="南山乙隔离点", kind="hotel")
    resources.rooms_add(actor=commander, site=site, first=301, last=302, kind="single")
    resources.rooms_add(actor=commander, site=elsewhere, first=401, last=401, kind="single")
    resources.site_manager_add(actor=commander, site=site, username="in_qm")
    resources.site_manager_add(actor=commander, site=elsewhere, username="in_qm2")
    traveller = _arrived(users)
    # checked into its room before the step to central quarantine: the room names the person once it is one
    assignment = resources.check_in(actor=commander, room_id=site.rooms.order_by("number").first().pk,
                                    traveller_id=traveller.pk)
    assert assignment.person_id is None
    traveller_step(actor=users["nanshan"], traveller=traveller, status=Status.CENTRAL_QUARANTINE)
    traveller.refresh_from_db()
    assignment.refresh_from_db()
    assert assignment.person_id == traveller.person_id is not None
    subject = _subject(traveller)
    assert may_record(manager, subject) and not may_record(other, subject)
    assert [row.subject.pk for row in due_list(user=manager, day=timezone.localdate())] == [subject.pk]
    assert due_list(user=other, day=timezone.localdate()) == []
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        _check(other, subject)
    with pytest.raises(PermissionDenied):  # a third city's epidemiologist neither
        _check(users["guangzhou"], subject)
    assert not HealthCheck.objects.exists() and AuditEvent.objects.count() == before
    check = _check(manager, subject)
    assert check.checked_by == manager and check.region_id == "440305"
    page = Client()
    page.force_login(manager)
    floor = page.get(f"/followup/?site={site.pk}&day={timezone.localdate().isoformat()}")
    assert floor.status_code == 200 and f'data-subject="{subject.pk}"' in floor.content.decode()
    assert "旅客甲" in floor.content.decode()


def test_a_traveller_at_home_is_followed_up_by_the_home_region_and_the_community_worker_of_its_area(users):
    traveller = _quarantined(users, destination="440305")  # home in Nanshan, quarantined in Nanshan
    assert traveller.person.address_region_id == "440305"  # the destination: the actor may register there
    worker, stranger = _user("in_cw", "440305", Role.COMMUNITY_WORKER), _user("in_cw2", "440304",
                                                                             Role.COMMUNITY_WORKER)
    traveller_step(actor=users["nanshan"], traveller=traveller, status=Status.HOME_MONITORING)
    subject = _subject(traveller)
    assert subject.status == Subject.Status.ACTIVE
    assert may_record(worker, subject) and not may_record(stranger, subject)
    with pytest.raises(PermissionDenied):
        _check(stranger, subject)
    assert _check(worker, subject).checked_by == worker


def test_the_hand_off_home_moves_the_follow_up_to_the_home_county(users):
    traveller = _quarantined(users)  # home in Dongguan
    subject = _subject(traveller)
    batch = handoff_send(actor=users["nanshan"], travellers=[traveller], stage="home", receiver_region="441900",
                         receiver_unit="东莞市社区", sender_unit="南山隔离酒店", expected_at=timezone.now())
    assert _subject(traveller).status == Subject.Status.ACTIVE  # in transfer: still under management
    handoffs_answer(actor=users["dongguan"], handoffs=list(batch.handoffs.all()), accept=True)
    traveller.refresh_from_db()
    assert traveller.status == Status.HOME_MONITORING
    subject = _subject(traveller)
    assert subject.region_id == "441900" and subject.pk == _subject(traveller).pk
    assert may_record(users["dongguan"], subject) and not may_record(users["nanshan"], subject)
    with pytest.raises(PermissionDenied):
        _check(users["nanshan"], subject)
    assert _check(users["dongguan"], subject).region_id == "441900"
    traveller_step(actor=users["dongguan"], traveller=traveller, status=Status.RELEASED)
    assert _subject(traveller).status == Subject.Status.ENDED


def test_fever_of_a_traveller_raises_the_problem_and_opens_a_suspected_imported_case(users):
    from fangkong.worklists.models import Problem

    traveller = _quarantined(users)
    subject = _subject(traveller)
    _check(users["nanshan"], subject, temperature=Decimal("38.4"), symptoms=["cough"])
    problem = Problem.objects.get(source="followup", source_key=f"sick:{subject.pk}")
    assert problem.region_id == "440305" and "旅客甲" not in problem.title + problem.evidence
    with pytest.raises(PermissionDenied):  # the third city may not
        subject_to_suspected(actor=users["guangzhou"], subject=Subject.objects.get(pk=subject.pk))
    case_no = subject_to_suspected(actor=users["nanshan"], subject=Subject.objects.get(pk=subject.pk))
    case = Case.objects.get(case_no=case_no)
    traveller.refresh_from_db()
    assert (case.classification, case.person_id, case.imported) == (Classification.SUSPECTED, traveller.person_id,
                                                                    True)
    assert case.onset_date == timezone.localdate()
    assert (traveller.status, traveller.case_id) == (Status.CASE, case.pk)
    assert Subject.objects.get(pk=subject.pk).status == Subject.Status.CONVERTED


def test_the_travellers_page_shows_the_follow_up_strip_to_whom_may_read_it(users):
    traveller = _quarantined(users)
    subject = _subject(traveller)
    _check(users["nanshan"], subject)
    page = Client()
    page.force_login(users["nanshan"])
    html = page.get(f"/inbound/travellers/{traveller.pk}/").content.decode()
    assert "data-strip" in html and f"/followup/subjects/{subject.pk}/" in html
    page.force_login(users["dongguan"])  # the destination sees the traveller, not (yet) its follow-up
    response = page.get(f"/inbound/travellers/{traveller.pk}/")
    assert response.status_code == 200 and "data-strip" not in response.content.decode()
