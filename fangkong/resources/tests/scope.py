"""Shenzhen's resources records for the platform's scope test (``scope_records`` of the module): a Futian
quarantine site with two rooms, a contact checked into one; a hospital with a bed count; a staff team with a
roster; a store with stock and a requisition to Dongguan."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangkong.cases.tests.builders import make_case, make_contact, make_person

from .. import services


def other_city_records(actor) -> dict[str, list[str]]:
    site = services.site_create(actor=actor, region="440304", name="福田测试隔离酒店", kind="hotel")
    services.rooms_add(actor=actor, site=site, first=101, last=102, kind="single")
    room, other = site.rooms.order_by("number")
    today = timezone.localdate()
    case = make_case(actor, region="440304", day=(today - dt.timedelta(days=2)).isoformat(),
                     person=make_person(actor, name="资源测试病例", region="440304", phone="13912340417"))
    contact = make_contact(actor, source_case=case, region="440304", listed=(today - dt.timedelta(days=1)).isoformat(),
                           person=make_person(actor, name="资源测试密接", region="440304", phone="13912340418"))
    assignment = services.check_in(actor=actor, room_id=room.pk, contact_no=contact.contact_no)
    hospital = services.hospital_create(actor=actor, region="440304", name="福田测试定点医院")
    services.bed_census_record(actor=actor, hospital=hospital, bed_type="ordinary", date=today, beds=50, occupied=10)
    team = services.team_create(actor=actor, region="440304", name="福田测试医疗队", skill="medical", size=12)
    services.roster_record(actor=actor, team=team, date=today, available=10)
    store = services.store_create(actor=actor, region="440304", name="福田测试物资库")
    services.stock_receive(actor=actor, store=store, item="masks", quantity=1000, reason="入库")
    requisition = services.requisition_create(actor=actor, store=store, supplying_city="441900", item="masks",
                                              quantity=100)
    return {"site_id": [str(site.pk)], "room_id": [str(other.pk)], "assignment_id": [str(assignment.pk)],
            "hospital_id": [str(hospital.pk)], "store_id": [str(store.pk)], "team_id": [str(team.pk)],
            "requisition_id": [str(requisition.pk)],
            "pk": [str(site.pk), str(assignment.pk), str(store.pk), str(requisition.pk), str(team.pk)]}
