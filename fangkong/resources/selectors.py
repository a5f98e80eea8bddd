"""Reads of the resources module, always scoped.

- Sites, rooms and their occupancy (aggregates): the user's region subtree, except for a quarantine-site
  manager, who sees **only the sites it manages** (``QuarantineSite.managers``) within its region.
- Assignments name persons: readers of named data region-wide, and the manager for its own sites
  (``Reach.ASSIGNED_SITES``, ``fangkong.accounts.need_to_know``) — nothing else of any person.
- Stock, movements and hospitals: the user's region subtree; a requisition: its requesting *or* its
  supplying city (each side sees what it sent or received).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from fangkong.accounts.access import get_in_scope_or_404, memberships_of, scoped
from fangkong.accounts.need_to_know import NEED_TO_KNOW, Category, Reach, prefixes_q, read_prefixes
from fangkong.accounts.roles import Role
from fangkong.regions.codes import subtree_prefix

from .models import (
    Assignment,
    BedCensus,
    Hospital,
    QuarantineSite,
    Requisition,
    Room,
    StaffRoster,
    StaffTeam,
    Stock,
    StockMovement,
    Store,
)

SCOPE = "region__code"
TWO_SIDES = ("requesting_region__code", "supplying_region__code")


def managed_site_ids(user) -> QuerySet:
    """Ids of the sites the user manages, within the regions of its quarantine-site-manager memberships."""
    prefixes = [subtree_prefix(code) for code, role in memberships_of(user) if role == Role.QUARANTINE_MANAGER]
    if not prefixes:
        return QuarantineSite.objects.none().values("pk")
    return QuarantineSite.objects.filter(prefixes_q("region__code", prefixes),
                                         managers=user).values("pk")


def site_q(user, site_field: str) -> Q:
    """Sites (``site_field``: the path to the site's id) the user may see: its region for the roles that read
    aggregates region-wide, its own sites for a quarantine-site manager."""
    wide = sorted({subtree_prefix(code) for code, role in memberships_of(user)
                   if role != Role.QUARANTINE_MANAGER
                   and NEED_TO_KNOW.get(role) and NEED_TO_KNOW[role].reads.get(Category.AGGREGATES) == Reach.REGION})
    region_field = "region__code" if site_field == "pk" else site_field.replace("_id", "__region__code")
    q = prefixes_q(region_field, wide)
    if any(role == Role.QUARANTINE_MANAGER for _code, role in memberships_of(user)):
        q |= Q(**{f"{site_field}__in": managed_site_ids(user)})
    return q


def _named_q(user) -> Q:
    """Assignments whose person the user may read: named readers region-wide, the manager in its own sites."""
    q = prefixes_q("region__code", read_prefixes(user, Category.NAMED))
    if read_prefixes(user, Category.NAMED, Reach.ASSIGNED_SITES):
        q |= Q(site_id__in=managed_site_ids(user))
    return q


def may_see_persons(user) -> bool:
    return bool(read_prefixes(user, Category.NAMED) or read_prefixes(user, Category.NAMED, Reach.ASSIGNED_SITES))


# --- sites and rooms ------------------------------------------------------------------------------------------


def site_list(*, user) -> QuerySet[QuarantineSite]:
    """Sites in view, each with its rooms counted by state (one grouped query)."""
    states = {f"rooms_{s.value}": Count("rooms", filter=Q(rooms__state=s.value)) for s in Room.State}
    return QuarantineSite.objects.filter(site_q(user, "pk")).select_related("region").defer("region__geometry") \
        .annotate(rooms_total=Count("rooms"), **states)


def site_get(*, user, site_id: int) -> QuarantineSite:
    return get_in_scope_or_404(user, QuarantineSite.objects.filter(site_q(user, "pk")).select_related("region")
                               .defer("region__geometry"), SCOPE, pk=site_id)


def room_list(*, user, site: QuarantineSite) -> QuerySet[Room]:
    return Room.objects.filter(site_q(user, "site_id"), site=site)


def room_get(*, user, room_id: int) -> Room:
    return get_in_scope_or_404(user, Room.objects.filter(site_q(user, "site_id")).select_related("site"), SCOPE,
                               pk=room_id)


def assignment_list(*, user, site: QuarantineSite | None = None, open_only: bool = False) -> QuerySet[Assignment]:
    rows = Assignment.objects.filter(_named_q(user)).select_related("room", "site", "person")
    if site is not None:
        rows = rows.filter(site=site)
    if open_only:
        rows = rows.filter(checked_out_at__isnull=True)
    return rows


def assignment_get(*, user, assignment_id: int) -> Assignment:
    return get_in_scope_or_404(user, Assignment.objects.filter(_named_q(user)).select_related("room", "site", "person"),
                               SCOPE, pk=assignment_id)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return dt.datetime.combine(day, dt.time(), tz), dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)


def site_board(*, user, site: QuarantineSite, day: dt.date | None = None) -> dict:
    """The manager's screen of one site: rooms by state, arrivals and departures of the day (checked out, or
    due to check out and still in) — persons only for a reader of them; who is in now: ``present_list``."""
    day = day or timezone.localdate()
    start, end = _day_bounds(day)
    counts = dict(Room.objects.filter(site=site).values_list("state").annotate(n=Count("id")).order_by())
    total = sum(counts.values())
    in_service = total - counts.get(Room.State.OUT_OF_SERVICE, 0)
    occupied = counts.get(Room.State.OCCUPIED, 0)
    board = {"day": day, "states": [(s, counts.get(s.value, 0)) for s in Room.State], "rooms_total": total,
             "occupied": occupied, "in_service": in_service,
             "occupancy": round(100 * occupied / in_service, 1) if in_service else None,
             "persons_shown": may_see_persons(user)}
    rows = assignment_list(user=user, site=site).order_by("room__number")
    board["arrivals"] = list(rows.filter(checked_in_at__gte=start, checked_in_at__lt=end))
    board["departures"] = list(rows.filter(Q(checked_out_at__gte=start, checked_out_at__lt=end)
                                           | Q(checked_out_at__isnull=True, expected_check_out__lte=day)))
    return board


def present_list(*, user, site: QuarantineSite) -> QuerySet[Assignment]:
    """Who is in the site's rooms now, by room number (``room_number``, for paging) — persons only for a reader
    of them (``assignment_list``)."""
    return assignment_list(user=user, site=site, open_only=True).annotate(room_number=F("room__number"))


# --- hospitals and beds --------------------------------------------------------------------------------------


def hospital_list(*, user) -> QuerySet[Hospital]:
    return scoped(user, Hospital.objects.select_related("region").defer("region__geometry"), SCOPE)


def hospital_get(*, user, hospital_id: int) -> Hospital:
    return get_in_scope_or_404(user, Hospital.objects.all(), SCOPE, pk=hospital_id)


def team_list(*, user) -> QuerySet[StaffTeam]:
    return scoped(user, StaffTeam.objects.select_related("region"), SCOPE)


def team_get(*, user, team_id: int) -> StaffTeam:
    return get_in_scope_or_404(user, StaffTeam.objects.select_related("region"), SCOPE, pk=team_id)


def roster_list(*, user, team: StaffTeam) -> QuerySet[StaffRoster]:
    return scoped(user, StaffRoster.objects.filter(team=team), SCOPE)


def available_on(*, user, teams: list[StaffTeam], day) -> dict[int, int]:
    """Team id → members available on ``day``: its roster of that day, else the whole team."""
    rostered = dict(scoped(user, StaffRoster.objects.filter(team__in=teams, date=day), SCOPE)
                    .values_list("team_id", "available"))
    return {team.pk: rostered.get(team.pk, team.size) for team in teams}


def bed_census_list(*, user, hospital: Hospital | None = None) -> QuerySet[BedCensus]:
    rows = scoped(user, BedCensus.objects.select_related("hospital"), SCOPE)
    return rows.filter(hospital=hospital) if hospital is not None else rows


# --- supplies ------------------------------------------------------------------------------------------------


def store_list(*, user) -> QuerySet[Store]:
    return scoped(user, Store.objects.select_related("region").defer("region__geometry"), SCOPE)


def store_get(*, user, store_id: int) -> Store:
    return get_in_scope_or_404(user, Store.objects.all(), SCOPE, pk=store_id)


def stock_list(*, user) -> QuerySet[Stock]:
    return scoped(user, Stock.objects.select_related("store"), SCOPE)


def movement_list(*, user, store: Store | None = None) -> QuerySet[StockMovement]:
    rows = scoped(user, StockMovement.objects.select_related("store", "requisition"), SCOPE)
    return rows.filter(store=store) if store is not None else rows


def requisition_list(*, user) -> QuerySet[Requisition]:
    """Requisitions the user's cities sent or received."""
    return scoped(user, Requisition.objects.select_related("requesting_region", "supplying_region",
                                                           "destination_store", "source_store")
                  .defer("requesting_region__geometry", "supplying_region__geometry"), TWO_SIDES)


def requisition_get(*, user, requisition_id: int) -> Requisition:
    return get_in_scope_or_404(user, Requisition.objects.all(), TWO_SIDES, pk=requisition_id)
