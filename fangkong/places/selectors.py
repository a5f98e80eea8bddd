"""Reads of the places module, always scoped to the user's regions and read per need-to-know category:
places, checklists, inspections, rectifications and coverage are aggregates (the inspector reads them);
scans and co-visitors are named data (the roles that trace)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from fangkong.accounts.need_to_know import Category, read_prefixes, readable, readable_or_404

from .models import ChecklistVersion, Finding, FindingPhoto, Inspection, Place, Rectification, Scan

SCOPE = "region__code"  # the foreign-key column holds the code: no join


def place_list(*, user, filters: dict | None = None, today: dt.date | None = None) -> QuerySet[Place]:
    """Places in scope; ``filters["overdue"]``: those due before ``today`` (default: the real date; the pages
    give the user's day, ``fangkong.web.day``)."""
    filters = filters or {}
    queryset = readable(user, Category.AGGREGATES, Place.objects.select_related("region", "county"), SCOPE)
    if filters.get("category"):
        queryset = queryset.filter(category=filters["category"])
    if filters.get("region"):
        queryset = queryset.filter(region__code__startswith=filters["region"].rstrip("0") or filters["region"])
    if filters.get("q"):
        queryset = queryset.filter(Q(name__icontains=filters["q"]) | Q(address__icontains=filters["q"]))
    if filters.get("overdue"):
        queryset = queryset.filter(next_due_on__lt=today or timezone.localdate())
    return queryset


def place_get(*, user, place_id: int) -> Place:
    return readable_or_404(user, Category.AGGREGATES, Place.objects.select_related("region", "county"), SCOPE,
                           pk=place_id)


def overdue_places(*, user, today: dt.date | None = None) -> QuerySet[Place]:
    """Places whose next inspection is past due on ``today`` (default: the real date), the longest overdue
    first."""
    return place_list(user=user).filter(next_due_on__lt=today or timezone.localdate()).order_by("next_due_on", "id")


def checklist_list(*, category: str | None = None) -> QuerySet[ChecklistVersion]:
    """The checklist versions (province-wide reference: no region), by category, the latest version first."""
    queryset = ChecklistVersion.objects.order_by("category", "-version")
    return queryset.filter(category=category) if category else queryset


def inspection_list(*, user, place: Place | None = None) -> QuerySet[Inspection]:
    queryset = readable(user, Category.AGGREGATES,
                        Inspection.objects.select_related("place", "checklist", "inspector"), SCOPE)
    return queryset.filter(place=place) if place is not None else queryset


def inspection_get(*, user, inspection_id: int) -> Inspection:
    return readable_or_404(user, Category.AGGREGATES,
                           Inspection.objects.select_related("place", "checklist", "follow_up_of"), SCOPE,
                           pk=inspection_id)


def finding_get(*, user, finding_id: int) -> Finding:
    return readable_or_404(user, Category.AGGREGATES, Finding.objects.select_related("inspection", "inspection__place"),
                           "inspection__region__code", pk=finding_id)


def finding_photo_get(*, user, photo_id: int) -> FindingPhoto:
    """A finding's photo, in the user's regions (aggregates, as the finding); ``Http404`` otherwise."""
    return readable_or_404(user, Category.AGGREGATES, FindingPhoto.objects.all(), SCOPE, pk=photo_id)


def rectification_list(*, user, place: Place | None = None, unfinished: bool = False) -> QuerySet[Rectification]:
    queryset = readable(user, Category.AGGREGATES,
                        Rectification.objects.select_related("place", "finding", "finding__inspection"), SCOPE)
    if place is not None:
        queryset = queryset.filter(place=place)
    if unfinished:
        queryset = queryset.filter(state__in=Rectification.UNFINISHED)
    return queryset


def rectification_get(*, user, rectification_id: int) -> Rectification:
    return readable_or_404(user, Category.AGGREGATES,
                           Rectification.objects.select_related("place", "finding"), SCOPE, pk=rectification_id)


@dataclass(frozen=True)
class CoverageRow:
    county: str
    county_name: str
    places: int
    covered: int       # inspected within their frequency
    overdue: int       # next inspection past due
    open_orders: int   # rectification orders not yet verified or submitted
    overdue_orders: int

    @property
    def share(self) -> float | None:
        return self.covered / self.places if self.places else None


def tally_answers(user) -> bool:
    """Whether the coverage tally (kept per county) answers for the user's regions: every region where the
    user reads aggregates is a county or larger, so each county is wholly in or wholly out of scope. A user
    of a street (township) is answered from the places themselves (a few hundred)."""
    return all(len(prefix) <= 6 for prefix in read_prefixes(user, Category.AGGREGATES))


def coverage_figures(*, user, category: str | None = None, today: dt.date) -> list[dict]:
    """Per county (``county_id``), the places in the user's scope: ``places``, ``covered`` (inspected, next
    due today or later), ``overdue`` (due before today), ``open`` (unfinished orders) and ``late`` (those
    past their deadline); counties without a place left out, by code. From the coverage tally
    (``tally.py``: one grouped query over a few thousand rows) where it answers (``tally_answers``), else
    ``coverage_figures_direct``."""
    from .models import CoverageTally
    from .tally import coverage_counts

    if not tally_answers(user):
        return coverage_figures_direct(user=user, category=category, today=today)
    rows = readable(user, Category.AGGREGATES, CoverageTally.objects.all(), "county__code")
    if category:
        rows = rows.filter(category=category)
    return list(coverage_counts(rows, "county_id", today))


def coverage_figures_direct(*, user, category: str | None = None, today: dt.date) -> list[dict]:
    """``coverage_figures`` read from the places and orders themselves (two grouped queries over every place
    and unfinished order in scope): the straightforward computation, for street users and as the reference
    the tally is tested against."""
    places = place_list(user=user, filters={"category": category})
    counts = list(places.order_by().values("county_id").annotate(
        places=Count("id"),
        covered=Count("id", filter=Q(last_inspected_on__isnull=False, next_due_on__gte=today)),
        overdue=Count("id", filter=Q(next_due_on__lt=today))).order_by("county_id"))
    orders = rectification_list(user=user, unfinished=True)
    if category:
        orders = orders.filter(place__category=category)
    order_counts = {row["place__county_id"]: row for row in orders.order_by().values("place__county_id").annotate(
        open=Count("id"), late=Count("id", filter=Q(deadline__lt=today)))}
    for row in counts:
        found = order_counts.get(row["county_id"], {})
        row["open"], row["late"] = found.get("open", 0), found.get("late", 0)
    return counts


def coverage(*, user, category: str | None = None, today: dt.date | None = None) -> list[CoverageRow]:
    """Per county: places, those inspected within their frequency, those overdue, open and overdue orders
    (``coverage_figures``), with the counties' names."""
    from django.utils.translation import get_language

    from fangkong.regions.models import Region

    counts = coverage_figures(user=user, category=category, today=today or timezone.localdate())
    name = "name_en" if (get_language() or "").startswith("en") else "name_zh"
    names = dict(Region.objects.filter(code__in=[row["county_id"] for row in counts]).values_list("code", name))
    return [CoverageRow(county=row["county_id"], county_name=names.get(row["county_id"], row["county_id"]),
                        places=row["places"], covered=row["covered"], overdue=row["overdue"],
                        open_orders=row["open"], overdue_orders=row["late"])
            for row in counts]


def coverage_total(rows: list[CoverageRow]) -> CoverageRow:
    return CoverageRow(county="", county_name="", places=sum(r.places for r in rows),
                       covered=sum(r.covered for r in rows), overdue=sum(r.overdue for r in rows),
                       open_orders=sum(r.open_orders for r in rows), overdue_orders=sum(r.overdue_orders for r in rows))


# --- scans and co-visitors: named data -------------------------------------------------------------------------


def scan_list(*, user, place: Place | None = None) -> QuerySet[Scan]:
    queryset = readable(user, Category.NAMED, Scan.objects.select_related("place", "person"), SCOPE)
    return queryset.filter(place=place) if place is not None else queryset


@dataclass(frozen=True)
class CoVisitor:
    person_id: int
    place_id: int
    place_name: str
    case_scan: dt.datetime
    their_scan: dt.datetime
    overlap_minutes: int


def co_visitors(*, user, person_id: int, window_minutes: int = 30, since: dt.datetime | None = None) -> list[CoVisitor]:
    """For a person (a case's), the others who scanned the same place within ``window_minutes`` of one of
    their scans (since ``since``; by default every scan kept — retention bounds them). The overlap assumes
    each stayed ``window_minutes`` after scanning: ``window − |Δt|``. Only scans the user may read as named
    data are searched. Three queries whatever the number of the person's scans: theirs, the others' at the
    same places within the windows (index ``scan_place_time``), the places' names."""
    window = dt.timedelta(minutes=window_minutes)
    scans = readable(user, Category.NAMED, Scan.objects.order_by(), SCOPE)  # no joins, no sort
    own = scans.filter(person_id=person_id)
    if since is not None:
        own = own.filter(scanned_at__gte=since)
    own = list(own.values_list("place_id", "scanned_at"))
    if not own:
        return []
    near = reduce(or_, (Q(place_id=place, scanned_at__gte=moment - window, scanned_at__lte=moment + window)
                        for place, moment in own))
    others = scans.filter(near).exclude(person_id=person_id).values_list("place_id", "person_id", "scanned_at")
    names = dict(Place.objects.filter(pk__in={place for place, _m in own}).values_list("id", "name"))
    visits: dict[int, list[dt.datetime]] = {}
    for place, moment in own:
        visits.setdefault(place, []).append(moment)
    best: dict[int, CoVisitor] = {}
    for place_id, other_person, their in others:
        for moment in visits[place_id]:
            overlap = int((window - abs(their - moment)).total_seconds() // 60)
            if overlap < 0:
                continue
            found = CoVisitor(other_person, place_id, names[place_id], moment, their, overlap)
            if other_person not in best or overlap > best[other_person].overlap_minutes:
                best[other_person] = found
    return sorted(best.values(), key=lambda c: (-c.overlap_minutes, c.person_id))


def co_visit_candidates(*, user, person_id: int, window_minutes: int = 30) -> tuple[QuerySet, dict[int, CoVisitor]]:
    """The co-visitors of a person (``co_visitors``) as a list to page with the platform's keyset paging
    (``fangkong.paging``; the API's ``KeysetPagination``): their persons, each annotated with its longest
    ``overlap`` (minutes), ordered by it (longest first) then by id — with each one's co-visit by person id
    for the rows of a page. The search runs once a request (three queries); the page reads its persons only."""
    from fangkong.persons.models import Person

    found = {c.person_id: c for c in co_visitors(user=user, person_id=person_id, window_minutes=window_minutes)}
    by_overlap: dict[int, list[int]] = {}
    for c in found.values():
        by_overlap.setdefault(c.overlap_minutes, []).append(c.person_id)
    overlap = Case(*(When(pk__in=ids, then=Value(minutes)) for minutes, ids in sorted(by_overlap.items())),
                   default=Value(0), output_field=IntegerField())
    persons = Person.objects.filter(pk__in=list(found)).annotate(overlap=overlap).order_by("-overlap", "id")
    return persons, found


@dataclass(frozen=True)
class PanelRow:
    code: str
    name: str
    places: int
    covered: int
    overdue: int
    open_orders: int
    overdue_orders: int

    @property
    def share(self) -> int | None:
        """The share inspected within their frequency, in whole percent."""
        return round(100 * self.covered / self.places) if self.places else None


def coverage_by_child(*, user, code: str, today: dt.date | None = None) -> list[PanelRow]:
    """Per child region of ``code`` (cities of the province, counties of a city, streets of a county): places,
    inspected within their frequency, overdue inspections, unfinished and overdue rectification orders — the
    places and orders the user may read, whatever the number of children. Cities of the province and counties
    of a city: one grouped query on the coverage tally (``tally_answers``); streets of a county (or a street
    user): two grouped queries on the places and orders (by the place's region). Children without a place
    are left out."""
    from django.utils.translation import get_language

    from fangkong.regions.codes import subtree_prefix
    from fangkong.regions.models import Region

    today = today or timezone.localdate()
    parent_prefix = subtree_prefix(code)
    if len(parent_prefix) <= 4 and tally_answers(user):  # children are cities or counties: the tally answers
        from .models import CoverageTally
        from .tally import coverage_counts

        tallied = readable(user, Category.AGGREGATES, CoverageTally.objects.filter(
            county__code__startswith=parent_prefix), "county__code")
        groups = [{**row, "region_id": row["county_id"]} for row in coverage_counts(tallied, "county_id", today)]
        if not groups:
            return []
    else:
        groups = list(place_list(user=user).filter(region__code__startswith=parent_prefix).order_by()
                      .values("region_id").annotate(places=Count("id"),
                                                    covered=Count("id", filter=Q(last_inspected_on__isnull=False,
                                                                                 next_due_on__gte=today)),
                                                    overdue=Count("id", filter=Q(next_due_on__lt=today))))
        if not groups:  # nothing to show: one query
            return []
        groups += (rectification_list(user=user, unfinished=True).filter(region__code__startswith=parent_prefix)
                   .order_by().values("region_id").annotate(open=Count("id"),
                                                            late=Count("id", filter=Q(deadline__lt=today))))
    name = "name_en" if (get_language() or "").startswith("en") else "name_zh"
    children = list(Region.objects.filter(parent_id=code).order_by("code").values_list("code", name))
    prefixes = [(child, subtree_prefix(child)) for child, _name in children]
    totals = {child: [0, 0, 0, 0, 0] for child, _name in children}

    def child_of(region: str) -> str | None:
        return next((child for child, prefix in prefixes if region.startswith(prefix)), None)

    for row in groups:
        if (child := child_of(row["region_id"])) is not None:
            for i, figure in enumerate(("places", "covered", "overdue", "open", "late")):
                totals[child][i] += row.get(figure, 0)
    return [PanelRow(child, label, *totals[child]) for child, label in children if totals[child][0]]


def panel_context(request, code: str) -> dict:
    """The dashboard panel (``dashboard_panels``): coverage per child region on the user's day."""
    from fangkong.web.day import chosen_day

    day = chosen_day(request)
    return {"places_rows": coverage_by_child(user=request.user, code=code, today=day), "places_day": day}
