"""Query and path parameters are checked before any view runs, pages and API alike
(``fangkong.request_params``): every route of the URL configuration is enumerated (a new one is covered
without edits), and each declared parameter given a value out of its type or range is answered 400
naming it — the API in the error shape, a page with an error page —, never 500, with nothing changed.
An integer in a path beyond 64 bits is 400 too; an API object id that is not a number likewise."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework import serializers

from fangkong.audit.models import AuditEvent
from fangkong.request_params import (
    INT64_MAX,
    Choice,
    Choices,
    Cursor,
    Day,
    Flag,
    Integer,
    RegionCode,
    Text,
    declaration_of,
)

pytestmark = pytest.mark.django_db
PATH_VALUES = {"code": "440304", "slug": "cases"}


def routes(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def _converters(pattern: URLPattern) -> dict:
    return getattr(pattern.pattern, "converters", {})


def _path_for(namespace: str, pattern: URLPattern, **override) -> str | None:
    kwargs = {}
    for name in pattern.pattern.regex.groupindex:
        kwargs[name] = override.get(name, PATH_VALUES.get(name, "1"))
    try:
        return reverse(f"{namespace}{pattern.name}", kwargs=kwargs)
    except Exception:  # noqa: BLE001 - a route that does not reverse with these values is not ours to test here
        return None


def invalid_values(field) -> list[str]:
    """Values that break the field's type or range."""
    if isinstance(field, Cursor):
        return ["not-a-cursor"]
    if isinstance(field, Flag):
        return ["2"]
    if isinstance(field, Integer):
        return [str(INT64_MAX + 1), "1e3", str(field.min_value - 1)]
    if isinstance(field, Day):
        return ["0001-01-01", "9999-12-31", "2022-02-30", (field.window.latest() + dt.timedelta(days=1)).isoformat()]
    if isinstance(field, RegionCode):
        return ["4403", "44030x"]
    if isinstance(field, serializers.RegexField):
        return ["x" * (field.max_length + 1) if field.max_length else "\x00", "not/this"]
    if isinstance(field, Choice | Choices):
        return ["no-such-choice"]
    if isinstance(field, Text):
        return ["x" * (field.max_length + 1), "a\x00b"]
    if isinstance(field, serializers.FloatField):
        beyond = [str(field.max_value + 1)] if field.max_value is not None else []
        return ["abc", "nan", "inf", "1e400", *beyond]
    if isinstance(field, serializers.Field):
        raise AssertionError(f"teach this test the invalid values of {type(field).__name__}")
    return []


def declared_routes():
    seen = []
    for namespace, pattern in routes():
        declaration = declaration_of(pattern.callback, "GET")
        if declaration is not None:
            seen.append((namespace, pattern, declaration))
    return seen


def test_the_lists_and_reports_declare_their_parameters():
    names = {f"{ns}{p.name}" for ns, p, _d in declared_routes()}
    assert {"cases:case-list", "cases-api:case-list", "cases:contact-list", "cases-api:contact-list",
            "surveillance:alert-list", "surveillance-api:alert-list", "dashboard:region",
            "dashboard-api:situation", "web:person-list", "api:person-list", "web:audit-list",
            "api:audit-event-list", "bulletins:list", "bulletins-api:bulletin-list",
            "surveillance-api:timeliness", "cases-api:tracing-timeliness"} <= names


def test_every_declared_parameter_out_of_range_is_refused_naming_it(client, province_commander, sysadmin):
    """As the commander; a route the commander may not read (the audit trail) as the system administrator; a
    route only an enterprise contact may read (its own staff's compliance) as an enterprise contact."""
    from fangkong.accounts.roles import Role
    from fangkong.testing.builders import make_user

    client.force_login(province_commander)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    administrator = Client(HTTP_ACCEPT_LANGUAGE="en")
    administrator.force_login(sysadmin)
    employer = Client(HTTP_ACCEPT_LANGUAGE="en")
    employer.force_login(make_user("params_employer", ("440300", Role.ENTERPRISE_CONTACT)))
    events = AuditEvent.objects.exclude(action=AuditEvent.Action.ACCESS_REFUSED).count()
    checked = 0
    for namespace, pattern, declaration in declared_routes():
        path = _path_for(namespace, pattern)
        if path is None:
            continue
        for name, field in declaration().fields.items():
            for value in invalid_values(field):
                response = client.get(path, {name: value})
                if response.status_code == 403:
                    response = administrator.get(path, {name: value})
                if response.status_code == 403:
                    response = employer.get(path, {name: value})
                where = f"GET {path}?{name}={value!r}"
                assert response.status_code == 400, where
                if path.startswith("/api/"):
                    assert response.json()["error"]["code"] == "invalid", where
                    assert name in response.json()["error"]["fields"], where
                else:
                    assert f"<code>{name}</code>" in response.content.decode(), where
                checked += 1
    assert checked > 150
    # nothing was done (the commander's refusals at the audit trail are themselves audited)
    assert AuditEvent.objects.exclude(action=AuditEvent.Action.ACCESS_REFUSED).count() == events


def test_an_integer_in_a_path_beyond_64_bits_is_refused_naming_it(client, province_commander):
    client.force_login(province_commander)
    checked = 0
    for namespace, pattern in routes():
        ints = [n for n, c in _converters(pattern).items() if type(c).__name__ == "IntConverter"]
        for name in ints:
            path = _path_for(namespace, pattern, **{name: str(INT64_MAX + 1)})
            if path is None:
                continue
            response = client.get(path)
            assert response.status_code == 400 and f"<code>{name}</code>" in response.content.decode(), path
            checked += 1
    assert checked >= 15


@pytest.mark.parametrize("value", ["abc", "false", "null", "0", str(INT64_MAX + 1), "9" * 30])
@pytest.mark.parametrize("path", ["/api/v1/import-jobs/{}/", "/api/v1/cases/{}/", "/api/v1/persons/{}/",
                                  "/api/v1/surveillance/alerts/{}/series/"])
def test_an_api_object_id_is_a_64_bit_whole_number(client, shenzhen_epi, path, value):
    client.force_login(shenzhen_epi)
    response = client.get(path.format(value))
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"id"}
    assert client.post("/api/v1/import-jobs/abc/rerun/").status_code == 400
    assert client.get(path.format(1)).status_code == 404  # a number: looked up, and not found


def test_the_checked_values_are_typed_and_empty_ones_are_not_given(rf):
    from fangkong.cases.params import CaseListQuery

    values, errors = CaseListQuery.parse(rf.get("/", {"cluster": "12", "onset_from": "2022-03-01", "imported": "0",
                                                      "classification": "confirmed,asymptomatic", "q": "",
                                                      "late": ""}).GET)
    assert errors == {}
    assert values["cluster"] == 12 and values["onset_from"] == dt.date(2022, 3, 1) and values["imported"] is False
    assert values["classification"] == ["confirmed", "asymptomatic"] and values["q"] is None and values["late"] is None


def test_onset_and_exposure_dates_cannot_lie_in_the_future(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    refused = client.get(reverse("cases-api:case-list"), {"onset_from": tomorrow})
    assert refused.status_code == 400 and "future" in str(refused.json()["error"]["fields"]["onset_from"])
    assert client.get(reverse("cases-api:case-list"), {"date_to": tomorrow}).status_code == 200  # a few days ahead
    body = {"place_name": "某超市", "region": "440304", "starts_at": f"{tomorrow}T10:00", "ends_at": f"{tomorrow}T11:00"}
    response = client.post(reverse("cases-api:exposure-list"), body, content_type="application/json")
    assert response.status_code == 400 and {"starts_at", "ends_at"} <= set(response.json()["error"]["fields"])


def test_a_page_refused_later_by_its_cursor_gets_the_same_400_page(client, shenzhen_epi):
    from fangkong.cases.models import Case
    from fangkong.paging import _encode

    client.force_login(shenzhen_epi)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    signed_for_cases = _encode("cases.case:-reported", ["2022-03-01T00:00:00+00:00", 1], backwards=False)
    for url in (reverse("web:person-list"), reverse("cases:contact-list"), reverse("cases:cluster-list")):
        response = client.get(url, {"cursor": signed_for_cases})  # signed by us, for another list
        assert response.status_code == 400 and "<code>cursor</code>" in response.content.decode(), url
        assert "another list" in response.content.decode()
    assert Case.objects.count() == 0
