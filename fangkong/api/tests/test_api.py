"""The REST API: authentication, one error shape, registering and revealing through it, the schema."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fangkong.audit.models import AuditEvent
from fangkong.persons.models import Person
from fangkong.testing.builders import citizen_id


@pytest.fixture
def api():
    return APIClient()


def assert_error_shape(response, status, code=None):
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    if code:
        assert body["error"]["code"] == code
    return body["error"]


def test_anonymous_calls_are_refused_in_the_error_shape(api, db):
    assert_error_shape(api.get("/api/v1/persons/"), 403, "not_authenticated")


def test_token_authentication(api, shenzhen_epi):
    token = Token.objects.create(user=shenzhen_epi)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/me/").json()["scope_prefixes"] == ["4403"]
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error_shape(api.get("/api/v1/me/"), 403, "authentication_failed")


def test_register_and_reveal_through_the_api(api, shenzhen_epi):
    api.force_authenticate(shenzhen_epi)
    cid = citizen_id("440304")
    created = api.post("/api/v1/persons/", {"name": "李四", "address_region": "440304", "citizen_id": cid,
                                            "phone": "13812345678"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["citizen_id_masked"].startswith("440304********") and cid not in created.content.decode()
    again = api.post("/api/v1/persons/", {"name": "李四", "address_region": "440304", "citizen_id": cid},
                     format="json")
    assert again.status_code == 200 and again.json()["already_registered"] and again.json()["id"] == body["id"]
    revealed = api.post(f"/api/v1/persons/{body['id']}/reveal/", {"reason": "核实密接身份"}, format="json")
    assert revealed.json() == {"citizen_id": cid, "phone": "+8613812345678"}
    assert AuditEvent.objects.filter(action="reveal", object_id=str(body["id"])).exists()


def test_field_errors_come_back_per_field_and_nothing_is_saved(api, shenzhen_epi):
    api.force_authenticate(shenzhen_epi)
    response = api.post("/api/v1/persons/", {"name": "x", "address_region": "440304",
                                             "citizen_id": "440304199001011230", "phone": "12"}, format="json")
    error = assert_error_shape(response, 400, "invalid")
    assert set(error["fields"]) == {"citizen_id", "phone"}
    missing = assert_error_shape(api.post("/api/v1/persons/", {}, format="json"), 400, "invalid")
    assert {"name", "address_region"} <= set(missing["fields"])
    assert Person.objects.count() == 0


def test_denied_role_and_missing_object_and_wrong_method(api, analyst, shenzhen_epi):
    api.force_authenticate(analyst)
    assert_error_shape(api.post("/api/v1/persons/", {"name": "x", "address_region": "440304"}, format="json"),
                       403, "permission_denied")
    # The analyst reads no named data at all (issue 13): the registry is closed to it, existing or not.
    assert_error_shape(api.get("/api/v1/persons/999999/"), 403, "permission_denied")
    assert_error_shape(api.delete("/api/v1/regions/440300/"), 405, "method_not_allowed")
    api.force_authenticate(shenzhen_epi)
    assert_error_shape(api.get("/api/v1/persons/999999/"), 404, "not_found")
    assert Person.objects.count() == 0


def test_regions_filter_by_parent_and_level(api, shenzhen_epi):
    api.force_authenticate(shenzhen_epi)
    children = api.get("/api/v1/regions/", {"parent": "440300", "limit": 100}).json()
    assert children["count"] == 9 and {r["parent"] for r in children["results"]} == {"440300"}
    detail = api.get("/api/v1/regions/440304/").json()
    assert detail["name_en"] == "Futian District" and detail["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    assert_error_shape(api.get("/api/v1/regions/440100/"), 404)


def test_schema_and_docs_are_served_offline(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/persons/{id}/reveal/" in schema.content.decode()
    docs = client.get("/api/docs/").content.decode()
    assert "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in docs
    assert "https://" not in docs and "<style>" not in docs


def test_unknown_api_urls_answer_in_the_error_shape(api, shenzhen_epi):
    api.force_authenticate(shenzhen_epi)
    assert_error_shape(api.get("/api/v1/no-such-thing/"), 404, "not_found")
