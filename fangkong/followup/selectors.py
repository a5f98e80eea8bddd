"""Reads of the follow-up module, always scoped: named rows (persons under management, their checks and
tests) where the user may read named data, the counts where it may read aggregates
(``fangkong.accounts.need_to_know``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from fangkong.accounts.need_to_know import Category, readable, readable_or_404

from .models import SLOTS, HealthCheck, ScheduledTest, Subject

SCOPE = "region__code"
MISSED_DAYS = 7  # the overdue list looks back this many days


def _named(user, queryset: QuerySet) -> QuerySet:
    return readable(user, Category.NAMED, queryset, SCOPE)


def _in_region(queryset: QuerySet, region: str | None) -> QuerySet:
    return queryset.filter(region__code__startswith=region) if region else queryset


def subject_get(*, user, subject_id: int) -> Subject:
    return readable_or_404(user, Category.NAMED, Subject.objects.select_related("person", "protocol"), SCOPE,
                           pk=subject_id)


def test_get(*, user, test_id: int) -> ScheduledTest:
    return readable_or_404(user, Category.NAMED, ScheduledTest.objects.select_related("subject"), SCOPE,
                           pk=test_id)


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


def due_queryset(*, user, day: dt.date, region: str | None = None, open_only: bool = False) -> QuerySet[Subject]:
    """The day's persons (``open_only``: only those with a slot still unchecked) with the day's checks and the
    tests due that day or overdue prefetched; rows for ``due_rows``, in any order or page."""
    subjects = due_subjects(user=user, day=day, region=region)
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
    return _in_region(_named(user, checks), region).select_related("subject__person").order_by("-day", "subject_id",
                                                                                               "slot")[:limit]


def overdue_tests(*, user, day: dt.date, region: str | None = None, limit: int = 200) -> QuerySet[ScheduledTest]:
    tests = ScheduledTest.objects.filter(status=ScheduledTest.Status.OVERDUE, due_date__lte=day,
                                         subject__status=Subject.Status.ACTIVE)
    return _in_region(_named(user, tests), region).select_related("subject__person").order_by("due_date", "id")[:limit]


def symptomatic_subjects(*, user, region: str | None = None, limit: int = 200) -> QuerySet[Subject]:
    """Persons under management with fever, symptoms or a positive test: to be seen by the epidemiologist."""
    subjects = Subject.objects.filter(status=Subject.Status.ACTIVE, symptomatic_since__isnull=False)
    return _in_region(_named(user, subjects), region).select_related("person").order_by("symptomatic_since", "id")[:limit]


def subject_checks(subject: Subject) -> list[HealthCheck]:
    return list(subject.checks.select_related("checked_by").order_by("day", "slot"))


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
