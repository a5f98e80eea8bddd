"""Exports in clear: asked for apart (POST with a reason), only with ``person.export_clear``, a reason that is
a sentence, the reason and the persons revealed in the audit event; every file (masked or not) starts
with the exporter's name and the time."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.testing.builders import citizen_id, make_person, make_user

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


@pytest.fixture
def epi(db):
    return make_user("dg_epi_x", ("441900", Role.EPIDEMIOLOGIST))


@pytest.fixture
def rows(epi):
    cid = citizen_id("441900")
    person = make_person(epi, name="东莞明文", region="441900", cid=cid, phone=PHONE)
    case = make_case(epi, region="441900", person=person)
    contact = make_contact(epi, source_case=case, region="441900", name="东莞密接", listed="2022-03-12")
    return {"case": case, "contact": contact, "cid": cid}


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_masked_export_is_watermarked_and_holds_no_identifier(client, epi, rows):
    client.force_login(epi)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    body = _csv(client.get(reverse("cases:case-export") + "?format=csv&classification=confirmed"))
    assert body[0][0].startswith("Exported by dg_epi_x at 20") and '"classification": "confirmed"' in body[0][0]
    assert rows["cid"] not in str(body) and PHONE not in str(body)
    event = AuditEvent.objects.get(action="export")
    assert event.detail["clear"] is False and event.reason == "" and "revealed_persons" not in event.detail


def test_an_export_in_clear_carries_the_reason_and_the_persons_revealed(client, epi, rows):
    client.force_login(epi)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    reason = "转运隔离名单 3月15日"
    body = _csv(client.post(reverse("cases:case-export") + "?format=csv", {"reason": reason}))
    assert body[0][0].startswith("Exported by dg_epi_x at ") and reason in body[1][0]
    data = body[3]
    assert data[1] == "东莞明文" and data[2] == rows["cid"] and data[3] == "'+86" + PHONE  # formula-safe
    event = AuditEvent.objects.get(action="export")
    assert event.reason == reason and event.actor == epi
    assert event.detail["clear"] is True and event.detail["revealed_persons"] == [rows["case"].person_id]

    book = load_workbook(io.BytesIO(client.post(reverse("cases:contact-export") + "?format=xlsx",
                                                {"reason": "call the contacts for tests"}).content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[0][0].startswith("Exported by dg_epi_x at ") and "call the contacts for tests" in sheet[1][0]
    contact_event = AuditEvent.objects.filter(action="export").latest("id")
    assert contact_event.detail["revealed_persons"] == [rows["contact"].person_id]


@pytest.mark.parametrize("reason", ["", "   ", "ok", "核实", "12345678", "转运隔离名单核对" * 30])
def test_a_bad_reason_exports_nothing(client, epi, rows, reason):
    client.force_login(epi)
    response = client.post(reverse("cases:case-export") + "?format=csv", {"reason": reason})
    page = response.content.decode()
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert 'id="export-reason-errors"' in page and rows["cid"] not in page and PHONE not in page
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_post_without_a_reason_field_exports_nothing(client, epi, rows):
    client.force_login(epi)
    response = client.post(reverse("cases:contact-export") + "?format=xlsx")
    assert response.status_code == 400 and not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize("role", [Role.LOCAL_COMMANDER, Role.QUARANTINE_MANAGER, Role.ANALYST])
def test_a_role_without_the_export_capability_is_refused_even_if_it_may_reveal(client, rows, role):
    user = make_user(f"no_export_{role}", ("441900", role))
    client.force_login(user)
    response = client.post(reverse("cases:case-export") + "?format=csv", {"reason": "转运隔离名单核对"})
    assert response.status_code in (403, 404) and rows["cid"] not in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()
    page = client.get(reverse("cases:case-list")).content.decode()
    assert "export-reason" not in page


def test_the_list_offers_the_export_in_clear_only_to_the_roles_that_hold_it(client, epi, rows):
    client.force_login(epi)
    page = client.get(reverse("cases:contact-list")).content.decode()
    assert 'name="reason"' in page and 'formaction="/cases/contacts/export/?format=xlsx' in page
