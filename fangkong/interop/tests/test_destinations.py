"""Destinations: only administrators configure them, in their region, with a reason kept in the audit trail;
the credential is sealed at rest and never shown; bad input is refused with the field named and nothing
stored."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.testing.builders import make_user

from ..models import Destination
from ..services import destination_create, destination_secret, destination_update

pytestmark = pytest.mark.django_db

FORM = {"region": "440000", "name": "国家平台 FHIR", "kind": "fhir", "base_url": "https://fhir.example.org/r4",
        "auth": "bearer", "username": "", "secret": "tok-123456789", "regions": "440300, 440100",
        "identifiers_entitled": "0", "dhis2_data_set": "", "dhis2_period": "", "active": "1",
        "reason": "接入国家传染病报告平台"}


def test_an_administrator_configures_a_destination_with_the_secret_sealed_and_the_reason_audited(client, sysadmin):
    client.force_login(sysadmin)
    answer = client.post("/interop/destinations/new/", FORM)
    assert answer.status_code == 302
    destination = Destination.objects.get()
    assert destination.regions == ["440100", "440300"]
    assert b"tok-123456789" not in bytes(destination.secret_sealed)
    assert destination_secret(destination) == "tok-123456789"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, object_type="interop.destination")
    assert event.reason == "接入国家传染病报告平台"
    assert "tok-123456789" not in str(event.detail)
    page = client.get(f"/interop/destinations/{destination.pk}/").content.decode()
    assert "tok-123456789" not in page and "国家平台 FHIR" in page
    # an edit without a new secret keeps the sealed one
    assert client.post(f"/interop/destinations/{destination.pk}/",
                       {**FORM, "secret": "", "name": "国家平台", "reason": "更名以便识别"}).status_code == 302
    destination.refresh_from_db()
    assert (destination.name, destination_secret(destination)) == ("国家平台", "tok-123456789")


@pytest.mark.parametrize("role", [Role.PROVINCIAL_COMMANDER, Role.EPIDEMIOLOGIST, Role.ANALYST, Role.LABORATORY])
def test_no_role_but_administrators_configures_destinations(client, role):
    user = make_user(f"not-admin-{role}", ("440000", role))
    client.force_login(user)
    assert client.post("/interop/destinations/new/", FORM).status_code == 403
    with pytest.raises(PermissionDenied):
        destination_create(actor=user, region="440000", name="x", kind="fhir", base_url="https://x.example.org/",
                           regions=["440300"], reason="a reason in words")
    assert Destination.objects.count() == 0


def test_an_administrator_of_another_city_cannot_touch_a_destination(client, sysadmin):
    destination = destination_create(actor=sysadmin, region="440000", name="省平台", kind="fhir",
                                     base_url="https://fhir.example.org/", regions=["440300"],
                                     reason="配置省级接收方")
    gz_admin = make_user("gz_admin", ("440100", Role.SYSTEM_ADMINISTRATOR))
    client.force_login(gz_admin)
    assert client.get(f"/interop/destinations/{destination.pk}/").status_code == 404
    assert client.post(f"/interop/destinations/{destination.pk}/", {**FORM, "name": "hijack"}).status_code == 404
    with pytest.raises(PermissionDenied):
        destination_update(actor=gz_admin, destination=destination, reason="take it over now", name="hijack")
    with pytest.raises(ValidationError):  # its own region only: Shenzhen's data cannot be routed by Guangzhou
        destination_create(actor=gz_admin, region="440100", name="广州", kind="fhir",
                           base_url="https://x.example.org/", regions=["440300"], reason="配置广州接收方")
    destination.refresh_from_db()
    assert destination.name == "省平台" and Destination.objects.count() == 1


@pytest.mark.parametrize(("field", "value"), [
    ("base_url", "ftp://files.example.org/"), ("base_url", "not a url"), ("regions", "4403"),
    ("regions", ""), ("reason", "ok"), ("kind", "hl7v2"), ("name", ""),
])
def test_bad_input_names_the_field_and_stores_nothing(client, sysadmin, field, value):
    client.force_login(sysadmin)
    answer = client.post("/interop/destinations/new/", {**FORM, field: value})
    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    assert Destination.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="interop.destination").exists()


def test_a_password_needs_a_user_name_and_a_dhis2_destination_its_data_set(client, sysadmin):
    client.force_login(sysadmin)
    assert "username" in client.post("/interop/destinations/new/",
                                     {**FORM, "auth": "basic", "username": ""}).context["form"].errors
    assert "dhis2_data_set" in client.post("/interop/destinations/new/", {**FORM, "kind": "dhis2"}).context["form"].errors
    assert Destination.objects.count() == 0
