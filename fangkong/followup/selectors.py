"""Reads of the follow-up module, always scoped: named rows (persons under management, their checks and
tests) where the user may read named data, the counts where it may read aggregates
(``fangkong.accounts.need_to_know``).

Who reads (and records) whose follow-up — ``reach_q`` and ``may_record``:

- commanders and epidemiologists: the persons managed in their region (``Reach.REGION``);
- a quarantine-site manager: the persons placed now in the sites it manages (``Reach.ASSIGNED_SITES``: an
  open room assignment of ``fangkong.resources`` for the person, in a site whose managers name the user);
- a community worker: the persons under home monitoring in its area (``Reach.HOME_MONITORED``: the
  person's address lies in its region and the person is placed in no quarantine site).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from fangkong.accounts.access import get_in_scope_or_404, memberships_of
from fangkong.accounts.need_to_know import NEED_TO_KNOW, Category, Reach, prefixes_q, read_prefixes, readable
from fangkong.modules import role_capabilities
from fangkong.regions.codes import covers, subtree_prefix

from .apps import RECORD
from .models import SLOTS, CheckVersion, HealthCheck, ScheduledTest, Subject

SCOPE = "region__code"
#: The region fields a row is in scope by: its managing region, and the person's address (a community worker's
#: area): ``get_in_scope_or_404`` finds a row when either lies in the user's regions, ``reach_q`` decides.
SCOPES = ("region__code", "person__address_region__code")
MISSED_DAYS = 7  # the overdue list looks back this many days


def _open_assignments():
    from fangkong.resources.models import Assignment

    return Assignment.objects.filter(checked_out_at__isnull=True, person__isnull=False)


def placed_in_sites(user, sites=None) -> QuerySet:
    """Persons (ids) placed now in the sites the user manages (``sites``: only these of them)."""
    from fangkong.resources.selectors import managed_site_ids

    placed = _open_assignments().filter(site_id__in=managed_site_ids(user))
    return (placed.filter(site_id__in=sites) if sites is not None else placed).values("person_id")


def reach_q(user, path: str = "") -> Q:
    """The follow-up rows (``path``: the way from the row to its ``Subject``, "" or "subject__") whose person
    the user may read named (module docstring). Every row carries the managing region itself."""
    q = prefixes_q("region__code", read_prefixes(user, Category.NAMED))
    if read_prefixes(user, Category.NAMED, Reach.ASSIGNED_SITES):
        q |= Q(**{f"{path}person_id__in": placed_in_sites(user)})
    area = read_prefixes(user, Category.NAMED, Reach.HOME_MONITORED)
    if area:
        q |= prefixes_q(f"{path}person__address_region__code", area) & ~Q(
            **{f"{path}person_id__in": _open_assignments().values("person_id")})
    return q


def _named(user, queryset: QuerySet, path: str = "") -> QuerySet:
    return queryset.filter(reach_q(user, path))


def may_record(user, subject: Subject) -> bool:
    """Whether one of the user's memberships holding ``followup.record`` reaches this person: the managing
    region for a region-wide role, the manager's own sites, the community worker's area at home."""
    for code, role in memberships_of(user):
        if RECORD not in role_capabilities().get(role, ()):
            continue
        reach = NEED_TO_KNOW[role].writes.get(Category.NAMED)
        if reach == Reach.REGION and covers(code, subject.region_id):
            return True
        if reach == Reach.ASSIGNED_SITES and placed_in_sites(user).filter(person_id=subject.person_id).exists():
            return True  # managed_site_ids: the sites within the manager's memberships' regions
        if reach == Reach.HOME_MONITORED and covers(code, subject.person.address_region_id) and not (
                _open_assignments().filter(person_id=subject.person_id).exists()):
            return True
    return False


def record_q(user) -> Q:
    """``may_record`` as a filter on ``Subject``: the persons one of the user's memberships holding
    ``followup.record`` reaches (an import's rows checked by set; nothing when no membership holds it)."""
    q = Q(pk__in=[])
    for code, role in memberships_of(user):
        if RECORD not in role_capabilities().get(role, ()):
            continue
        reach = NEED_TO_KNOW[role].writes.get(Category.NAMED)
        if reach == Reach.REGION:
            q |= Q(region__code__startswith=subtree_prefix(code))
        elif reach == Reach.ASSIGNED_SITES:
            q |= Q(person_id__in=placed_in_sites(user))
        elif reach == Reach.HOME_MONITORED:
            q |= Q(person__address_region__code__startswith=subtree_prefix(code)) & ~Q(
                person_id__in=_open_assignments().values("person_id"))
    return q


def _in_region(queryset: QuerySet, region: str | None) -> QuerySet:
    """The rows of ``region``'s subtree (a city's code stands for its districts, the province's for all)."""
    return queryset.filter(region__code__startswith=subtree_prefix(region)) if region else queryset


def subject_get(*, user, subject_id: int) -> Subject:
    return get_in_scope_or_404(user, _named(user, Subject.objects.select_related("person", "protocol")), SCOPES,
                               pk=subject_id)


def test_get(*, user, test_id: int) -> ScheduledTest:
    tests = _named(user, ScheduledTest.objects.select_related("subject__person"), "subject__")
    return get_in_scope_or_404(user, tests, tuple(f"subject__{f}" for f in SCOPES), pk=test_id)


@dataclass
class DueRow:
    """One person on the day's list: the slots still to check and the tests due."""

    subject: Subject
    day_number: int
    phase: str
    checks: dict[str, HealthCheck] = field(default_factory=dict)
    tests: list[ScheduledTest] = field(default_factory=list)

    @property
    def open_slots(self) -> list[str]:
        return [slot for slot in SLOTS if slot not in self.checks]

    @property
    def symptomatic(self) -> bool:
        return any(c.outcome == HealthCheck.Outcome.SYMPTOMATIC for c in self.checks.values())


def due_subjects(*, user, day: dt.date, region: str | None = None) -> QuerySet[Subject]:
    """The persons under management on ``day`` in the user's named scope (``region``: within that code)."""
    subjects = Subject.objects.filter(status=Subject.Status.ACTIVE, first_day__lte=day, last_day__gte=day)
    return _in_region(_named(user, subjects), region)


def last_managed_day(*, user) -> dt.date | None:
    """The last day up to today on which somebody in the user's named scope was under management (None: nobody
    ever): where the follow-up pages open when nobody is under management today."""
    last = _named(user, Subject.objects.filter(first_day__lte=timezone.localdate())).aggregate(
        last=Max("last_day"))["last"]
    return min(last, timezone.localdate()) if last else None


def sites_managed(*, user) -> list:
    """The quarantine sites the user manages (id, name), for the floor list's choice."""
    from fangkong.resources.models import QuarantineSite
    from fangkong.resources.selectors import managed_site_ids

    return list(QuarantineSite.objects.filter(pk__in=managed_site_ids(user)).order_by("name").values_list("pk", "name"))


def due_queryset(*, user, day: dt.date, region: str | None = None, open_only: bool = False,
                 site: int | None = None) -> QuerySet[Subject]:
    """The day's persons (``open_only``: only those with a slot still unchecked; ``site``: only those placed now
    in that quarantine site, with their ``room_number``) with the day's checks and the tests due that day or
    overdue prefetched; rows for ``due_rows``, in any order or page."""
    subjects = due_subjects(user=user, day=day, region=region)
    if site is not None:
        rooms = _open_assignments().filter(site_id=site, person_id=OuterRef("person_id"))
        subjects = subjects.filter(Exists(rooms)).annotate(room_number=Subquery(rooms.values("room__number")[:1]))
    if open_only:
        complete = HealthCheck.objects.filter(subject=OuterRef("pk"), day=day).values("subject").annotate(
            n=Count("id")).filter(n__gte=len(SLOTS))
        subjects = subjects.exclude(Exists(complete))
    return subjects.select_related("person").prefetch_related(
        Prefetch("checks", queryset=HealthCheck.objects.filter(day=day), to_attr="day_checks"),
        Prefetch("tests", queryset=ScheduledTest.objects.filter(
            Q(due_date=day) | Q(status=ScheduledTest.Status.OVERDUE) | Q(due_date__lt=day, status=ScheduledTest.Status.DUE)),
            to_attr="open_tests"))


def due_rows(subjects, day: dt.date) -> list[DueRow]:
    """The list's rows of persons read through ``due_queryset``."""
    return [DueRow(subject=s, day_number=s.day_number(day), phase=s.phase_on(day),
                   checks={c.slot: c for c in s.day_checks}, tests=list(s.open_tests)) for s in subjects]


def due_list(*, user, day: dt.date, region: str | None = None, open_only: bool = False,
             limit: int = 200, after: int = 0) -> list[DueRow]:
    """The day's list (at most ``limit`` persons, ids after ``after``): each person with the day's checks and
    the tests due that day or overdue; ``open_only``: only those with a slot still unchecked. Three queries."""
    subjects = due_queryset(user=user, day=day, region=region, open_only=open_only).filter(pk__gt=after)
    return due_rows(subjects.order_by("pk")[:limit], day)


def missed_checks(*, user, day: dt.date, region: str | None = None, limit: int = 200) -> QuerySet[HealthCheck]:
    """Missed checks of the ``MISSED_DAYS`` days up to ``day`` of persons still under management."""
    checks = HealthCheck.objects.filter(outcome=HealthCheck.Outcome.MISSED, day__lte=day,
                                        day__gt=day - dt.timedelta(days=MISSED_DAYS),
                                        subject__status=Subject.Status.ACTIVE)
    return _in_region(_named(user, checks, "subject__"), region).select_related("subject__person").order_by("-day", "subject_id",
                                                                                               "slot")[:limit]


def overdue_tests(*, user, day: dt.date, region: str | None = None, limit: int = 200) -> QuerySet[ScheduledTest]:
    tests = ScheduledTest.objects.filter(status=ScheduledTest.Status.OVERDUE, due_date__lte=day,
                                         subject__status=Subject.Status.ACTIVE)
    return _in_region(_named(user, tests, "subject__"), region).select_related("subject__person").order_by("due_date", "id")[:limit]


def symptomatic_subjects(*, user, region: str | None = None, limit: int = 200) -> QuerySet[Subject]:
    """Persons under management with fever, symptoms or a positive test: to be seen by the epidemiologist."""
    subjects = Subject.objects.filter(status=Subject.Status.ACTIVE, symptomatic_since__isnull=False)
    return _in_region(_named(user, subjects), region).select_related("person").order_by("symptomatic_since", "id")[:limit]


def subject_checks(subject: Subject) -> list[HealthCheck]:
    """The person's checks, each with its earlier versions (``versions``: oldest first) when corrected."""
    return list(subject.checks.select_related("checked_by").prefetch_related(
        Prefetch("versions", queryset=CheckVersion.objects.select_related("checked_by", "replaced_by"))).order_by(
        "day", "slot"))


def day_checks(subject: Subject, day: dt.date) -> list[HealthCheck]:
    """The checks of one person and day (the personal form's: opened by its signed token, no user to scope)."""
    return list(subject.checks.filter(day=day).order_by("slot"))


def subject_tests(subject: Subject) -> list[ScheduledTest]:
    return list(subject.tests.order_by("due_date", "id"))


def followup_counts(*, user, day: dt.date, region: str | None = None) -> dict[str, int]:
    """The day's counts where the user may read aggregates: persons due, fully checked, with a missed
    check, symptomatic; tests due that day and taken."""
    subjects = _in_region(readable(user, Category.AGGREGATES, Subject.objects.all(), SCOPE), region)
    on_day = subjects.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=day), first_day__lte=day, last_day__gte=day)
    checks = _in_region(readable(user, Category.AGGREGATES, HealthCheck.objects.filter(day=day), SCOPE), region)
    per_subject = checks.values("subject").annotate(
        n_done=Count("id", filter=~Q(outcome=HealthCheck.Outcome.MISSED)),
        n_missed=Count("id", filter=Q(outcome=HealthCheck.Outcome.MISSED)),
        n_sick=Count("id", filter=Q(outcome=HealthCheck.Outcome.SYMPTOMATIC)))
    figures = per_subject.aggregate(
        checked=Count("subject", filter=Q(n_done__gte=len(SLOTS))), missed=Count("subject", filter=Q(n_missed__gt=0)),
        symptomatic=Count("subject", filter=Q(n_sick__gt=0)))
    tests = _in_region(readable(user, Category.AGGREGATES, ScheduledTest.objects.filter(due_date=day), SCOPE), region)
    test_figures = tests.aggregate(tests_due=Count("id"), tests_taken=Count("id", filter=Q(status=ScheduledTest.Status.TAKEN)))
    return {"due": on_day.count(), **{k: v or 0 for k, v in figures.items()}, **test_figures}


@dataclass
class SiteCounts:
    """One quarantine site's completeness on a day: the persons placed there now and under management that
    day, those fully checked, with a missed check, with fever or symptoms (and the shares of those due)."""

    site_id: int
    name: str
    region_id: str
    due: int = 0
    checked: int = 0
    missed: int = 0
    symptomatic: int = 0

    def share(self, count: int) -> int:
        return round(100 * count / self.due) if self.due else 0

    @property
    def shares(self) -> dict[str, int]:
        return {k: self.share(getattr(self, k)) for k in ("checked", "missed", "symptomatic")}


def site_counts(*, user, day: dt.date, region: str | None = None, site: int | None = None) -> list[SiteCounts]:
    """Completeness per quarantine site on ``day`` (the persons placed in the site now: its open room
    assignments) for the sites the user may see (``fangkong.resources.selectors.site_q``: its region for the
    roles that read aggregates region-wide, only its own sites for a quarantine-site manager); ``region``:
    within that code, ``site``: that one site. Every site in scope is listed, one with nobody due with zeros.
    One grouped query over the sites' open assignments: its cost follows the persons placed in the sites
    listed, never the city's."""
    from django.db import connection

    from fangkong.resources.models import Assignment, QuarantineSite
    from fangkong.resources.selectors import site_q

    sites = QuarantineSite.objects.filter(site_q(user, "pk"))
    if region:
        sites = sites.filter(region__code__startswith=subtree_prefix(region))
    if site is not None:
        sites = sites.filter(pk=site)
    found = {pk: SiteCounts(site_id=pk, name=name, region_id=code)
             for pk, name, code in sites.order_by("region_id", "name").values_list("pk", "name", "region_id")}
    if not found:
        return []
    on_day = connection.ops.adapt_datefield_value(day)
    marks = ", ".join(["%s"] * len(found))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT site_id, COUNT(*), SUM(CASE WHEN done >= %s THEN 1 ELSE 0 END), "  # noqa: S608 - tables of the models
            "SUM(CASE WHEN missed > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN sick > 0 THEN 1 ELSE 0 END) FROM ("
            "SELECT a.site_id AS site_id, subj.id AS subject_id, "
            "SUM(CASE WHEN h.outcome IS NOT NULL AND h.outcome <> %s THEN 1 ELSE 0 END) AS done, "
            "SUM(CASE WHEN h.outcome = %s THEN 1 ELSE 0 END) AS missed, "
            "SUM(CASE WHEN h.outcome = %s THEN 1 ELSE 0 END) AS sick "
            f"FROM {Assignment._meta.db_table} a JOIN {Subject._meta.db_table} subj ON subj.person_id = a.person_id "
            "AND subj.first_day <= %s AND subj.last_day >= %s AND (subj.ended_on IS NULL OR subj.ended_on >= %s) "
            f"LEFT JOIN {HealthCheck._meta.db_table} h ON h.subject_id = subj.id AND h.day = %s "
            f"WHERE a.checked_out_at IS NULL AND a.site_id IN ({marks}) GROUP BY a.site_id, subj.id) per_person "
            "GROUP BY site_id",
            [len(SLOTS), HealthCheck.Outcome.MISSED, HealthCheck.Outcome.MISSED, HealthCheck.Outcome.SYMPTOMATIC,
             on_day, on_day, on_day, on_day, *found])
        for site_id, due, checked, missed, sick in cursor.fetchall():
            row = found[site_id]
            row.due, row.checked, row.missed, row.symptomatic = due, checked or 0, missed or 0, sick or 0
    return list(found.values())


def day_strip(subject: Subject, checks: list[HealthCheck], today: dt.date) -> list[dict]:
    """Every day of the period with its checks: the day-by-day strip of a person's follow-up."""
    by_day: dict = {}
    for check in checks:
        by_day.setdefault(check.day, []).append(check)
    strip, day = [], subject.first_day
    while day <= subject.last_day:
        strip.append({"day": day, "n": subject.day_number(day), "checks": by_day.get(day, []), "future": day > today})
        day += dt.timedelta(days=1)
    return strip


def source_strip(*, user, kind: str, source_id: int) -> dict | None:
    """The follow-up of a source's record (a contact of the cases module) for its page: the person under
    management and the strip, when the user may read that person's follow-up; None otherwise."""
    subject = _named(user, Subject.objects.filter(kind=kind, source_id=source_id)).first()
    if subject is None:
        return None
    checks = list(subject.checks.only("day", "slot", "outcome").order_by("day", "slot"))
    return {"subject": subject, "strip": day_strip(subject, checks, timezone.localdate())}


def panel_context(request, code: str) -> dict:
    """The dashboard panel (``dashboard_panels``): the completeness of the user's day (the dashboard's, and every
    page's: ``fangkong.web.day``) in the region ``code`` (the counts the user may read as aggregates, and the
    shares of the persons due). Its keys are the panel's own (``followup_day``): the page's ``day`` is not
    shadowed."""
    from fangkong.web.day import chosen_day

    day = chosen_day(request)
    counts = followup_counts(user=request.user, day=day, region=code)
    due = counts["due"] or 1
    return {"followup_day": day, "counts": counts,
            "shares": {k: round(100 * counts[k] / due) for k in ("checked", "missed", "symptomatic")}}
