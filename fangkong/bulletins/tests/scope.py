"""Shenzhen's daily report for the scope test (issue 8): ``scope_records`` of the bulletins module."""

from __future__ import annotations

import datetime as dt

from fangkong.bulletins.services import bulletin_generate


def other_city_records(actor) -> dict[str, list[str]]:
    bulletin = bulletin_generate(actor=actor, region_code="440300", day=dt.date(2022, 3, 10), language="zh-hans")
    return {"pk": [str(bulletin.pk)], "bulletin_id": [str(bulletin.pk)]}
