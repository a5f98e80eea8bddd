"""Reads of the cross-region requests, always scoped to the user's regions.

A request belongs to three regions (``models.SCOPE``): its sender, its receiver and the region of its source
case. A user sees it when one of them lies where the user may read line lists (``pseudonymised`` at least,
``fangkong.accounts.need_to_know``), and nobody else does. Which fields of a requested person a reader sees
is ``persons.shown.person_shown``'s business, read for the side of the request the reader is on.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, replace

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from fangkong.accounts.access import get_in_scope_or_404, scoped
from fangkong.accounts.need_to_know import PERSON_LEVELS, Category, person_level, read_prefixes
from fangkong.persons.shown import PersonShown, person_shown
from fangkong.regions.models import Region

from .models import SCOPE, InvestigationRequest, OutcomeKind, RequestedPerson, RequestStatus

LIST_ORDER = ("-sent_at", "-id")
OVERDUE_ORDER = ("ack_deadline", "id")
OUTGOING = ("sender_region__code", "origin_region__code")
INCOMING = ("receiver_region__code",)
MEDIAN_DAYS = 30  # the median time to quarantine is read over the persons listed in the last 30 days


def _requests() -> QuerySet[InvestigationRequest]:
    """Requests with their three regions' names (never the regions' boundaries: a GeoJSON each)."""
    return InvestigationRequest.objects.select_related("sender_region", "receiver_region", "origin_region").defer(
        "sender_region__geometry", "receiver_region__geometry", "origin_region__geometry")


def _listed() -> QuerySet[InvestigationRequest]:
    """Requests for a list: their own columns only (``with_regions`` brings a page's regions). Joining the
    three regions before the limit made the database join and sort every request in scope for a page."""
    return InvestigationRequest.objects.all()


def with_regions(rows: list[InvestigationRequest]) -> list[InvestigationRequest]:
    """``rows`` (a page) with their sending and receiving regions (names, never the boundaries): one query for
    these rows' regions only."""
    regions = Region.objects.defer("geometry").in_bulk(
        {code for row in rows for code in (row.sender_region_id, row.receiver_region_id)})
    for row in rows:
        row.sender_region, row.receiver_region = regions[row.sender_region_id], regions[row.receiver_region_id]
    return rows


def _in_scope(user, queryset: QuerySet, fields) -> QuerySet:
    prefixes = read_prefixes(user, Category.PSEUDONYMISED)
    return scoped(user, queryset, fields, within=prefixes)


def request_outgoing(*, user) -> QuerySet[InvestigationRequest]:
    """Requests sent from the user's regions, and the forwards of requests about their cases (the request's
    columns only: ``with_regions`` for a page's regions)."""
    return _in_scope(user, _listed(), OUTGOING)


def request_inbox(*, user, open_only: bool = False) -> QuerySet[InvestigationRequest]:
    """Requests received by the user's regions (``open_only``: not yet fully reported back; the request's
    columns only: ``with_regions`` for a page's regions)."""
    qs = _in_scope(user, _listed(), INCOMING)
    return qs.exclude(status=RequestStatus.REPORTED) if open_only else qs


def overdue_q(now: dt.datetime) -> Q:
    """Not acknowledged by the deadline, persons not reported on by the deadline, or persons not found."""
    return (Q(acknowledged_at__isnull=True, ack_deadline__lt=now) | Q(persons_pending__gt=0, report_deadline__lt=now)
            | Q(persons_not_found__gt=0))


def request_overdue(*, user, now: dt.datetime | None = None) -> QuerySet[InvestigationRequest]:
    """The requests in the user's regions (any side) that are overdue or have persons not found (the request's
    columns only: ``with_regions`` for a page's regions)."""
    return _in_scope(user, _listed(), SCOPE).filter(overdue_q(now or timezone.now()))


def request_get(*, user, request_id) -> InvestigationRequest:
    return get_in_scope_or_404(user, _requests().select_related("source_case", "protocol", "forwarded_from"), SCOPE,
                               within=read_prefixes(user, Category.PSEUDONYMISED), pk=request_id)


def reader_side(user, req: InvestigationRequest) -> str | None:
    """The region of the request (receiver, sender, origin) where the user reads the most of a person."""
    best, best_rank = None, -1
    for code in (req.receiver_region_id, req.sender_region_id, req.origin_region_id):
        level = person_level(user, code)
        rank = PERSON_LEVELS.index(level) if level else -1
        if rank > best_rank:
            best, best_rank = code, rank
    return best


@dataclass(frozen=True)
class PersonRow:
    pk: int
    shown: PersonShown | None
    category: str
    category_label: str
    exposure_end: dt.date | None
    listed_at: dt.datetime
    outcome: str
    outcome_label: str
    outcome_at: dt.datetime | None
    quarantined_at: dt.datetime | None
    escalated: bool
    history: list
    forwarded_as: list  # [(request number, request id, outcome label)] along the chain, nearest first
    contact_no: str
    final: bool


def request_persons(*, user, req: InvestigationRequest) -> list[PersonRow]:
    """The persons of a request as the user may see them, each with its history and, when forwarded, the
    requests it was forwarded as and the outcome there (the chain, to its current end)."""
    side = reader_side(user, req)
    persons = list(req.persons.select_related("request", "contact").prefetch_related("history"))
    chain: dict[int, list] = {p.pk: [] for p in persons}
    tip = {p.pk: p.pk for p in persons}
    for _depth in range(10):  # forwarded at most a few times in practice
        asked = {t: root for root, t in tip.items() if t is not None}
        if not asked:
            break
        tip = dict.fromkeys(chain)
        for nxt in RequestedPerson.objects.filter(forwarded_from_id__in=list(asked)).select_related("request"):
            root = asked[nxt.forwarded_from_id]
            chain[root].append((nxt.request.request_no, nxt.request_id, nxt.get_outcome_display()))
            tip[root] = nxt.pk
    rows = []
    for p in persons:
        shown = person_shown(user, p, side) if side else None
        if shown is not None:
            shown = replace(shown, person_id=None)  # not a registry row: no person page to link to
        rows.append(PersonRow(
            pk=p.pk, shown=shown, category=p.category, category_label=p.get_category_display(),
            exposure_end=p.exposure_end, listed_at=p.listed_at, outcome=p.outcome,
            outcome_label=p.get_outcome_display(), outcome_at=p.outcome_at, quarantined_at=p.quarantined_at,
            escalated=p.escalated_at is not None, history=list(p.history.all()), forwarded_as=chain[p.pk],
            contact_no=p.contact.contact_no if p.contact_id else "",
            final=p.outcome not in (OutcomeKind.PENDING, OutcomeKind.NOT_FOUND)))
    return rows


# --- figures for the dashboard and the daily report -----------------------------------------------------------


@dataclass
class CityFigures:
    code: str
    name: str
    open_in: int = 0
    open_out: int = 0
    ack_overdue: int = 0
    not_found: int = 0
    median_hours_to_quarantine: float | None = None


def city_figures(*, user, now: dt.datetime | None = None) -> list[CityFigures]:
    """Per city: open requests received and sent, requests not acknowledged in time and persons not found
    (received), and the median hours from listing by the sender to quarantine by the receiver (persons
    listed in the last ``MEDIAN_DAYS`` days, by the receiving city)."""
    now = now or timezone.now()
    visible = _in_scope(user, InvestigationRequest.objects.all(), SCOPE).order_by()
    rows: dict[str, CityFigures] = {}

    def row(prefix: str) -> CityFigures:
        return rows.setdefault(prefix, CityFigures(code=prefix + "00", name=prefix + "00"))

    open_requests = visible.exclude(status=RequestStatus.REPORTED)
    for prefix, n, late in open_requests.annotate(city=Substr("receiver_region_id", 1, 4)).values_list("city").annotate(
            n=Count("id"), late=Count("id", filter=Q(acknowledged_at__isnull=True, ack_deadline__lt=now))):
        row(prefix).open_in, row(prefix).ack_overdue = n, late
    for prefix, n in open_requests.annotate(city=Substr("sender_region_id", 1, 4)).values_list("city").annotate(
            n=Count("id")):
        row(prefix).open_out = n
    for prefix, n in visible.filter(persons_not_found__gt=0).annotate(
            city=Substr("receiver_region_id", 1, 4)).values_list("city").annotate(n=Sum("persons_not_found")):
        row(prefix).not_found = n
    delays: dict[str, list[float]] = {}
    quarantined = RequestedPerson.objects.filter(
        request__in=visible, outcome=OutcomeKind.QUARANTINED, listed_at__gte=now - dt.timedelta(days=MEDIAN_DAYS))
    for receiver, listed, done in quarantined.values_list("request__receiver_region_id", "listed_at", "quarantined_at"):
        delays.setdefault(receiver[:4], []).append((done - listed).total_seconds() / 3600)
    for prefix, hours in delays.items():
        row(prefix).median_hours_to_quarantine = round(statistics.median(hours), 1)
    names = {r.code: r.name for r in Region.objects.filter(code__in=[f"{p}00" for p in rows]).only(
        "code", "name_zh", "name_en")}
    for figures in rows.values():
        figures.name = names.get(figures.code, figures.code)
    return sorted(rows.values(), key=lambda f: f.code)


def panel_context(request, code: str) -> dict:
    """The dashboard panel (declared in ``apps.py``; the dashboard renders no module panel yet)."""
    return {"figures": [f for f in city_figures(user=request.user) if f.code.startswith(code[:4]) or code == "440000"]}
