"""Quarantine sites, rooms and assignments: check-in, check-out and transfer with the expected check-out from
the person's management period; the manager sees only its sites and their persons; the bad input of the issue
(double assignment, check-out before check-in) is refused alike by the page and the API and changes nothing;
every write is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.inputs import validate_row
from fangkong.protocols.selectors import protocol_in_force

from .. import selectors, services
from ..inputs import CheckInInput
from ..models import Assignment, Room
from .conftest import room

pytestmark = pytest.mark.django_db


def _state(site, number):
    return room(site, number).state


def test_check_in_sets_the_expected_check_out_from_the_management_period(users, sites, contacts):
    contact = contacts[0]
    assignment = services.check_in(actor=users["manager"], room_id=room(sites["a"], "101").pk,
                                   contact_no=contact.contact_no)
    period = protocol_in_force(timezone.localdate()).management_period("close", contact.exposure_end)
    assert assignment.expected_check_out == period.centralised_until + dt.timedelta(days=1)
    assert assignment.expected_check_out == contact.exposure_end + dt.timedelta(
        days=contact.protocol.close_contact_centralised_days + 1)
    assert assignment.person_id == contact.person_id and assignment.region_id == "440304"
    assert _state(sites["a"], "101") == Room.State.OCCUPIED
    assert AuditEvent.objects.filter(object_type="resources.assignment", object_id=str(assignment.pk),
                                     actor=users["manager"]).exists()


def test_the_manager_sees_only_its_sites_and_their_persons(users, sites, contacts):
    services.check_in(actor=users["sz"], room_id=room(sites["a"], "101").pk, contact_no=contacts[0].contact_no)
    services.check_in(actor=users["sz"], room_id=room(sites["b"], "201").pk, contact_no=contacts[1].contact_no)
    manager, other = users["manager"], users["other_manager"]
    assert list(selectors.site_list(user=manager)) == [sites["a"]]
    assert list(selectors.site_list(user=other)) == []
    assert [a.person.name for a in selectors.assignment_list(user=manager)] == [contacts[0].person.name]
    assert list(selectors.assignment_list(user=other)) == []
    assert {s.pk for s in selectors.site_list(user=users["sz"])} == {sites["a"].pk, sites["b"].pk}
    assert selectors.assignment_list(user=users["sz"]).count() == 2
    assert list(selectors.assignment_list(user=users["analyst"])) == []  # aggregates only: no person
    assert selectors.site_list(user=users["analyst"]).count() == 2
    assert list(selectors.site_list(user=users["gz"])) == []


def test_the_manager_may_not_check_in_at_a_site_it_does_not_manage(users, sites, contacts):
    with pytest.raises(PermissionDenied):
        services.check_in(actor=users["manager"], room_id=room(sites["b"], "201").pk, contact_no=contacts[0].contact_no)
    with pytest.raises(PermissionDenied):
        services.check_in(actor=users["gz"], room_id=room(sites["a"], "101").pk, contact_no=contacts[0].contact_no)
    with pytest.raises(PermissionDenied):
        services.check_in(actor=users["analyst"], room_id=room(sites["a"], "101").pk, contact_no=contacts[0].contact_no)
    assert Assignment.objects.count() == 0 and _state(sites["b"], "201") == Room.State.AVAILABLE


def test_manager_pages_show_its_site_and_refuse_the_other(client, users, sites, contacts):
    services.check_in(actor=users["sz"], room_id=room(sites["a"], "101").pk, contact_no=contacts[0].contact_no)
    services.check_in(actor=users["sz"], room_id=room(sites["b"], "201").pk, contact_no=contacts[1].contact_no)
    client.force_login(users["manager"])
    page = client.get(f"/resources/sites/{sites['a'].pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert contacts[0].person.name in text and contacts[1].person.name not in text
    assert client.get(f"/resources/sites/{sites['b'].pk}/").status_code == 404
    listed = client.get("/api/v1/resource-assignments/").json()
    assert [row["name"] for row in listed["results"]] == [contacts[0].person.name]
    assert [s["id"] for s in client.get("/api/v1/resource-sites/").json()["results"]] == [sites["a"].pk]
    # elsewhere the manager reads no person: the contact line list stays closed to it
    assert client.get("/cases/contacts/").status_code == 403


def test_double_assignment_of_a_room_or_a_person_is_refused_and_changes_nothing(client, users, sites, contacts):
    first = services.check_in(actor=users["sz"], room_id=room(sites["a"], "101").pk, contact_no=contacts[0].contact_no)
    with pytest.raises(ValidationError, match="not free"):
        services.check_in(actor=users["sz"], room_id=room(sites["a"], "101").pk, contact_no=contacts[1].contact_no)
    with pytest.raises(ValidationError, match="already checked in"):
        services.check_in(actor=users["sz"], room_id=room(sites["a"], "102").pk, contact_no=contacts[0].contact_no)
    client.force_login(users["sz"])
    api = client.post("/api/v1/resource-assignments/", {"room": room(sites["a"], "101").pk,
                                                        "contact_no": contacts[1].contact_no},
                      content_type="application/json")
    assert api.status_code == 400 and "room" in api.json()["error"]["fields"]
    page = client.post(f"/resources/sites/{sites['a'].pk}/check-in/", {"room": room(sites["a"], "101").pk,
                                                                       "contact_no": contacts[1].contact_no})
    assert page.status_code == 302
    assert list(Assignment.objects.all()) == [first]
    assert _state(sites["a"], "102") == Room.State.AVAILABLE


def test_check_in_input_is_one_schema_for_page_api_and_import(client, users, sites, contacts):
    row = {"room": str(room(sites["a"], "101").pk), "contact_no": "", "traveller_id": ""}
    assert "contact_no" in validate_row(CheckInInput, row)[1]
    client.force_login(users["sz"])
    api = client.post("/api/v1/resource-assignments/", {"room": int(row["room"]), "contact_no": "", "traveller_id": None},
                      content_type="application/json")
    assert api.status_code == 400 and "contact_no" in api.json()["error"]["fields"]
    data, errors = validate_row(CheckInInput, {**row, "contact_no": contacts[0].contact_no})
    assert errors == {}
    assert services.check_in(actor=users["sz"], **data).room_id == int(row["room"])


def test_check_out_before_check_in_is_refused_and_changes_nothing(client, users, sites, contacts):
    assignment = services.check_in(actor=users["sz"], room_id=room(sites["a"], "101").pk,
                                   contact_no=contacts[0].contact_no,
                                   checked_in_at=timezone.now() - dt.timedelta(hours=2))
    before = timezone.localtime(assignment.checked_in_at - dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="before check-in"):
        services.check_out(actor=users["sz"], assignment_id=assignment.pk, checked_out_at=before)
    client.force_login(users["sz"])
    api = client.post(f"/api/v1/resource-assignments/{assignment.pk}/check-out/",
                      {"checked_out_at": before.isoformat()}, content_type="application/json")
    assert api.status_code == 400 and "checked_out_at" in api.json()["error"]["fields"]
    assignment.refresh_from_db()
    assert assignment.checked_out_at is None and assignment.version == 1
    assert _state(sites["a"], "101") == Room.State.OCCUPIED
    done = services.check_out(actor=users["manager"], assignment_id=assignment.pk)
    assert done.status == Assignment.Status.OUT and _state(sites["a"], "101") == Room.State.CLEANING
    with pytest.raises(ValidationError) as again:  # (the client's request left its language active: by field)
        services.check_out(actor=users["sz"], assignment_id=assignment.pk)
    assert set(again.value.message_dict) == {"checked_out_at"}


def test_transfer_moves_the_person_with_its_expected_check_out(users, sites, contacts):
    assignment = services.check_in(actor=users["sz"], room_id=room(sites["a"], "101").pk,
                                   contact_no=contacts[0].contact_no)
    moved = services.transfer(actor=users["sz"], assignment_id=assignment.pk, room_id=room(sites["b"], "201").pk)
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.TRANSFERRED and assignment.checked_out_at is not None
    assert moved.site == sites["b"] and moved.transferred_from == assignment
    assert moved.expected_check_out == assignment.expected_check_out
    assert (_state(sites["a"], "101"), _state(sites["b"], "201")) == (Room.State.CLEANING, Room.State.OCCUPIED)
    # the manager of site a may not move anyone into site b (not its site), nor act on b's person
    with pytest.raises(PermissionDenied):
        services.transfer(actor=users["manager"], assignment_id=moved.pk, room_id=room(sites["a"], "102").pk)


def test_room_states_are_set_by_hand_except_occupied(users, sites, contacts):
    r = room(sites["a"], "103")
    services.room_state_set(actor=users["manager"], room_id=r.pk, state=Room.State.OUT_OF_SERVICE)
    with pytest.raises(ValidationError):
        services.room_state_set(actor=users["manager"], room_id=r.pk, state=Room.State.OCCUPIED)
    with pytest.raises(ValidationError, match="not free"):
        services.check_in(actor=users["sz"], room_id=r.pk, contact_no=contacts[0].contact_no)
    with pytest.raises(PermissionDenied):
        services.room_state_set(actor=users["other_manager"], room_id=r.pk, state=Room.State.AVAILABLE)
    assert room(sites["a"], "103").state == Room.State.OUT_OF_SERVICE


def test_site_board_counts_arrivals_and_departures_of_the_day(users, sites, contacts):
    now = timezone.now()
    # minutes ago, but today (a test run just after midnight would put them on the day before)
    midnight = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time()))
    a1 = services.check_in(actor=users["sz"], room_id=room(sites["a"], "101").pk, contact_no=contacts[0].contact_no,
                           checked_in_at=max(now - dt.timedelta(minutes=5), midnight))
    services.check_in(actor=users["sz"], room_id=room(sites["a"], "102").pk, contact_no=contacts[1].contact_no,
                      checked_in_at=max(now - dt.timedelta(minutes=4), midnight))
    services.check_out(actor=users["sz"], assignment_id=a1.pk)
    board = selectors.site_board(user=users["manager"], site=sites["a"])
    assert len(board["arrivals"]) == 2 and [a.pk for a in board["departures"]] == [a1.pk]
    assert board["occupied"] == 1 and board["in_service"] == 3 and board["occupancy"] == pytest.approx(33.3)
    hidden = selectors.site_board(user=users["analyst"], site=sites["a"])
    assert hidden["arrivals"] == [] and hidden["occupied"] == 1 and not hidden["persons_shown"]


def test_a_write_outside_the_region_is_refused_on_the_page(client, users, sites):
    client.force_login(users["gz"])
    assert client.post(f"/resources/sites/{sites['a'].pk}/rooms/", {"first": 1, "last": 2, "kind": "single"}).status_code == 404
    assert client.post("/resources/sites/new/", {"region": "440304", "name": "x", "kind": "hotel"}).status_code == 403
    assert Room.objects.count() == 5


def test_who_is_in_and_the_rooms_are_paged_and_a_move_has_its_own_page(client, users, sites, contacts, monkeypatch):
    """A 1,000-room site's page was 5.5 MB (a choice of free rooms on every row): who is in and the rooms are
    paged by room number, and a move chooses its room on a page of its own."""
    from .. import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for contact, number in zip(contacts, ("103", "101", "102"), strict=True):
        services.check_in(actor=users["sz"], room_id=room(sites["a"], number).pk, contact_no=contact.contact_no)
    client.force_login(users["manager"])
    first = client.get(f"/resources/sites/{sites['a'].pk}/")
    body = first.content.decode()
    shown = [a.room.number for a in first.context["present"].rows]
    assert shown == ["101", "102"] and 'rel="next"' in body and "<select id=\"t-" not in body
    second = client.get(f"/resources/sites/{sites['a'].pk}/", {"cursor": first.context["present"].next_cursor})
    assert [a.room.number for a in second.context["present"].rows] == ["103"]
    rooms = client.get(f"/resources/sites/{sites['a'].pk}/room-list/")
    assert [r.number for r in rooms.context["rooms"].rows] == ["101", "102"] and rooms.context["rooms"].next_cursor
    assert client.get(f"/resources/sites/{sites['a'].pk}/room-list/", {"cursor": "forged"}).status_code == 400
    # the move: the free rooms of the site only, then the move itself
    assignment = first.context["present"].rows[0]
    page = client.get(f"/resources/assignments/{assignment.pk}/transfer/")
    assert page.status_code == 200 and list(page.context["free_rooms"]) == []  # the three rooms are taken
    body = page.content.decode()
    assert "data-no-free-room" in body and 'data-form="transfer"' not in body  # no Move button to press
    services.check_out(actor=users["sz"], assignment_id=first.context["present"].rows[1].pk)  # room to cleaning
    assert list(client.get(f"/resources/assignments/{assignment.pk}/transfer/").context["free_rooms"]) == []
    services.room_state_set(actor=users["sz"], room_id=room(sites["a"], "102").pk, state=Room.State.AVAILABLE)
    page = client.get(f"/resources/assignments/{assignment.pk}/transfer/")
    assert [r.number for r in page.context["free_rooms"]] == ["102"] and 'data-form="transfer"' in page.content.decode()
    for bad in ({"room": "x", "version": assignment.version}, {"version": assignment.version}):  # refused by the schema
        assert client.post(f"/resources/assignments/{assignment.pk}/transfer/", bad).status_code == 302
    assert Assignment.objects.get(pk=assignment.pk).checked_out_at is None
    moved = client.post(f"/resources/assignments/{assignment.pk}/transfer/",
                        {"room": room(sites["a"], "102").pk, "version": assignment.version})
    assert moved.status_code == 302
    assert Assignment.objects.get(checked_out_at__isnull=True, contact=contacts[1]).room.number == "102"
    # another manager, and the other site's rooms: refused
    client.force_login(users["other_manager"])
    assert client.get(f"/resources/assignments/{assignment.pk}/transfer/").status_code == 404
    assert client.get(f"/resources/sites/{sites['a'].pk}/room-list/").status_code == 404
