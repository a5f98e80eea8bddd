"""Goods traceability and exposure investigations: a positive cold-chain lot lists every place and enterprise
downstream of its port, and opens an investigation listing the persons exposed — the workers on the rosters of
those places and enterprises, the co-visitors of the places while the lot was there — each reader seeing the
persons of their own area; a positive environment sample the same for its place. Denied paths tested like the
allowed ones: bad stops refused with nothing written, other cities answered 404, the laboratory role refused
the named list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.keypopulations.models import RosterEntry
from fangkong.keypopulations.services import group_create
from fangkong.places.models import PlaceCategory, Scan
from fangkong.places.tests.builders import make_place
from fangkong.testing.builders import make_person, make_user
from fangkong.worklists.models import Problem

from ..models import Investigation, LotStop
from ..selectors import exposed_persons, goods_lot_list, investigation_list, lot_path
from ..services import goods_lot_create, investigation_close, lot_stop_add, result_record, specimen_record

pytestmark = pytest.mark.django_db

ARRIVED = timezone.now().replace(microsecond=0) - dt.timedelta(days=6)  # relative: no date at collection


def _code(n: int) -> str:
    from fangkong.places.credit_code import check_character

    first = f"91440300{n:08d}X"[:17]
    return first + check_character(first)


@pytest.fixture
def futian_epi(db):
    return make_user("ft_trace_epi", ("440304", Role.EPIDEMIOLOGIST))


@pytest.fixture
def luohu_epi(db):
    return make_user("lh_trace_epi", ("440303", Role.EPIDEMIOLOGIST))


@pytest.fixture
def world(shenzhen_epi, province_commander, lab, lab_user):
    """A lot entering at a Futian port, stored in a Futian cold store (an enterprise operating it), sold by a
    Luohu distributor to a Futian and a Luohu market; workers on rosters and scans at the markets."""
    from fangkong.enterprises.services import enterprise_register

    actor, registrar = shenzhen_epi, province_commander
    port = make_place(registrar, name="福田口岸", category=PlaceCategory.PORT)
    store = make_place(registrar, name="福田冷库", category=PlaceCategory.COLD_CHAIN)
    market_ft = make_place(registrar, name="福田农贸市场")
    market_lh = make_place(registrar, region="440303", name="罗湖农贸市场")
    firm = {"sector": "food", "size": "medium", "address": "测试路", "staff": 50}
    cold = enterprise_register(actor=registrar, credit_code=_code(1), name="福田冷链物流公司", region="440304",
                               places=[store.pk], **firm)
    dist = enterprise_register(actor=registrar, credit_code=_code(2), name="罗湖食品分销公司", region="440303", **firm)
    lot = goods_lot_create(actor=lab_user, region="440304", lot_no="L-2022-001", description="冷冻牛肉",
                           origin_country="巴西", port="福田口岸", owner_name="福田冷链物流公司",
                           owner_credit_code=_code(1))
    s_port = lot_stop_add(actor=actor, lot=lot, kind="port", place=port.pk, arrived_at=ARRIVED,
                          left_at=ARRIVED + dt.timedelta(hours=6))
    s_store = lot_stop_add(actor=actor, lot=lot, kind="cold_store", place=store.pk, enterprise=cold.pk,
                           upstream=s_port.pk, arrived_at=ARRIVED + dt.timedelta(hours=8),
                           left_at=ARRIVED + dt.timedelta(days=2))
    s_dist = lot_stop_add(actor=actor, lot=lot, kind="distributor", enterprise=dist.pk, upstream=s_store.pk,
                          arrived_at=ARRIVED + dt.timedelta(days=2, hours=2), left_at=ARRIVED + dt.timedelta(days=3))
    at_market = ARRIVED + dt.timedelta(days=3, hours=2)
    lot_stop_add(actor=actor, lot=lot, kind="market", place=market_ft.pk, upstream=s_dist.pk, arrived_at=at_market,
                 left_at=at_market + dt.timedelta(days=1))
    lot_stop_add(actor=actor, lot=lot, kind="market", place=market_lh.pk, upstream=s_dist.pk, arrived_at=at_market,
                 left_at=at_market + dt.timedelta(days=1))
    persons = {}
    for i, (name, region) in enumerate([("冷库工", "440304"), ("分销工", "440303"), ("福田顾客", "440304"),
                                        ("早来顾客", "440304"), ("罗湖顾客", "440303"), ("无关者", "440304")]):
        persons[name] = make_person(actor, name=name, region=region, phone=f"1390000{i:04d}")
    day = ARRIVED.date() - dt.timedelta(days=30)
    store_staff = group_create(actor=actor, name="福田冷库从业人员", population="cold_chain", region="440304",
                               place=store.pk, frequency_days=1, effective_from=day)
    dist_staff = group_create(actor=actor, name="罗湖分销从业人员", population="cold_chain", region="440303",
                              employer_name="罗湖食品分销公司", employer_code=_code(2), frequency_days=1,
                              effective_from=day)
    RosterEntry.objects.create(group=store_staff, person=persons["冷库工"], start=day)
    RosterEntry.objects.create(group=dist_staff, person=persons["分销工"], start=day)
    for name, place, at in [("福田顾客", market_ft, at_market + dt.timedelta(hours=3)),
                            ("早来顾客", market_ft, at_market - dt.timedelta(days=1)),  # before the lot came
                            ("罗湖顾客", market_lh, at_market + dt.timedelta(hours=5))]:
        Scan.objects.create(place=place, region_id=place.region_id, person=persons[name], scanned_at=at)
    return {"lot": lot, "persons": persons, "market_ft": market_ft, "market_lh": market_lh, "store": store}


def _positive_goods(lab_user, lab, lot, code="G-1", outcome="positive"):
    sampled = ARRIVED + dt.timedelta(days=4)
    specimen = specimen_record(actor=lab_user, laboratory=lab, code=code, subject="goods", kind="packaging",
                               sampled_at=sampled, sampling_point="福田农贸市场冻品区", sampler="采样员",
                               goods_lot=lot)
    result_record(actor=lab_user, laboratory=lab, code=code, outcome=outcome,
                  ct_values={"ORF1ab": 33.1} if outcome == "positive" else {},
                  received_at=sampled + dt.timedelta(hours=2), resulted_at=sampled + dt.timedelta(hours=6))
    return specimen


def _names(found):
    return ({e.person.name for e in found["workers"]}, {s.person.name for s in found["visitors"]})


def test_a_positive_lot_lists_everyone_downstream_and_opens_an_investigation(world, lab_user, lab, shenzhen_epi):
    path = lot_path(world["lot"])
    assert [(stop.kind, depth) for stop, depth in path] == [
        ("port", 0), ("cold_store", 1), ("distributor", 2), ("market", 3), ("market", 3)]
    assert {stop.place.name for stop, _d in path if stop.kind == "market"} == {"福田农贸市场", "罗湖农贸市场"}
    specimen = _positive_goods(lab_user, lab, world["lot"])
    investigation = Investigation.objects.get(specimen=specimen)
    assert (investigation.status, investigation.region_id) == ("open", "440304")
    problem = Problem.objects.get(source="laboratory", source_key=f"investigation:{investigation.pk}")
    assert "L-2022-001" in problem.title and problem.tasks.count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="laboratory.investigation").count() == 1
    found = exposed_persons(user=shenzhen_epi, investigation=investigation)
    # the cold store's roster (by its place), the distributor's (by its credit code), the markets' co-visitors
    # while the lot was there — not the customer who came the day before it, nor anyone else
    assert _names(found) == ({"冷库工", "分销工"}, {"福田顾客", "罗湖顾客"})
    assert (found["workers_total"], found["visitors_total"]) == (2, 2)


def test_each_county_lists_the_exposed_persons_of_its_own_area(world, lab_user, lab, futian_epi, luohu_epi):
    investigation = Investigation.objects.get(specimen=_positive_goods(lab_user, lab, world["lot"]))
    assert _names(exposed_persons(user=futian_epi, investigation=investigation)) == ({"冷库工"}, {"福田顾客"})
    # Luohu sees the investigation (the lot passed through it) and its own persons only
    assert investigation in investigation_list(user=luohu_epi)
    assert _names(exposed_persons(user=luohu_epi, investigation=investigation)) == ({"分销工"}, {"罗湖顾客"})


def test_a_negative_lot_or_a_positive_person_opens_no_investigation(world, lab_user, lab):
    _positive_goods(lab_user, lab, world["lot"], outcome="negative")
    assert not Investigation.objects.exists()
    assert not Problem.objects.filter(source_key__startswith="investigation:").exists()


def test_a_positive_environment_sample_lists_the_place_s_workers_and_visitors(world, lab_user, lab, shenzhen_epi):
    store = world["store"]
    sampled = ARRIVED + dt.timedelta(days=4)
    specimen_record(actor=lab_user, laboratory=lab, code="E-1", subject="environment", kind="surface",
                    sampled_at=sampled, sampling_point="冷库门把手", sampler="采样员", place=store)
    Scan.objects.create(place=store, region_id=store.region_id, person=world["persons"]["无关者"],
                        scanned_at=sampled - dt.timedelta(days=2))
    Scan.objects.create(place=store, region_id=store.region_id, person=world["persons"]["早来顾客"],
                        scanned_at=sampled - dt.timedelta(days=20))  # before the 14 days
    result_record(actor=lab_user, laboratory=lab, code="E-1", outcome="positive", ct_values={"N": 34.0},
                  received_at=sampled + dt.timedelta(hours=1), resulted_at=sampled + dt.timedelta(hours=3))
    investigation = Investigation.objects.get(specimen__code="E-1")
    assert _names(exposed_persons(user=shenzhen_epi, investigation=investigation)) == ({"冷库工"}, {"无关者"})


# --- denied paths -------------------------------------------------------------------------------------------


def test_bad_stops_are_refused_and_nothing_is_written(world, shenzhen_epi, guangzhou_epi, lab_user,
                                                     province_commander):
    lot = world["lot"]
    before = LotStop.objects.count()
    first = lot.stops.order_by("id").first()
    other = goods_lot_create(actor=lab_user, region="440304", lot_no="L-2", description="冻虾", origin_country="厄瓜多尔",
                             port="福田口岸", owner_name="福田冷链物流公司", owner_credit_code=_code(1))
    gz_place = make_place(province_commander, region="440106", name="天河农贸市场")
    cases = [
        ({"kind": "market", "place": world["market_ft"].pk}, "upstream"),  # no stop it came from
        ({"kind": "market", "place": world["market_ft"].pk, "upstream": 10**9}, "upstream"),
        ({"kind": "market", "upstream": first.pk}, "place"),  # neither place nor enterprise
        ({"kind": "market", "place": gz_place.pk, "upstream": first.pk}, "place"),  # outside the recorder's area
        ({"kind": "port", "place": world["market_ft"].pk, "upstream": first.pk}, "kind"),  # a second port
        ({"kind": "market", "place": world["market_ft"].pk, "upstream": first.pk,
          "arrived_at": ARRIVED + dt.timedelta(hours=1)}, "arrived_at"),  # before it left the port
    ]
    for fields, field in cases:
        with pytest.raises(ValidationError) as refused:
            lot_stop_add(actor=shenzhen_epi, lot=lot, **{"arrived_at": ARRIVED + dt.timedelta(days=5), **fields})
        assert field in refused.value.message_dict, (fields, refused.value.message_dict)
    with pytest.raises(ValidationError) as refused:  # a stop of another lot is no upstream of this one
        lot_stop_add(actor=shenzhen_epi, lot=other, kind="port", place=world["market_ft"].pk, upstream=first.pk,
                     arrived_at=ARRIVED)
    assert "upstream" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:  # a path begins at its port
        lot_stop_add(actor=shenzhen_epi, lot=other, kind="market", place=world["market_ft"].pk, arrived_at=ARRIVED)
    assert "kind" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        lot_stop_add(actor=guangzhou_epi, lot=lot, kind="market", place=gz_place.pk, upstream=first.pk,
                     arrived_at=ARRIVED + dt.timedelta(days=5))
    assert LotStop.objects.count() == before


def test_pages_and_api_for_allowed_and_denied_readers(client, world, lab_user, lab, shenzhen_epi, guangzhou_epi,
                                                     luohu_epi):
    lot = world["lot"]
    investigation = Investigation.objects.get(specimen=_positive_goods(lab_user, lab, lot))
    client.force_login(shenzhen_epi)
    page = client.get(f"/laboratory/goods/{lot.pk}/")
    assert page.status_code == 200 and "罗湖农贸市场" in page.content.decode()
    page = client.get(f"/laboratory/investigations/{investigation.pk}/")
    assert page.status_code == 200 and "冷库工" in page.content.decode() and "早来顾客" not in page.content.decode()
    api = client.get(f"/api/v1/goods-lots/{lot.pk}/").json()
    assert [s["kind"] for s in api["path"]] == ["port", "cold_store", "distributor", "market", "market"]
    api = client.get(f"/api/v1/investigations/{investigation.pk}/").json()
    assert {(e["name"], e["reason"]) for e in api["exposed"]} == {("冷库工", "worker"), ("分销工", "worker"),
                                                                  ("福田顾客", "co-visitor"), ("罗湖顾客", "co-visitor")}
    # another city: the same answer as for a lot that does not exist
    client.force_login(guangzhou_epi)
    for url in (f"/laboratory/goods/{lot.pk}/", f"/laboratory/investigations/{investigation.pk}/",
                f"/api/v1/goods-lots/{lot.pk}/", f"/api/v1/investigations/{investigation.pk}/"):
        assert client.get(url).status_code == 404, url
    assert not goods_lot_list(user=guangzhou_epi).exists()
    # the laboratory role sees the lot (aggregates) but not the persons exposed to it (named data of others)
    client.force_login(lab_user)
    assert client.get(f"/laboratory/goods/{lot.pk}/").status_code == 200
    assert client.get(f"/laboratory/investigations/{investigation.pk}/").status_code == 403
    assert client.get(f"/api/v1/investigations/{investigation.pk}/").status_code == 403
    # Luohu reads the lot that passed through it, posts no stop on a Futian lot
    client.force_login(luohu_epi)
    assert client.get(f"/laboratory/goods/{lot.pk}/").status_code == 200
    refused = client.post(f"/api/v1/goods-lots/{lot.pk}/stops/", {"kind": "market", "place": world["market_lh"].pk,
                                                                   "arrived_at": ARRIVED.isoformat()},
                          content_type="application/json")
    assert refused.status_code == 403 and LotStop.objects.filter(lot=lot).count() == 5


def test_an_investigation_is_closed_once_with_its_conclusion(world, lab_user, lab, shenzhen_epi):
    investigation = Investigation.objects.get(specimen=_positive_goods(lab_user, lab, world["lot"]))
    with pytest.raises(PermissionDenied):
        investigation_close(actor=lab_user, investigation=investigation, note="结论")
    with pytest.raises(ValidationError):
        investigation_close(actor=shenzhen_epi, investigation=investigation, note="  ")
    investigation_close(actor=shenzhen_epi, investigation=investigation, note="暴露人员均已落实管控")
    investigation.refresh_from_db()
    assert (investigation.status, investigation.note) == ("closed", "暴露人员均已落实管控")
    with pytest.raises(ValidationError):
        investigation_close(actor=shenzhen_epi, investigation=investigation, note="再次")
