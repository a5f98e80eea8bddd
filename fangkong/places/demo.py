"""The demo part of the places module (its ``demo_loader``): key places of every category in two counties of
Guangzhou and two of Shenzhen, inspected through the services — some passed, some overdue, findings with
rectification orders in every state, re-inspections, all dated as on the demo's last day (the last case
report) — and venue-code scans around Shenzhen's demo cases by
the cases' own contacts, so that the co-visit search finds real contacts. Deterministic; loads once."""

from __future__ import annotations

import datetime as dt

from django.db.models import F, Max
from django.utils import timezone

from fangkong.inputs import validate_row

from . import tally
from .inputs import PlaceInput
from .models import Inspection, Place, PlaceCategory, Rectification, Scan
from .services import inspection_record, overdue_mark, place_register, rectification_act

COUNTIES = ("440106", "440104", "440304", "440303")  # Tianhe, Yuexiu, Futian, Luohu
NAMES = {
    PlaceCategory.PORT: "口岸查验点", PlaceCategory.COLD_CHAIN: "冷链仓库", PlaceCategory.FARMERS_MARKET: "农贸市场",
    PlaceCategory.SUPERMARKET: "购物广场超市", PlaceCategory.SCHOOL: "实验小学", PlaceCategory.ELDERLY_CARE: "颐养院",
    PlaceCategory.MEDICAL: "人民医院发热门诊", PlaceCategory.QUARANTINE_HOTEL: "集中隔离酒店",
    PlaceCategory.CONSTRUCTION: "建设项目工地", PlaceCategory.PUBLIC_TRANSPORT: "公交枢纽站",
}
PERSONS = "陈李张王刘黄杨赵周吴"


def _items(place, fail=()) -> dict[str, str]:
    from .services import checklist_in_force

    codes = [item["code"] for item in checklist_in_force(place.category, timezone.localdate()).items]
    return {code: "fail" if code in fail else "pass" for code in codes}


def demo_load(actor) -> str:
    if Place.objects.exists():
        return f"demo places: {Place.objects.count()} places (already loaded)"
    from fangkong.regions.models import Region

    today = timezone.localdate()
    names = dict(Region.objects.filter(code__in=COUNTIES).values_list("code", "name_zh"))
    places = []
    for c, county in enumerate(COUNTIES):
        for k, category in enumerate(PlaceCategory.values):
            data, errors = validate_row(PlaceInput, {  # the action's schema, as a page or an import row
                "category": category, "name": f"{names[county]}{NAMES[category]}{c + 1}",
                "address": f"{names[county]}示范路{10 + k}号", "region": county,
                "responsible_unit": f"{names[county]}{NAMES[category]}管理单位",
                "responsible_person": f"{PERSONS[k]}主任", "contact_phone": f"1390000{c}{k:03d}"})
            assert not errors, errors
            places.append(place_register(actor=actor, **data))
    Place.objects.filter(pk__in=[p.pk for p in places]).update(registered_on=today - dt.timedelta(days=60))
    for p in places:
        p.refresh_from_db()
        p.next_due_on = p.due_from(None)
        p.save(update_fields=["next_due_on"])
    for i, place in enumerate(places):
        kind = i % 5
        if kind == 0:
            continue  # never inspected: overdue
        if kind == 1:
            inspection_record(actor=actor, place=place.pk, inspected_on=today - dt.timedelta(days=2 + i % 4),
                              results=_items(place))
        elif kind == 2:  # an old passed inspection: overdue again
            inspection_record(actor=actor, place=place.pk, inspected_on=today - dt.timedelta(days=35),
                              results=_items(place))
        else:  # findings: orders in every state
            first = inspection_record(actor=actor, place=place.pk, inspected_on=today - dt.timedelta(days=12),
                                      results=_items(place, fail=("G2", "G4")))
            orders = {o.finding.item_code: o for o in Rectification.objects.filter(finding__inspection=first)
                      .select_related("finding")}
            if kind == 3:
                rectification_act(actor=actor, rectification=orders["G2"].pk, action="start")
                Rectification.objects.filter(pk=orders["G4"].pk).update(deadline=today - dt.timedelta(days=2))
                if i % 2:
                    rectification_act(actor=actor, rectification=orders["G2"].pk, action="submit",
                                      evidence="已补充消毒记录并张贴场所码")
            else:
                inspection_record(actor=actor, place=place.pk, inspected_on=today - dt.timedelta(days=3),
                                  results={"G2": "pass", "G4": "fail"}, follow_up_of=first.pk)
    marked = overdue_mark(today=today)
    _move_to_the_demo_day(today)
    tally.rebuild()  # the dates moved (and one deadline was set) behind the services
    scans = _scans_around_cases(places)
    return (f"demo places: {len(places)} places, {Rectification.objects.count()} rectification orders "
            f"({marked['rectifications_marked_overdue']} overdue), {scans} scans")


def _move_to_the_demo_day(today: dt.date) -> None:
    """The places were registered and inspected through the services on the real date: move every date they
    wrote back by the same number of days, so that the demo's last day (the last case report) is the day
    they were loaded on — the same states (overdue, deadlines, re-inspections) on the demo's calendar."""
    from fangkong.cases.models import Case

    last = Case.objects.aggregate(last=Max("report_date"))["last"]
    if last is None or last >= today:
        return
    shift = last - today
    moves = {Place: ("registered_on", "last_inspected_on", "next_due_on", "created_at"),
             Inspection: ("inspected_on", "created_at"), Rectification: ("deadline", "verified_at", "updated_at")}
    for model, fields in moves.items():
        for field in fields:
            model.objects.filter(**{f"{field}__isnull": False}).update(**{field: F(field) + shift})


def _scans_around_cases(places) -> int:
    """Each of the first Shenzhen cases with contacts scanned a Futian or Luohu place two days before its
    report; its first contacts scanned the same place 5–25 minutes later; one stranger came a day later."""
    from fangkong.cases.models import Case, Contact

    shenzhen = [p for p in places if p.region_id.startswith("4403")]
    cases = list(Case.objects.filter(report_region__code__startswith="4403", contacts__isnull=False)
                 .distinct().order_by("id")[:12])
    rows = []
    for n, case in enumerate(cases):
        place = shenzhen[n % len(shenzhen)]
        at = (timezone.localtime(case.reported_at) - dt.timedelta(days=2)).replace(hour=10, minute=0, second=0,
                                                                                   microsecond=0)
        rows.append(Scan(place=place, region_id=place.region_id, person_id=case.person_id, scanned_at=at))
        contacts = list(Contact.objects.filter(source_case=case).order_by("id").values_list("person_id", flat=True)[:4])
        for m, person in enumerate(contacts[:3]):
            rows.append(Scan(place=place, region_id=place.region_id, person_id=person,
                             scanned_at=at + dt.timedelta(minutes=5 + 10 * m)))
        if len(contacts) > 3:
            rows.append(Scan(place=place, region_id=place.region_id, person_id=contacts[3],
                             scanned_at=at + dt.timedelta(days=1)))
    Scan.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
