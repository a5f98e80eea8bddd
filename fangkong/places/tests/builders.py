"""Builders of the places tests: places and results through the real services."""

from __future__ import annotations

from ..models import PlaceCategory


def make_place(actor, *, region: str = "440304", name: str = "测试农贸市场",
               category: str = PlaceCategory.FARMERS_MARKET, **extra):
    from ..services import place_register

    data = {"category": category, "name": name, "address": "测试路1号", "region": region,
            "responsible_unit": "测试市场管理有限公司", "responsible_person": "张负责", "contact_phone": "13812345678",
            **extra}
    return place_register(actor=actor, **data)


def pass_all(place) -> dict[str, str]:
    """A pass for every item of the checklist in force today for the place's category."""
    from django.utils import timezone

    from ..services import checklist_in_force

    return {item["code"]: "pass" for item in checklist_in_force(place.category, timezone.localdate()).items}
