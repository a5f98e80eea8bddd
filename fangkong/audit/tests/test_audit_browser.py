"""The audit browser a person can read: labels, the reason column, filters, CSV export, refused access."""

from __future__ import annotations

import csv
import io

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record


def test_labels_reason_and_filters(client, sysadmin, shenzhen_epi, settings):
    audit_record(actor=shenzhen_epi, action="reveal", object_type="persons.person", object_id="41404",
                 region_code="440304", reason="流调核实身份")
    audit_record(actor=shenzhen_epi, action="export", object_type="cases.case", region_code="440100")
    client.force_login(sysadmin)
    client.cookies["django_language"] = "en"
    today = timezone.localdate().isoformat()  # a date beyond the plausible window would be refused (400)
    page = client.get("/audit/", {"region": "4403", "date_from": "2000-01-01", "date_to": today},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'person</span> <span translate="no">41404' in page and "流调核实身份" in page and "Reveal personal data" in page
    assert "cases.case" not in page  # the Guangzhou event is filtered out by region
    assert "41404" not in client.get("/audit/", {"date_to": "2000-01-01"}).content.decode()
    api = client.get("/api/v1/audit-events/", {"object_id": "41404"}).json()
    assert api["count"] == 1 and api["results"][0]["reason"] == "流调核实身份"


def test_bad_filters_are_field_errors(client, sysadmin):
    client.force_login(sysadmin)
    response = client.get("/audit/", {"date_from": "yesterday"})
    assert response.status_code == 400 and "date_from" in response.content.decode()
    api = client.get("/api/v1/audit-events/", {"date_from": "2022-03-20", "date_to": "2022-03-01"})
    assert api.status_code == 400 and "date_to" in api.json()["error"]["fields"]
    before = AuditEvent.objects.filter(action="export").count()
    assert client.get("/audit/export.csv", {"action": "nonsense"}).status_code == 400
    assert AuditEvent.objects.filter(action="export").count() == before


def test_csv_export_is_watermarked_and_audited(client, sysadmin, shenzhen_epi, province_commander):
    audit_record(actor=shenzhen_epi, action="reveal", object_type="persons.person", object_id="7",
                 region_code="440300", reason="核实")
    client.force_login(province_commander)
    assert client.get("/audit/export.csv").status_code == 403
    client.force_login(sysadmin)
    response = client.get("/audit/export.csv", {"action": "reveal"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert "sysadmin" in rows[0][0] and "reveal" in rows[0][0]
    assert rows[1][0] == "id" and len(rows) == 3 and rows[2][10] == "核实"
    export = AuditEvent.objects.filter(action="export", object_type="audit.auditevent").get()
    assert export.actor == sysadmin and export.detail == {"filters": {"action": "reveal"}, "count": 1}


def test_refused_object_access_is_recorded_and_bounded(client, shenzhen_epi, guangzhou_epi, settings):
    from fangkong.testing.builders import make_person

    settings.AUDIT_REFUSALS_PER_USER_PER_HOUR = 5
    elsewhere = make_person(guangzhou_epi, name="广州某人", region="440106")
    client.force_login(shenzhen_epi)
    assert client.get(f"/persons/{elsewhere.pk}/").status_code == 404
    refused = AuditEvent.objects.get(action="access_refused")
    assert (refused.actor, refused.object_type, refused.object_id) == (shenzhen_epi, "persons.person", str(elsewhere.pk))
    assert refused.detail["refused"] == "out_of_scope"
    for _ in range(20):
        client.get(f"/persons/{elsewhere.pk}/")
        client.get("/audit/")  # a capability refusal (403)
    assert AuditEvent.objects.filter(action="access_refused", actor=shenzhen_epi).count() == 5
