"""Supplies: stock per store, every movement recorded and audited; requisitions between cities of the province,
requested → approved → shipped → received; a city sees its own stock and the requisitions it sent or received;
negative stock, a transfer of more than is on hand, a requisition outside the province → clear errors, nothing
changed. Beds by type and day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.inputs import validate_row
from fangkong.regions.models import Region

from .. import selectors, services
from ..inputs import StockInput
from ..models import BedCensus, Requisition, Stock, StockMovement

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(users):
    sz = services.store_create(actor=users["sz"], region="440304", name="深圳福田物资库")
    dg = services.store_create(actor=users["dg"], region="441900", name="东莞市物资储备库")
    services.stock_receive(actor=users["dg"], store=dg, item="masks", quantity=5000, reason="省级调拨入库")
    return {"sz": sz, "dg": dg}


def _on_hand(store, item="masks") -> int:
    row = Stock.objects.filter(store=store, item=item).first()
    return row.quantity if row else 0


def test_a_requisition_goes_through_its_steps_each_movement_audited(users, stores):
    r = services.requisition_create(actor=users["sz"], store=stores["sz"], supplying_city="441900", item="masks",
                                    quantity=1200)
    assert (r.requesting_region_id, r.status) == ("440300", Requisition.Status.REQUESTED)
    with pytest.raises(PermissionDenied):  # the requester does not approve its own request
        services.requisition_approve(actor=users["sz"], requisition_id=r.pk, source_store=stores["dg"])
    services.requisition_approve(actor=users["dg"], requisition_id=r.pk, source_store=stores["dg"])
    services.requisition_ship(actor=users["dg"], requisition_id=r.pk)
    assert _on_hand(stores["dg"]) == 3800 and _on_hand(stores["sz"]) == 0  # in transit
    with pytest.raises(PermissionDenied):  # the supplier does not receive for the requester
        services.requisition_receive(actor=users["dg"], requisition_id=r.pk)
    services.requisition_receive(actor=users["sz"], requisition_id=r.pk)
    r.refresh_from_db()
    assert r.status == Requisition.Status.RECEIVED and r.received_at is not None
    assert _on_hand(stores["sz"]) == 1200
    moves = list(StockMovement.objects.filter(requisition=r).order_by("id").values_list("store_id", "change", "balance"))
    assert moves == [(stores["dg"].pk, -1200, 3800), (stores["sz"].pk, 1200, 1200)]
    assert AuditEvent.objects.filter(object_type="resources.requisition", object_id=str(r.pk)).count() == 4
    assert AuditEvent.objects.filter(object_type="resources.stock").count() == 3  # receipt, shipped, received
    with pytest.raises(ValidationError):  # a step twice
        services.requisition_receive(actor=users["sz"], requisition_id=r.pk)


def test_a_city_sees_its_own_stock_and_the_requisitions_it_sent_or_received(users, stores):
    r = services.requisition_create(actor=users["sz"], store=stores["sz"], supplying_city="441900", item="masks",
                                    quantity=10)
    assert list(selectors.requisition_list(user=users["sz"])) == [r]
    assert list(selectors.requisition_list(user=users["dg"])) == [r]
    assert list(selectors.requisition_list(user=users["gz"])) == []
    assert {s.store_id for s in selectors.stock_list(user=users["dg"])} == {stores["dg"].pk}
    assert list(selectors.stock_list(user=users["sz"])) == []
    assert list(selectors.stock_list(user=users["gz"])) == []


def test_more_than_on_hand_is_refused_and_changes_nothing(client, users, stores):
    r = services.requisition_create(actor=users["sz"], store=stores["sz"], supplying_city="441900", item="masks",
                                    quantity=9000)
    services.requisition_approve(actor=users["dg"], requisition_id=r.pk, source_store=stores["dg"])
    with pytest.raises(ValidationError, match="5000 on hand"):
        services.requisition_ship(actor=users["dg"], requisition_id=r.pk)
    client.force_login(users["dg"])
    api = client.post(f"/api/v1/resource-requisitions/{r.pk}/ship/", {}, content_type="application/json")
    assert api.status_code == 400 and "quantity" in api.json()["error"]["fields"]
    issue = client.post(f"/api/v1/resource-stock/{stores['dg'].pk}/issue/",
                        {"item": "masks", "quantity": 5001, "reason": "发放"}, content_type="application/json")
    assert issue.status_code == 400
    page = client.post(f"/resources/stores/{stores['dg'].pk}/",
                       {"direction": "issue", "item": "masks", "quantity": "5001", "reason": "发放"})
    assert page.status_code == 400 and "5000" in page.content.decode()
    page = client.post(f"/resources/stores/{stores['dg'].pk}/",  # a movement the form does not offer
                       {"direction": "steal", "item": "masks", "quantity": "1", "reason": "发放"})
    assert page.status_code == 400 and _on_hand(stores["dg"]) == 5000
    for step in ("", "cancel"):  # a step the requisition does not have
        assert client.post(f"/resources/requisitions/{r.pk}/", {"step": step}).status_code == 403
    r.refresh_from_db()
    assert r.status == Requisition.Status.APPROVED and _on_hand(stores["dg"]) == 5000
    assert StockMovement.objects.count() == 1  # the first receipt only


def test_negative_stock_is_refused_by_the_schema_alike(client, users, stores):
    assert "quantity" in validate_row(StockInput, {"item": "masks", "quantity": "-5", "reason": "盘点"})[1]
    client.force_login(users["dg"])
    api = client.post(f"/api/v1/resource-stock/{stores['dg'].pk}/receive/",
                      {"item": "masks", "quantity": -5, "reason": "盘点"}, content_type="application/json")
    assert api.status_code == 400 and "quantity" in api.json()["error"]["fields"]
    page = client.post(f"/resources/stores/{stores['dg'].pk}/", {"item": "masks", "quantity": "-5", "reason": "盘点"})
    assert page.status_code == 400
    with pytest.raises(ValidationError):
        services.stock_receive(actor=users["dg"], store=stores["dg"], item="masks", quantity=-5, reason="盘点")
    assert _on_hand(stores["dg"]) == 5000 and StockMovement.objects.count() == 1


@pytest.mark.parametrize("city, message", [("430100", "same province"), ("440304", "city"), ("440000", "city"),
                                           ("440300", "itself"), ("999900", "No region")])
def test_a_requisition_to_a_city_outside_the_province_or_not_a_city_is_refused(client, users, stores, city, message):
    hunan = Region.objects.create(code="430000", level=Region.Level.PROVINCE, name_zh="湖南省", name_en="Hunan")
    Region.objects.create(code="430100", parent=hunan, level=Region.Level.PREFECTURE, name_zh="长沙市", name_en="Changsha")
    with pytest.raises(ValidationError, match=message):
        services.requisition_create(actor=users["sz"], store=stores["sz"], supplying_city=city, item="masks",
                                    quantity=10)
    client.force_login(users["sz"])
    api = client.post("/api/v1/resource-requisitions/", {"store": stores["sz"].pk, "supplying_city": city,
                                                         "item": "masks", "quantity": 10},
                      content_type="application/json")
    assert api.status_code == 400 and "supplying_city" in api.json()["error"]["fields"]
    assert Requisition.objects.count() == 0


def test_another_citys_store_is_out_of_reach(client, users, stores):
    client.force_login(users["gz"])
    assert client.get(f"/resources/stores/{stores['dg'].pk}/").status_code == 404
    assert client.post(f"/api/v1/resource-stock/{stores['dg'].pk}/issue/",
                       {"item": "masks", "quantity": 1, "reason": "x"}, content_type="application/json").status_code == 404
    with pytest.raises(PermissionDenied):
        services.stock_issue(actor=users["gz"], store=stores["dg"], item="masks", quantity=1, reason="x")
    assert _on_hand(stores["dg"]) == 5000


def test_beds_by_type_and_day(users):
    hospital = services.hospital_create(actor=users["sz"], region="440304", name="深圳市第三人民医院")
    today = timezone.localdate()
    services.bed_census_record(actor=users["sz"], hospital=hospital, bed_type="icu", date=today, beds=40, occupied=12)
    services.bed_census_record(actor=users["sz"], hospital=hospital, bed_type="icu", date=today, beds=40, occupied=15)
    assert BedCensus.objects.get(hospital=hospital, date=today).occupied == 15
    with pytest.raises(ValidationError):
        services.bed_census_record(actor=users["sz"], hospital=hospital, bed_type="icu", date=today, beds=10,
                                   occupied=11)
    with pytest.raises(ValidationError):
        services.bed_census_record(actor=users["sz"], hospital=hospital, bed_type="icu",
                                   date=today + dt.timedelta(days=1), beds=10, occupied=1)
    with pytest.raises(PermissionDenied):
        services.bed_census_record(actor=users["dg"], hospital=hospital, bed_type="icu", date=today, beds=1, occupied=0)
    assert BedCensus.objects.count() == 1
