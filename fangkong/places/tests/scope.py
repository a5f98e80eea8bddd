"""Shenzhen's places records for the platform's scope test (``scope_records`` of the module): a Futian place,
a failed inspection with its rectification order, a scan of its venue code."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.testing.builders import make_person, make_user

from .builders import make_place, pass_all


def other_city_records(actor) -> dict[str, list[str]]:
    from ..services import inspection_record, scan_record, venue_code

    inspector = make_user("places_scope_inspector", ("440300", Role.INSPECTOR))
    place = make_place(inspector, region="440304", name="福田范围测试市场")
    results = {**pass_all(place), "G2": "fail"}
    inspection = inspection_record(actor=inspector, place=place.pk, inspected_on=timezone.localdate(), results=results)
    order = inspection.findings.get().rectification
    person = make_person(actor, name="范围测试扫码人", region="440304", phone="13900001234")
    scan_record(actor=actor, venue_code=venue_code(place), person=person.pk,
                scanned_at=timezone.now() - dt.timedelta(hours=1))
    return {"pk": [str(place.pk), str(inspection.pk), str(order.pk)]}
