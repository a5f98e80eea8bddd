"""Shenzhen's follow-up records for the platform's scope test (``scope_records`` of the module)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from fangkong.cases.tests.builders import make_case, make_person

from .. import selfreport
from ..services import health_check_record
from .builders import days_ago, managed_contact


def other_city_records(actor) -> dict[str, list[str]]:
    person = make_person(actor, name="福田随访", region="440304", phone="13812349876")
    index = make_person(actor, name="福田随访源", region="440304", phone="13812349875")
    case = make_case(actor, region="440304", person=index, day=days_ago(3).isoformat())
    _contact, subject = managed_contact(actor, region="440304", person=person, case=case)
    check = health_check_record(actor=actor, subject=subject, day=timezone.localdate(), slot="morning",
                                temperature=Decimal("36.5"))
    test = subject.tests.first()
    ids = {"subject_id": [str(subject.pk)], "test_id": [str(test.pk)], "check_id": [str(check.pk)],
           "token": [selfreport.token_make(subject, timezone.localdate())]}  # the personal link: one person's form
    return {**ids, "pk": ids["subject_id"] + ids["test_id"] + ids["check_id"]}
