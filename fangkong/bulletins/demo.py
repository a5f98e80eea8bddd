"""The demo's daily reports: the province's report of the wave's busiest day, in Chinese and English,
generated, reviewed and approved through the services; Shenzhen's report of the same day left in draft."""

from __future__ import annotations

from fangkong.bulletins import services
from fangkong.bulletins.models import Bulletin
from fangkong.dashboard import selectors as dashboard_selectors
from fangkong.regions.models import Region


def load_demo_bulletins(actor) -> str:
    if Bulletin.objects.exists():
        return "demo bulletins: already there"
    province = Region.objects.get(code="440000")
    day = dashboard_selectors.busiest_day(user=actor, region=province)
    if day is None:
        return "demo bulletins: no case, no report"
    made = []
    for language in (Bulletin.Language.ZH, Bulletin.Language.EN):
        bulletin = services.bulletin_generate(actor=actor, region_code="440000", day=day, language=language)
        bulletin = services.bulletin_review(actor=actor, bulletin=bulletin)
        made.append(services.bulletin_approve(actor=actor, bulletin=bulletin))
    made.append(services.bulletin_generate(actor=actor, region_code="440300", day=day, language=Bulletin.Language.ZH))
    return f"demo bulletins: {len(made)} reports of {day.isoformat()} (the busiest day)"
