"""Shenzhen's laboratory records for the platform's scope test (``scope_records`` of the module)."""

from __future__ import annotations

from ..services import entry_create


def other_city_records(actor) -> dict[str, list[str]]:
    entry = entry_create(actor=actor, region="440304", title="福田测试条目")
    return {"entry_id": [str(entry.pk)], "pk": [str(entry.pk)]}
