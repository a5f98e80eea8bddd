"""Writes of the worklists module: each checks the capability, runs in one transaction and is audited.

Public entry point for the other modules: :func:`problem_raise` (idempotent by source and source key).
A task's state machine (``TRANSITIONS``): open → in progress → submitted for close-out → closed (销号), or
returned (reopened with the reason) / cancelled with a reason; the escalation job is :func:`escalation_sweep`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.modules import problem_sources
from fangkong.regions.codes import covers
from fangkong.regions.models import Region

from .apps import CALENDAR, WORK, WRITE
from .hours import deadlines
from .models import (
    CALENDAR_FIRST_YEAR,
    CALENDAR_LAST_YEAR,
    OPEN_STATES,
    CalendarDay,
    CalendarDayKind,
    Escalation,
    Problem,
    Severity,
    SlaClass,
    State,
    Task,
    TaskEvent,
    Unit,
)
from .notify import Notice, notifier

#: action → (states it may start from, state it leads to, the history's kind)
TRANSITIONS = {
    "start": ((State.OPEN, State.RETURNED), State.IN_PROGRESS, TaskEvent.Kind.STARTED),
    "submit": ((State.OPEN, State.IN_PROGRESS, State.RETURNED), State.SUBMITTED, TaskEvent.Kind.SUBMITTED),
    "close": ((State.SUBMITTED,), State.CLOSED, TaskEvent.Kind.CLOSED),
    "return": ((State.SUBMITTED,), State.RETURNED, TaskEvent.Kind.RETURNED),
    "cancel": ((State.OPEN, State.IN_PROGRESS, State.SUBMITTED, State.RETURNED), State.CANCELLED,
               TaskEvent.Kind.CANCELLED),
}

#: The time limit class a problem's task gets by default, by severity.
SLA_BY_SEVERITY = {Severity.CRITICAL: SlaClass.EXTRA_URGENT, Severity.SERIOUS: SlaClass.URGENT,
                   Severity.MODERATE: SlaClass.URGENT, Severity.MINOR: SlaClass.ROUTINE}


def _region(code: str, field: str = "region") -> Region:
    place = Region.objects.filter(code=code).first()
    if place is None:
        raise ValidationError({field: [_("No region with this code.")]})
    return place


def command_unit(region: Region) -> Unit:
    """The region's prevention and control command, the owner of the tasks raised automatically there."""
    unit, _created = Unit.objects.get_or_create(
        region=region, kind=Unit.Kind.COMMAND,
        defaults={"name": f"{region.name_zh}疫情防控指挥部",
                  "standing_duties": "统筹本辖区疫情防控工作，对本辖区问题清单、任务清单负总责。"})
    return unit


def unit_create(*, actor, region: str, name: str, kind: str = Unit.Kind.OTHER, standing_duties: str = "",
                request=None) -> Unit:
    """Record a responsible unit of a region."""
    if not can(actor, WRITE, region):
        raise PermissionDenied(_("You may not keep the responsible units of this region."))
    place = _region(region)
    with transaction.atomic():
        if Unit.objects.filter(region=place, name=name).exists():
            raise ValidationError({"name": [_("This region already has a unit with this name.")]})
        unit = Unit(region=place, name=name, kind=kind, standing_duties=standing_duties)
        unit.full_clean()
        unit.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=unit, region_code=region, request=request)
    return unit


def problem_raise(*, actor, source: str, source_key: str, region: str, severity: str, title: str,
                  evidence: str = "", link: str = "", found_at: dt.datetime | None = None,
                  sla_class: str | None = "", request=None) -> tuple[Problem, bool]:
    """Raise a problem, once per ``(source, source_key)``: raised again, the first one is returned unchanged
    with ``created=False``. ``actor`` None is the platform itself (another module's periodic job); a person
    needs ``worklists.write`` in the region. A task for the region's command unit is created with it, with
    the class given, or the severity's (``SLA_BY_SEVERITY``) when ``sla_class`` is empty; ``None``: no task.
    Evidence names records by their number or link, never a person's identifiers."""
    if actor is not None and not can(actor, WRITE, region):
        raise PermissionDenied(_("You may not raise problems in this region."))
    if source not in problem_sources():
        raise ValidationError({"source": [_("Unknown problem source.")]})
    if not source_key:
        raise ValidationError({"source_key": [_("A problem needs its source key.")]})
    existing = Problem.objects.filter(source=source, source_key=source_key).first()
    if existing is not None:
        return existing, False
    place = _region(region)
    now = timezone.now()
    found_at = found_at or now
    if found_at > now + dt.timedelta(minutes=5):
        raise ValidationError({"found_at": [_("A problem cannot be found in the future.")]})
    try:
        with transaction.atomic():
            problem = Problem(source=source, source_key=source_key, region=place, severity=severity, title=title,
                              evidence=evidence, link=link, found_at=found_at, raised_at=now, raised_by=actor)
            problem.full_clean(validate_constraints=False)
            problem.save()
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=problem, region_code=region,
                         request=request, detail={"source": source, "source_key": source_key})
            if sla_class is not None:
                _task_new(actor=actor, region=place, unit=command_unit(place), owner=None, title=title,
                          description=evidence, sla_class=sla_class or SLA_BY_SEVERITY[severity], deadline=None,
                          problem=problem, now=now, request=request)
    except IntegrityError:  # raised at the same moment by another worker: theirs is the problem
        return Problem.objects.get(source=source, source_key=source_key), False
    return problem, True


def _check_owner(unit: Unit, region: Region, owner) -> None:
    if not covers(region.code, unit.region_id):
        raise ValidationError({"owner_unit": [_("The unit lies outside the task's region.")]})
    if not unit.active:
        raise ValidationError({"owner_unit": [_("This unit is no longer active.")]})
    if owner is not None:
        if not owner.is_active:
            raise ValidationError({"owner": [_("This user is no longer active.")]})
        if not can(owner, WORK, unit.region_id):
            raise ValidationError({"owner": [_("This user does not work on tasks in the unit's region.")]})


def _task_new(*, actor, region: Region, unit: Unit, owner, title: str, description: str, sla_class: str,
              deadline: dt.datetime | None, problem: Problem | None, now: dt.datetime, request) -> Task:
    if sla_class not in SlaClass.values:
        raise ValidationError({"sla_class": [_("Unknown time limit class.")]})
    if deadline is not None and deadline <= now:
        raise ValidationError({"deadline": [_("The deadline must come after the task is created.")]})
    _check_owner(unit, region, owner)
    first, second = deadlines(now, sla_class, deadline)
    task = Task(problem=problem, title=title, description=description, region=region, owner_unit=unit, owner=owner,
                sla_class=sla_class, created_at=now, created_by=actor, deadline=first, second_deadline=second,
                state_changed_at=now)
    task.full_clean()
    task.save()
    bump_data_generation()
    TaskEvent.objects.create(task=task, at=now, actor=actor, kind=TaskEvent.Kind.CREATED, to_state=State.OPEN,
                             note=unit.name)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=task, region_code=region.code, request=request,
                 detail={"owner_unit": unit.pk, "owner": owner.pk if owner else None, "sla_class": sla_class,
                         "deadline": first.isoformat()})
    transaction.on_commit(lambda: notifier().send(Notice("assigned", unit.region_id, (task.pk,),
                                                         (owner.pk,) if owner else ())))
    return task


def _owner_of(owner_id: int | None):
    if owner_id is None:
        return None
    owner = get_user_model().objects.filter(pk=owner_id).first()
    if owner is None:
        raise ValidationError({"owner": [_("No user with this id.")]})
    return owner


def _unit_of(unit_id: int) -> Unit:
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise ValidationError({"owner_unit": [_("No unit with this id.")]})
    return unit


def task_create(*, actor, region: str, title: str, owner_unit: int, sla_class: str, owner: int | None = None,
                deadline: dt.datetime | None = None, description: str = "", problem: int | None = None,
                request=None) -> Task:
    """Create a task for a unit (and a person of it): deadline by the class on the working calendar, or the one
    given (after now). Refused: a unit outside the region, an inactive or unqualified owner."""
    if not can(actor, WRITE, region):
        raise PermissionDenied(_("You may not create tasks in this region."))
    place = _region(region)
    found = None
    if problem is not None:
        found = Problem.objects.filter(pk=problem).first()
        if found is None or not covers(region, found.region_id) and not covers(found.region_id, region):
            raise ValidationError({"problem": [_("No such problem in this region.")]})
    with transaction.atomic():
        return _task_new(actor=actor, region=place, unit=_unit_of(owner_unit), owner=_owner_of(owner), title=title,
                         description=description, sla_class=sla_class, deadline=deadline, problem=found,
                         now=timezone.now(), request=request)


def _locked(task_id: int) -> Task:
    task = Task.objects.select_for_update().filter(pk=task_id).first()
    if task is None:
        raise ValidationError({"task": [_("No such task.")]})
    return task


def task_assign(*, actor, task_id: int, owner_unit: int, owner: int | None = None, note: str = "",
                request=None) -> Task:
    """Hand an open task to another unit (and person) of its region; the deadline does not move."""
    with transaction.atomic():
        task = _locked(task_id)
        if not can(actor, WRITE, task.region_id):
            raise PermissionDenied(_("You may not assign tasks in this region."))
        if task.state not in OPEN_STATES:
            raise ValidationError({"state": [_("Only an open task can be assigned.")]})
        unit, person = _unit_of(owner_unit), _owner_of(owner)
        _check_owner(unit, task.region, person)
        task.owner_unit, task.owner = unit, person
        task.save(update_fields=["owner_unit", "owner"])
        bump_data_generation()
        TaskEvent.objects.create(task=task, actor=actor, kind=TaskEvent.Kind.ASSIGNED, from_state=task.state,
                                 to_state=task.state,
                                 note="\n".join(filter(None, (unit.name, note))))
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=task, region_code=task.region_id,
                     request=request, detail={"assigned": True, "owner_unit": unit.pk,
                                              "owner": person.pk if person else None})
        transaction.on_commit(lambda: notifier().send(Notice("assigned", unit.region_id, (task.pk,),
                                                             (person.pk,) if person else ())))
    return task


def is_owner(actor, task: Task) -> bool:
    """The owner person, or — a task with no person — whoever works on tasks in the unit's region."""
    if task.owner_id is not None:
        return actor.pk == task.owner_id
    return can(actor, WORK, task.owner_unit.region_id)


def task_transition(*, actor, task_id: int, action: str, note: str = "", request=None) -> Task:
    """Move a task along its state machine (``TRANSITIONS``): ``start`` and ``submit`` (with the close-out
    evidence in ``note``) by the owner; ``close`` (verify, 销号) by someone of the region other than the owner
    and the submitter; ``return`` (reopens it) and ``cancel`` with a reason."""
    if action not in TRANSITIONS:
        raise ValidationError({"action": [_("Unknown action.")]})
    sources, target, kind = TRANSITIONS[action]
    note = (note or "").strip()
    with transaction.atomic():
        task = _locked(task_id)
        if action in ("start", "submit"):
            if not is_owner(actor, task):
                raise PermissionDenied(_("Only the task's owner may do this."))
        elif not can(actor, WRITE, task.region_id):
            raise PermissionDenied(_("You may not verify, return or cancel tasks in this region."))
        if task.state not in sources:
            raise ValidationError({"state": [_("A task that is “%(state)s” cannot become “%(to)s”.") % {
                "state": task.get_state_display(), "to": State(target).label}]})
        if action == "submit" and not note:
            raise ValidationError({"note": [_("Submitting for close-out needs the evidence of what was done.")]})
        if action in ("return", "cancel") and not note:
            raise ValidationError({"note": [_("Give the reason.")]})
        if action == "close" and actor.pk in (task.owner_id, task.submitted_by_id):
            raise ValidationError({"note": [_("The close-out is verified by someone other than the owner.")]})
        now = timezone.now()
        before = task.state
        task.state, task.state_changed_at = target, now
        fields = ["state", "state_changed_at"]
        if action == "submit":
            task.submitted_at, task.submitted_by, task.evidence = now, actor, note
            fields += ["submitted_at", "submitted_by", "evidence"]
        elif action == "close":
            task.closed_at, task.verified_by = now, actor
            fields += ["closed_at", "verified_by"]
        elif action in ("return", "cancel"):
            task.reason = note
            fields += ["reason"]
        task.save(update_fields=fields)
        bump_data_generation()
        TaskEvent.objects.create(task=task, at=now, actor=actor, kind=kind, from_state=before, to_state=target,
                                 note=note)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=task, region_code=task.region_id,
                     request=request, detail={"transition": action, "from": before, "to": target},
                     reason=note if action in ("return", "cancel") else "")
        if action == "return":
            transaction.on_commit(lambda: notifier().send(Notice("returned", task.owner_unit.region_id, (task.pk,),
                                                                 (task.owner_id,) if task.owner_id else ())))
    return task


def calendar_day_set(*, actor, day: dt.date, counts_as: str, note: str = "", request=None) -> CalendarDay | None:
    """Say how ``day`` counts on the working calendar of deadlines (``inputs.CalendarDayInput``): a holiday on
    a weekday, a weekend day worked in exchange (调休), or an ordinary day again (the recorded exception
    removed). Province-wide: ``worklists.calendar`` (the provincial commander). The deadlines already set do
    not move (each is computed when its task is created); tasks created from now on follow the day. The same
    day said again with the same note changes nothing and is not audited again. Returns the recorded day, or
    None for an ordinary day."""
    if not can(actor, CALENDAR):
        raise PermissionDenied(_("Your role may not keep the working calendar."))
    if not CALENDAR_FIRST_YEAR <= day.year <= CALENDAR_LAST_YEAR:
        raise ValidationError({"day": [_("The calendar is kept for the years %(first)s to %(last)s.")
                                       % {"first": CALENDAR_FIRST_YEAR, "last": CALENDAR_LAST_YEAR}]})
    weekend = day.weekday() >= 5
    if counts_as == CalendarDayKind.HOLIDAY and weekend:
        raise ValidationError({"counts_as": [
            _("%(day)s falls on a weekend, which is not worked anyway: a holiday is recorded on a weekday.")
            % {"day": day.isoformat()}]})
    if counts_as == CalendarDayKind.WORKED and not weekend:
        raise ValidationError({"counts_as": [
            _("%(day)s is a weekday, which is worked anyway: a day worked in exchange falls on a weekend.")
            % {"day": day.isoformat()}]})
    note = note.strip()
    with transaction.atomic():
        recorded = CalendarDay.objects.select_for_update().filter(day=day).first()
        if counts_as == CalendarDayKind.ORDINARY:
            if recorded is None:
                raise ValidationError({"day": [_("Nothing is recorded for %(day)s: it counts by its weekday already.")
                                               % {"day": day.isoformat()}]})
            audit_record(actor=actor, action=AuditEvent.Action.DELETE, obj=recorded, request=request,
                         detail={"day": day.isoformat(), "was_working": recorded.working, "note": recorded.note})
            recorded.delete()
            return None
        working = counts_as == CalendarDayKind.WORKED
        if recorded is not None and (recorded.working, recorded.note) == (working, note):
            return recorded
        before = None if recorded is None else {"working": recorded.working, "note": recorded.note}
        recorded = recorded or CalendarDay(day=day)
        recorded.working, recorded.note = working, note
        recorded.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE if before is None else AuditEvent.Action.UPDATE,
                     obj=recorded, request=request,
                     detail={"day": day.isoformat(), "working": working, "note": note, "before": before})
    return recorded


def superiors(codes, steps: int) -> dict[str, str]:
    """Each region of ``codes`` → the region ``steps`` levels above it in the tree (county → city → province), the
    top one at most: one query per level, whatever the number of regions."""
    above = {code: code for code in codes}
    for _step in range(steps):
        parents = dict(Region.objects.filter(code__in=set(above.values())).values_list("code", "parent_id"))
        above = {code: parents.get(at) or at for code, at in above.items()}
    return above


#: What makes an open task due for each step of the sweep (level reached, reason, condition on the task ``t``).
_DUE = (
    (2, Escalation.Reason.SECOND_DEADLINE, "t.escalation_level = 1 AND t.second_deadline < %(now)s"),
    (1, Escalation.Reason.INACTIVE_OWNER, "t.escalation_level = 0 AND t.owner_id IN "
                                          "(SELECT id FROM {users} WHERE NOT is_active)"),
    (1, Escalation.Reason.DEADLINE, "t.escalation_level = 0 AND t.deadline < %(now)s"),
)


def _escalate(cursor, level: int, reason: str, condition: str, now: dt.datetime) -> dict[str, list[int]]:
    """Move the open tasks at ``level - 1`` meeting ``condition`` to ``level``, each to the region ``level`` steps
    above its owner unit's, and record one ``Escalation`` per task moved — set-based, whatever the number of
    tasks: the owner units concerned (one query), their targets (one query per level of the tree), then one
    ``UPDATE … FROM`` the unit → target pairs, conditional on the level before (so a task moves once, also when
    two sweeps run at once). On PostgreSQL the same statement inserts the escalations from the rows it updated
    (``INSERT … SELECT`` from its ``RETURNING``); elsewhere (SQLite) they are inserted from the returned rows.
    Returns the ids of the tasks moved per region told."""
    task, escalation = Task._meta.db_table, Escalation._meta.db_table
    params = {"now": connection.ops.adapt_datetimefield_value(now), "level": level, "reason": reason,
              **{f"s{i}": state for i, state in enumerate(OPEN_STATES)}}
    states = ", ".join(f"%(s{i})s" for i in range(len(OPEN_STATES)))
    where = f"t.state IN ({states}) AND {condition.format(users=get_user_model()._meta.db_table)}"
    # the SQL below is built from the models' table names and this module's constants only; every value is a parameter
    cursor.execute(f"SELECT DISTINCT t.owner_unit_id FROM {task} AS t WHERE {where}", params)  # noqa: S608
    unit_ids = [row[0] for row in cursor.fetchall()]
    if not unit_ids:
        return {}
    units = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "region_id"))
    target = superiors(set(units.values()), level)
    pairs = " UNION ALL ".join(f"SELECT %(u{i})s AS unit_id, %(r{i})s AS target" for i in range(len(units)))
    for i, (unit_id, region) in enumerate(units.items()):
        params[f"u{i}"], params[f"r{i}"] = unit_id, target[region]
    update = (f"UPDATE {task} AS t SET escalation_level = %(level)s, escalated_to_id = m.target, "  # noqa: S608
              f"escalated_at = %(now)s FROM ({pairs}) AS m WHERE t.owner_unit_id = m.unit_id AND {where} "
              "RETURNING id, escalated_to_id")
    moved: dict[str, list[int]] = defaultdict(list)
    if connection.vendor == "postgresql":  # PostgreSQL only: one statement updates the tasks and inserts the rows
        cursor.execute(f"WITH moved (task_id, to_region_id) AS ({update}), "  # noqa: S608
                       f"inserted AS (INSERT INTO {escalation} (task_id, level, reason, to_region_id, at) "
                       "SELECT task_id, %(level)s, %(reason)s, to_region_id, %(now)s FROM moved "
                       "RETURNING task_id, to_region_id) "
                       "SELECT to_region_id, array_agg(task_id ORDER BY task_id) FROM inserted GROUP BY to_region_id",
                       params)
        for region, ids in cursor.fetchall():
            moved[region] = ids
    else:  # the portable fallback (SQLite ≥ 3.35: UPDATE … FROM … RETURNING)
        cursor.execute(update, params)
        rows = sorted(cursor.fetchall())
        Escalation.objects.bulk_create((Escalation(task_id=pk, level=level, reason=reason, to_region_id=region,
                                                   at=now) for pk, region in rows), batch_size=5000)
        for pk, region in rows:
            moved[region].append(pk)
    return moved


def escalation_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Escalate what is due (the periodic job): an open task whose owner is no longer active, or past its
    deadline, to the superior of the owner unit's region (level 1); past twice its time allowed, to the level
    above that (level 2) — a task both due for level 1 and past its second deadline reaches level 2 on the next
    run. Idempotent: each level once per task (the update is conditional on the level before; ``Escalation``
    is unique per task and level). One audit event and one notice per receiving region per run."""
    now = now or timezone.now()
    told: dict[str, list[int]] = defaultdict(list)
    counts = {"level_1": 0, "level_2": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        for level, reason, condition in _DUE:
            for target, ids in _escalate(cursor, level, reason, condition, now).items():
                told[target] += ids
                counts[f"level_{level}"] += len(ids)
        if told:
            bump_data_generation()
        for target, ids in told.items():
            audit_record(actor=None, action=AuditEvent.Action.UPDATE, object_type=Task._meta.label_lower,
                         region_code=target, detail={"escalation": True, "tasks": len(ids), "at": now.isoformat()})
            shown = tuple(sorted(ids)[:1000])
            transaction.on_commit(lambda t=target, i=shown: notifier().send(Notice("escalated", t, i)))
    return counts
