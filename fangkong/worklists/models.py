"""Models of the worklists module (问题清单、任务清单、责任清单): problems found, the tasks that answer them, the
units that own the tasks, their history and their escalations, and the days the working calendar overrides."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.modules import problem_sources


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MODERATE = "moderate", _("Moderate")
    SERIOUS = "serious", _("Serious")
    CRITICAL = "critical", _("Critical")


def source_choices() -> list[tuple[str, str]]:
    """Where a problem was found: the problem sources the installed modules declare (``fangkong.modules``),
    read when used, so that a module raising problems adds no choice — and no migration — here."""
    return [(source.code, source.label) for source in problem_sources().values()]


class SlaClass(models.TextChoices):
    """Time allowed to complete a task (``hours.SLA``): urgent classes run round the clock."""

    EXTRA_URGENT = "2h", _("Extra urgent (2 hours)")
    URGENT = "24h", _("Urgent (24 hours)")
    ROUTINE = "72h", _("Routine (3 working days)")


class State(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    SUBMITTED = "submitted", _("Submitted for close-out")
    RETURNED = "returned", _("Returned")
    CLOSED = "closed", _("Closed (struck off)")
    CANCELLED = "cancelled", _("Cancelled")


#: States in which the owner still has to act: the deadline runs and the task may be escalated.
OPEN_STATES = (State.OPEN, State.IN_PROGRESS, State.RETURNED)
#: States a task never leaves.
FINAL_STATES = (State.CLOSED, State.CANCELLED)


class Unit(models.Model):
    """A unit that answers for tasks in its region (the region's command, its CDC, a street office...)."""

    class Kind(models.TextChoices):
        COMMAND = "command", _("Prevention and control command")
        HEALTH = "health", _("Health commission")
        CDC = "cdc", _("Centre for disease control")
        STREET = "street", _("Street or township office")
        OTHER = "other", _("Other unit")

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    standing_duties = models.TextField(_("standing duties"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["region_id", "name"]
        verbose_name = _("responsible unit")
        verbose_name_plural = _("responsible units")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="worklists_unit_unique")]

    def __str__(self) -> str:
        return self.name


class Problem(models.Model):
    """A problem found (问题清单): by staff or raised by another module, once per source and source key."""

    source = models.CharField(_("source"), max_length=16, choices=source_choices)
    source_key = models.CharField(_("source key"), max_length=128,
                                  help_text=_("Identifies the problem within its source: raising it again changes "
                                              "nothing."))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices)
    title = models.CharField(_("title"), max_length=200)
    evidence = models.TextField(_("evidence"), blank=True)
    link = models.CharField(_("link to the source record"), max_length=300, blank=True)
    found_at = models.DateTimeField(_("found at"))
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("raised by"))

    class Meta:
        ordering = ["-found_at", "-id"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        constraints = [models.UniqueConstraint(fields=["source", "source_key"], name="worklists_problem_source_key")]
        indexes = [models.Index(fields=["region", "found_at"], name="worklists_problem_region",
                                opclasses=["varchar_pattern_ops", "timestamptz_ops"])]

    def __str__(self) -> str:
        return self.title


class Task(models.Model):
    """A task (任务清单): owner unit and person, deadline on the working calendar, state, escalation level."""

    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks",
                                verbose_name=_("problem"), db_index=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"),
                               db_index=False)
    owner_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("owner unit"),
                                   db_index=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"), db_index=False)
    sla_class = models.CharField(_("time limit class"), max_length=8, choices=SlaClass.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"), db_index=False)
    deadline = models.DateTimeField(_("deadline"))
    second_deadline = models.DateTimeField(_("second escalation at"),
                                           help_text=_("At twice the time allowed, on the same calendar."))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    state_changed_at = models.DateTimeField(_("state changed at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("submitted by"), db_index=False)
    evidence = models.TextField(_("close-out evidence"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("verified by"), db_index=False)
    reason = models.TextField(_("reason"), blank=True, help_text=_("Why it was last returned or cancelled."))
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_to = models.ForeignKey("regions.Region", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("escalated to"), db_index=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        # Each index is one more write for every task the escalation sweep moves (an escalation changes indexed
        # columns: no HOT update), so there are only those a read needs, partial where most rows have nothing
        # to find: the foreign keys of people and problems are indexed where set (a user's or a problem's
        # deletion is refused from them), the owner unit by its (owner unit, deadline) index, the region by one
        # prefix index (varchar_pattern_ops answers = and LIKE 'prefix%'), the region escalated to by the inbox's
        # index only (open tasks; a region is never deleted).
        indexes = [
            models.Index(fields=["deadline", "id"], name="worklists_task_first_due",
                         condition=Q(state__in=OPEN_STATES, escalation_level=0)),
            models.Index(fields=["second_deadline", "id"], name="worklists_task_second_due",
                         condition=Q(state__in=OPEN_STATES, escalation_level=1)),
            models.Index(fields=["deadline", "id"], name="worklists_task_open_due", condition=Q(state__in=OPEN_STATES)),
            models.Index(fields=["region"], name="worklists_task_region", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["region", "deadline"], name="worklists_task_open_region",
                         opclasses=["varchar_pattern_ops", "timestamptz_ops"], condition=Q(state__in=OPEN_STATES)),
            models.Index(fields=["owner", "deadline"], name="worklists_task_owner",
                         condition=Q(state__in=OPEN_STATES, owner__isnull=False)),
            models.Index(fields=["owner"], name="worklists_task_owner_any", condition=Q(owner__isnull=False)),
            models.Index(fields=["owner_unit", "deadline"], name="worklists_task_unit"),
            models.Index(fields=["owner_unit", "deadline", "id"], name="worklists_task_unit_open",
                         condition=Q(state__in=OPEN_STATES, owner__isnull=True)),
            models.Index(fields=["escalated_to", "deadline"], name="worklists_task_escalated",
                         condition=Q(state__in=OPEN_STATES, escalated_to__isnull=False)),
            models.Index(fields=["problem"], name="worklists_task_problem", condition=Q(problem__isnull=False)),
            models.Index(fields=["created_by"], name="worklists_task_created_by", condition=Q(created_by__isnull=False)),
            models.Index(fields=["submitted_by"], name="worklists_task_submitted_by",
                         condition=Q(submitted_by__isnull=False)),
            models.Index(fields=["verified_by"], name="worklists_task_verified_by",
                         condition=Q(verified_by__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def overdue(self, now=None) -> bool:
        return self.is_open and self.deadline < (now or timezone.now())


class TaskEvent(models.Model):
    """One step of a task's history (created, assigned, each transition), with who, when and why."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        ASSIGNED = "assigned", _("Assigned")
        STARTED = "started", _("Started")
        SUBMITTED = "submitted", _("Submitted for close-out")
        CLOSED = "closed", _("Closed (struck off)")
        RETURNED = "returned", _("Returned")
        CANCELLED = "cancelled", _("Cancelled")

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events", verbose_name=_("task"))
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    from_state = models.CharField(_("from state"), max_length=16, choices=State.choices, blank=True)
    to_state = models.CharField(_("to state"), max_length=16, choices=State.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("task event")
        verbose_name_plural = _("task events")

    def __str__(self) -> str:
        return f"{self.task_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Escalation(models.Model):
    """A task escalated up the region tree (升级督办): once per task and level, recorded and shown on the task."""

    class Reason(models.TextChoices):
        DEADLINE = "deadline", _("Deadline passed")
        SECOND_DEADLINE = "second_deadline", _("Twice the time allowed passed")
        INACTIVE_OWNER = "inactive_owner", _("Owner no longer active")

    # indexed by the unique (task, level) and by (region told, time): the sweep inserts many at once
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("task"),
                             db_index=False)
    level = models.PositiveSmallIntegerField(_("level"))
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    to_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("escalated to"), db_index=False)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")
        constraints = [models.UniqueConstraint(fields=["task", "level"], name="worklists_escalation_once")]
        indexes = [models.Index(fields=["to_region", "at"], name="worklists_escalation_region")]

    def __str__(self) -> str:
        return f"{self.task_id} → {self.to_region_id} ({self.level})"


#: The years the working calendar may be kept for (a day outside them is a typing error).
CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR = 2000, 2099


class CalendarDayKind(models.TextChoices):
    """How a day counts on the working calendar (the input of ``services.calendar_day_set``)."""

    HOLIDAY = "holiday", _("Holiday (a weekday off)")
    WORKED = "worked", _("Weekend day worked in exchange")
    ORDINARY = "ordinary", _("Ordinary day (its weekday decides)")


class CalendarDay(models.Model):
    """A day the working calendar treats otherwise than its weekday: a public holiday, or a weekend worked
    in exchange (调休)."""

    day = models.DateField(_("day"), unique=True)
    working = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.day} {'+' if self.working else '-'}"
