"""Publishing checklist versions (page and API, one schema): the next version, in force from a day, retires
the one before on that day; an inspection is then done against the new one and one naming the retired version
is refused; bad input and roles other than the provincial commander change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.testing.builders import make_user

from .. import services
from ..models import ChecklistVersion, Inspection
from .builders import make_place

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
MARKET_V2 = "G1 | 入口扫码测温 | Venue code at the entrance | 关键\nG2 | 通风消毒 | Ventilation\nM1 | 限流 | | \nM2 | 冷冻区消毒 | | 关键"


def test_a_published_version_retires_the_one_before_and_inspections_follow_it(client, province_commander,
                                                                              gz_inspector):
    place = make_place(gz_inspector, region="440106")
    client.force_login(province_commander)
    page = client.get(reverse("places:checklists"), {"category": "farmers_market"}).content.decode()
    assert "G1 | 入口设置场所码" in page  # the form starts from the version in force
    answer = client.post(reverse("places:checklists"), {"category": "farmers_market",
                                                        "effective_from": TODAY().isoformat(), "items": MARKET_V2})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    v1, v2 = ChecklistVersion.objects.filter(category="farmers_market").order_by("version")
    assert (v1.retired_on, v2.version, v2.effective_from, v2.retired_on) == (TODAY(), 2, TODAY(), None)
    assert [(i["code"], i["critical"]) for i in v2.items] == [("G1", True), ("G2", False), ("M1", False), ("M2", True)]
    assert v2.items[0]["en"] == "Venue code at the entrance" and v2.items[2]["en"] == ""
    event = AuditEvent.objects.get(object_type="places.checklistversion")
    assert event.detail["retired"] == [1] and event.detail["critical"] == 2
    # today's inspection is against version 2; naming version 1 is refused, over the API as on the page
    results = {"G1": "pass", "G2": "pass", "M1": "pass", "M2": "fail"}
    inspection = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(), results=results)
    assert inspection.checklist == v2 and inspection.findings.get().critical
    with pytest.raises(ValidationError) as caught:
        services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY(), checklist_version=1,
                                   results={i["code"]: "pass" for i in v1.items})
    assert "checklist_version" in caught.value.message_dict
    client.force_login(gz_inspector)
    api = client.post("/api/v1/place-inspections/", {"place": place.pk, "inspected_on": TODAY().isoformat(),
                                                     "checklist_version": 1,
                                                     "results": [f"{i['code']}:pass" for i in v1.items]},
                      content_type="application/json")
    assert api.status_code == 400 and "checklist_version" in api.json()["error"]["fields"]
    form = client.post(reverse("places:inspection-new", kwargs={"pk": place.pk}), {
        "inspected_on": TODAY().isoformat(), "checklist_version": 1, "results": [f"{i['code']}:pass" for i in v1.items]})
    assert form.status_code == 400
    # yesterday version 1 was in force: an inspection of that day uses it
    old = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=TODAY() - dt.timedelta(days=1),
                                     results={i["code"]: "pass" for i in v1.items})
    assert old.checklist == v1
    assert Inspection.objects.count() == 2


def test_the_api_publishes_a_version_in_force_later_and_lists_it(client, province_commander):
    client.force_login(province_commander)
    later = TODAY() + dt.timedelta(days=10)
    answer = client.post("/api/v1/place-checklists/", {"category": "school", "effective_from": later.isoformat(),
                                                       "items": [{"code": "E1", "zh": "晨午检", "critical": True},
                                                                 {"code": "E2", "zh": "通风"}]},
                         content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert (answer.json()["version"], answer.json()["items"][0]["critical"]) == (2, True)
    v1 = ChecklistVersion.objects.get(category="school", version=1)
    assert v1.retired_on == later and v1.in_force_on(TODAY()) and not v1.in_force_on(later)
    assert services.checklist_in_force("school", TODAY()) == v1  # still in force until then
    listed = client.get("/api/v1/place-checklists/", {"category": "school"}).json()["results"]
    assert [v["version"] for v in listed] == [2, 1]


@pytest.mark.parametrize(("body", "field"), [
    ({"category": "网吧", "effective_from": "TODAY", "items": "G1 | 扫码"}, "category"),
    ({"category": "school", "effective_from": "YESTERDAY", "items": "G1 | 扫码"}, "effective_from"),
    ({"category": "school", "effective_from": "TODAY", "items": ""}, "items"),
    ({"category": "school", "effective_from": "TODAY", "items": "G1 | 扫码\nG1 | 又一项"}, "items"),
    ({"category": "school", "effective_from": "TODAY", "items": "G 1 | 扫码"}, "items"),
    ({"category": "school", "effective_from": "TODAY", "items": "G1"}, "items"),  # no text
])
def test_bad_checklist_input_is_refused_alike_and_changes_nothing(client, province_commander, body, field):
    days = {"TODAY": TODAY().isoformat(), "YESTERDAY": (TODAY() - dt.timedelta(days=1)).isoformat()}
    body = {**body, "effective_from": days[body["effective_from"]]}
    client.force_login(province_commander)
    before = list(ChecklistVersion.objects.values_list("id", "retired_on"))
    api = client.post("/api/v1/place-checklists/", body, content_type="application/json")
    assert api.status_code == 400 and field in api.json()["error"]["fields"], api.content
    page = client.post(reverse("places:checklists"), body)
    assert page.status_code == 400
    assert list(ChecklistVersion.objects.values_list("id", "retired_on")) == before


def test_a_version_must_come_into_force_after_the_latest(province_commander):
    later = TODAY() + dt.timedelta(days=5)
    services.checklist_publish(actor=province_commander, category="port", effective_from=later,
                               items=[{"code": "P1", "zh": "闭环转运", "critical": True}])
    with pytest.raises(ValidationError) as caught:  # before the pending version 2: refused
        services.checklist_publish(actor=province_commander, category="port", effective_from=TODAY(),
                                   items=[{"code": "P1", "zh": "闭环转运", "critical": True}])
    assert "effective_from" in caught.value.message_dict
    assert ChecklistVersion.objects.filter(category="port").count() == 2


def test_only_the_provincial_commander_publishes(client, gz_inspector):
    commander = make_user("places_gz_commander", ("440100", Role.LOCAL_COMMANDER))
    epi = make_user("places_gz_epi_cl", ("440100", Role.EPIDEMIOLOGIST))
    body = {"category": "school", "effective_from": TODAY().isoformat(), "items": "E1 | 晨午检 | | 关键"}
    for user in (gz_inspector, commander, epi):
        with pytest.raises(PermissionDenied):
            services.checklist_publish(actor=user, category="school", effective_from=TODAY(),
                                       items=[{"code": "E1", "zh": "晨午检", "critical": True}])
        client.force_login(user)
        assert client.post("/api/v1/place-checklists/", body, content_type="application/json").status_code == 403
        assert client.post(reverse("places:checklists"), body).status_code == 403
    client.force_login(gz_inspector)  # reading them is every reader's
    page = client.get(reverse("places:checklists"))
    assert page.status_code == 200 and 'name="items"' not in page.content.decode()  # no publish form
    assert client.get("/api/v1/place-checklists/").status_code == 200
    assert ChecklistVersion.objects.filter(category="school").count() == 1
