"""Shenzhen's public-module records for the platform's scope test (``scope_records`` of the module)."""

from __future__ import annotations

from ..models import Publication
from ..services import notice_create


def other_city_records(actor) -> dict[str, list[str]]:
    notice = notice_create(actor=actor, region="440304", title_zh="福田测试通告", title_en="Futian test notice",
                           body_zh="测试。", body_en="Test.")
    # an edition of a Shenzhen site (the platform's own site is the province's: made directly here)
    publication = Publication.objects.create(region_id="440300", snapshot={}, snapshot_sha256="0" * 64,
                                             prepared_by=actor)
    return {"notice_id": [str(notice.pk)], "publication_id": [str(publication.pk)], "path": ["index.html"]}
