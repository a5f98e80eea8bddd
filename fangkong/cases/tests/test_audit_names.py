"""The audit trail names a case and a contact by their numbers (what a person reads on a form), never a
person by anything but the row id: a name is personal data."""

from __future__ import annotations

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.cases.tests.builders import make_case, make_contact


def test_cases_and_contacts_by_number_persons_by_id(client, sysadmin, shenzhen_epi):
    case = make_case(shenzhen_epi, region="440304", name="审计病例甲")
    contact = make_contact(shenzhen_epi, source_case=case, region="440304", name="审计密接乙")
    client.force_login(sysadmin)
    page = client.get("/audit/", {"date_from": "2000-01-01",
                                  "date_to": timezone.localdate().isoformat()}).content.decode()
    assert f'<span translate="no" title="{case.pk}">{case.case_no}</span>' in page
    assert f'<span translate="no" title="{contact.pk}">{contact.contact_no}</span>' in page
    person_event = AuditEvent.objects.filter(object_type="persons.person").first()
    assert person_event is not None and f'<span translate="no">{person_event.object_id}</span>' in page
    assert "审计病例甲" not in page and "审计密接乙" not in page
