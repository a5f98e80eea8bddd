"""The demo part of the follow-up module (its ``demo_loader``): the daily follow-up of the demo's contacts
under management on the scenario's last day.

Who is under management is copied from the contacts (``services.subjects_sync``); then, deterministically
(seeded), every day of each period up to that day gets its two checks — about one slot in twenty left
without a check, which the end-of-day sweep (``services.followups_sweep``) records as missed, and about one
person in forty with fever or symptoms from a day on — and the tests due before that day their samples,
negative. The last day itself stays open: today's list has work on it. Rows are bulk-created (one audit
event for the load, as the cases module's demo does); the sweep is the real service.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.demo import scenario_last_day

from .models import SLOTS, HealthCheck, ScheduledTest, Subject
from .services import followups_sweep, subjects_sync

SEED = 20220326
MISSED_SHARE = 0.05
SYMPTOMATIC_SHARE = 0.025
HOURS = {"morning": 8, "evening": 18}


@transaction.atomic
def demo_load(actor) -> str:
    day = scenario_last_day()
    if day is None:
        return "demo follow-up: no cases, nothing to follow up"
    if HealthCheck.objects.exists():
        return "demo follow-up: already loaded"
    subjects_sync(day=day)
    rng = random.Random(SEED)
    tz = timezone.get_current_timezone()
    subjects = list(Subject.objects.filter(status=Subject.Status.ACTIVE, first_day__lte=day, last_day__gte=day)
                    .order_by("pk"))
    checks, sick = [], []
    first = day
    for subject in subjects:
        onset = None
        if rng.random() < SYMPTOMATIC_SHARE:
            onset = subject.first_day + dt.timedelta(days=rng.randrange(max(1, (day - subject.first_day).days + 1)))
            sick.append((subject.pk, onset))
        current = subject.first_day
        first = min(first, current)
        while current < day:
            for slot in SLOTS:
                if rng.random() < MISSED_SHARE:
                    continue
                fever = onset is not None and current >= onset
                temperature = Decimal(f"{rng.uniform(37.6, 38.9) if fever else rng.uniform(36.1, 37.1):.1f}")
                checks.append(HealthCheck(
                    subject=subject, region_id=subject.region_id, day=current, slot=slot,
                    outcome=HealthCheck.Outcome.SYMPTOMATIC if fever else HealthCheck.Outcome.OK,
                    temperature=temperature, symptoms=["cough", "fever"] if fever else [],
                    checked_at=dt.datetime.combine(current, dt.time(HOURS[slot]), tz), checked_by=actor))
            current += dt.timedelta(days=1)
    HealthCheck.objects.bulk_create(checks, batch_size=5000)
    for pk, onset in sick:
        Subject.objects.filter(pk=pk).update(symptomatic_since=onset)
    taken = ScheduledTest.objects.filter(subject__in=subjects, due_date__lt=day).update(
        status=ScheduledTest.Status.TAKEN, result=ScheduledTest.Result.NEGATIVE, recorded_by=actor,
        taken_on=F("due_date"))
    current, missed = first, 0
    while current < day:
        missed += followups_sweep(day=current)["missed_checks"]
        current += dt.timedelta(days=1)
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="followup.healthcheck",
                 detail={"demo": True, "day": day.isoformat(), "persons": len(subjects), "checks": len(checks),
                         "missed": missed, "symptomatic": len(sick), "tests_taken": taken})
    return (f"demo follow-up on {day}: {len(subjects)} persons under management, {len(checks)} checks, "
            f"{missed} missed, {len(sick)} with fever or symptoms, {taken} samples taken")
