"""The places module: registry (one input schema for page, API and import), inspections against the checklist
in force, rectification orders and re-inspections, coverage, the periodic job, venue codes and scans, the
co-visit search — each with its refusals (bad input changes nothing; other region; role without the capability
or without the need to know)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.inputs import validate_row
from fangkong.persons import protection
from fangkong.testing.builders import make_user

from .. import selectors, services
from ..inputs import PlaceInput
from ..models import ChecklistVersion, Finding, Inspection, Place, Rectification, RiskTier, Scan
from .builders import make_place, pass_all

pytestmark = pytest.mark.django_db
TODAY = dt.date.today
PLACE_ROW = {"category": "农贸市场", "name": "天河测试市场", "address": "天河路1号", "region": "440106",
             "responsible_unit": "天河市场公司", "responsible_person": "李负责", "contact_phone": "13912345678",
             "credit_code": "914403001922038216"}


def audited(action, object_type) -> int:
    return AuditEvent.objects.filter(action=action, object_type=object_type).count()


# --- registry ----------------------------------------------------------------------------------------------


def test_page_api_and_import_register_the_same_place(client, gz_inspector):
    client.force_login(gz_inspector)
    assert client.post(reverse("places:place-new"), PLACE_ROW).status_code == 302
    api = client.post("/api/v1/places/", {**PLACE_ROW, "credit_code": "9144030071526726XG"},
                      content_type="application/json")
    assert api.status_code == 201, api.content
    csv = ("类别,名称,地址,区划代码,责任单位,负责人,联系电话,统一社会信用代码\n"
           "农贸市场,天河测试市场,天河路1号,440106,天河市场公司,李负责,13912345678,911000001000013428\n")
    result = services.places_import(actor=gz_inspector, data=csv.encode(), name="places.csv")
    assert result.ok and result.created == 1
    rows = list(Place.objects.values_list("category", "name", "region_id", "county_id", "risk_tier",
                                          "contact_phone_masked"))
    assert rows == [("farmers_market", "天河测试市场", "440106", "440106", "medium", "+86 *******5678")] * 3
    place = Place.objects.first()
    assert "13912345678" not in place.contact_phone_sealed
    assert protection.decrypt(place.contact_phone_sealed, services.PHONE_PURPOSE) == "+8613912345678"
    assert place.next_due_on == place.registered_on + dt.timedelta(days=14)  # medium tier: every 14 days
    assert audited(AuditEvent.Action.CREATE, "places.place") == 2 and audited(AuditEvent.Action.IMPORT, "places.place") == 1
    # The API shows the phone masked, to every reader (the inspector included).
    body = client.get(f"/api/v1/places/{place.pk}/").json()
    assert body["contact_phone"] == "+86 *******5678" and "5678" in body["contact_phone"]
    assert "13912345678" not in client.get(reverse("places:place-detail", kwargs={"pk": place.pk})).content.decode()


def test_a_township_without_county_counts_as_its_own_unit_and_a_city_is_refused(gz_inspector):
    from fangkong.regions.models import Region

    dongguan = make_user("places_dg_inspector", ("441900", Role.INSPECTOR))
    town = Region.objects.filter(level="township", parent_id="441900").first()  # Dongguan has no counties
    place = make_place(dongguan, region=town.code)
    assert (place.region_id, place.county_id) == (town.code, town.code)
    tianhe = make_place(gz_inspector, region="440106")
    assert (tianhe.region_id, tianhe.county_id) == ("440106", "440106")
    with pytest.raises(ValidationError) as caught:
        make_place(gz_inspector, region="440100")
    assert "region" in caught.value.message_dict


@pytest.mark.parametrize(("field", "value"), [("category", "网吧"), ("credit_code", "914403001922038217"),
                                              ("credit_code", "91440300192203821"), ("region", "4401"),
                                              ("contact_phone", "12345")])
def test_bad_place_input_is_refused_alike_and_changes_nothing(client, gz_inspector, field, value):
    client.force_login(gz_inspector)
    row = {**PLACE_ROW, field: value}
    page = client.post(reverse("places:place-new"), row)
    api = client.post("/api/v1/places/", row, content_type="application/json")
    assert page.status_code == api.status_code == 400
    assert set(api.json()["error"]["fields"]) == {field}
    assert set(validate_row(PlaceInput, row)[1]) == {field}
    assert Place.objects.count() == 0
    if field == "credit_code" and len(value) == 18:
        assert "GB 32100" in api.json()["error"]["fields"]["credit_code"][0]


def test_an_import_with_one_bad_row_registers_nothing_and_names_the_row(gz_inspector):
    csv = ("category,name,address,region,responsible_unit,responsible_person,credit_code\n"
           "school,甲小学,甲路,440106,甲教育局,王校长,\n"
           "网吧,乙网吧,乙路,440106,乙公司,赵老板,\n"
           "school,丙小学,丙路,440106,丙教育局,钱校长,914403001922038217\n")
    result = services.places_import(actor=gz_inspector, data=csv.encode(), name="p.csv")
    assert result.created == 0 and {(e["row"], e["column"]) for e in result.errors} == {(3, "category"),
                                                                                         (4, "credit_code")}
    assert Place.objects.count() == 0
    assert services.places_import(actor=gz_inspector, data=b"x", name="p.doc").errors[0]["row"] == 0


def test_a_credit_code_is_registered_once(gz_inspector):
    make_place(gz_inspector, region="440106", credit_code="914403001922038216")
    with pytest.raises(ValidationError) as caught:
        make_place(gz_inspector, region="440106", credit_code="914403001922038216", name="另一")
    assert "credit_code" in caught.value.message_dict


def test_the_inspector_works_only_on_places_of_its_city(client, gz_inspector, sz_inspector, analyst):
    futian = make_place(sz_inspector, region="440304", name="福田某市场")
    tianhe = make_place(gz_inspector, region="440106", name="天河某市场")
    assert list(selectors.place_list(user=gz_inspector)) == [tianhe]
    with pytest.raises(Http404):
        selectors.place_get(user=gz_inspector, place_id=futian.pk)
    with pytest.raises(PermissionDenied):
        make_place(gz_inspector, region="440304")
    client.force_login(gz_inspector)
    assert client.get(reverse("places:place-detail", kwargs={"pk": futian.pk})).status_code == 404
    assert client.post(reverse("places:inspection-new", kwargs={"pk": futian.pk}),
                       {"inspected_on": TODAY().isoformat(), "results": "G1:pass"}).status_code == 404
    assert client.post("/api/v1/places/", {**PLACE_ROW, "region": "440304"},
                       content_type="application/json").status_code == 403
    assert client.post("/api/v1/place-inspections/", {"place": futian.pk, "inspected_on": TODAY().isoformat(),
                                                      "results": ["G1:pass"]},
                       content_type="application/json").status_code == 404
    assert Place.objects.count() == 2 and Inspection.objects.count() == 0
    # The analyst reads places (aggregates) but may neither register nor inspect.
    client.force_login(analyst)
    assert client.get(reverse("places:place-list")).status_code == 200
    assert client.post("/api/v1/places/", PLACE_ROW, content_type="application/json").status_code == 403
    assert client.get(reverse("places:place-new")).status_code == 403
    with pytest.raises(PermissionDenied):
        services.inspection_record(actor=analyst, place=tianhe.pk, inspected_on=TODAY(), results=pass_all(tianhe))


# --- inspections and rectification ----------------------------------------------------------------------------


def test_a_passed_inspection_spawns_nothing_to_follow_up(gz_inspector):
    place = make_place(gz_inspector, region="440106")
    inspection = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(),
                                            results=pass_all(place))
    assert inspection.outcome == Inspection.Outcome.PASSED and not Rectification.objects.exists()
    place.refresh_from_db()
    assert (place.last_inspected_on, place.next_due_on) == (TODAY(), TODAY() + dt.timedelta(days=14))
    with pytest.raises(ValidationError) as caught:
        services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(), results={},
                                   follow_up_of=inspection.pk)
    assert "follow_up_of" in caught.value.message_dict
    waived = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(), waived=True,
                                        notes="停业装修")
    assert waived.outcome == Inspection.Outcome.WAIVED and not Finding.objects.exists()
    with pytest.raises(ValidationError):
        services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(), results={},
                                   follow_up_of=waived.pk)
    assert services.overdue_mark(today=TODAY() + dt.timedelta(days=60))["rectifications_marked_overdue"] == 0
    assert Inspection.objects.count() == 2 and audited(AuditEvent.Action.CREATE, "places.inspection") == 2


def test_findings_become_orders_with_deadlines_by_severity_and_a_critical_one_may_close(gz_inspector):
    place = make_place(gz_inspector, region="440106", risk_tier="low")
    with pytest.raises(ValidationError) as caught:  # closing needs a critical finding
        services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(),
                                   results={**pass_all(place), "G2": "fail"}, close_place=True)
    assert "close_place" in caught.value.message_dict and not Inspection.objects.exists()
    inspection = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(),
                                            results={**pass_all(place), "G1": "fail", "G2": "fail"}, close_place=True)
    orders = {o.finding.item_code: o for o in Rectification.objects.select_related("finding")}
    assert inspection.outcome == Inspection.Outcome.FAILED
    assert orders["G1"].deadline == TODAY() + dt.timedelta(days=3) and orders["G1"].finding.critical
    assert orders["G2"].deadline == TODAY() + dt.timedelta(days=7) and not orders["G2"].finding.critical
    place.refresh_from_db()
    assert place.status == Place.Status.CLOSED and place.risk_tier == RiskTier.HIGH  # raised by the event
    assert place.next_due_on == TODAY() + dt.timedelta(days=7) and "critical" in place.tier_reason
    event = AuditEvent.objects.filter(object_type="places.inspection").get()
    assert event.detail["closed_place"] is True and event.detail["findings"] == ["G1", "G2"]


def test_bad_inspection_input_is_refused_and_changes_nothing(client, gz_inspector):
    place = make_place(gz_inspector, region="440106")
    client.force_login(gz_inspector)
    url = "/api/v1/place-inspections/"
    day = TODAY().isoformat()
    cases = [
        ({"place": place.pk, "inspected_on": day, "results": ["G1:pass"]}, "results"),  # items missing
        ({"place": place.pk, "inspected_on": day, "results": ["G1:maybe"]}, "results"),
        ({"place": place.pk, "inspected_on": (TODAY() + dt.timedelta(days=2)).isoformat(),
          "results": ["G1:pass"]}, "inspected_on"),
        ({"place": place.pk, "inspected_on": day, "waived": True}, "notes"),
        ({"place": place.pk, "inspected_on": day, "results": [f"{c}:fail" for c in pass_all(place)],
          "deadline": (TODAY() - dt.timedelta(days=1)).isoformat()}, "deadline"),
    ]
    for body, field in cases:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400 and field in response.json()["error"]["fields"], (body, response.content)
    page = client.post(reverse("places:inspection-new", kwargs={"pk": place.pk}),
                       {"inspected_on": day, "results": ["G1:pass"]})
    assert page.status_code == 400 and "G2" in page.content.decode()
    assert not Inspection.objects.exists() and not Rectification.objects.exists()


def test_an_inspection_is_done_against_the_version_in_force_and_a_retired_one_is_refused(client, gz_inspector):
    place = make_place(gz_inspector, region="440106")
    v1 = ChecklistVersion.objects.get(category=place.category, version=1)
    v1.retired_on = TODAY() - dt.timedelta(days=10)
    v1.save()
    v2 = ChecklistVersion.objects.create(category=place.category, version=2, effective_from=v1.retired_on,
                                         items=[*v1.items, {"code": "M2", "zh": "新增项目", "en": "new", "critical": False}])
    inspection = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(),
                                            results=pass_all(place))
    assert inspection.checklist == v2 and "M2" in inspection.results
    client.force_login(gz_inspector)
    response = client.post("/api/v1/place-inspections/", {
        "place": place.pk, "inspected_on": TODAY().isoformat(), "checklist_version": 1,
        "results": [f"{item['code']}:pass" for item in v1.items]}, content_type="application/json")
    assert response.status_code == 400 and "checklist_version" in response.json()["error"]["fields"]
    # a day when version 1 was in force: it is the one used
    old = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY() - dt.timedelta(days=20),
                                     results={item["code"]: "pass" for item in v1.items})
    assert old.checklist == v1
    assert Inspection.objects.count() == 2


def test_a_re_inspection_carries_only_the_open_findings_forward(gz_inspector):
    place = make_place(gz_inspector, region="440106")
    first = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY() - dt.timedelta(days=5),
                                       results={**pass_all(place), "G2": "fail", "G4": "fail", "M1": "fail"})
    orders = {o.finding.item_code: o for o in Rectification.objects.select_related("finding")}
    orders["M1"].state = Rectification.State.SUBMITTED
    orders["M1"].save()
    services.rectification_act(actor=gz_inspector, rectification=orders["M1"].pk, action="verify")
    with pytest.raises(ValidationError) as caught:  # a verified finding is not carried again
        services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(),
                                   results={"G2": "pass", "G4": "fail", "M1": "pass"}, follow_up_of=first.pk)
    assert "M1" in str(caught.value)
    with pytest.raises(ValidationError):  # and every open one must be answered
        services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(), results={"G2": "pass"},
                                   follow_up_of=first.pk)
    second = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(),
                                        results={"G2": "pass", "G4": "fail"}, follow_up_of=first.pk)
    assert second.follow_up_of == first and set(second.results) == {"G2", "G4"}
    carried = second.findings.get()
    assert carried.item_code == "G4" and carried.carried_from.inspection == first
    states = dict(Rectification.objects.values_list("finding__item_code", "state"))
    assert states == {"G2": "verified", "G4": "reopened", "M1": "verified"}
    assert Rectification.objects.count() == 3  # the reopened order is the original one, not a new one
    third = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(),
                                       results={"G4": "pass"}, follow_up_of=first.pk)
    assert third.outcome == Inspection.Outcome.PASSED
    with pytest.raises(ValidationError):  # nothing left: no endless follow-ups
        services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(), results={"G4": "pass"},
                                   follow_up_of=first.pk)


def test_the_re_inspection_page_shows_only_the_open_findings_and_refuses_a_bad_reference(client, gz_inspector):
    place = make_place(gz_inspector, region="440106")
    first = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY() - dt.timedelta(days=5),
                                       results={**pass_all(place), "G2": "fail", "G4": "fail"})
    client.force_login(gz_inspector)
    url = reverse("places:inspection-new", kwargs={"pk": place.pk})
    page = client.get(url, {"follow_up_of": first.pk})
    assert page.status_code == 200 and [item["code"] for item in page.context["items"]] == ["G2", "G4"]
    assert f'name="follow_up_of" value="{first.pk}"' in page.content.decode()
    assert len(client.get(url).context["items"]) > 2  # a first inspection: the whole checklist
    for bad in ("abc", "-1", "1e3"):  # the address's parameter is declared: refused, not guessed
        assert client.get(url, {"follow_up_of": bad}).status_code == 400
    posted = client.post(url, {"place": place.pk, "inspected_on": TODAY().isoformat(), "mode": "phone",
                               "results": ["G2:pass", "G4:pass"], "follow_up_of": "abc"})
    assert posted.status_code == 400 and Inspection.objects.count() == 1
    posted = client.post(url, {"place": place.pk, "inspected_on": TODAY().isoformat(), "mode": "phone",
                               "results": ["G2:pass", "G4:pass"], "follow_up_of": first.pk})
    assert posted.status_code == 302
    assert Inspection.objects.get(follow_up_of=first).outcome == Inspection.Outcome.PASSED


def test_rectification_states_evidence_verifier_and_deadline(client, gz_inspector):
    place = make_place(gz_inspector, region="440106")
    services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(),
                               results={**pass_all(place), "G2": "fail"})
    order = Rectification.objects.get()
    act = services.rectification_act
    with pytest.raises(ValidationError) as caught:
        act(actor=gz_inspector, rectification=order.pk, action="verify")  # not submitted yet
    assert "action" in caught.value.message_dict
    act(actor=gz_inspector, rectification=order.pk, action="start")
    with pytest.raises(ValidationError) as caught:
        act(actor=gz_inspector, rectification=order.pk, action="submit", evidence="  ")
    assert "evidence" in caught.value.message_dict
    act(actor=gz_inspector, rectification=order.pk, action="submit", evidence="消毒记录已补齐，附照片")
    # the place's responsible person (by account, or by name) may not verify
    responsible = make_user("zhang_resp", ("440100", Role.INSPECTOR))
    responsible.display_name = "张负责"
    responsible.save()
    with pytest.raises(ValidationError) as caught:
        act(actor=responsible, rectification=order.pk, action="verify")
    assert "responsible person" in str(caught.value) or "负责人" in str(caught.value)
    order.refresh_from_db()
    assert order.state == Rectification.State.SUBMITTED and order.verified_by is None
    client.force_login(gz_inspector)
    url = f"/api/v1/place-rectifications/{order.pk}/act/"
    past = client.post(url, {"action": "reopen", "deadline": (TODAY() - dt.timedelta(days=1)).isoformat()},
                       content_type="application/json")
    assert past.status_code == 400 and "deadline" in past.json()["error"]["fields"]
    verified = client.post(url, {"action": "verify"}, content_type="application/json")
    assert verified.status_code == 200 and verified.json()["state"] == "verified"
    assert list(AuditEvent.objects.filter(object_type="places.rectification").values_list("detail__action", flat=True)
                .order_by("id")) == ["start", "submit", "verify"]
    reopened = client.post(url, {"action": "reopen"}, content_type="application/json").json()
    assert reopened["state"] == "reopened" and reopened["deadline"] == (TODAY() + dt.timedelta(days=7)).isoformat()


def test_a_guangzhou_inspector_cannot_act_on_a_shenzhen_order(client, gz_inspector, sz_inspector):
    place = make_place(sz_inspector, region="440304")
    services.inspection_record(actor=sz_inspector, place=place.pk, inspected_on=TODAY(),
                               results={**pass_all(place), "G2": "fail"})
    order = Rectification.objects.get()
    with pytest.raises(Http404):
        services.rectification_act(actor=gz_inspector, rectification=order.pk, action="start")
    client.force_login(gz_inspector)
    assert client.post(f"/api/v1/place-rectifications/{order.pk}/act/", {"action": "start"},
                       content_type="application/json").status_code == 404
    assert client.post(reverse("places:rectification-act", kwargs={"pk": order.pk}),
                       {"action": "start"}).status_code == 404
    order.refresh_from_db()
    assert order.state == Rectification.State.OPEN


# --- coverage and the periodic job ---------------------------------------------------------------------------


def test_coverage_per_county_and_the_overdue_job(client, gz_inspector, sz_inspector):
    today = TODAY()
    a = make_place(gz_inspector, region="440106", name="甲")          # Tianhe, inspected today: covered
    b = make_place(gz_inspector, region="440106", name="乙")          # Tianhe, inspected 20 days ago: overdue
    make_place(gz_inspector, region="440106", name="丙")              # Tianhe, new: neither yet
    d = make_place(gz_inspector, region="440104", name="丁", risk_tier="low")  # Yuexiu: 25 days ago, low: covered
    make_place(sz_inspector, region="440304", name="戊")              # Shenzhen: not in a Guangzhou count
    services.inspection_record(actor=gz_inspector, place=a.pk, inspected_on=today, results={**pass_all(a), "G2": "fail"})
    services.inspection_record(actor=gz_inspector, place=b.pk, inspected_on=today - dt.timedelta(days=20),
                               results=pass_all(b))
    services.inspection_record(actor=gz_inspector, place=d.pk, inspected_on=today - dt.timedelta(days=25),
                               results=pass_all(d))
    rows = {r.county: r for r in selectors.coverage(user=gz_inspector)}
    assert set(rows) == {"440106", "440104"}
    tianhe = rows["440106"]
    assert (tianhe.places, tianhe.covered, tianhe.overdue, tianhe.open_orders, tianhe.overdue_orders) == (3, 1, 1, 1, 0)
    assert (rows["440104"].places, rows["440104"].covered, rows["440104"].overdue) == (1, 1, 0)
    assert round(tianhe.share, 3) == 0.333
    assert [p.name for p in selectors.overdue_places(user=gz_inspector)] == ["乙"]
    assert selectors.coverage(user=gz_inspector, category="school") == []
    # the job: the order past its deadline becomes overdue, once
    later = today + dt.timedelta(days=8)
    assert services.overdue_mark(today=later)["rectifications_marked_overdue"] == 1
    assert services.overdue_mark(today=later)["rectifications_marked_overdue"] == 0
    assert Rectification.objects.get().state == Rectification.State.OVERDUE
    assert selectors.coverage(user=gz_inspector, today=later)[1].overdue_orders == 1
    client.force_login(gz_inspector)
    body = client.get("/api/v1/places-coverage/").json()
    assert body["total"]["places"] == 4 and body["total"]["covered"] == 2
    page = client.get(reverse("places:coverage")).content.decode()
    assert "天河区" in page and "乙" in page and "深圳" not in page


def test_the_task_runs_the_job(gz_inspector):
    from ..tasks import overdue_mark_task

    assert overdue_mark_task() == {"rectifications_marked_overdue": 0, "places_overdue": 0}


# --- venue codes, scans, co-visitors ----------------------------------------------------------------------------


def test_the_venue_code_is_opaque_and_cannot_be_guessed(client, scanned, shenzhen_epi, sz_inspector):
    place, code = scanned["place"], scanned["code"]
    client.force_login(sz_inspector)
    page = client.get(reverse("places:place-detail", kwargs={"pk": place.pk})).content.decode()
    assert "<svg" in page and code in page  # the printable QR code and its text
    token, _sep, signature = code.partition(":")
    assert token == place.venue_token and len(token) >= 32 and signature  # random, nothing of the place
    assert place.name not in code and "440304" not in code
    assert services.place_by_venue_code(code) == place
    other = make_place(sz_inspector, region="440304", name="另一")
    forged = f"{other.venue_token}:{code.split(':')[1]}"
    assert services.place_by_venue_code(forged) is None
    assert services.place_by_venue_code(place.venue_token) is None  # the bare token without its signature
    with pytest.raises(ValidationError) as caught:
        services.scan_record(actor=shenzhen_epi, venue_code="nope:nope", person=scanned["people"]["病例本人"].pk,
                             scanned_at=scanned["at"])
    assert "venue_code" in caught.value.message_dict


def test_a_scan_twice_and_an_import_twice_are_kept_once(client, scanned, shenzhen_epi):
    person = scanned["people"]["病例本人"]
    before = Scan.objects.count()
    scan, new = services.scan_record(actor=shenzhen_epi, venue_code=scanned["code"], person=person.pk,
                                     scanned_at=scanned["at"])
    assert not new and Scan.objects.count() == before
    client.force_login(shenzhen_epi)
    when = (scanned["at"] + dt.timedelta(hours=3)).isoformat()
    first = client.post("/api/v1/place-scans/", {"venue_code": scanned["code"], "person": person.pk, "scanned_at": when},
                        content_type="application/json")
    again = client.post("/api/v1/place-scans/", {"venue_code": scanned["code"], "person": person.pk, "scanned_at": when},
                        content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200) and Scan.objects.count() == before + 1
    moment = (scanned["at"] + dt.timedelta(hours=5)).strftime("%Y-%m-%d %H:%M")
    csv = f"场所码,人员编号,扫码时间\n{scanned['code']},{person.pk},{moment}\n".encode()
    assert services.scans_import(actor=shenzhen_epi, data=csv, name="s.csv").created == 1
    assert services.scans_import(actor=shenzhen_epi, data=csv, name="s.csv").created == 0
    assert Scan.objects.count() == before + 2
    bad = f"场所码,人员编号,扫码时间\nforged:code,{person.pk},{moment}\n".encode()
    result = services.scans_import(actor=shenzhen_epi, data=bad, name="s.csv")
    assert result.errors == [{"row": 2, "column": "venue_code", "message": str(result.errors[0]["message"])}]
    assert Scan.objects.count() == before + 2


def test_co_visitors_are_found_within_the_window_with_their_overlap(client, scanned, shenzhen_epi,
                                                                   django_assert_num_queries):
    people = scanned["people"]
    services.scan_record(actor=shenzhen_epi, venue_code=scanned["code"], person=people["病例本人"].pk,
                         scanned_at=scanned["at"] + dt.timedelta(days=3))  # a second visit: still three queries
    selectors.co_visitors(user=shenzhen_epi, person_id=people["病例本人"].pk)  # memberships read once
    with django_assert_num_queries(3):
        found = selectors.co_visitors(user=shenzhen_epi, person_id=people["病例本人"].pk, window_minutes=30)
    assert [(c.person_id, c.overlap_minutes) for c in found] == [(people["同时段甲"].pk, 20), (people["同时段乙"].pk, 5)]
    assert [c.person_id for c in selectors.co_visitors(user=shenzhen_epi, person_id=people["病例本人"].pk,
                                                       window_minutes=15)] == [people["同时段甲"].pk]
    client.force_login(shenzhen_epi)
    body = client.get("/api/v1/places-co-visits/", {"person": people["病例本人"].pk, "window": 30}).json()
    assert [r["name"] for r in body["results"]] == ["同时段甲", "同时段乙"]
    page = client.get(reverse("places:co-visits"), {"person": people["病例本人"].pk}).content.decode()
    assert "同时段甲" in page and "隔天丙" not in page and "别处丁" not in page


def test_scans_and_co_visitors_only_for_roles_that_may_trace_in_scope(client, scanned, sz_inspector, guangzhou_epi):
    analyst = make_user("places_analyst_sz", ("440300", Role.ANALYST))
    person = scanned["people"]["病例本人"]
    for user in (sz_inspector, analyst):
        client.force_login(user)
        assert client.get("/api/v1/place-scans/").status_code == 403
        assert client.get("/api/v1/places-co-visits/", {"person": person.pk}).status_code == 403
        assert client.get(reverse("places:co-visits"), {"person": person.pk}).status_code == 403
        assert client.post("/api/v1/place-scans/", {"venue_code": scanned["code"], "person": person.pk,
                                                    "scanned_at": timezone.now().isoformat()},
                           content_type="application/json").status_code == 403
        # the place itself (aggregates) they read; no name of a scanner on it
        page = client.get(reverse("places:place-detail", kwargs={"pk": scanned["place"].pk})).content.decode()
        assert "福田扫码市场" in page and "同时段甲" not in page
    client.force_login(guangzhou_epi)  # may trace, but not in Shenzhen
    assert client.get("/api/v1/place-scans/").json()["results"] == []
    assert client.get("/api/v1/places-co-visits/", {"person": person.pk}).json()["results"] == []
    assert client.post("/api/v1/place-scans/", {"venue_code": scanned["code"], "person": person.pk,
                                                "scanned_at": timezone.now().isoformat()},
                       content_type="application/json").status_code == 403
    assert Scan.objects.count() == 5


def test_the_demo_loader_goes_through_the_schema_and_loads_once(province_commander):
    from ..demo import demo_load

    assert "40 places" in demo_load(province_commander)
    assert not Place.objects.exclude(contact_phone_masked__startswith="+86 *******").exists()  # normalised
    states = set(Rectification.objects.values_list("state", flat=True))
    assert {"rectifying", "submitted", "verified", "reopened", "overdue"} <= states
    assert Inspection.objects.filter(follow_up_of__isnull=False).exists()
    assert "already loaded" in demo_load(province_commander)


def test_checklist_results_are_read_in_the_words_the_chinese_interface_asks_for():
    """The Chinese form asks for 编号:合格 / 不合格 / 不适用 (full-width colon too): read as pass, fail, na."""
    from rest_framework import serializers as drf

    from fangkong.places.inputs import InspectionInput

    read = InspectionInput().validate_results(["G1：合格", "G2:不合格", " G3 : 不适用 ", "G4:pass"])
    assert read == {"G1": "pass", "G2": "fail", "G3": "na", "G4": "pass"}
    with pytest.raises(drf.ValidationError):
        InspectionInput().validate_results(["G1:好"])


def test_an_import_refused_over_the_api_answers_in_the_error_shape(client, province_commander):
    """A file that is not CSV or XLSX: 400 with the error under ``file``, nothing created (the fuzzer's case)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from fangkong.places.models import Place

    client.force_login(province_commander)
    before = Place.objects.count()
    response = client.post("/api/v1/places/import/", {"file": SimpleUploadedFile("file.png", b"\x89PNG\r\n")})
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "invalid" and list(body["error"]["fields"]) == ["file"]
    assert Place.objects.count() == before
