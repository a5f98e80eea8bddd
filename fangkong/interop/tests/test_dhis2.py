"""DHIS2 aggregate export: payloads in the shape DHIS2's documentation shows (its examples are committed in
``data/``, sources in ``data/SOURCES.md``), figures counted as the dashboard counts them, a dry run first and
the import summary reconciled with what was sent; the mapping edited by administrators only."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.cases.tests.builders import make_case
from fangkong.dashboard.selectors import compute_situation
from fangkong.regions.models import Region
from fangkong.testing.builders import make_user
from fangkong.worklists.models import Problem

from .. import dhis2, problems
from ..apps import PROBLEM_SOURCE
from ..models import Dhis2Mapping, MessageState, OutboundMessage
from ..services import destination_create, outbound_send_due
from .stub import Stub

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
DAY = dt.date(2022, 3, 17)


def _documented(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _destination(sysadmin, url="http://127.0.0.1:9/", period="daily"):
    destination = destination_create(actor=sysadmin, region="440000", name="DHIS2", kind="dhis2", base_url=url,
                                     regions=["440300"], dhis2_data_set="pBOMPrpg1QX", dhis2_period=period,
                                     reason="配置省级 DHIS2 接收方")
    for figure, element in ((Dhis2Mapping.Figure.NEW_CONFIRMED, "f7n9E0hX8qk"),
                            (Dhis2Mapping.Figure.NEW_ASYMPTOMATIC, "Ix2HsbDMLea"),
                            (Dhis2Mapping.Figure.NEW_SUSPECTED, "eY5ehpbEsB7")):
        dhis2.dhis2_mapping_set(actor=sysadmin, destination=destination, figure=figure, data_element=element,
                                category_option_combo="bRowv6yZOF2")
    dhis2.dhis2_org_unit_set(actor=sysadmin, destination=destination, region="440304", org_unit="DiszpKrYNg8")
    return destination


def _cases(actor):
    for classification in ("confirmed", "confirmed", "asymptomatic", "suspected", "excluded"):
        make_case(actor, region="440304", day="2022-03-17", classification=classification)
    make_case(actor, region="440304", day="2022-03-16")  # the day before: not in the period
    make_case(actor, region="440104", day="2022-03-17")  # Guangzhou: not this org unit


def _shape(value):
    """Keys and types, recursively; a list by the shape of its items."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [s for s in {json.dumps(_shape(v), sort_keys=True) for v in value}]
    return type(value).__name__


def test_the_payload_has_the_shape_of_dhis2s_documented_example_and_the_dashboards_figures(
        sysadmin, province_commander):
    _cases(province_commander)
    destination = _destination(sysadmin)
    [message] = dhis2.dhis2_export(actor=province_commander, destination=destination, region="440300", day=DAY)
    sent, documented = message.payload, _documented("dhis2_data_value_set_sent.json")
    assert set(sent) == set(documented)  # dataSet, completeDate, period, orgUnit, dataValues
    assert {k: type(v) for k, v in sent.items()} == {k: type(v) for k, v in documented.items()}
    read_value = _documented("dhis2_data_value_set_read.json")["dataValues"][0]
    for value in sent["dataValues"]:
        assert set(value) == {"dataElement", "categoryOptionCombo", "value"} <= set(read_value)
        assert all(isinstance(v, str) for v in value.values())
    assert dt.date.fromisoformat(sent["completeDate"]) == timezone.localdate()
    assert (sent["dataSet"], sent["period"], sent["orgUnit"]) == ("pBOMPrpg1QX", "20220317", "DiszpKrYNg8")
    by_element = {v["dataElement"]: v["value"] for v in sent["dataValues"]}
    assert by_element == {"f7n9E0hX8qk": "2", "Ix2HsbDMLea": "1", "eY5ehpbEsB7": "1"}
    # the same figures as the command dashboard shows for Futian that day
    situation = compute_situation(user=province_commander, region=Region.objects.get(code="440304"), day=DAY)
    assert int(by_element["f7n9E0hX8qk"]) == situation["new"]["confirmed_local"] + situation["new"]["confirmed_imported"]
    assert int(by_element["Ix2HsbDMLea"]) == (situation["new"]["asymptomatic_local"]
                                              + situation["new"]["asymptomatic_imported"])
    assert int(by_element["eY5ehpbEsB7"]) == situation["suspected_new"]
    assert "dryRun=true" in message.path and message.idempotency_key.endswith(":dry")


def test_periods_are_dhis2_iso_periods():
    assert dhis2.period_of(DAY, "daily") == ("20220317", DAY, DAY)
    assert dhis2.period_of(DAY, "weekly") == ("2022W11", dt.date(2022, 3, 14), dt.date(2022, 3, 20))
    assert dhis2.period_of(dt.date(2021, 1, 3), "weekly")[0] == "2020W53"  # ISO week of the year before
    assert dhis2.period_of(dt.date(2022, 1, 5), "weekly")[0] == "2022W1"


def _summary(imported: int, *, wrapped: bool = False, conflicts=None) -> bytes:
    summary = copy.deepcopy(_documented("dhis2_import_summary.json"))
    summary["importCount"] = {"imported": imported, "updated": 0, "ignored": 0, "deleted": 0}
    if conflicts:
        summary["conflicts"] = conflicts
    if wrapped:
        summary = {"httpStatus": "OK", "httpStatusCode": 200, "status": "OK", "response": summary}
    return json.dumps(summary).encode()


@pytest.mark.parametrize("wrapped", [False, True])
def test_a_dry_run_whose_summary_reconciles_is_followed_by_the_import(sysadmin, province_commander, wrapped):
    _cases(province_commander)
    with Stub() as stub:
        stub.answer_body = _summary(3, wrapped=wrapped)
        destination = _destination(sysadmin, stub.url)
        [dry] = dhis2.dhis2_export(actor=province_commander, destination=destination, region="440300", day=DAY)
        outbound_send_due(timeout=5)
        outbound_send_due(timeout=5)
    dry.refresh_from_db()
    real = OutboundMessage.objects.get(follows=dry)
    assert [c["path"] for c in stub.calls] == [dry.path, real.path]
    assert "dryRun=true" in stub.calls[0]["path"] and "dryRun" not in stub.calls[1]["path"]
    assert real.payload == dry.payload and real.state == MessageState.DELIVERED
    assert dry.reconciliation["ok"] and real.reconciliation == {**dry.reconciliation}
    assert real.reconciliation["sent"] == real.reconciliation["imported"] == 3


def test_a_summary_that_does_not_match_what_was_sent_stops_before_the_import_and_is_raised(
        sysadmin, province_commander):
    _cases(province_commander)
    with Stub() as stub:
        stub.answer_body = json.dumps(_documented("dhis2_import_summary.json")).encode()  # 431 updated, 3 sent
        destination = _destination(sysadmin, stub.url)
        [dry] = dhis2.dhis2_export(actor=province_commander, destination=destination, region="440300", day=DAY)
        outbound_send_due(timeout=5)
        outbound_send_due(timeout=5)
    dry.refresh_from_db()
    assert dry.reconciliation["ok"] is False and dry.reconciliation["updated"] == 431
    assert not OutboundMessage.objects.filter(follows=dry).exists() and len(stub.calls) == 1
    assert problems.feed(timezone.now()) == 1
    assert Problem.objects.get(source=PROBLEM_SOURCE).source_key == f"unreconciled:{dry.pk}"


def test_conflicts_or_ignored_values_do_not_reconcile():
    sent = _documented("dhis2_data_value_set_sent.json")
    conflict = [{"object": "f7n9E0hX8qk", "value": "Data element not part of data set"}]
    assert dhis2.reconcile(sent, json.loads(_summary(3)))["ok"]
    assert not dhis2.reconcile(sent, json.loads(_summary(3, conflicts=conflict)))["ok"]
    ignored = json.loads(_summary(2))
    ignored["importCount"]["ignored"] = 1
    assert not dhis2.reconcile(sent, ignored)["ok"]
    assert not dhis2.reconcile(sent, dhis2.import_summary("<html>proxy error</html>"))["ok"]


def test_only_administrators_edit_the_mapping_and_bad_identifiers_store_nothing(client, sysadmin, province_commander):
    destination = _destination(sysadmin)
    with pytest.raises(PermissionDenied):
        dhis2.dhis2_mapping_set(actor=province_commander, destination=destination, figure="new_confirmed",
                                data_element="AAAAAAAAAAA", category_option_combo="BBBBBBBBBBB")
    client.force_login(province_commander)
    assert client.post(f"/interop/destinations/{destination.pk}/dhis2/figure/",
                       {"figure": "new_confirmed", "data_element": "AAAAAAAAAAA",
                        "category_option_combo": "BBBBBBBBBBB"}).status_code == 403
    client.force_login(sysadmin)
    answer = client.post(f"/interop/destinations/{destination.pk}/dhis2/figure/",
                         {"figure": "new_confirmed", "data_element": "1bad", "category_option_combo": "x"})
    assert answer.status_code == 400
    assert set(answer.context["figure_form"].errors) == {"data_element", "category_option_combo"}
    answer = client.post(f"/interop/destinations/{destination.pk}/dhis2/org-unit/",
                         {"region": "440104", "org_unit": "AAAAAAAAAAA"})  # Guangzhou: not this destination's
    assert answer.status_code == 400 and "region" in answer.context["unit_form"].errors
    assert Dhis2Mapping.objects.get(figure="new_confirmed").data_element == "f7n9E0hX8qk"
    assert list(destination.dhis2_org_units.values_list("region_id", flat=True)) == ["440304"]
    assert client.post(f"/interop/destinations/{destination.pk}/dhis2/figure/",
                       {"figure": "new_confirmed", "data_element": "AAAAAAAAAAA",
                        "category_option_combo": "BBBBBBBBBBB"}).status_code == 302
    assert Dhis2Mapping.objects.get(figure="new_confirmed").data_element == "AAAAAAAAAAA"


def test_an_export_is_refused_without_the_right_in_the_future_or_without_a_mapped_region(
        client, sysadmin, province_commander, analyst, guangzhou_epi):
    destination = _destination(sysadmin)
    with pytest.raises(PermissionDenied):
        dhis2.dhis2_export(actor=analyst, destination=destination, region="440300", day=DAY)
    with pytest.raises(PermissionDenied):
        dhis2.dhis2_export(actor=guangzhou_epi, destination=destination, region="440300", day=DAY)
    with pytest.raises(ValidationError):
        dhis2.dhis2_export(actor=province_commander, destination=destination, region="440300",
                           day=timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        dhis2.dhis2_export(actor=province_commander, destination=destination, region="440306", day=DAY)
    client.force_login(guangzhou_epi)
    assert client.post("/interop/dhis2/export/", {"destination": destination.pk, "region": "440300",
                                                  "day": "2022-03-17"}).status_code == 403
    client.force_login(province_commander)
    assert client.post("/interop/dhis2/export/", {"destination": destination.pk, "region": "440300",
                                                  "day": "2099-01-01"}).status_code == 400
    assert OutboundMessage.objects.count() == 0
    assert client.post("/interop/dhis2/export/", {"destination": destination.pk, "region": "440300",
                                                  "day": "2022-03-17"}).status_code == 302
    assert OutboundMessage.objects.count() == 1


def test_a_county_administrator_cannot_map_another_citys_destination(sysadmin):
    destination = _destination(sysadmin)
    gz_admin = make_user("gz_admin_map", ("440100", Role.SYSTEM_ADMINISTRATOR))
    with pytest.raises(PermissionDenied):
        dhis2.dhis2_org_unit_set(actor=gz_admin, destination=destination, region="440304", org_unit="AAAAAAAAAAA")


def test_the_modules_figures_go_to_dhis2_as_each_module_counts_them(sysadmin, province_commander, shenzhen_epi):
    """Tests resulted and positive (laboratory), beds open and occupied on the period's last day (resources),
    a sentinel indicator's counts (surveillance): each mapped to a data element, each counted for the org unit's
    region and the period only."""
    from fangkong.laboratory.services import laboratory_create, result_record, specimen_record
    from fangkong.resources.services import bed_census_record, hospital_create
    from fangkong.surveillance.models import SentinelReport, SentinelSite
    from fangkong.surveillance.services import indicators_ensure
    from fangkong.testing.builders import citizen_id, make_person

    indicator = indicators_ensure()["fever_clinic_visits"]  # the standard indicators: each a figure at once
    destination = _destination(sysadmin)
    choices = dict(dhis2.figure_choices())
    assert {"laboratory.tests", "laboratory.positive", "resources.beds", "resources.beds_occupied",
            "surveillance.fever_clinic_visits"} <= set(choices)
    for figure, element in (("laboratory.tests", "Tst0000000A"), ("laboratory.positive", "Pos0000000A"),
                            ("resources.beds_occupied", "Bed0000000A"),
                            ("surveillance.fever_clinic_visits", "Fev0000000A")):
        dhis2.dhis2_mapping_set(actor=sysadmin, destination=destination, figure=figure, data_element=element,
                                category_option_combo="bRowv6yZOF2")
    staff = make_user("sz_lab_dhis2", ("440300", Role.LABORATORY))
    lab = laboratory_create(actor=shenzhen_epi, name="深圳实验室", region="440300", daily_capacity=100, staff=[staff])
    for n, (region, day, outcome) in enumerate((("440304", "2022-03-17", "positive"), ("440304", "2022-03-17", "negative"),
                                                ("440304", "2022-03-16", "negative"),  # the day before
                                                ("440303", "2022-03-17", "negative"))):  # Luohu: another unit
        cid = citizen_id(region, born=dt.date(1990, 1, 1 + n))
        make_person(shenzhen_epi, name=f"受检者{n}", region=region, cid=cid)
        at_hour = dt.datetime.fromisoformat(f"{day}T08:00:00+08:00")
        specimen_record(actor=staff, laboratory=lab, code=f"T{n}", subject="person", kind="throat", sampled_at=at_hour,
                        sampling_point="福田", sampler="王护士", citizen_id=cid)
        result_record(actor=staff, laboratory=lab, code=f"T{n}", outcome=outcome,
                      ct_values={"N": 30.0} if outcome == "positive" else {},
                      received_at=at_hour + dt.timedelta(hours=2), resulted_at=at_hour + dt.timedelta(hours=8))
    hospital = hospital_create(actor=province_commander, region="440304", name="福田定点医院")
    bed_census_record(actor=province_commander, hospital=hospital, bed_type="ordinary", date=DAY, beds=120, occupied=37)
    bed_census_record(actor=province_commander, hospital=hospital, bed_type="icu", date=DAY, beds=10, occupied=4)
    bed_census_record(actor=province_commander, hospital=hospital, bed_type="ordinary", date=DAY - dt.timedelta(days=1),
                      beds=120, occupied=90)
    site = SentinelSite.objects.create(code="FT-D", name="福田哨点", kind="fever_clinic", region_id="440304")
    for day, count in ((DAY, 12), (DAY - dt.timedelta(days=1), 5)):
        SentinelReport.objects.create(site=site, indicator=indicator, date=day, count=count, region_id="440304",
                                      reported_at=timezone.now())
    [message] = dhis2.dhis2_export(actor=province_commander, destination=destination, region="440300", day=DAY)
    values = {v["dataElement"]: v["value"] for v in message.payload["dataValues"]}
    assert (values["Tst0000000A"], values["Pos0000000A"], values["Bed0000000A"], values["Fev0000000A"]) == \
        ("2", "1", "41", "12")
    assert all(set(v) == {"dataElement", "categoryOptionCombo", "value"} for v in message.payload["dataValues"])


def test_an_unknown_figure_is_not_mapped_and_a_figure_gone_stops_the_export(sysadmin, province_commander):
    destination = _destination(sysadmin)
    with pytest.raises(ValidationError) as raised:
        dhis2.dhis2_mapping_set(actor=sysadmin, destination=destination, figure="laboratory.nothing",
                                data_element="Tst0000000A", category_option_combo="bRowv6yZOF2")
    assert "figure" in raised.value.message_dict
    assert not destination.dhis2_mappings.filter(figure="laboratory.nothing").exists()
    Dhis2Mapping.objects.create(destination=destination, figure="surveillance.retired_indicator",
                                data_element="Old0000000A", category_option_combo="bRowv6yZOF2")
    with pytest.raises(ValidationError) as raised:
        dhis2.dhis2_export(actor=province_commander, destination=destination, region="440300", day=DAY)
    assert "surveillance.retired_indicator" in str(raised.value)
    assert not OutboundMessage.objects.exists()
