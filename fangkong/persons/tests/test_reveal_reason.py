"""A reveal needs a reason that is a short sentence: the service, the page and the API refuse a missing,
blank or too short one with an error on ``reason``, decrypt nothing and record nothing; a good reason is
kept in the audit event's reason column."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from fangkong.audit.models import AuditEvent
from fangkong.persons.services import person_reveal
from fangkong.testing.builders import citizen_id, make_person

pytestmark = pytest.mark.django_db

BAD_REASONS = ["", "   ", "\t\n", "x", "核实", "ok", "123456789", "!!!!!!", "a b", "核实 ok"]
PHONE = "+8613812345678"


@pytest.fixture
def person(shenzhen_epi):
    return make_person(shenzhen_epi, name="甲", region="440304", phone="13812345678", cid=citizen_id("440304"))


@pytest.mark.parametrize("reason", BAD_REASONS)
def test_the_service_refuses_a_reason_that_is_not_a_sentence(shenzhen_epi, person, reason):
    with pytest.raises(ValidationError) as refused:
        person_reveal(actor=shenzhen_epi, person=person, reason=reason)
    assert list(refused.value.message_dict) == ["reason"]
    assert not AuditEvent.objects.filter(action="reveal").exists()


@pytest.mark.parametrize("reason", ["流调电话", "  电话 核实 密接  ", "call to arrange the tests"])
def test_a_sentence_is_accepted_and_kept_in_the_reason_column(shenzhen_epi, person, reason):
    revealed = person_reveal(actor=shenzhen_epi, person=person, reason=reason)
    assert revealed.phone == PHONE
    event = AuditEvent.objects.get(action="reveal")
    assert event.reason == " ".join(reason.split()) and event.object_id == str(person.pk)


def test_a_long_reason_is_refused(shenzhen_epi, person):
    with pytest.raises(ValidationError):
        person_reveal(actor=shenzhen_epi, person=person, reason="流调" * 101)
    assert not AuditEvent.objects.filter(action="reveal").exists()


@pytest.mark.parametrize("reason", ["", "   ", "核实"])
def test_the_page_shows_the_error_and_reveals_nothing(client, shenzhen_epi, person, reason):
    client.force_login(shenzhen_epi)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(f"/persons/{person.pk}/reveal/", {"reason": reason})
    page = response.content.decode()
    assert response.status_code == 400 and 'id="reason-errors"' in page
    assert PHONE not in page and "13812345678" not in page and person.citizen_id_masked not in page
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_the_page_without_any_reason_field_reveals_nothing(client, shenzhen_epi, person):
    client.force_login(shenzhen_epi)
    response = client.post(f"/persons/{person.pk}/reveal/")
    assert response.status_code == 400 and PHONE not in response.content.decode()
    assert not AuditEvent.objects.filter(action="reveal").exists()


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}, {"reason": "ok"}])
def test_the_api_answers_a_field_error_and_reveals_nothing(shenzhen_epi, person, body):
    api = APIClient()
    api.force_authenticate(shenzhen_epi)
    response = api.post(f"/api/v1/persons/{person.pk}/reveal/", body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"] and PHONE not in response.content.decode()
    assert not AuditEvent.objects.filter(action="reveal").exists()
    good = api.post(f"/api/v1/persons/{person.pk}/reveal/", {"reason": "流调电话核实"}, format="json")
    assert good.status_code == 200 and good.json()["phone"] == PHONE
    assert AuditEvent.objects.get(action="reveal").reason == "流调电话核实"


def test_a_role_without_the_capability_is_refused_before_its_reason_is_read(client, analyst, person):
    client.force_login(analyst)
    assert client.post(f"/persons/{person.pk}/reveal/", {"reason": "流调电话核实"}).status_code in (403, 404)
    assert not AuditEvent.objects.filter(action="reveal").exists()
