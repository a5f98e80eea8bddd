"""The demo part of the resources module (its ``demo_loader``): quarantine sites, designated hospitals and
supply stores for Shenzhen and Dongguan, sized so that the demo wave produces a forecast shortage a demo user
can act on.

On the last day of the demo's data (the day a demo user opens on), the forecast is run once without any
capacity; then each city gets rooms for about 90 % of its median peak room demand (so a room shortage has a
real probability), ordinary beds above the demand; test kits have been issued for screening at a steady rate
over the last two weeks and ten days of that rate are left, so they run out within the warning horizon
(request them from Guangzhou: the requisition form is one click away).
Guangzhou gets a store well stocked with test kits to ask. The contacts of Shenzhen in quarantine on that day
are checked into the rooms of the site the demo quarantine-site manager (``quarantine_sz``) manages, up to
its rooms. Deterministic (the scenario's seed); idempotent (nothing is added once a site exists).
"""

from __future__ import annotations

import datetime as dt
import math

from django.core.exceptions import ValidationError
from django.db.models import Max, Q
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.cases.models import Case, Contact
from fangkong.regions.models import Region

from . import forecast, services
from .models import QuarantineSite

#: Sites per city: (region, name, kind, share of the city's rooms).
SITES = {
    "440300": (("440304", "福田区皇岗集中隔离酒店", "hotel", 0.3), ("440305", "南山区健康驿站", "purpose_built", 0.4),
               ("440306", "宝安区集中隔离点", "other", 0.3)),
    "441900": (("441900", "东莞市南城集中隔离酒店", "hotel", 0.5), ("441900", "东莞市松山湖健康驿站", "purpose_built", 0.5)),
}
HOSPITALS = {"440300": ("440307", "深圳市第三人民医院"), "441900": ("441900", "东莞市第九人民医院")}
STORES = {"440300": ("440304", "深圳市疾控物资储备库"), "441900": ("441900", "东莞市应急物资储备库"),
          "440100": ("440106", "广州市应急物资储备库")}
MANAGER = "quarantine_sz"
#: Test kits issued per day for screening in the demo's last two weeks, and the days of them left.
KITS_PER_DAY = {"440300": 60_000, "441900": 30_000}
KITS_DAYS_LEFT = 10
BURN_DAYS = forecast.BURN_DAYS
MAX_CHECK_INS = 150


def _last_day() -> dt.date | None:
    return Case.objects.filter(report_date__lte=timezone.localdate(), classification__in=forecast.COUNTED) \
        .aggregate(last=Max("report_date"))["last"]


def _median_peak(lines, city: str, resource: str) -> float:
    line = next((x for x in lines if x.city == city and x.resource == resource), None)
    return line.band[1] if line is not None and line.band else 0.0


def demo_load(actor) -> str:
    if QuarantineSite.objects.exists():
        return f"demo resources: {QuarantineSite.objects.count()} quarantine sites (already loaded)"
    day = _last_day() or timezone.localdate()
    cities = list(Region.objects.filter(code__in=list(SITES)).defer("geometry").order_by("code"))
    lines = forecast.forecast(cities, day)
    rooms_total = 0
    for city in cities:
        rooms = max(40, int(math.ceil(0.9 * _median_peak(lines, city.code, forecast.ROOMS))))
        for region, name, kind, share in SITES[city.code]:
            site = services.site_create(actor=actor, region=region, name=name, kind=kind)
            n = max(10, int(round(rooms * share)))
            services.rooms_add(actor=actor, site=site, first=101, last=100 + n, kind="single")
            rooms_total += n
        region, name = HOSPITALS[city.code]
        hospital = services.hospital_create(actor=actor, region=region, name=name)
        beds = max(50, int(math.ceil(1.3 * _median_peak(lines, city.code, forecast.ISOLATION))))
        services.bed_census_record(actor=actor, hospital=hospital, bed_type="ordinary", date=day, beds=beds,
                                   occupied=min(beds, int(beds * 0.6)))
        severe = max(10, int(math.ceil(1.5 * _median_peak(lines, city.code, forecast.SEVERE))))
        services.bed_census_record(actor=actor, hospital=hospital, bed_type="severe", date=day, beds=severe,
                                   occupied=int(severe * 0.3))
        # staff teams sized for those rooms and beds at the planning ratios of ``DemandParameters`` (20 rooms,
        # 5 isolation beds per person, 1.5 per severe bed), one in ten off duty today
        staff = int(math.ceil(rooms / 20 + beds / 5 + severe * 1.5)) + 10
        for skill, share, suffix in (("medical", 0.4, "医疗队"), ("sampling", 0.3, "采样队"),
                                     ("security", 0.15, "安保队"), ("cleaning", 0.15, "保洁消杀队")):
            size = max(3, int(round(staff * share)))
            team = services.team_create(actor=actor, region=region, name=f"{city.name_zh}{suffix}", skill=skill,
                                        size=size)
            services.roster_record(actor=actor, team=team, date=day, available=size - size // 10)
        region, name = STORES[city.code]
        store = services.store_create(actor=actor, region=region, name=name)
        # test kits: issued at the city's screening rate over the last two weeks, ten days of it left
        rate = KITS_PER_DAY[city.code]
        for item, quantity in (("test_kits", rate * (BURN_DAYS + KITS_DAYS_LEFT)), ("reagents", rate * 40),
                               ("masks", 200_000), ("protective_suits", 20_000), ("disinfectant", 5_000)):
            services.stock_receive(actor=actor, store=store, item=item, quantity=quantity, reason="演示：初始库存")
        for k in range(BURN_DAYS, 0, -1):
            at = dt.datetime.combine(day - dt.timedelta(days=k - 1), dt.time(20), timezone.get_current_timezone())
            services.stock_issue(actor=actor, store=store, item="test_kits", quantity=rate, reason="演示：核酸筛查发放",
                                 at=min(at, timezone.now()))
    region, name = STORES["440100"]
    guangzhou = services.store_create(actor=actor, region=region, name=name)
    services.stock_receive(actor=actor, store=guangzhou, item="test_kits", quantity=500_000, reason="演示：初始库存")
    checked_in = _check_in_contacts(actor, day)
    return (f"demo resources: {QuarantineSite.objects.count()} quarantine sites, {rooms_total} rooms, "
            f"{checked_in} contacts and inbound travellers checked in (forecast from {day.isoformat()})")


def _check_in_contacts(actor, day: dt.date) -> int:
    """Shenzhen's contacts in quarantine on ``day`` into the rooms of the demo manager's site (Futian)."""
    site = QuarantineSite.objects.filter(region_id="440304").first()
    manager = User.objects.filter(username=MANAGER).first()
    if site is None:
        return 0
    if manager is not None:
        services.site_manager_add(actor=actor, site=site, username=MANAGER)
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    contacts = Contact.objects.filter(region__code__startswith="4403", quarantined_at__lt=end, release_due__gt=day,
                                      category="close",
                                      converted_case__isnull=True) \
        .filter(Q(released_at__isnull=True) | Q(released_at__gte=end)).order_by("quarantined_at", "id")
    room_ids = list(site.rooms.order_by("id").values_list("pk", flat=True)[:MAX_CHECK_INS])
    rooms = iter(room_ids)
    count = 0
    # in a room only during the centralised phase of its period (not those already in home monitoring); those
    # leaving on the day first, then the latest arrivals (the manager's screen shows both)
    count += _check_in_travellers(actor, rooms)
    due = [(services.expected_check_out(contact=c), c) for c in contacts.select_related("protocol")]
    due = [(d, c) for d, c in due if d is not None and d >= day]
    leaving = [c for d, c in due if d == day][:len(room_ids) // 4]
    latest = sorted((c for d, c in due if d != day), key=lambda c: c.quarantined_at, reverse=True)
    for contact in leaving + latest:
        room_id = next(rooms, None)
        if room_id is None:
            break
        try:
            services.check_in(actor=actor, room_id=room_id, contact_no=contact.contact_no,
                              checked_in_at=contact.quarantined_at)
        except ValidationError:
            continue
        count += 1
    return count


def _check_in_travellers(actor, rooms) -> int:
    """The inbound travellers in central quarantine held by Futian (the inbound demo's, under daily follow-up)
    into the first rooms of the site: the manager's floor list shows them beside the contacts."""
    from fangkong.inbound.models import Status, Traveller

    count = 0
    for traveller in Traveller.objects.filter(status=Status.CENTRAL_QUARANTINE, holder_id="440304",
                                              person__isnull=False).order_by("pk"):
        room_id = next(rooms, None)
        if room_id is None:
            break
        services.check_in(actor=actor, room_id=room_id, traveller_id=traveller.pk, checked_in_at=traveller.status_at)
        count += 1
    return count

