"""Reads of the worklists module, always scoped: the tasks, problems and units of the regions where the user
may read aggregates (``readable``), and the personal inbox.

A county sees its own tasks and those escalated from below it (its subtree), the province everything, another
city nothing. Tasks and problems are aggregates: their evidence names records, never a person's identifiers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from fangkong.accounts.access import memberships_of
from fangkong.accounts.need_to_know import Category, readable, readable_or_404
from fangkong.regions.models import Region

from .models import OPEN_STATES, CalendarDay, Escalation, Problem, State, Task, Unit

SCOPE = "region__code"
DUE_SOON = dt.timedelta(hours=24)
SECTION_ROWS = 50


def _tasks() -> QuerySet[Task]:
    # the regions' boundaries (GeoJSON) are never shown here: without the defer each row would bring two along
    return Task.objects.select_related("region", "owner_unit", "owner", "escalated_to").defer(
        "region__geometry", "escalated_to__geometry")


def task_list(*, user) -> QuerySet[Task]:
    return readable(user, Category.AGGREGATES, _tasks(), SCOPE)


def task_get(*, user, task_id: int) -> Task:
    return readable_or_404(user, Category.AGGREGATES, _tasks(), SCOPE, pk=task_id)


@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    kind: str  # "event" (a ``TaskEvent``) or "escalation" (an ``Escalation``)
    row: object


def task_history(task: Task) -> list[HistoryRow]:
    """The task's events and escalations in time order."""
    rows = [HistoryRow(e.at, "event", e) for e in task.events.select_related("actor")]
    rows += [HistoryRow(e.at, "escalation", e) for e in task.escalations.select_related("to_region")]
    return sorted(rows, key=lambda h: h.at)


def overdue_list(*, user, now: dt.datetime | None = None) -> QuerySet[Task]:
    """Open tasks past their deadline, the longest overdue first."""
    return task_list(user=user).filter(state__in=OPEN_STATES, deadline__lt=now or timezone.now()).order_by(
        "deadline", "id")


def problem_list(*, user) -> QuerySet[Problem]:
    return readable(user, Category.AGGREGATES, Problem.objects.select_related("region").defer("region__geometry"),
                    SCOPE)


def problem_get(*, user, problem_id: int) -> Problem:
    problems = Problem.objects.select_related("region").defer("region__geometry")
    return readable_or_404(user, Category.AGGREGATES, problems, SCOPE, pk=problem_id)


def unit_list(*, user) -> QuerySet[Unit]:
    return readable(user, Category.AGGREGATES, Unit.objects.select_related("region").defer("region__geometry"), SCOPE)


@dataclass
class Inbox:
    new: list[Task]
    due_soon: list[Task]
    overdue: list[Task]
    escalated: list[Task]


def _keys(candidates: QuerySet[Task], limit: int, after: tuple | None = None) -> list[tuple]:
    """(deadline, id) of the first ``limit`` of ``candidates`` (after the key ``after``), from their own index in
    order, without the scope's condition and without joins."""
    keys = candidates.order_by("deadline", "id").values_list("deadline", "id")
    if after is not None:
        keys = keys.filter(Q(deadline__gt=after[0]) | Q(deadline=after[0], id__gt=after[1]))
    return list(keys[:limit])


def _fetch(user, pks, fetched: dict) -> None:
    """The tasks of ``pks`` the user may read, with their related rows, into ``fetched`` (None: out of scope)."""
    wanted = [pk for pk in pks if pk not in fetched]
    if wanted:
        fetched.update(dict.fromkeys(wanted))
        fetched.update((task.pk, task) for task in task_list(user=user).filter(pk__in=wanted))


def _first_readable(user, candidates: QuerySet[Task], limit: int, first: list[tuple], fetched: dict) -> list[Task]:
    """The first ``limit`` of ``candidates`` (ordered by deadline and id; ``first``: their first keys) that the user
    may read: the rows of the keys in scope (``task_list``), the keys after the last one read again while some
    were out of scope. With the scope's region prefix in the query of the keys the database takes the region
    index, reads every open task of the owner and sorts them (the owner's tasks and the region go together,
    which it cannot know)."""
    rows: list[Task] = []
    batch = first
    while batch:
        _fetch(user, [pk for _deadline, pk in batch], fetched)
        rows += [fetched[pk] for _deadline, pk in batch if fetched[pk] is not None]
        if len(rows) >= limit or len(batch) < limit:
            break
        batch = _keys(candidates, limit, after=batch[-1])
    return rows[:limit]


def inbox(*, user, now: dt.datetime | None = None) -> Inbox:
    """The personal inbox: new (not started yet), due within a day, overdue, and escalated to one of the user's
    regions; open tasks only, each section at most ``SECTION_ROWS``, the earliest deadline first.

    A section is the open tasks owned by the user, or by a unit of one of the user's regions with no person
    named: two ordered index reads merged (an OR would make the database sort every open task of the unit).
    The keys of every section are read first (``_keys``), then the rows of all of them in one query."""
    now = now or timezone.now()
    regions = sorted({code for code, _role in memberships_of(user)})
    units = list(Unit.objects.filter(region_id__in=regions).values_list("pk", flat=True))
    conditions = {"new": {"state": State.OPEN, "deadline__gte": now},
                  "due_soon": {"deadline__gte": now, "deadline__lt": now + DUE_SOON},
                  "overdue": {"deadline__lt": now}}
    open_tasks = Task.objects.filter(state__in=OPEN_STATES)
    candidates = {name: (open_tasks.filter(owner=user, **section),
                         open_tasks.filter(owner__isnull=True, owner_unit_id__in=units, **section))
                  for name, section in conditions.items()}
    candidates["escalated"] = (open_tasks.filter(escalated_to_id__in=regions),)
    first = {name: [_keys(tasks, SECTION_ROWS) for tasks in each] for name, each in candidates.items()}
    fetched: dict = {}
    _fetch(user, {pk for each in first.values() for keys in each for _deadline, pk in keys}, fetched)
    sections = {}
    for name, each in candidates.items():
        rows = [row for tasks, keys in zip(each, first[name], strict=True)
                for row in _first_readable(user, tasks, SECTION_ROWS, keys, fetched)]
        sections[name] = sorted(rows, key=lambda t: (t.deadline, t.pk))[:SECTION_ROWS]
    return Inbox(**sections)


def unit_get(*, user, unit_id: int) -> Unit:
    """A unit the user may read (its region in the user's scope), or 404."""
    return readable_or_404(user, Category.AGGREGATES, Unit.objects.select_related("region").defer("region__geometry"),
                           SCOPE, pk=unit_id)


@dataclass
class DigestSection:
    tasks: list[Task]  # the first ``SECTION_ROWS``, the earliest deadline first (the latest closed first)
    total: int


@dataclass
class Digest:
    unit: Unit
    day: dt.date  # the day the digest is for (local time); "yesterday" is the day before
    new: DigestSection
    due_soon: DigestSection
    overdue: DigestSection
    escalated: DigestSection
    closed_yesterday: DigestSection


def _section(tasks: QuerySet[Task], order: tuple[str, ...] = ("deadline", "id")) -> DigestSection:
    return DigestSection(list(tasks.order_by(*order)[:SECTION_ROWS]), tasks.count())


def unit_digest(*, user, unit_id: int, now: dt.datetime | None = None) -> Digest:
    """The daily digest of a unit (404 outside the user's scope), of the tasks the user may read: its open tasks
    created since yesterday began (new), due within a day, overdue; the open tasks escalated to the unit's region;
    its tasks closed (销号) yesterday. Days are local days."""
    now = now or timezone.now()
    unit = unit_get(user=user, unit_id=unit_id)
    today = timezone.localtime(now).date()
    today_start = timezone.make_aware(dt.datetime.combine(today, dt.time()))
    yesterday_start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time()))
    tasks = task_list(user=user)
    own = tasks.filter(owner_unit=unit)
    opened = own.filter(state__in=OPEN_STATES)
    return Digest(
        unit=unit, day=today,
        new=_section(opened.filter(created_at__gte=yesterday_start)),
        due_soon=_section(opened.filter(deadline__gte=now, deadline__lt=now + DUE_SOON)),
        overdue=_section(opened.filter(deadline__lt=now)),
        escalated=_section(tasks.filter(state__in=OPEN_STATES, escalated_to_id=unit.region_id)),
        closed_yesterday=_section(own.filter(state=State.CLOSED, closed_at__gte=yesterday_start,
                                             closed_at__lt=today_start), ("-closed_at", "-id")),
    )


def inbox_units(*, user) -> list[Unit]:
    """The units of the user's regions (their daily digests are linked from the inbox)."""
    regions = {code for code, _role in memberships_of(user)}
    return list(unit_list(user=user).filter(region_id__in=regions, active=True).order_by("region_id", "name"))


@dataclass
class Responsibility:
    unit: Unit
    open: int
    overdue: int
    closed: int
    closed_on_time: int
    escalations: int

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.closed_on_time / self.closed, 1) if self.closed else None


def responsibility_list(*, user, region: str | None = None, now: dt.datetime | None = None) -> list[Responsibility]:
    """The responsibility list (责任清单): per unit in scope (in ``region``'s subtree when given), its open
    tasks, those overdue, those closed and closed on time (submitted by the deadline), and the escalations of
    its tasks."""
    now = now or timezone.now()
    units = unit_list(user=user)
    if region:
        units = units.filter(region__code__startswith=Region(code=region).prefix)
    opened = Q(tasks__state__in=OPEN_STATES)
    units = units.annotate(
        n_open=Count("tasks", filter=opened),
        n_overdue=Count("tasks", filter=opened & Q(tasks__deadline__lt=now)),
        n_closed=Count("tasks", filter=Q(tasks__state=State.CLOSED)),
        n_on_time=Count("tasks", filter=Q(tasks__state=State.CLOSED, tasks__submitted_at__lte=F("tasks__deadline"))),
    )
    escalations = dict(Escalation.objects.filter(task__owner_unit__in=[u.pk for u in units])
                       .values("task__owner_unit").annotate(n=Count("id")).values_list("task__owner_unit", "n"))
    return [Responsibility(u, u.n_open, u.n_overdue, u.n_closed, u.n_on_time, escalations.get(u.pk, 0))
            for u in units]


@dataclass
class RegionFigures:
    code: str
    name: str
    open: int
    overdue: int
    escalated: int


def region_figures(*, user, code: str, now: dt.datetime | None = None) -> list[RegionFigures]:
    """Per child region of ``code``: open tasks, overdue, escalated (open and escalated at least once) — one
    grouped query for all children (the dashboard's query budget), each task region counted in its child."""
    now = now or timezone.now()
    children = list(Region.objects.filter(parent_id=code).defer("geometry").order_by("code"))
    per_region = (task_list(user=user).filter(state__in=OPEN_STATES).order_by().values("region_id")
                  .annotate(open=Count("id"), overdue=Count("id", filter=Q(deadline__lt=now)),
                            escalated=Count("id", filter=Q(escalation_level__gt=0))))
    totals = {child.code: [0, 0, 0] for child in children}
    for row in per_region:
        child = next((c for c in children if row["region_id"].startswith(c.prefix)), None)
        if child is not None:
            figures = totals[child.code]
            figures[0] += row["open"]
            figures[1] += row["overdue"]
            figures[2] += row["escalated"]
    return [RegionFigures(child.code, child.name, *totals[child.code]) for child in children if totals[child.code][0]]


def panel_context(request, code: str) -> dict:
    """The dashboard panel (``dashboard_panels`` in ``apps.py``): open / overdue / escalated per child region."""
    return {"figures": region_figures(user=request.user, code=code), "code": code}


def calendar_days(*, year: int) -> QuerySet[CalendarDay]:
    """The days of ``year`` the working calendar treats otherwise than their weekday, in order. The calendar is
    the province's, the same for every reader (it holds no record of anyone)."""
    return CalendarDay.objects.filter(day__year=year).order_by("day")
