"""The three protocol editions of DESIGN.md §8, as the data migration and the loader install them."""

from __future__ import annotations

import datetime as dt

EDITIONS: list[dict] = [
    {
        "code": "8th", "name_zh": "新型冠状病毒肺炎防控方案（第八版）",
        "name_en": "COVID-19 prevention and control protocol, 8th edition",
        "effective_from": dt.date(2021, 5, 11),
        "close_contact_centralised_days": 14, "close_contact_home_days": 7,
        "close_contact_test_days": [1, 4, 7, 14], "close_contact_home_test_days": [2, 7],
        "secondary_contacts_traced": True, "secondary_contact_days": 7, "secondary_contact_centralised": True,
        "secondary_contact_test_days": [1, 4, 7],
        "inbound_centralised_days": 14, "inbound_home_days": 7,
        "risk_levels": ["high", "medium", "low"], "risk_area_lift_days": 14, "risk_area_lift_needs_screen": False,
        "lookback_days": 2, "lookback_from_last_negative": False,
    },
    {
        "code": "9th", "name_zh": "新型冠状病毒肺炎防控方案（第九版）",
        "name_en": "COVID-19 prevention and control protocol, 9th edition",
        "effective_from": dt.date(2022, 6, 27),
        "close_contact_centralised_days": 7, "close_contact_home_days": 3,
        "close_contact_test_days": [1, 2, 3, 5, 7], "close_contact_home_test_days": [3],
        "secondary_contacts_traced": True, "secondary_contact_days": 7, "secondary_contact_centralised": False,
        "secondary_contact_test_days": [1, 4, 7],
        "inbound_centralised_days": 7, "inbound_home_days": 3,
        "risk_levels": ["high", "medium", "low"], "risk_area_lift_days": 7, "risk_area_lift_needs_screen": True,
        "lookback_days": 2, "lookback_from_last_negative": True,
    },
    {
        "code": "nov-2022", "name_zh": "进一步优化防控工作的二十条措施",
        "name_en": "Twenty measures to further optimise prevention and control (Nov 2022)",
        "effective_from": dt.date(2022, 11, 11),
        "close_contact_centralised_days": 5, "close_contact_home_days": 3,
        "close_contact_test_days": [1, 2, 3, 5], "close_contact_home_test_days": [1, 3],
        "secondary_contacts_traced": False, "secondary_contact_days": 0, "secondary_contact_centralised": False,
        "secondary_contact_test_days": [],
        "inbound_centralised_days": 5, "inbound_home_days": 3,
        "risk_levels": ["high", "low"], "risk_area_lift_days": 5, "risk_area_lift_needs_screen": False,
        "lookback_days": 2, "lookback_from_last_negative": True,
    },
]


def install_editions(model) -> int:
    """Create the editions missing from ``model``'s table (idempotent); return how many were created."""
    created = 0
    for edition in EDITIONS:
        _obj, was_created = model.objects.get_or_create(code=edition["code"], defaults=edition)
        created += was_created
    return created
