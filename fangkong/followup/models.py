"""Models of the follow-up module: who is under management, their daily health checks and scheduled tests.

- ``Subject``: one person under management (a close contact, a contact of a close contact and, once the
  inbound module enrols them, an inbound traveller) for one management period. It is a *copy* of what
  the source module decided (period, protocol edition, test days), refreshed by ``services.subjects_sync``
  from the sources (``fangkong.followup.sources``); the source row (``kind``, ``source_id``) stays the
  record of truth. No foreign key to a source module: a new kind of source adds no column here.
- ``HealthCheck``: one check of one subject on one day in one slot (morning, evening), or the mark the
  end-of-day sweep leaves where none was recorded (``missed``).
- ``CheckVersion``: an earlier version of a check, kept when it is corrected (with who, when and why).
- ``ScheduledTest``: one test day of the protocol's schedule, tracked to its result: due, sample taken
  (result awaited, negative, positive), not taken (with the reason), ``overdue`` once the day has passed
  without a sample or a reason.

Every row carries the subject's managing region (``region``): the scope of the reads.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

#: Plausible body temperatures (°C); outside them the reading is a typing or device error.
TEMPERATURE_MIN = Decimal("34.0")
TEMPERATURE_MAX = Decimal("43.0")
#: From this axillary temperature on a reading is a fever (发热: 腋温 ≥ 37.3 ℃).
FEVER_FROM = Decimal("37.3")


class Slot(models.TextChoices):
    """Temperature and symptoms are taken twice a day (早晚各一次)."""

    MORNING = "morning", _("Morning")
    EVENING = "evening", _("Evening")


SLOTS = tuple(Slot.values)


class Symptom(models.TextChoices):
    """The symptoms asked at every check (the editions' list of symptoms to report)."""

    FEVER = "fever", _("Fever")
    DRY_COUGH = "cough", _("Cough")
    SORE_THROAT = "sore_throat", _("Sore throat")
    SMELL_TASTE = "smell_taste", _("Loss of smell or taste")
    FATIGUE = "fatigue", _("Fatigue")
    DIARRHOEA = "diarrhoea", _("Diarrhoea")
    CONGESTION = "congestion", _("Nasal congestion or runny nose")
    MUSCLE_PAIN = "muscle_pain", _("Muscle pain")
    CONJUNCTIVITIS = "conjunctivitis", _("Conjunctivitis")


class Subject(models.Model):
    """A person under management for one period (module docstring)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Under management")
        ENDED = "ended", _("Management ended")
        CONVERTED = "converted", _("Became a suspected case")

    kind = models.CharField(_("kind"), max_length=32)  # the source: "contact" (and "inbound" later)
    source_id = models.BigIntegerField()
    label = models.CharField(_("number"), max_length=40)  # the source's own number (K…, the contact number)
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("person"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("managing region"))
    category = models.CharField(_("category"), max_length=16)  # close, secondary, inbound (periods.CATEGORIES)
    protocol = models.ForeignKey("protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+",
                                 db_index=False, verbose_name=_("protocol version used"))
    counted_from = models.DateField(_("counted from"))  # day 0: last exposure (or listing date), day of entry
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    centralised_until = models.DateField(_("centralised until"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # The last day followed up when management ended (period over, released, converted): the end-of-day
    # sweep still counts the days up to it.
    ended_on = models.DateField(_("followed up until"), null=True, blank=True)
    symptomatic_since = models.DateField(_("symptomatic since"), null=True, blank=True)
    outcome_ref = models.CharField(_("became"), max_length=40, blank=True)  # the suspected case's number
    synced_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["region_id", "label", "id"]
        verbose_name = _("person under management")
        verbose_name_plural = _("persons under management")
        constraints = [models.UniqueConstraint(fields=["kind", "source_id"], name="followup_subject_once"),
                       models.CheckConstraint(condition=models.Q(last_day__gte=models.F("first_day")),
                                              name="followup_subject_period_ordered")]
        # Today's list of a region: active subjects whose period covers the day, by region prefix.
        indexes = [models.Index(fields=["status", "region", "last_day", "first_day"], name="followup_subject_due")]

    def __str__(self) -> str:
        return self.label

    def day_number(self, day) -> int:
        """Day N of the period (day 1 is ``first_day``)."""
        return (day - self.counted_from).days

    def phase_on(self, day) -> str:
        return "centralised" if self.centralised_until and day <= self.centralised_until else "home"

    def covers(self, day) -> bool:
        return self.first_day <= day <= self.last_day


class HealthCheck(models.Model):
    class Outcome(models.TextChoices):
        OK = "ok", _("Seen, well")
        SYMPTOMATIC = "symptomatic", _("Seen with fever or symptoms")
        NOT_POSSIBLE = "not_possible", _("Not possible")
        MISSED = "missed", _("Missed")

    class Channel(models.TextChoices):
        STAFF = "staff", _("Staff")
        SELF = "self", _("Self-report")

    # no index of its own: the unique (subject, day, slot) leads with it (one index less written per check)
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="checks", db_index=False)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField(_("day"))
    slot = models.CharField(_("slot"), max_length=8, choices=Slot.choices)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)  # None: missed
    # no index: nothing lists the checks by who entered them, and a day's million checks would write it (a
    # user is never deleted — deactivated — so PROTECT's look-up never runs)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("checked by"), db_index=False)
    channel = models.CharField(_("entered by"), max_length=8, choices=Channel.choices, default=Channel.STAFF)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["day", "slot", "id"]
        verbose_name = _("health check")
        verbose_name_plural = _("health checks")
        constraints = [
            models.UniqueConstraint(fields=["subject", "day", "slot"], name="followup_check_once"),
            models.CheckConstraint(
                condition=models.Q(temperature__isnull=True)
                | models.Q(temperature__gte=TEMPERATURE_MIN, temperature__lte=TEMPERATURE_MAX),
                name="followup_check_temperature_plausible"),
        ]
        indexes = [models.Index(fields=["day", "region", "outcome"], name="followup_check_day")]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.day} {self.slot} {self.outcome}"

    @property
    def symptom_labels(self) -> list[str]:
        labels = dict(Symptom.choices)
        return [str(labels.get(code, code)) for code in self.symptoms]

    @property
    def fever(self) -> bool:
        return self.temperature is not None and self.temperature >= FEVER_FROM


class CheckVersion(models.Model):
    """An earlier version of a health check, kept when the check is corrected (``services.health_check_record``
    with a reason): what it said, who had entered it, and who replaced it, when and why."""

    check_row = models.ForeignKey(HealthCheck, on_delete=models.CASCADE, related_name="versions",
                                  db_column="check_id")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False)
    outcome = models.CharField(_("outcome"), max_length=16, choices=HealthCheck.Outcome.choices)
    temperature = models.DecimalField(_("temperature (°C)"), max_digits=3, decimal_places=1, null=True, blank=True)
    symptoms = models.JSONField(_("symptoms"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("checked by"))
    channel = models.CharField(_("entered by"), max_length=8, choices=HealthCheck.Channel.choices)
    replaced_at = models.DateTimeField(_("corrected at"), default=timezone.now)
    replaced_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("corrected by"))
    reason = models.CharField(_("reason for the correction"), max_length=200)

    class Meta:
        ordering = ["check_row_id", "replaced_at", "id"]
        verbose_name = _("earlier version of a health check")
        verbose_name_plural = _("earlier versions of health checks")

    def __str__(self) -> str:
        return f"{self.check_row_id} {self.replaced_at:%Y-%m-%d %H:%M}"

    @property
    def symptom_labels(self) -> list[str]:
        labels = dict(Symptom.choices)
        return [str(labels.get(code, code)) for code in self.symptoms]


class ScheduledTest(models.Model):
    class Status(models.TextChoices):
        DUE = "due", _("Due")
        TAKEN = "taken", _("Sample taken")
        NOT_TAKEN = "not_taken", _("Not taken")
        OVERDUE = "overdue", _("Overdue")

    class Result(models.TextChoices):
        PENDING = "", _("Awaiting result")
        NEGATIVE = "negative", _("Negative")
        POSITIVE = "positive", _("Positive")

    # no index of its own: the unique (subject, phase, day) leads with it
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="tests", db_index=False)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False)
    due_date = models.DateField(_("due"))
    phase = models.CharField(_("phase"), max_length=16)  # centralised, home (periods.test_schedule)
    day = models.PositiveSmallIntegerField(_("day of the phase"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DUE)
    taken_on = models.DateField(_("sample taken on"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices, blank=True, default="")
    not_taken_reason = models.CharField(_("why not taken"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", db_index=False)  # no index: as ``HealthCheck.checked_by``
    recorded_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("scheduled test")
        verbose_name_plural = _("scheduled tests")
        constraints = [models.UniqueConstraint(fields=["subject", "phase", "day"], name="followup_test_once")]
        indexes = [models.Index(fields=["due_date", "region", "status"], name="followup_test_due")]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.phase} {self.day} {self.due_date}"
