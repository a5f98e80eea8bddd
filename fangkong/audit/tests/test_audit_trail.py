"""The audit trail is append-only, written at sign-in, and browsable only by administrators."""

import pytest
from django.db import DatabaseError, connection, transaction

from fangkong.audit.models import AuditEvent, AuditImmutableError
from fangkong.audit.services import audit_record
from fangkong.testing.builders import PASSWORD


def test_events_cannot_be_changed_or_removed_through_the_orm(sysadmin):
    event = audit_record(actor=sysadmin, action="export", object_type="x", object_id="1")
    event.object_id = "2"
    with pytest.raises(AuditImmutableError):
        event.save()
    with pytest.raises(AuditImmutableError):
        event.delete()
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).update(object_id="3")
    with pytest.raises(AuditImmutableError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).object_id == "1"


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditevent SET object_id = 'tampered'",
    "DELETE FROM audit_auditevent",
])
def test_the_database_refuses_raw_changes(sysadmin, statement):
    event = audit_record(actor=sysadmin, action="export", object_type="x", object_id="1")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.get(pk=event.pk).object_id == "1"


def test_sign_in_and_failed_sign_in_are_audited(client, shenzhen_epi):
    response = client.post("/accounts/login/", {"username": "sz_epi", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    failed = AuditEvent.objects.get(action="sign_in_failed")
    assert failed.detail["username"] == "sz_epi" and failed.source_ip == "10.1.2.3"
    response = client.post("/accounts/login/", {"username": "sz_epi", "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="sign_in", actor=shenzhen_epi).count() == 1


def test_only_administrators_browse_the_trail(client, sysadmin, province_commander):
    audit_record(actor=province_commander, action="export", object_type="persons.person", region_code="440300")
    client.force_login(province_commander)
    assert client.get("/audit/").status_code == 403
    assert client.get("/api/v1/audit-events/").status_code == 403  # a commander does not read the trail
    client.force_login(sysadmin)
    page = client.get("/audit/?action=export")
    assert page.status_code == 200 and "persons.person" in page.content.decode()
    api = client.get("/api/v1/audit-events/", {"action": "export"}).json()
    assert api["count"] == 1 and api["results"][0]["actor_username"] == "province_commander"


def test_a_city_administrator_sees_only_its_citys_events(client, province_commander):
    from fangkong.accounts.roles import Role
    from fangkong.testing.builders import make_user

    city_admin = make_user("gz_admin", ("440100", Role.SYSTEM_ADMINISTRATOR))
    audit_record(actor=province_commander, action="export", region_code="440300")
    audit_record(actor=province_commander, action="export", region_code="440106")
    client.force_login(city_admin)
    regions = {e["region_code"] for e in client.get("/api/v1/audit-events/?action=export").json()["results"]}
    assert regions == {"440106"}
