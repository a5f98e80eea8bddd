"""The inbound closed loop: the state machine, hand-offs answered by the receiver only, the two-region scope,
identifiers protected, the management period from the edition in force at arrival, the break sweep, and the
bad inputs of the issue's "What must hold" (each refused with a clear error and nothing changed)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.protocols.editions import CITATIONS

from .. import selectors
from ..documents import document_parse
from ..models import Handoff, IdKind, LoopBreak, LoopStep, Manifest, Status, TransferBatch, Traveller
from ..services import (
    break_close,
    breaks_sweep,
    handoff_send,
    handoffs_answer,
    manifest_import,
    traveller_step,
    traveller_to_case,
    travellers_arrive,
)
from .scope import NAMES, shenzhen_loop

pytestmark = pytest.mark.django_db
PASSPORT = "E11223344"


def row(name="旅客甲", kind=IdKind.PASSPORT, number=PASSPORT, destination="441900"):
    return {"name": name, "document": document_parse(kind, number), "destination": destination}


def imported(actor, rows, *, port="huanggang", no="粤Z0001港", day=None):
    return manifest_import(actor=actor, port=port, carrier="vehicle", carrier_no=no,
                           arrival_date=day or timezone.localdate(), rows=rows)


def arrived_and_sent(users, *, deadline_minutes=60):
    """One traveller at Huanggang (Futian) bound for Dongguan, arrived, handed over to a Nanshan site."""
    result = imported(users["futian"], [row()])
    traveller = result.manifest.travellers.get()
    now = timezone.now()
    travellers_arrive(actor=users["futian"], travellers=[traveller], at=now - dt.timedelta(hours=1))
    batch = handoff_send(actor=users["futian"], travellers=[traveller], stage="quarantine", receiver_region="440305",
                         receiver_unit="南山隔离酒店", sender_unit="皇岗口岸", expected_at=now,
                         ack_deadline=now + dt.timedelta(minutes=deadline_minutes))
    return traveller, batch.handoffs.get()


def state_of_loop() -> tuple:
    return (Traveller.objects.count(), list(Traveller.objects.values_list("status", "holder_id", "version")),
            LoopStep.objects.count(), list(Handoff.objects.values_list("state", flat=True)),
            TransferBatch.objects.count(), Manifest.objects.count())


# --- the loop -------------------------------------------------------------------------------------------------


def test_a_traveller_goes_round_the_whole_loop_each_step_with_who_and_when(users):
    traveller, handoff = arrived_and_sent(users)
    handoffs_answer(actor=users["nanshan"], handoffs=[handoff], accept=True)
    traveller.refresh_from_db()
    assert (traveller.status, traveller.holder_id) == (Status.HANDED_OVER, "440305")
    traveller_step(actor=users["nanshan"], traveller=traveller, status=Status.CENTRAL_QUARANTINE)
    batch = handoff_send(actor=users["nanshan"], travellers=[traveller], stage="home", receiver_region="441900",
                         receiver_unit="东莞社区", sender_unit="南山隔离酒店", expected_at=timezone.now())
    handoffs_answer(actor=users["dongguan"], handoffs=list(batch.handoffs.all()), accept=True)
    traveller.refresh_from_db()
    assert (traveller.status, traveller.holder_id) == (Status.HOME_MONITORING, "441900")
    traveller_step(actor=users["dongguan"], traveller=traveller, status=Status.RELEASED)
    steps = list(traveller.steps.values_list("status_to", "by__username", "region_id"))
    assert steps == [("arrived", "ft_in", "440304"), ("in_transfer", "ft_in", "440304"),
                     ("handed_over", "ns_in", "440305"), ("central_quarantine", "ns_in", "440305"),
                     ("in_transfer", "ns_in", "440305"), ("home_monitoring", "dg_in", "441900"),
                     ("released", "dg_in", "441900")]
    assert AuditEvent.objects.filter(object_type="inbound.traveller", object_id=str(traveller.pk)).count() == 3  # arrival, check-in, release
    assert AuditEvent.objects.filter(object_type="inbound.handoff").count() == 2  # the two acknowledgements
    assert AuditEvent.objects.filter(object_type="inbound.transferbatch").count() == 2


def test_a_transition_the_state_machine_forbids_is_refused_and_changes_nothing(users):
    traveller, _handoff = arrived_and_sent(users)
    before = state_of_loop()
    for status in (Status.RELEASED, Status.CENTRAL_QUARANTINE, Status.HOME_MONITORING):
        with pytest.raises(ValidationError) as refused:  # in transfer: only the receiver's answer moves it on
            traveller_step(actor=users["futian"], traveller=traveller, status=status)
        assert "status" in refused.value.message_dict
    declared = imported(users["futian"], [row("旅客乙", number="E99887766")], no="粤Z0002港").manifest.travellers.get()
    with pytest.raises(ValidationError):  # not arrived yet: cannot be handed over
        handoff_send(actor=users["futian"], travellers=[declared], stage="quarantine", receiver_region="440305",
                     receiver_unit="x", sender_unit="y", expected_at=timezone.now())
    with pytest.raises(ValidationError):
        traveller_step(actor=users["futian"], traveller=declared, status=Status.RELEASED)
    assert Traveller.objects.get(pk=traveller.pk).status == Status.IN_TRANSFER
    assert Traveller.objects.get(pk=declared.pk).status == Status.DECLARED
    assert LoopStep.objects.count() == before[2]


def test_only_the_receiver_acknowledges_not_the_sender_the_province_or_a_third_city(users):
    _traveller, handoff = arrived_and_sent(users)
    before = state_of_loop()
    for who in ("futian", "sz", "province"):  # the sender, the city above both, the province above both
        with pytest.raises(PermissionDenied):
            handoffs_answer(actor=users[who], handoffs=[handoff], accept=True)
    assert selectors.handoff_list(user=users["guangzhou"]).count() == 0  # a third city cannot even name it
    assert state_of_loop() == before
    handoffs_answer(actor=users["nanshan"], handoffs=[handoff], accept=True)
    with pytest.raises(ValidationError):  # answered once only
        handoffs_answer(actor=users["nanshan"], handoffs=[Handoff.objects.get(pk=handoff.pk)], accept=False,
                        reason="x")


def test_a_rejection_needs_a_reason_and_returns_the_traveller_to_the_sender_who_sees_it_at_once(users):
    traveller, handoff = arrived_and_sent(users)
    with pytest.raises(ValidationError) as refused:
        handoffs_answer(actor=users["nanshan"], handoffs=[handoff], accept=False, reason=" ")
    assert "reason" in refused.value.message_dict
    handoffs_answer(actor=users["nanshan"], handoffs=[handoff], accept=False, reason="隔离点已满")
    traveller.refresh_from_db()
    assert (traveller.status, traveller.holder_id) == (Status.ARRIVED, "440304")
    seen = selectors.handoff_list(user=users["futian"]).get(pk=handoff.pk)
    assert (seen.state, seen.reason) == (Handoff.State.REJECTED, "隔离点已满")


def test_the_port_city_and_the_destination_county_see_a_hand_off_and_a_third_city_nothing(users):
    traveller, handoff = arrived_and_sent(users)
    breaks_sweep(now=timezone.now() + dt.timedelta(hours=2))
    for who in ("futian", "nanshan", "sz", "province"):
        assert list(selectors.handoff_list(user=users[who])) == [handoff], who
        assert list(selectors.break_list(user=users[who])) == list(LoopBreak.objects.all()), who
    assert list(selectors.traveller_list(user=users["dongguan"])) == [traveller]  # the destination county
    third = users["guangzhou"]
    assert not selectors.traveller_list(user=third).exists()
    assert not selectors.handoff_list(user=third).exists()
    assert not selectors.break_list(user=third).exists()
    assert not selectors.inbox(user=third).exists()
    assert not selectors.port_list(user=third).filter(code="huanggang").exists()


def test_the_inbox_holds_what_the_receiver_must_acknowledge(users):
    _traveller, handoff = arrived_and_sent(users)
    assert list(selectors.inbox(user=users["nanshan"])) == [handoff]
    assert list(selectors.inbox(user=users["dongguan"])) == []


# --- the protocol ---------------------------------------------------------------------------------------------


def _inbound_days(code: str) -> tuple[int, int]:
    """(central, home) days of the edition's own words for inbound travellers (the last pair quoted)."""
    text = next(c["text"] for c in CITATIONS[code]["clauses"] if c["rule"] == "inbound")
    central = re.findall(r"(\d+)天集中隔离", text)[-1]
    home = re.findall(r"(\d+)天居家", text)[-1]
    return int(central), int(home)


@pytest.mark.parametrize(("day", "edition"), [(dt.date(2022, 3, 15), "8th"), (dt.date(2022, 7, 1), "9th"),
                                              (dt.date(2022, 12, 1), "nov-2022")])
def test_the_management_period_is_the_editions_own_counted_from_the_day_of_entry(users, day, edition):
    result = imported(users["futian"], [row()], day=day)
    traveller = result.manifest.travellers.get()
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    travellers_arrive(actor=users["futian"], travellers=[traveller], at=at)
    traveller.refresh_from_db()
    central, home = _inbound_days(edition)
    assert traveller.protocol.code == edition
    assert traveller.centralised_until == day + dt.timedelta(days=central)
    assert traveller.home_until == day + dt.timedelta(days=central + home)
    assert traveller.release_due == day + dt.timedelta(days=central + home + 1)


# --- identifiers ----------------------------------------------------------------------------------------------


def test_passport_and_citizen_id_numbers_are_never_stored_in_clear(users):
    imported(users["futian"], [row(), row("旅客乙", IdKind.CITIZEN_ID, "440304199001011233", "440304")])
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM inbound_traveller")
        stored = repr(cursor.fetchall())
    assert PASSPORT not in stored and "440304199001011233" not in stored and "1123344" not in stored
    masks = dict(Traveller.objects.values_list("id_kind", "id_masked"))
    assert masks == {"passport": "E********", "citizen_id": "440304************"}


# --- manifests: bad input and idempotence ---------------------------------------------------------------------


def test_the_same_manifest_twice_adds_nothing_and_new_rows_only_once(users):
    first = imported(users["futian"], [row()])
    again = imported(users["futian"], [row(), row("旅客乙", number="E55667788")])
    assert (first.created, again.created, again.already) == (1, 1, 1)
    assert again.manifest == first.manifest and Traveller.objects.count() == 2
    third = imported(users["futian"], [row(), row("旅客乙", number="E55667788")])
    assert (third.created, third.already, Traveller.objects.count()) == (0, 2, 2)


def test_bad_manifests_are_refused_with_clear_errors_and_change_nothing(users):
    actor = users["futian"]
    imported(actor, [row()])
    before = state_of_loop()
    with pytest.raises(ValidationError) as refused:
        imported(actor, [row("旅客丙", number="E10000001")], day=timezone.localdate() + dt.timedelta(days=1))
    assert "arrival_date" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        imported(actor, [row("旅客丙", number="E10000001")], port="no-such-port")
    assert "port" in refused.value.message_dict
    twice = imported(actor, [row("旅客丙", number="E10000001"), row("旅客丁", number="E10000001")], no="粤Z0003港")
    assert twice.manifest is None and [(e["row"], e["field"]) for e in twice.errors] == [(3, "id_number")]
    elsewhere = imported(actor, [row("旅客丙", number="E10000001"), row()], no="粤Z0004港")
    assert elsewhere.manifest is None and [(e["row"], e["field"]) for e in elsewhere.errors] == [(3, "id_number")]
    with pytest.raises(PermissionDenied):  # Baiyun is Guangzhou's port
        imported(actor, [row("旅客丙", number="E10000001")], port="baiyun-airport")
    assert state_of_loop() == before


def test_an_arrival_in_the_future_is_refused(users):
    traveller = imported(users["futian"], [row()]).manifest.travellers.get()
    with pytest.raises(ValidationError) as refused:
        travellers_arrive(actor=users["futian"], travellers=[traveller], at=timezone.now() + dt.timedelta(hours=2))
    assert "arrived_at" in refused.value.message_dict
    assert Traveller.objects.get().status == Status.DECLARED and LoopStep.objects.count() == 0


# --- breaks ---------------------------------------------------------------------------------------------------


def test_an_unacknowledged_hand_off_becomes_a_break_for_both_sides_once_and_escalates(users):
    traveller, handoff = arrived_and_sent(users, deadline_minutes=30)
    now = timezone.now()
    assert breaks_sweep(now=now + dt.timedelta(minutes=20))["found"] == 0  # not yet due
    assert breaks_sweep(now=now + dt.timedelta(minutes=45))["found"] == 1
    found = LoopBreak.objects.get()
    assert (found.kind, found.sender_region_id, found.receiver_region_id, found.handoff) == (
        "unacknowledged", "440304", "440305", handoff)
    assert breaks_sweep(now=now + dt.timedelta(minutes=60))["found"] == 0  # found once
    assert breaks_sweep(now=now + dt.timedelta(hours=6))["escalated"] == 1
    assert LoopBreak.objects.get().level == 1
    handoffs_answer(actor=users["nanshan"], handoffs=[Handoff.objects.get()], accept=True)  # the late answer
    assert LoopBreak.objects.get().closed_at is not None  # closes the break it answers
    traveller.refresh_from_db()
    assert traveller.due_at is not None  # the next step (check-in) is due again


def test_a_traveller_not_transferred_from_the_port_is_a_break(users):
    traveller = imported(users["futian"], [row()]).manifest.travellers.get()
    travellers_arrive(actor=users["futian"], travellers=[traveller], at=timezone.now() - dt.timedelta(hours=9))
    assert breaks_sweep()["found"] == 1
    assert LoopBreak.objects.get().kind == "not_transferred"


def test_one_sweep_finds_every_overdue_loop_at_once_audited_as_one_event_with_the_counts(users):
    manifest = imported(users["futian"], [row(), row("旅客乙", number="E23456789"),
                                          row("旅客丙", number="E34567890")]).manifest
    late, waiting, sent = manifest.travellers.order_by("id")
    now = timezone.now()
    travellers_arrive(actor=users["futian"], travellers=[late, waiting, sent], at=now - dt.timedelta(hours=9))
    handoff_send(actor=users["futian"], travellers=[sent], stage="quarantine", receiver_region="440305",
                 receiver_unit="南山隔离酒店", sender_unit="皇岗口岸", expected_at=now,
                 ack_deadline=now + dt.timedelta(minutes=30))
    result = breaks_sweep(now=now + dt.timedelta(hours=1))
    assert (result["found"], result["by_kind"]) == (3, {"not_transferred": 2, "unacknowledged": 1})
    by_traveller = {b.traveller_id: b for b in LoopBreak.objects.all()}
    assert by_traveller[sent.pk].receiver_region_id == "440305"  # the hand-off's receiver is the other side
    assert by_traveller[late.pk].receiver_region_id == "441900"  # else the destination
    sweeps = AuditEvent.objects.filter(object_type="inbound.loopbreak")
    assert [e.detail for e in sweeps] == [{"found": 3, "by_kind": {"not_transferred": 2, "unacknowledged": 1},
                                           "escalated": 0}]
    assert breaks_sweep(now=now + dt.timedelta(hours=2))["found"] == 0 and sweeps.count() == 1  # nothing new


def test_a_break_closed_without_the_next_step_is_not_made_again_for_the_same_due_time(users):
    traveller = imported(users["futian"], [row()]).manifest.travellers.get()
    travellers_arrive(actor=users["futian"], travellers=[traveller], at=timezone.now() - dt.timedelta(hours=9))
    assert breaks_sweep()["found"] == 1
    break_close(actor=users["futian"], loop_break=LoopBreak.objects.get(), resolution="转运车辆已派出")
    assert breaks_sweep()["found"] == 0
    traveller.refresh_from_db()
    handoff_send(actor=users["futian"], travellers=[traveller], stage="quarantine", receiver_region="440305",
                 receiver_unit="南山隔离酒店", sender_unit="皇岗口岸", expected_at=timezone.now(),
                 ack_deadline=timezone.now() + dt.timedelta(minutes=30))
    assert breaks_sweep(now=timezone.now() + dt.timedelta(hours=1))["found"] == 1  # a new due time, a new break


# --- exits ----------------------------------------------------------------------------------------------------


def test_a_positive_traveller_becomes_an_imported_case_through_the_cases_service(users):
    traveller, handoff = arrived_and_sent(users)
    handoffs_answer(actor=users["nanshan"], handoffs=[handoff], accept=True)
    traveller.refresh_from_db()
    traveller_step(actor=users["nanshan"], traveller=traveller, status=Status.CENTRAL_QUARANTINE)
    traveller_to_case(actor=users["nanshan"], traveller=traveller, diagnosed_at=timezone.now())
    traveller.refresh_from_db()
    assert traveller.status == Status.CASE
    case = traveller.case
    assert (case.imported, case.detection_route, case.report_region_id, case.residence_region_id) == (
        True, "inbound_screening", "440305", "441900")
    with pytest.raises(ValidationError):  # an exit is final
        traveller_step(actor=users["nanshan"], traveller=traveller, status=Status.RELEASED)


def test_scope_records_are_what_the_scope_test_uses(users):
    made = shenzhen_loop(users["sz"])
    assert {t.name for t in made["travellers"]} == set(NAMES)
    assert made["break"].kind == "unacknowledged"


def test_travellers_documents_are_shredded_with_the_keyring_and_still_found_mid_rotation(users):
    """Crypto-shredding (issue 25): each traveller's document is sealed with a key of its own and hashed under the
    keyring epoch; a rotation rehashes it for the purpose of its kind, and a manifest imported again while the
    rotation is half-way still finds the travellers already on it."""
    from fangkong.persons import keyring, protection
    from fangkong.persons.shredding import rotate

    from ..documents import document_reveal

    cid = "440304199001010011"
    rows = [row(), row("旅客乙", IdKind.CITIZEN_ID, cid)]
    first = imported(users["futian"], rows)
    passport, citizen = first.manifest.travellers.order_by("id")
    old_hashes = {passport.id_hash, citizen.id_hash}
    assert citizen.id_hash == protection.identifier_hash(cid, "citizen_id")  # the registry's hash of that ID
    assert passport.key_wrapped != citizen.key_wrapped and PASSPORT not in passport.id_sealed
    rotate(batch=1, stop_after_batches=1)  # half-way: one traveller rekeyed, the other not
    again = imported(users["futian"], rows)
    assert (again.created, again.already) == (0, 2)
    rotate()
    passport.refresh_from_db()
    citizen.refresh_from_db()
    assert keyring.load().epochs.keys() == {2} and {passport.key_epoch, citizen.key_epoch} == {2}
    assert not old_hashes & {passport.id_hash, citizen.id_hash}
    assert (document_reveal(passport), document_reveal(citizen)) == (PASSPORT, cid)
    assert passport.id_hash == protection.identifier_hash(PASSPORT, "passport")
    assert citizen.id_hash == protection.identifier_hash(cid, "citizen_id")
    assert (imported(users["futian"], rows).already, Traveller.objects.count()) == (2, 2)


def test_documents_sealed_the_old_way_are_upgraded_to_a_key_per_traveller(users):
    from fangkong.persons import protection
    from fangkong.persons.shredding import legacy_upgrade

    from ..documents import document_reveal

    traveller = imported(users["futian"], [row()]).manifest.travellers.get()
    Traveller.objects.filter(pk=traveller.pk).update(  # as the registry sealed it before per-row keys
        key_wrapped="", key_epoch=0, id_hash=protection.keyed_hash(PASSPORT, "passport"),
        id_sealed=protection.encrypt(PASSPORT, "passport"))
    assert legacy_upgrade(Traveller) == 1
    traveller.refresh_from_db()
    assert traveller.key_epoch == 1 and traveller.id_sealed.startswith("v2:")
    assert document_reveal(traveller) == PASSPORT
    assert traveller.id_hash == protection.identifier_hash(PASSPORT, "passport")
