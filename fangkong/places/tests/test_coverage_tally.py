"""The coverage tally (``tally.py``): the coverage figures read from it equal the straightforward computation
over the places and orders (``selectors.coverage_figures_direct``) — on boundary cases (due today, due
yesterday, never inspected, a closed place, a frequency changed by a tier change, orders in every state),
for every scope (province, a city's inspector, a county, a street), and as days pass on a fixed clock with
no write in between."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.testing.builders import make_user

from .. import selectors, services, tally
from ..models import CoverageTally, Place, Rectification
from .builders import make_place, pass_all

pytestmark = pytest.mark.django_db

D = dt.date(2026, 3, 10)  # the day the figures are read on


@pytest.fixture
def clock(monkeypatch):
    """A fixed clock: ``clock.day`` is what ``timezone.localdate()`` answers everywhere."""

    class Clock:
        day = D - dt.timedelta(days=30)

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: Clock.day)
    return Clock


def _on(clock, day: dt.date):
    clock.day = day
    return day


@pytest.fixture
def register(clock, gz_inspector, sz_inspector, province_commander):
    """Places of Tianhe, Yuexiu (Guangzhou), Futian (Shenzhen) and a township of Dongguan, inspected through the services on days of
    the fixed clock; returned by name. The clock is left on ``D``."""
    from fangkong.regions.models import Region

    town = Region.objects.filter(parent_id="441900", level=Region.Level.TOWNSHIP).order_by("code").first()
    dongguan = make_user("cov_dg_inspector", ("441900", Role.INSPECTOR))
    _on(clock, D - dt.timedelta(days=30))
    p = {name: make_place(gz_inspector, region=region, name=name, **extra) for name, region, extra in [
        ("today", "440106", {}), ("yesterday", "440106", {}), ("never", "440106", {}),
        ("failed", "440106", {}), ("closed", "440104", {}), ("tier", "440104", {}),
        ("low", "440104", {"category": "construction", "risk_tier": "low"}),
        ("orders", "440104", {"category": "school"})]}
    p["futian"] = make_place(sz_inspector, region="440304", name="futian")
    p["town"] = make_place(dongguan, region=town.code, name="town")  # a township counted as its own unit
    day = _on(clock, D - dt.timedelta(days=14))  # medium tier, 14 days: due on D
    services.inspection_record(actor=gz_inspector, place=p["today"].pk, inspected_on=day, results=pass_all(p["today"]))
    services.inspection_record(actor=dongguan, place=p["town"].pk, inspected_on=day, results=pass_all(p["town"]))
    day = _on(clock, D - dt.timedelta(days=15))  # due on D − 1
    services.inspection_record(actor=gz_inspector, place=p["yesterday"].pk, inspected_on=day,
                               results=pass_all(p["yesterday"]))
    services.inspection_record(actor=gz_inspector, place=p["failed"].pk, inspected_on=day,
                               results={**pass_all(p["failed"]), "G2": "fail"})  # an order, deadline D − 8
    day = _on(clock, D - dt.timedelta(days=10))  # medium: due D + 4 …
    services.inspection_record(actor=gz_inspector, place=p["tier"].pk, inspected_on=day, results=pass_all(p["tier"]))
    day = _on(clock, D - dt.timedelta(days=9))  # … then a critical finding: high tier, 7 days: due D − 2
    services.inspection_record(actor=gz_inspector, place=p["tier"].pk, inspected_on=day,
                               results={**pass_all(p["tier"]), "G1": "fail"})  # order, deadline D − 6
    day = _on(clock, D - dt.timedelta(days=6))  # a critical finding closes it: high tier, due D + 1
    services.inspection_record(actor=gz_inspector, place=p["closed"].pk, inspected_on=day, close_place=True,
                               results={**pass_all(p["closed"]), "G1": "fail", "G2": "fail"})
    day = _on(clock, D - dt.timedelta(days=25))  # low tier, 30 days: due D + 5
    services.inspection_record(actor=gz_inspector, place=p["low"].pk, inspected_on=day, results=pass_all(p["low"]))
    day = _on(clock, D - dt.timedelta(days=4))  # orders in every state
    first = services.inspection_record(actor=gz_inspector, place=p["orders"].pk, inspected_on=day,  # E1 critical
                                       results={**pass_all(p["orders"]), "G2": "fail", "G4": "fail", "E1": "fail"})
    orders = {o.finding.item_code: o for o in Rectification.objects.filter(finding__inspection=first)
              .select_related("finding")}
    services.rectification_act(actor=province_commander, rectification=orders["G2"].pk, action="submit",
                               evidence="已整改")  # submitted: no longer counted
    services.rectification_act(actor=province_commander, rectification=orders["G4"].pk, action="start")
    day = _on(clock, D - dt.timedelta(days=2))
    services.rectification_act(actor=province_commander, rectification=orders["G2"].pk, action="reopen",
                               deadline=D + dt.timedelta(days=1))  # counted again, new deadline
    services.inspection_record(actor=gz_inspector, place=p["orders"].pk, inspected_on=day,  # E1 verified, G2 and
                               results={"G2": "fail", "G4": "fail", "E1": "pass"}, follow_up_of=first.pk)  # G4 reopened: D + 5
    services.inspection_record(actor=sz_inspector, place=p["futian"].pk, inspected_on=day,
                               results={**pass_all(p["futian"]), "G4": "fail"})
    services.overdue_mark(today=D)  # states change, not the counts
    _on(clock, D)
    return p


def _users():
    return {
        "province": make_user("cov_province", ("440000", Role.PROVINCIAL_COMMANDER)),
        "gz_inspector": make_user("cov_gz", ("440100", Role.INSPECTOR)),
        "sz_epi": make_user("cov_sz_epi", ("440300", Role.EPIDEMIOLOGIST)),
        "tianhe": make_user("cov_tianhe", ("440106", Role.LOCAL_COMMANDER)),
        "two_counties": make_user("cov_two", ("440104", Role.LOCAL_COMMANDER), ("440304", Role.LOCAL_COMMANDER)),
    }


def _direct(user, day, category=None):
    return selectors.coverage_figures_direct(user=user, category=category, today=day)


def _tallied(user, day, category=None):
    assert selectors.tally_answers(user)
    return selectors.coverage_figures(user=user, category=category, today=day)


def test_the_figures_on_the_boundary_cases(register, clock):
    province = make_user("cov_province", ("440000", Role.PROVINCIAL_COMMANDER))
    rows = {r.county: r for r in selectors.coverage(user=province)}  # the clock's day: D
    assert set(rows) == {"440104", "440106", "440304", Place.objects.get(name="town").county_id}
    tianhe, yuexiu = rows["440106"], rows["440104"]
    # today (due D: covered), yesterday (due D − 1: overdue), never (due D − 16: overdue), failed (due D − 1)
    assert (tianhe.places, tianhe.covered, tianhe.overdue, tianhe.open_orders, tianhe.overdue_orders) == (4, 1, 3, 1, 1)
    # closed (high after its critical finding: due D + 1), tier (medium → high: due D − 2), low (D + 5), orders
    # (school, high after E1, re-inspected D − 2: due D + 5); orders: closed's G1 (D − 3) and G2 (D + 1), tier's
    # G1 (D − 6), school's G2 and G4 reopened by the re-inspection (D + 5); E1 verified
    assert (yuexiu.places, yuexiu.covered, yuexiu.overdue, yuexiu.open_orders, yuexiu.overdue_orders) == (4, 3, 1, 5, 2)
    assert Place.objects.get(name="closed").status == Place.Status.CLOSED
    # a day later, no write: "today" is due yesterday now; the closed place's and the orders' days come
    _on(clock, D + dt.timedelta(days=1))
    rows = {r.county: r for r in selectors.coverage(user=province)}
    assert (rows["440106"].covered, rows["440106"].overdue) == (0, 4)
    assert (rows["440104"].covered, rows["440104"].overdue, rows["440104"].overdue_orders) == (3, 1, 2)
    _on(clock, D + dt.timedelta(days=2))
    rows = {r.county: r for r in selectors.coverage(user=province)}
    assert (rows["440104"].covered, rows["440104"].overdue, rows["440104"].overdue_orders) == (2, 2, 3)


@pytest.mark.parametrize("offset", [-20, -1, 0, 1, 2, 5, 6, 40])
def test_the_tally_equals_the_straightforward_computation_every_day_and_scope(register, clock, offset):
    users = _users()
    day = _on(clock, D + dt.timedelta(days=offset))  # the clock moves; nothing is written
    for name, user in users.items():
        for category in (None, "farmers_market", "school", "construction", "port"):
            assert _tallied(user, day, category) == _direct(user, day, category), (name, category)
        for code in ("440000", "440100", "440300", "441900"):
            tallied = selectors.coverage_by_child(user=user, code=code, today=day)
            assert tallied == _by_child_direct(user, code, day), (name, code)


def _by_child_direct(user, code, day):
    from unittest import mock

    with mock.patch.object(selectors, "tally_answers", return_value=False):
        return selectors.coverage_by_child(user=user, code=code, today=day)


def test_scope_a_county_sees_its_own_and_the_inspector_guangzhou_only(register):
    users = _users()
    assert {r["county_id"] for r in _tallied(users["tianhe"], D)} == {"440106"}
    assert {r["county_id"] for r in _tallied(users["two_counties"], D)} == {"440104", "440304"}
    assert {r["county_id"] for r in _tallied(users["gz_inspector"], D)} == {"440104", "440106"}
    assert {r["county_id"] for r in _tallied(users["sz_epi"], D)} == {"440304"}
    assert [r.code for r in selectors.coverage_by_child(user=users["gz_inspector"], code="440000", today=D)] == ["440100"]
    assert selectors.coverage_by_child(user=users["sz_epi"], code="440100", today=D) == []


def test_a_township_user_is_answered_from_the_places(register, clock):
    town = Place.objects.get(name="town").region_id
    user = make_user("cov_town", (town, Role.LOCAL_COMMANDER))
    assert not selectors.tally_answers(user)  # a region below a county: the places themselves are read
    assert [(r["county_id"], r["places"], r["covered"], r["overdue"]) for r in
            selectors.coverage_figures(user=user, today=D)] == [(town, 1, 1, 0)]
    _on(clock, D + dt.timedelta(days=1))
    assert [(r.county, r.covered, r.overdue) for r in selectors.coverage(user=user)] == [(town, 0, 1)]
    # the county of another city is not in its rows
    assert selectors.coverage_figures(user=user, today=D, category="school") == []


def test_the_figures_come_from_the_tally(register):
    province = make_user("cov_province", ("440000", Role.PROVINCIAL_COMMANDER))
    before = _tallied(province, D)
    CoverageTally.objects.filter(county_id="440104", category="construction", kind="inspected").update(count=F("count") + 1)
    after = {r["county_id"]: r for r in _tallied(province, D)}
    assert after["440104"]["places"] == {r["county_id"]: r for r in before}["440104"]["places"] + 1
    assert tally.rebuild() > 0
    assert _tallied(province, D) == before


def test_the_services_keep_the_tally_as_a_rebuild_counts_it(register, gz_inspector, clock):
    services.places_import(actor=gz_inspector, name="p.csv", data=(
        "类别,名称,地址,区划代码,责任单位,负责人,联系电话,统一社会信用代码\n"
        "学校,导入学校,天河路2号,440106,天河学校,王负责,13912345670,\n"
        "农贸市场,导入市场,越秀路3号,440104,越秀市场,赵负责,13912345671,\n").encode())
    kept = {(r.county_id, r.category, r.kind, r.due_on): r.count for r in CoverageTally.objects.exclude(count=0)}
    tally.rebuild()
    counted = {(r.county_id, r.category, r.kind, r.due_on): r.count for r in CoverageTally.objects.all()}
    assert kept == counted
    assert counted[("440106", "school", CoverageTally.Kind.NEVER, D + dt.timedelta(days=14))] == 1


def test_a_place_made_due_by_a_positive_test_moves_its_tally(register):
    """``places_make_due`` (a positive test of a worker: keypopulations) brings the inspection forward."""
    province = make_user("cov_province", ("440000", Role.PROVINCIAL_COMMANDER))
    low = Place.objects.get(name="low")  # due D + 5: covered
    assert services.places_make_due(place_ids=[low.pk, Place.objects.get(name="never").pk], day=D - dt.timedelta(days=1)) == 1
    rows = {r["county_id"]: r for r in _tallied(province, D)}
    assert (rows["440104"]["covered"], rows["440104"]["overdue"]) == (2, 2)
    assert _tallied(province, D) == _direct(province, D)


def test_the_page_and_api_follow_the_clock(client, register, clock):
    province = make_user("cov_province", ("440000", Role.PROVINCIAL_COMMANDER))
    client.force_login(province)
    assert client.get("/api/v1/places-coverage/").json()["total"]["overdue"] == 3 + 1 + 0 + 0
    _on(clock, D + dt.timedelta(days=1))  # Tianhe's "today" and Dongguan's town fall due yesterday
    body = client.get("/api/v1/places-coverage/").json()
    assert body["total"]["overdue"] == 4 + 1 + 0 + 1 and body["total"]["places"] == 10
    page = client.get(reverse("places:coverage")).content.decode()
    assert "天河区" in page and "福田区" in page
    inspector = make_user("cov_gz", ("440100", Role.INSPECTOR))
    client.force_login(inspector)
    body = client.get("/api/v1/places-coverage/").json()
    assert {row["county"] for row in body["rows"]} == {"440104", "440106"} and body["total"]["places"] == 8
