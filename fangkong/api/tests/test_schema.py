"""The OpenAPI schema says what the server does (``fangkong.api.schema``): each operation lists the statuses
it answers, every error with the one error shape; query parameters with the bounds the server checks;
ids in paths as 64-bit integers; datetimes with a real offset (``fangkong.api.fields``)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from fangkong.api.fields import whole_minute_offset
from fangkong.cases.models import Exposure
from fangkong.request_params import INT64_MAX, MAX_PAGE_SIZE

pytestmark = pytest.mark.django_db
ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def schema(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    return client.get("/api/schema/", {"format": "json"}).json()


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, operation


OUTCOME = {"$ref": "#/components/schemas/OperationOutcome"}


def test_every_error_status_of_every_operation_has_the_error_shape(schema):
    assert schema["components"]["schemas"]["Error"]["properties"]["error"]["required"] == ["code", "message",
                                                                                            "fields"]
    count = 0
    for path, method, operation in operations(schema):
        responses = operation["responses"]
        assert "403" in responses, (method, path)  # not signed in, or a role that may not
        if operation.get("parameters") or operation.get("requestBody"):
            assert {"400", "404"} <= set(responses), (method, path)
        if method != "get":
            assert "409" in responses, (method, path)
        if operation.get("requestBody"):
            assert {"413", "415"} <= set(responses), (method, path)
        for status, response in responses.items():
            if int(status) >= 400:
                assert response["content"]["application/json"]["schema"] == ERROR, (method, path, status)
                # beside it, only a FHIR endpoint's own answer: an OperationOutcome in FHIR's media type
                others = {media: c["schema"] for media, c in response["content"].items() if media != "application/json"}
                assert others in ({}, {"application/fhir+json": OUTCOME}), (method, path, status)
        count += 1
    assert count >= 60


def test_parameters_carry_the_bounds_the_server_checks(schema):
    cases = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert cases["limit"]["schema"]["maximum"] == MAX_PAGE_SIZE and cases["limit"]["schema"]["minimum"] == 1
    assert cases["cluster"]["schema"]["maximum"] == INT64_MAX
    assert cases["onset_from"]["schema"]["format"] == "date" and "offset" not in cases
    assert cases["region"]["schema"]["pattern"].startswith("^\\d{6}")
    assert set(cases["ordering"]["schema"]["enum"]) >= {"-reported", "onset"}
    for path, _method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == "id":
                assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": INT64_MAX}, path
    alerts = schema["paths"]["/api/v1/surveillance/alerts/"]["get"]["responses"]["200"]
    body = alerts["content"]["application/json"]["schema"]
    page = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]] if "$ref" in body else body
    assert "count" not in page["properties"] and "next" in page["properties"]  # uncounted


def test_a_time_before_1901_is_written_with_a_whole_minute_offset(client, shenzhen_epi):
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    old = dt.datetime(1900, 6, 1, 12, tzinfo=dt.UTC).astimezone(shanghai)
    assert old.utcoffset() == dt.timedelta(hours=8, minutes=5, seconds=43)  # the zone database's LMT
    assert whole_minute_offset(old).isoformat() == "1900-06-01T20:00:00+08:00"
    recent = dt.datetime(2022, 3, 1, 12, tzinfo=shanghai)
    assert whole_minute_offset(recent) is recent
    Exposure.objects.create(place_name="旧址", region_id="440304", starts_at=dt.datetime(1900, 6, 1, 12, tzinfo=dt.UTC),
                            ends_at=dt.datetime(1900, 6, 1, 13, tzinfo=dt.UTC))
    client.force_login(shenzhen_epi)
    row = client.get("/api/v1/exposures/").json()["results"][0]
    assert row["starts_at"] == "1900-06-01T20:00:00+08:00" and row["ends_at"].endswith("+08:00")


def test_the_year_677_is_not_a_plausible_exposure(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    body = {"place_name": "某超市", "region": "440304", "starts_at": "0677-03-01T10:00:00Z",
            "ends_at": "0677-03-01T11:00:00Z"}
    response = client.post("/api/v1/exposures/", body, content_type="application/json")
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == {"starts_at", "ends_at"}
    assert "1900-01-01" in response.json()["error"]["fields"]["starts_at"][0]
    assert Exposure.objects.count() == 0


@pytest.mark.parametrize("body", ["[null, null]", "null", "3", '"text"'])
def test_a_body_that_is_not_a_json_object_is_refused(client, shenzhen_epi, body):
    client.force_login(shenzhen_epi)
    response = client.patch("/api/v1/protocols/9th/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_the_fhir_endpoint_documents_its_operation_outcomes(schema):
    responses = schema["paths"]["/api/v1/interop-fhir/Bundle/"]["post"]["responses"]
    for status in ("200", "201", "400", "403", "409", "413", "415"):
        assert responses[status]["content"]["application/fhir+json"]["schema"] == OUTCOME, status
    outcome = schema["components"]["schemas"]["OperationOutcome"]
    assert set(outcome["required"]) == {"resourceType", "issue"}
