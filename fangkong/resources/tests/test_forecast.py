"""The forecast per city × resource against recorded capacity, the demo's shortage, the problem it raises in
the three lists (once), and the dashboard's outlook reading recorded capacity."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.db.models import Max

from fangkong.cases.models import Case
from fangkong.regions.models import Region
from fangkong.worklists.models import Problem

from .. import forecast, services
from ..apps import PROBLEM_SOURCE
from ..demo import demo_load
from ..models import QuarantineSite, Room

pytestmark = pytest.mark.django_db


def _busiest_week_end(scenario) -> dt.date:
    return scenario.params.start_date + dt.timedelta(days=int(np.bincount(scenario.cases.report_day).argmax()))


def test_no_capacity_is_a_shortage_on_day_one_and_plenty_is_none(demo_wave, users):
    day = _busiest_week_end(demo_wave)
    shenzhen = Region.objects.get(code="440300")
    lines = {line.resource: line for line in forecast.forecast([shenzhen], day)}
    rooms = lines[forecast.ROOMS]
    assert rooms.capacity == 0 and rooms.band is not None and rooms.band[1] > 0
    assert rooms.probability == 1.0 and rooms.first_day == 1.0 and rooms.first_date == day + dt.timedelta(days=1)
    assert rooms.above_90 == 1.0 and rooms.warning
    # plenty of rooms for an epidemic brought under control (what if Rt were 0.3): no shortage on any path
    site = services.site_create(actor=users["province"], region="440304", name="大型隔离点", kind="purpose_built")
    services.rooms_add(actor=users["province"], site=site, first=1, last=2000, kind="single")
    services.rooms_add(actor=users["province"], site=site, first=2001, last=4000, kind="single")
    plenty = {line.resource: line for line in forecast.forecast([shenzhen], day, rt=0.3)}[forecast.ROOMS]
    assert plenty.capacity == 4000 and plenty.probability == 0.0 and plenty.first_day is None and not plenty.warning
    # rooms out of service are not capacity
    Room.objects.filter(site=site, number__in=[str(n) for n in range(1, 3001)]).update(state=Room.State.OUT_OF_SERVICE)
    assert {line.resource: line for line in forecast.forecast([shenzhen], day, rt=0.3)}[forecast.ROOMS].capacity == 1000


def test_what_if_a_lower_rt_and_a_shorter_protocol_need_fewer_rooms(demo_wave):
    from fangkong.protocols.models import ProtocolVersion

    day = _busiest_week_end(demo_wave)
    shenzhen = Region.objects.get(code="440300")
    peak = {}
    for name, kwargs in (("base", {"rt": 1.5}), ("low", {"rt": 0.5}),
                         ("nov", {"rt": 1.5, "protocol": ProtocolVersion.objects.get(code="nov-2022")})):
        peak[name] = {x.resource: x for x in forecast.forecast([shenzhen], day, **kwargs)}[forecast.ROOMS].band[1]
    assert peak["low"] < peak["base"] and peak["nov"] < peak["base"]


def test_the_demo_produces_a_shortage_and_the_sweep_raises_it_once(demo_wave, province_commander):
    message = demo_load(province_commander)
    assert "quarantine sites" in message and QuarantineSite.objects.filter(region__code__startswith="4403").count() == 3
    day = Case.objects.aggregate(last=Max("report_date"))["last"]
    lines = forecast.forecast(list(Region.objects.filter(code__in=["440300", "441900"])), day)
    warned = [line for line in lines if line.warning and line.probability >= forecast.ANNOUNCE_PROBABILITY]
    assert warned, [(x.city, x.resource, x.probability, x.first_day) for x in lines]
    first = services.shortage_sweep(day=day)
    assert first["raised"] == first["warnings"] >= len(warned)
    problems = Problem.objects.filter(source=PROBLEM_SOURCE)
    assert problems.count() == first["raised"] and all(p.region_id in ("440300", "441900") for p in problems)
    assert services.shortage_sweep(day=day)["raised"] == 0 and problems.count() == first["raised"]
    assert "demo resources" in demo_load(province_commander)  # loaded twice: nothing added
    assert QuarantineSite.objects.count() == 5


def test_the_page_shows_the_forecast_of_the_cities_in_view_only(client, demo_wave, users):
    day = _busiest_week_end(demo_wave)
    client.force_login(users["sz"])
    page = client.get("/resources/", {"date": day.isoformat()}).content.decode()
    assert "深圳市" in page and "东莞市" not in page and 'data-shortage-warning' in page
    client.force_login(users["gz"])
    page = client.get("/resources/", {"date": day.isoformat()}).content.decode()
    assert "深圳市" not in page
    client.force_login(users["province"])
    body = client.get("/api/v1/resource-forecast/").json()
    assert {row["city"] for row in body} >= {"440300", "441900"}


def test_the_dashboard_outlook_reads_recorded_capacity(demo_wave, users, province_commander):
    from fangkong.dashboard import selectors as dashboard

    day = _busiest_week_end(demo_wave)
    province = Region.objects.get(code="440000")
    before = dashboard.situation(user=province_commander, region=province, day=day)["outlook"]
    assert before["capacity_known"] is False
    site = services.site_create(actor=users["province"], region="440304", name="隔离点", kind="hotel")
    services.rooms_add(actor=users["province"], site=site, first=1, last=30, kind="single")
    after = dashboard.situation(user=province_commander, region=province, day=day, fresh=True)["outlook"]
    assert after["capacity_known"] is True and after["capacity"]["quarantine_rooms"] == 30
    shortage = after["projected"]["shortage"]["quarantine_rooms"]
    assert shortage["probability"] == 1.0 and shortage["first_day"] == 1


def test_the_forecast_is_calibrated_on_the_citys_own_contacts(demo_wave):
    """Contacts per case and the people in centralised quarantine, as the forecast reads them, equal the counts
    made contact by contact (the protocol period of each contact computed on its own)."""
    from fangkong.cases.models import Contact
    from fangkong.cases.selectors import contacts_managed_on
    from fangkong.protocols import periods
    from fangkong.regions.codes import subtree_prefix

    day = _busiest_week_end(demo_wave)
    cities = ["440300", "441900"]
    calibration = forecast.contact_calibration(cities, day)
    present = forecast.quarantined_by_day(cities, day, 10)
    for city in cities:
        cases = Case.objects.filter(report_region__code__startswith=subtree_prefix(city), classification__in=forecast.COUNTED,
                                    report_date__gte=day - dt.timedelta(days=forecast.CALIBRATION_DAYS),
                                    report_date__lte=day - dt.timedelta(days=forecast.CALIBRATION_LAG))
        straight = sorted(Contact.objects.filter(source_case=case, category="close", listed_date__lte=day).count()
                          for case in cases)
        per_case, lead = calibration[city]
        assert sorted(per_case.tolist()) == straight
        leads = [(c.source_case.report_date - c.exposure_end).days for c in Contact.objects.filter(
            source_case__in=cases, category="close", listed_date__lte=day, exposure_end__isnull=False)]
        assert lead == (max(0, round(float(np.median(leads)))) if leads else None)
        expected = np.zeros(10)
        for contact in contacts_managed_on(day).filter(region__code__startswith=subtree_prefix(city)):
            counted, _known = periods.contact_counted_from(exposure_end=contact.exposure_end,
                                                           listed_date=contact.listed_date)
            period = contact.protocol.management_period(contact.category, counted)
            for h in range(10):
                if period and period.centralised_until and day + dt.timedelta(days=h + 1) <= period.centralised_until:
                    expected[h] += 1
        np.testing.assert_array_equal(present[city], expected)
    assert present["440300"][0] > 0 and calibration["440300"][0].size >= forecast.MIN_CALIBRATION_CASES


def test_a_city_without_enough_cases_keeps_the_default_ratios():
    few = forecast._demand_parameters(np.array([3.0, 4.0]), None)
    assert few.close_contacts_per_case == 10.0 and few.close_contacts_dispersion is None
    enough = forecast._demand_parameters(np.array([2.0, 4.0, 6.0, 8.0, 10.0]), 2)
    assert enough.close_contacts_per_case == 6.0 and enough.exposure_to_report_days == 2
    assert enough.close_contacts_dispersion == pytest.approx(36 / (10 - 6))


def test_the_page_reads_the_forecast_from_the_cache_until_the_data_change(demo_wave, users, monkeypatch,
                                                                         django_capture_on_commit_callbacks):
    day = _busiest_week_end(demo_wave)
    computed = []
    real = forecast.forecast
    monkeypatch.setattr(forecast, "forecast", lambda *a, **k: computed.append(a) or real(*a, **k))
    first = forecast.forecast_table(user=users["sz"], day=day)
    again = forecast.forecast_table(user=users["sz"], day=day)
    assert len(computed) == 1 and [x.band for x in again] == [x.band for x in first]
    forecast.forecast_table(user=users["gz"], day=day)  # another view of cities: its own entry
    forecast.forecast_table(user=users["sz"], day=day, rt=0.5)  # a what-if: its own entry
    assert len(computed) == 3
    site = services.site_create(actor=users["province"], region="440304", name="新隔离点", kind="hotel")
    with django_capture_on_commit_callbacks(execute=True):  # the bump happens when the write commits
        services.rooms_add(actor=users["province"], site=site, first=1, last=50, kind="single")
    fresh = {x.resource: x for x in forecast.forecast_table(user=users["sz"], day=day)}
    assert len(computed) == 4 and fresh[forecast.ROOMS].capacity == 50


def test_inbound_travellers_bound_for_a_city_fill_its_rooms_for_their_centralised_days(users):
    """The forecast's rooms count the inbound module's travellers bound for the city: those declared on a
    manifest from their arrival for the inbound centralised days of the edition in force that day; a
    traveller bound elsewhere, or already at home, is not counted."""
    from django.utils import timezone

    from fangkong.inbound.documents import document_parse
    from fangkong.inbound.models import IdKind, Status, Traveller
    from fangkong.inbound.services import manifest_import, ports_install
    from fangkong.protocols.selectors import protocol_in_force

    today = timezone.localdate()
    day, arrival = today - dt.timedelta(days=3), today - dt.timedelta(days=1)
    rows = [{"name": name, "document": document_parse(IdKind.PASSPORT, number), "destination": destination}
            for name, number, destination in (("旅客甲", "E10000001", "441900"), ("旅客乙", "E10000002", "441900"),
                                              ("旅客丙", "E10000003", "441900"), ("旅客丁", "E10000004", "440304"))]
    ports_install()
    manifest_import(actor=users["province"], port="huanggang", carrier="vehicle", carrier_no="粤Z0002港",
                    arrival_date=arrival, rows=rows)
    Traveller.objects.filter(name="旅客丙").update(status=Status.HOME_MONITORING)  # past its rooms
    until = protocol_in_force(arrival).management_period("inbound", arrival).centralised_until
    horizon_days = [day + dt.timedelta(days=h) for h in range(1, 15)]
    expected = [2 * (arrival <= d <= until) for d in horizon_days]
    found = forecast.inbound_in_rooms(["441900", "440300"], day, 14)
    assert list(found["441900"]) == expected and sum(expected) > 0
    assert list(found["440300"]) == [int(arrival <= d <= until) for d in horizon_days]
    # no projection for a city without cases: where it records rooms, the line holds what the records fill
    dongguan = Region.objects.get(code="441900")
    assert forecast.ROOMS not in {line.resource for line in forecast.forecast([dongguan], day) if line.band}
    site = services.site_create(actor=users["province"], region="441900", name="东莞隔离酒店", kind="hotel")
    services.rooms_add(actor=users["province"], site=site, first=1, last=1, kind="single")
    rooms = {line.resource: line for line in forecast.forecast([dongguan], day)}[forecast.ROOMS]
    assert rooms.band is not None and rooms.band[1] == 2 and rooms.capacity == 1 and rooms.probability == 1.0
    assert rooms.first_date == arrival
