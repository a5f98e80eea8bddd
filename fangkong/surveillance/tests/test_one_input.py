"""One input schema per action (issue 15): the response to an alert, the detection configuration and the
targets read what is posted through the same schema on the page and over the API. The same bad input gets
the same refusal from both, with nothing changed; the same good input stores the same record. The inputs are
those a careless user sends: an empty form, an impossible date, a number too large for a float, a step
posted twice, a version that is not a number."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.surveillance.earlies import DEFAULT_TARGETS
from fangkong.surveillance.models import (
    Alert,
    AlertTransition,
    DetectionConfig,
    EarliesTarget,
    ResponseTarget,
)
from fangkong.surveillance.tests.test_pages_and_api import _confirm, make_alert
from fangkong.testing.builders import citizen_id


def api_messages(response) -> list[str]:
    """Every message of an API refusal (its fields' messages, or its message)."""
    error = response.json()["error"]
    found = [m for messages in error["fields"].values() for m in messages]
    return sorted(found or [error["message"]])


def page_messages(response) -> str:
    """What a page said as messages (a redirect back to the form with the refusal above it)."""
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def snapshot():
    """What an action may change: alerts, their steps, the configurations, the targets, the audit trail."""
    return (list(Alert.objects.order_by("pk").values()), AlertTransition.objects.count(),
            list(DetectionConfig.objects.order_by("pk").values("method", "parameters", "enabled")),
            list(ResponseTarget.objects.values()), list(EarliesTarget.objects.values()), AuditEvent.objects.count())


# ---------------------------------------------------------------- an alert's lifecycle step

BAD_STEPS = [
    {},  # an empty form
    {"status": ""},
    {"status": "bogus"},
    {"status": "closed"},  # not a step a new alert may take
    {"status": "acknowledged", "version": "abc"},
    {"status": "acknowledged", "version": "1e400"},
    {"status": "acknowledged", "note": "长" * 501},
]


@pytest.mark.parametrize("body", BAD_STEPS, ids=range(len(BAD_STEPS)))
def test_a_bad_step_gets_the_same_refusal_on_the_page_and_the_api(client, futian_commander, indicators, body):
    alert = make_alert("440304", indicators["fever_clinic_visits"])
    client.force_login(futian_commander)
    before = snapshot()
    page = client.post(reverse("surveillance:alert-transition", args=[alert.pk]), body, HTTP_HX_REQUEST="true")
    api = client.post(reverse("surveillance-api:alert-transition", args=[alert.pk]), body)
    assert (page.status_code, api.status_code) == (400, 400)
    assert api_messages(api) and all(m in page.context["lifecycle_error"] for m in api_messages(api))
    assert snapshot() == before


def test_a_step_posted_twice_is_refused_the_second_time_on_both(client, futian_commander, indicators):
    fever = indicators["fever_clinic_visits"]
    by_page, by_api = make_alert("440304", fever), make_alert("440304", fever, day=dt.date(2022, 3, 11))
    client.force_login(futian_commander)
    body = {"status": "acknowledged", "note": "已电话核实", "version": "0"}
    page_url = reverse("surveillance:alert-transition", args=[by_page.pk])
    api_url = reverse("surveillance-api:alert-transition", args=[by_api.pk])
    assert client.post(page_url, body, HTTP_HX_REQUEST="true").status_code == 200
    assert client.post(api_url, body).status_code == 200
    # the same form again: its version is stale now; without the version the step itself is refused
    page, api = client.post(page_url, body, HTTP_HX_REQUEST="true"), client.post(api_url, body)
    assert (page.status_code, api.status_code) == (409, 409)
    assert page.context["lifecycle_error"] == api.json()["error"]["message"]
    unversioned = {"status": "acknowledged"}
    page, api = client.post(page_url, unversioned, HTTP_HX_REQUEST="true"), client.post(api_url, unversioned)
    assert (page.status_code, api.status_code) == (400, 400)
    assert page.context["lifecycle_error"] == " ".join(api_messages(api))

    def stored(alert):
        alert.refresh_from_db()
        steps = list(alert.transitions.values_list("from_status", "to_status", "note", "by"))
        return alert.status, alert.version, alert.acknowledged_by_id, steps

    assert stored(by_page) == stored(by_api) == ("acknowledged", 1, futian_commander.pk,
                                                 [("new", "acknowledged", "已电话核实", futian_commander.pk)])


# ---------------------------------------------------------------- a case opened from a confirmed alert


def _case_refusals():
    unknown = citizen_id("440304", born=dt.date(1985, 5, 5))
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    return [
        {},
        {"citizen_id": ""},
        {"citizen_id": "440304199001011230"},  # a wrong check character
        {"citizen_id": citizen_id("440304"), "name": "甲", "onset_date": "2022-02-30"},
        {"citizen_id": citizen_id("440304"), "name": "甲", "onset_date": tomorrow},
        {"citizen_id": unknown},  # not registered, and no name to register the person with
        {"citizen_id": unknown, "name": "名" * 65},
        {"citizen_id": unknown, "name": "甲", "disease": "no-such-disease"},
    ]


@pytest.mark.parametrize("index", range(len(_case_refusals())))
def test_a_bad_case_from_an_alert_gets_the_same_refusal_on_the_page_and_the_api(client, futian_commander,
                                                                                indicators, index):
    body = _case_refusals()[index]
    alert = _confirm(make_alert("440304", indicators["fever_clinic_visits"]), futian_commander)
    client.force_login(futian_commander)
    before = snapshot()
    page = client.post(reverse("surveillance:alert-case", args=[alert.pk]), body, HTTP_HX_REQUEST="true")
    api = client.post(reverse("surveillance-api:alert-open-case", args=[alert.pk]), body)
    assert (page.status_code, api.status_code) == (400, 400)
    assert page.context["case_errors"] == api.json()["error"]["fields"]
    assert snapshot() == before


def test_the_same_case_from_an_alert_on_the_page_and_the_api(client, futian_commander, indicators):
    from fangkong.cases.models import Case

    fever = indicators["fever_clinic_visits"]
    by_page = _confirm(make_alert("440304", fever), futian_commander)
    by_api = _confirm(make_alert("440304", fever, day=dt.date(2022, 3, 11)), futian_commander)
    client.force_login(futian_commander)
    body = {"name": "哨点病例", "onset_date": "2022-03-08"}
    cids = citizen_id("440304", born=dt.date(1970, 1, 2)), citizen_id("440304", born=dt.date(1970, 1, 3))
    assert client.post(reverse("surveillance:alert-case", args=[by_page.pk]),
                       {**body, "citizen_id": cids[0]}).status_code == 302
    assert client.post(reverse("surveillance-api:alert-open-case", args=[by_api.pk]),
                       {**body, "citizen_id": cids[1]}).status_code == 200

    def stored(alert):
        alert.refresh_from_db()
        case = Case.objects.select_related("person").get(pk=alert.case_id)
        return (case.classification, case.report_region_id, case.onset_date, case.disease_id, case.person.name,
                case.person.address_region_id)

    assert stored(by_page) == stored(by_api)


# ---------------------------------------------------------------- the detection configuration

BAD_CONFIGS = [
    {"method": "ears_c3", "parameters": "{not json"},
    {"method": "ears_c3", "parameters": "[1, 2]"},
    {"method": "ears_c3", "parameters": '"baseline"'},
    {"method": "ears_c3", "parameters": '{"baseline": 1}'},
    {"method": "ears_c3", "parameters": '{"baseline": 7, "alpha": 1e400}'},
    {"method": "ears_c3", "parameters": '{"baseline": NaN}'},
    {"method": "bogus", "parameters": "{}"},
]


def _as_json(body: dict) -> dict:
    """A page's posted configuration as the API's JSON (the parameters as the object their text is)."""
    return {**body, "parameters": json.loads(body["parameters"])}


@pytest.mark.parametrize("body", BAD_CONFIGS, ids=range(len(BAD_CONFIGS)))
def test_a_bad_configuration_gets_the_same_refusal_on_the_page_and_the_api(client, province_commander,
                                                                           indicators, body):
    config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="county")
    client.force_login(province_commander)
    before = snapshot()
    page = client.post(reverse("surveillance:detection"), {**body, "config": config.pk, "enabled": "on"})
    api = client.patch(reverse("surveillance-api:detection-config-detail", args=[config.pk]),
                       urlencode({**body, "enabled": "on"}), content_type="application/x-www-form-urlencoded")
    assert (page.status_code, api.status_code) == (400, 400)
    row = next(r for r in page.context["rows"] if r["config"].pk == config.pk)
    assert sorted(row["errors"]) == api_messages(api)
    assert snapshot() == before


def test_the_same_configuration_from_the_page_and_the_api(client, province_commander, indicators):
    page_config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="county")
    api_config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="city")
    client.force_login(province_commander)
    body = {"method": "ears_c3", "parameters": '{"baseline": 7, "alpha": 0.01}'}
    # an unticked box on the page is the switch turned off; the API says so
    assert client.post(reverse("surveillance:detection"), {**body, "config": page_config.pk}).status_code == 302
    assert client.patch(reverse("surveillance-api:detection-config-detail", args=[api_config.pk]),
                        {**_as_json(body), "enabled": False}, content_type="application/json").status_code == 200
    for config in (page_config, api_config):
        config.refresh_from_db()
    assert ((page_config.method, page_config.parameters, page_config.enabled, page_config.updated_by_id)
            == (api_config.method, api_config.parameters, api_config.enabled, api_config.updated_by_id)
            == ("ears_c3", {"baseline": 7, "alpha": 0.01}, False, province_commander.pk))


# ---------------------------------------------------------------- response and earlies' targets

GOOD_RESPONSE = {"region": "440300", "acknowledge_hours": "1.5", "verify_hours": "12", "response_rate_percent": "98"}
BAD_RESPONSE = [
    {"region": "440300"},  # only the region: every number missing
    {**GOOD_RESPONSE, "acknowledge_hours": ""},
    {**GOOD_RESPONSE, "acknowledge_hours": "abc"},
    {**GOOD_RESPONSE, "acknowledge_hours": "1e400"},
    {**GOOD_RESPONSE, "verify_hours": "nan"},
    {**GOOD_RESPONSE, "verify_hours": "-1"},
    {**GOOD_RESPONSE, "response_rate_percent": "150"},
    {**GOOD_RESPONSE, "response_rate": "0.9"},  # the rate twice
    {key: value for key, value in GOOD_RESPONSE.items() if key != "response_rate_percent"},  # no rate
]
GOOD_EARLIES = {"region": "440300", **{name: str(hours) for name, hours in DEFAULT_TARGETS.items()}}
BAD_EARLIES = [
    {"region": "440300"},
    {**GOOD_EARLIES, "onset_visit_hours": "abc"},
    {**GOOD_EARLIES, "onset_visit_hours": "1e400"},
    {**GOOD_EARLIES, "visit_sampling_hours": "nan"},
    {**GOOD_EARLIES, "sampling_report_hours": "-0.5"},
    {**GOOD_EARLIES, "report_isolation_hours": "721"},
]
TARGETS = {"response": ("surveillance:response-targets", "surveillance-api:response-target"),
           "earlies": ("surveillance:earlies-targets", "surveillance-api:earlies-target")}


@pytest.mark.parametrize(("kind", "body"), [("response", b) for b in BAD_RESPONSE] + [("earlies", b) for b in BAD_EARLIES],
                         ids=[f"response-{i}" for i in range(len(BAD_RESPONSE))]
                         + [f"earlies-{i}" for i in range(len(BAD_EARLIES))])
def test_bad_targets_get_the_same_refusal_on_the_page_and_the_api(client, shenzhen_epi, kind, body):
    page_url, api_url = (reverse(name) for name in TARGETS[kind])
    client.force_login(shenzhen_epi)
    before = snapshot()
    page, api = client.post(page_url, body), client.post(api_url, body)
    assert (page.status_code, api.status_code) == (302, 400)  # the page goes back to its table, saying why
    said = page_messages(page)
    assert api_messages(api) and all(m in said for m in api_messages(api)), (said, api_messages(api))
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["response", "earlies"])
def test_the_same_targets_from_the_page_and_the_api(client, shenzhen_epi, kind):
    model, body = (ResponseTarget, GOOD_RESPONSE) if kind == "response" else (EarliesTarget, GOOD_EARLIES)
    page_url, api_url = (reverse(name) for name in TARGETS[kind])
    client.force_login(shenzhen_epi)
    stored = []
    for url in (page_url, api_url):
        assert client.post(url, body).status_code in (200, 302)
        stored.append(model.objects.values().get())
        model.objects.all().delete()
    for row in stored:
        row.pop("id"), row.pop("updated_at", None)
    assert stored[0] == stored[1]
    assert AuditEvent.objects.filter(object_type=f"surveillance.{model.__name__.lower()}").count() == 2
