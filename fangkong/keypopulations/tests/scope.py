"""Shenzhen's key-population records for the platform's scope test (``scope_records`` of the module): a
Futian group with a member and a test."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangkong.testing.builders import citizen_id


def other_city_records(actor) -> dict[str, list[str]]:
    from ..services import group_create, member_add, result_record

    today = timezone.localdate()
    group = group_create(actor=actor, name="福田口岸范围测试组", population="port_frontline", region="440304",
                         effective_from=today - dt.timedelta(days=10))
    number = citizen_id("440304")
    member_add(actor=actor, group=group.pk, start=today - dt.timedelta(days=5), name="范围测试员",
               citizen_id=number, phone="13900002871", address_region="440304")
    result_record(actor=actor, group=group.pk, citizen_id=number, sampled_on=today - dt.timedelta(days=1),
                result="negative")
    return {"group_id": [str(group.pk)], "pk": [str(group.pk)]}
