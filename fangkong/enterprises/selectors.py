"""Reads of the enterprises module, always scoped.

An enterprise's record names its contact persons, so it is read as named data: officials who read named data
read the enterprises of their regions (``Reach.REGION``); an enterprise contact (``Role.ENTERPRISE_CONTACT``)
reads at ``Reach.OWN_ENTERPRISES`` only the enterprises whose credit code its account acts for — the link
kept by the key-populations module (``EmployerAccess``, read through ``keypopulations.selectors
.employer_codes``), in the regions of its memberships. Another enterprise answers 404, the same as one that
does not exist. The tables of the module are aggregates (counts by city and sector, who a lockdown hits).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from fangkong.accounts.access import get_in_scope_or_404
from fangkong.accounts.need_to_know import Category, Reach, may_read, prefixes_q, read_prefixes
from fangkong.keypopulations.selectors import employer_codes
from fangkong.regions.codes import city_code, subtree_prefix
from fangkong.worklists.models import Unit

from .models import (
    OPEN_TICKET_STATES,
    Enterprise,
    OperatingState,
    OperatingStatus,
    PreventionPlan,
    Sector,
    SupplyLink,
    Ticket,
)

SCOPE = "region__code"
#: the regions' boundaries are not read with an enterprise (a GeoJSON each: most of the time of a list)
NO_GEOMETRY = ("region__geometry", "county__geometry")
#: the answer times per department are those of the tickets of the last 30 days
ANSWER_DAYS = 30


def enterprise_q(user, prefix: str = "") -> Q:
    """The enterprises the user may read: region-wide readers' in their regions, an enterprise contact's own
    (``Reach.OWN_ENTERPRISES``). ``prefix``: the path to the enterprise (``"enterprise__"`` from a ticket)."""
    q = prefixes_q(f"{prefix}{SCOPE}", read_prefixes(user, Category.NAMED))
    own = read_prefixes(user, Category.NAMED, Reach.OWN_ENTERPRISES)
    codes = employer_codes(user) if own else []
    if codes:
        q |= prefixes_q(f"{prefix}{SCOPE}", own) & Q(**{f"{prefix}credit_code__in": codes})
    return q


def acts_for(user, enterprise: Enterprise) -> bool:
    """Whether the user reads (and, with the capability, acts for) ``enterprise``."""
    if may_read(user, Category.NAMED, enterprise.region_id):
        return True
    return (may_read(user, Category.NAMED, enterprise.region_id, reach=Reach.OWN_ENTERPRISES)
            and enterprise.credit_code in employer_codes(user))


def enterprise_list(*, user, sector: str = "", q: str = "") -> QuerySet[Enterprise]:
    rows = Enterprise.objects.filter(enterprise_q(user)).select_related("region", "county").defer(*NO_GEOMETRY)
    if sector:
        rows = rows.filter(sector=sector)
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(credit_code=q.upper()))
    return rows


def enterprise_get(*, user, enterprise_id: int) -> Enterprise:
    """One enterprise the user may read, or 404 (audited as a refusal)."""
    rows = Enterprise.objects.filter(enterprise_q(user)).select_related("region", "county").defer(*NO_GEOMETRY)
    return get_in_scope_or_404(user, rows, SCOPE, pk=enterprise_id)


def plan_in_force(enterprise: Enterprise) -> PreventionPlan | None:
    """The latest approved version of the enterprise's plan."""
    return enterprise.plans.filter(state="approved").order_by("-version").first()


def plan_list(*, user) -> QuerySet[PreventionPlan]:
    return PreventionPlan.objects.filter(enterprise_q(user, "enterprise__")).select_related("enterprise")


def plan_get(*, user, plan_id: int) -> PreventionPlan:
    rows = plan_list(user=user)
    return get_in_scope_or_404(user, rows, f"enterprise__{SCOPE}", pk=plan_id)


def ticket_list(*, user, state: str = "", unit: int | None = None) -> QuerySet[Ticket]:
    """The tickets of the enterprises the user reads, newest first."""
    rows = Ticket.objects.filter(enterprise_q(user, "enterprise__")).select_related("enterprise", "unit")
    if state:
        rows = rows.filter(state=state)
    if unit:
        rows = rows.filter(unit_id=unit)
    return rows


def ticket_get(*, user, ticket_id: int) -> Ticket:
    return get_in_scope_or_404(user, ticket_list(user=user), f"enterprise__{SCOPE}", pk=ticket_id)


def answer_times(*, user, days: int = ANSWER_DAYS) -> list[dict]:
    """Per department: tickets submitted in the last ``days``, still open, answered, answered late, and the
    mean hours to answer (the tickets of the enterprises the user reads) — one aggregate query."""
    answered = Q(answered_at__isnull=False)
    since = timezone.now() - dt.timedelta(days=days)
    rows = list(Ticket.objects.filter(enterprise_q(user, "enterprise__"), submitted_at__gte=since).order_by()
                .values("unit_id")
            .annotate(tickets=Count("id"), open=Count("id", filter=Q(state__in=OPEN_TICKET_STATES)),
                      answered=Count("id", filter=answered),
                      late=Count("id", filter=answered & Q(answered_at__gt=F("due_at"))),
                      mean=Avg(ExpressionWrapper(F("answered_at") - F("submitted_at"), output_field=DurationField()),
                               filter=answered)))
    units = Unit.objects.in_bulk([row["unit_id"] for row in rows])
    for row in rows:
        row["unit"] = units[row["unit_id"]]
        row["mean_hours"] = round(row["mean"].total_seconds() / 3600, 1) if row["mean"] is not None else None
    return sorted(rows, key=lambda row: (row["unit"].region_id, row["unit"].name))


def link_list(*, user, enterprise: Enterprise) -> tuple[QuerySet[SupplyLink], QuerySet[SupplyLink]]:
    """(its suppliers' links, its customers' links) — of the enterprises the user reads."""
    links = SupplyLink.objects.select_related("supplier", "customer")
    return (links.filter(customer=enterprise).filter(enterprise_q(user, "supplier__")),
            links.filter(supplier=enterprise).filter(enterprise_q(user, "customer__")))


# --- who does this lockdown hit ------------------------------------------------------------------------------

#: The enterprises inside (depth 0) and their customers in the province to the second tier, each at its
#: nearest tier: one recursive query, the same text on SQLite and PostgreSQL. ``UNION`` (not ``UNION ALL``)
#: and the depth bound end the walk on a cycle.
HIT_SQL = """
WITH RECURSIVE hit(id, depth) AS (
    SELECT e.id, 0 FROM enterprises_enterprise e WHERE {seed}
  UNION
    SELECT l.customer_id, hit.depth + 1
    FROM hit JOIN enterprises_supplylink l ON l.supplier_id = hit.id
    WHERE hit.depth < 2
)
SELECT e.id, MIN(hit.depth) AS tier, e.staff
FROM hit JOIN enterprises_enterprise e ON e.id = hit.id
WHERE e.region_id LIKE %s AND ({within})
GROUP BY e.id, e.staff
"""


def _hit_rows(*, region: str | None, place: int | None, within: list[str] | None) -> list[tuple[int, int, int]]:
    """(enterprise id, tier, staff) of everyone hit, in the province of the area (and in the regions of
    ``within``, code prefixes, when given)."""
    if region:
        seed, params, province = "e.region_id LIKE %s", [subtree_prefix(region) + "%"], region[:2]
    elif place:
        from fangkong.places.models import Place

        found = Place.objects.filter(pk=place).values_list("region_id", flat=True).first()
        if found is None:
            return []
        seed = "e.id IN (SELECT enterprise_id FROM enterprises_enterprise_places WHERE place_id = %s)"
        params, province = [place], found[:2]
    else:
        return []
    prefixes = [""] if within is None else within
    if not prefixes:
        return []
    condition = " OR ".join(["e.region_id LIKE %s"] * len(prefixes))
    with connection.cursor() as cursor:
        cursor.execute(HIT_SQL.format(seed=seed, within=condition),
                       [*params, province + "%", *(p + "%" for p in prefixes)])
        return cursor.fetchall()


def lockdown_hits(*, region: str | None = None, place: int | None = None) -> dict[int, int]:
    """Enterprise id → tier (0 inside the area or at the closed place, 1 its customers, 2 theirs), in the
    province of the area. Unscoped: the caller reads it through ``lockdown_hit``."""
    return {pk: tier for pk, tier, _staff in _hit_rows(region=region, place=place, within=None)}


def lockdown_hit(*, user, region: str | None = None, place: int | None = None, limit: int = 500) -> dict:
    """Who a lockdown of ``region`` (a risk area's district or street) or the closure of ``place`` hits, as
    far as the user reads aggregates: the area must lie in its regions (404 otherwise); the enterprises
    counted are those of its regions, tier by tier, with their staff; the first ``limit`` listed (nearest
    tier first, then the most staff)."""
    prefixes = read_prefixes(user, Category.AGGREGATES)
    if region and not any(region.startswith(p) for p in prefixes):
        raise Http404("not found")
    if place:
        from fangkong.places.models import Place

        get_in_scope_or_404(user, Place.objects.all(), "region__code", within=prefixes, pk=place)
    rows = _hit_rows(region=region, place=place, within=prefixes)
    summary = {tier: {"enterprises": 0, "staff": 0} for tier in (0, 1, 2)}
    for _pk, tier, staff in rows:
        summary[tier]["enterprises"] += 1
        summary[tier]["staff"] += staff
    first = sorted(rows, key=lambda row: (row[1], -row[2], row[0]))[:limit]
    tiers = {pk: tier for pk, tier, _staff in first}
    found = (Enterprise.objects.filter(pk__in=list(tiers)).select_related("county").defer("county__geometry")
             .in_bulk())
    listed = []
    for pk, tier, _staff in first:
        enterprise = found[pk]
        enterprise.tier = tier
        listed.append(enterprise)
    return {"enterprises": listed, "summary": summary, "total": len(rows)}


# --- operating status ----------------------------------------------------------------------------------------


def resumption_table(*, user, day: dt.date, within: str = "") -> list[dict]:
    """Per city and sector: the enterprises of the user's regions (aggregates; of the region ``within`` only,
    when given) by their status on ``day`` (no status recorded: counted as unknown)."""
    prefixes = read_prefixes(user, Category.AGGREGATES)
    enterprises = Enterprise.objects.filter(prefixes_q(SCOPE, prefixes))
    if within:
        enterprises = enterprises.filter(region__code__startswith=subtree_prefix(within))
    statuses = dict(OperatingStatus.objects.filter(day=day, enterprise__in=enterprises)
                    .values_list("enterprise_id", "status"))
    table: dict[tuple[str, str], dict] = {}
    for pk, county, sector in enterprises.values_list("pk", "county_id", "sector"):
        city = city_code(county)
        row = table.setdefault((city, sector), {"city_code": city, "sector": sector, "total": 0, "unknown": 0})
        row["total"] += 1
        status = statuses.get(pk, "unknown")
        row[status] = row.get(status, 0) + 1
    from fangkong.regions.models import Region

    cities = dict(Region.objects.filter(code__in={city for city, _sector in table}).values_list("code", "name_zh"))
    sectors = dict(Sector.choices)
    for (city, sector), row in table.items():
        row["city"], row["sector_label"] = cities.get(city, city), sectors.get(sector, sector)
        row["counts"] = [row.get(state, 0) for state in OperatingState.values]
    return [table[key] for key in sorted(table)]


def status_counts(*, user, day: dt.date) -> dict[str, int]:
    prefixes = read_prefixes(user, Category.AGGREGATES)
    return dict(OperatingStatus.objects.filter(day=day).filter(prefixes_q(f"enterprise__{SCOPE}", prefixes))
                .values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def panel_context(request, code: str) -> dict:
    """The dashboard panel (``dashboard_panels``): the resumption table of the region on the user's day."""
    from fangkong.web.day import chosen_day

    day = chosen_day(request)
    rows = resumption_table(user=request.user, day=day, within=code)
    return {"enterprise_rows": rows, "enterprise_day": day, "enterprise_states": OperatingState.choices}
