"""A Futian sentinel site, report and alert for the scope test (issue 7): ``scope_records`` of the module."""

from __future__ import annotations

from fangkong.surveillance.models import SentinelReport
from fangkong.surveillance.tests.builders import make_shenzhen_surveillance


def other_city_records(actor) -> dict[str, list[str]]:
    ids = make_shenzhen_surveillance()
    reports = [str(pk) for pk in SentinelReport.objects.values_list("pk", flat=True)]
    return {"alert_id": ids["alert_id"], "pk": ids["alert_id"] + ids["site_id"] + reports}
