"""Cases, contacts, exposures, clusters and risk areas, with the dated notifiable-disease table.

Scope: a case and a cluster belong to their *region of report* (the county/city that manages them), a
contact to the region managing it, a risk area and an exposure to their region. Every read goes through
``fangkong.cases.selectors`` which scopes on those fields; links that cross into another region are shown
only as far as the other side is in scope (see ``selectors.case_link``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Disease(models.Model):
    """A notifiable disease; its legal class and management in force are dated (``DiseaseStatus``)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("disease")
        verbose_name_plural = _("diseases")

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class DiseaseStatus(models.Model):
    """The class (A/B/C) of a disease and whether it is managed as class A, from a date on."""

    class LegalClass(models.TextChoices):
        A = "A", _("Class A")
        B = "B", _("Class B")
        C = "C", _("Class C")

    disease = models.ForeignKey(Disease, on_delete=models.CASCADE, related_name="statuses")
    effective_from = models.DateField(_("in force from"))
    legal_class = models.CharField(_("class"), max_length=1, choices=LegalClass.choices)
    managed_as_class_a = models.BooleanField(_("managed as class A"), default=False)

    class Meta:
        verbose_name = _("disease status")
        ordering = ["disease", "effective_from"]
        constraints = [models.UniqueConstraint(fields=["disease", "effective_from"], name="disease_status_once")]

    def __str__(self) -> str:
        return f"{self.disease_id} {self.effective_from} {self.legal_class}"

    @property
    def reporting_hours(self) -> int:
        """2 hours for class A and diseases managed as class A, 24 hours otherwise."""
        return 2 if (self.legal_class == "A" or self.managed_as_class_a) else 24


class Classification(models.TextChoices):
    SUSPECTED = "suspected", _("Suspected")
    CONFIRMED = "confirmed", _("Confirmed")
    ASYMPTOMATIC = "asymptomatic", _("Asymptomatic infection")
    EXCLUDED = "excluded", _("Excluded")


class DetectionRoute(models.TextChoices):
    FEVER_CLINIC = "fever_clinic", _("Fever clinic")
    SCREENING = "screening", _("Screening")
    DURING_QUARANTINE = "during_quarantine", _("During quarantine")
    CONTACT_TRACING = "contact_tracing", _("Contact tracing")
    INBOUND_SCREENING = "inbound_screening", _("Inbound screening")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    NONE = "none", _("No symptoms")
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    CRITICAL = "critical", _("Critical")


class Outcome(models.TextChoices):
    UNDER_TREATMENT = "under_treatment", _("Under treatment")
    RECOVERED = "recovered", _("Recovered")
    DIED = "died", _("Died")


class Cluster(models.Model):
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    AUDIT_NAME_FIELD = "case_no"  # the audit trail names a case by its number
    case_no = models.CharField(_("case number"), max_length=40, unique=True)
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="cases",
                               verbose_name=_("person"))
    disease = models.ForeignKey(Disease, on_delete=models.PROTECT, related_name="+", verbose_name=_("disease"))
    classification = models.CharField(_("classification"), max_length=16, choices=Classification.choices)
    onset_date = models.DateField(_("onset"), null=True, blank=True)
    # The "four earlies" (早发现、早报告、早隔离、早治疗): onset → first visit → sampling → report → isolation →
    # treatment; the times that are not known stay empty and the interval is not counted.
    first_visit_at = models.DateTimeField(_("first medical visit"), null=True, blank=True)
    sampling_date = models.DateField(_("sampling"), null=True, blank=True)
    diagnosed_at = models.DateTimeField(_("diagnosed"))
    reported_at = models.DateTimeField(_("reported"))
    report_date = models.DateField(_("report date"), db_index=True)  # reported_at's local date, for grouping
    report_deadline = models.DateTimeField(_("reporting deadline"))
    reported_late = models.BooleanField(_("reported late"), default=False)
    detection_route = models.CharField(_("detection route"), max_length=24, choices=DetectionRoute.choices)
    imported = models.BooleanField(_("imported"), default=False)
    origin = models.CharField(_("origin"), max_length=100, blank=True)
    severity = models.CharField(_("severity"), max_length=16, choices=Severity.choices, default=Severity.MILD)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices,
                               default=Outcome.UNDER_TREATMENT)
    residence_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("region of residence"))
    report_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("region of report"))
    isolated_at = models.DateTimeField(_("isolated"), null=True, blank=True)
    treatment_at = models.DateTimeField(_("admitted for treatment"), null=True, blank=True)
    infector = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="infectees", verbose_name=_("infector"))
    cluster = models.ForeignKey(Cluster, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="cases", verbose_name=_("cluster"))
    # Whether the person was already on a contact list when the case was reported (found "ahead of the virus").
    found_under_management = models.BooleanField(_("found under management"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["report_region", "report_date"], name="case_region_day"),
            models.Index(fields=["report_region", "reported_at", "id"], name="case_region_reported"),
            models.Index(fields=["reported_at", "id"], name="case_reported"),  # the line list's order, any scope
            models.Index(fields=["report_region", "report_date", "found_under_management"],
                         name="case_timeliness"),
        ]

    def __str__(self) -> str:
        return self.case_no


class NumberSequence(models.Model):
    """The last sequence number drawn for one kind of record (cases, contacts) of one county in one year:
    case numbers read ``440304-2022-00123``, contact numbers ``440304-2022-M00123`` (county code, year,
    sequence). Drawn by ``fangkong.cases.case_numbers`` under the row's lock, so concurrent registrations
    never draw the same number."""

    class Kind(models.TextChoices):
        CASE = "case", _("case")
        CONTACT = "contact", _("contact")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.CASE)
    county = models.CharField(_("county"), max_length=6)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number drawn"), default=0)

    class Meta:
        verbose_name = _("number sequence")
        constraints = [models.UniqueConstraint(fields=["kind", "county", "year"], name="number_sequence_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.county}-{self.year}: {self.last}"


class ClassificationChange(models.Model):
    """One re-classification of a case (the first classification is a change from '')."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="classification_history")
    previous = models.CharField(max_length=16, blank=True)
    classification = models.CharField(max_length=16, choices=Classification.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("classification change")
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.previous} -> {self.classification}"


class ContactCategory(models.TextChoices):
    CLOSE = "close", _("Close contact")
    SECONDARY = "secondary", _("Contact of a close contact")


class ExposureType(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    WORKPLACE = "workplace", _("Workplace")
    SOCIAL = "social", _("Social gathering")
    TRANSPORT = "transport", _("Transport")
    HEALTHCARE = "healthcare", _("Health care")
    SPACETIME = "spacetime", _("Same place and time")
    OTHER = "other", _("Other")


class ContactStatus(models.TextChoices):
    # A context of their own: "Listed"/"Quarantined" are also the headers of the time columns (判定/隔离时间).
    LISTED = "listed", pgettext_lazy("contact status", "Listed")
    QUARANTINED = "quarantined", pgettext_lazy("contact status", "Quarantined")
    RELEASED = "released", pgettext_lazy("contact status", "Released")
    CONVERTED = "converted", _("Converted to case")
    LOST = "lost", _("Lost to follow-up")


class Contact(models.Model):
    AUDIT_NAME_FIELD = "contact_no"  # the audit trail names a contact by its number
    contact_no = models.CharField(_("contact number"), max_length=40)  # unique: Meta (no pattern twin)
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="contacts",
                               verbose_name=_("person"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("managing region"))
    category = models.CharField(_("category"), max_length=16, choices=ContactCategory.choices)
    source_case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contacts",
                                    verbose_name=_("source case"))
    other_source_cases = models.ManyToManyField(Case, blank=True, related_name="+",
                                                verbose_name=_("other source cases"))
    via_contact = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="secondary_contacts", verbose_name=_("found through"))
    exposure_type = models.CharField(_("exposure type"), max_length=16, choices=ExposureType.choices,
                                     default=ExposureType.OTHER)
    exposure_start = models.DateField(_("exposure from"), null=True, blank=True)
    exposure_end = models.DateField(_("exposure to"), null=True, blank=True)
    listed_at = models.DateTimeField(_("listed"))
    listed_date = models.DateField(_("listing date"), null=True, editable=False)  # local date, for grouping
    quarantined_at = models.DateTimeField(_("quarantined"), null=True, blank=True)
    quarantine_place = models.CharField(_("quarantine place"), max_length=200, blank=True)
    # Not indexed: contacts are never looked up by protocol (only a protocol's deletion, which PROTECT refuses).
    protocol = models.ForeignKey("protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+",
                                 db_index=False,
                                 verbose_name=_("protocol version used"))
    test_schedule = models.JSONField(_("test schedule"), default=list, blank=True)
    release_due = models.DateField(_("release due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ContactStatus.choices,
                              default=ContactStatus.LISTED)
    # When management ended before its due date: released early or lost to follow-up (empty otherwise,
    # and again when the contact is taken back): from then on it is no longer counted in quarantine.
    released_at = models.DateTimeField(_("management ended"), null=True, blank=True)
    # Tracing timeliness, kept with the row for fast aggregation (set by the services and loaders).
    listed_within_24h = models.BooleanField(null=True, editable=False)
    quarantined_within_24h = models.BooleanField(null=True, editable=False)
    converted_case = models.OneToOneField(Case, on_delete=models.SET_NULL, null=True, blank=True,
                                          related_name="from_contact", verbose_name=_("became case"))
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-listed_at", "-id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [models.Index(fields=["region", "listed_at", "id"], name="contact_region_listed"),
                   models.Index(fields=["listed_at", "id"], name="contact_listed"),
                   # Tracing timeliness can read only this index (index-only scan on PostgreSQL).
                   models.Index(fields=["category", "region", "listed_date", "listed_within_24h",
                                        "quarantined_within_24h", "quarantined_at"], name="contact_timeliness"),
                   # Contacts in quarantine on a day (the dashboard): those not yet due to be released, by
                   # region, with the columns the count reads (quarantined by then, not released early).
                   models.Index(fields=["release_due", "region", "quarantined_at", "released_at",
                                                "converted_case"],
                                name="contact_quarantined_on")]
        constraints = [models.CheckConstraint(
            condition=models.Q(quarantined_at__isnull=True) | models.Q(quarantined_at__gte=models.F("listed_at")),
            name="contact_quarantined_after_listed"),
            models.UniqueConstraint(fields=["contact_no"], name="contact_no_once")]

    def __str__(self) -> str:
        return self.contact_no

    @property
    def last_exposure_unknown(self) -> bool:
        """No end of the exposure window: the management period is counted from the listing date."""
        return self.exposure_end is None

    @property
    def management_counted_from(self) -> dt.date:
        """Day 0 of the management period (``fangkong.protocols.periods.contact_counted_from``)."""
        return self.exposure_end or self.listed_date or timezone.localtime(self.listed_at).date()


class CaseEarlies(models.Model):
    """The four earlies' intervals of one case, in hours (None where an end is unknown), with what they are
    grouped and scoped by. Kept in step with the case by ``fangkong.cases.case_earlies`` on every write of a
    case; the earlies page aggregates these instead of working out every interval from the case's dates
    and times (see ``fangkong.surveillance.earlies`` for the definitions)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", db_index=False,
                               db_constraint=False)  # the case's region of report (its scope)
    report_date = models.DateField()
    reported_late = models.BooleanField()
    onset_visit = models.FloatField(null=True)
    visit_sampling = models.FloatField(null=True)
    sampling_report = models.FloatField(null=True)
    diagnosis_report = models.FloatField(null=True)
    report_isolation = models.FloatField(null=True)
    isolation_treatment = models.FloatField(null=True)

    class Meta:
        verbose_name = _("four earlies of a case")
        indexes = [models.Index(fields=["report_date", "region"], name="case_earlies_day")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.report_date}"


class DailyTracing(models.Model):
    """Tracing figures of one leaf region on one day, kept in step with the rows by the services.

    Contacts count on their listing date in their managing region, cases on their report date in their
    region of report. ``fangkong.cases.summaries`` recomputes the rows a write touches (and can rebuild
    them all); the timeliness page and the dashboard read these rows instead of every contact.
    """

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    close_contacts = models.PositiveIntegerField(default=0)
    listed_24h = models.PositiveIntegerField(default=0)  # close contacts listed within 24 h of the report
    quarantined = models.PositiveIntegerField(default=0)  # close contacts with a quarantine time
    quarantined_24h = models.PositiveIntegerField(default=0)  # ... quarantined within 24 h of listing
    secondary_contacts = models.PositiveIntegerField(default=0)
    in_quarantine = models.PositiveIntegerField(default=0)  # contacts (any category) whose status is quarantined
    new_cases = models.PositiveIntegerField(default=0)
    under_management = models.PositiveIntegerField(default=0)  # new cases found among listed contacts

    class Meta:
        verbose_name = _("daily tracing summary")
        constraints = [models.UniqueConstraint(fields=["region", "day"], name="daily_tracing_once")]
        indexes = [models.Index(fields=["day", "region"], name="daily_tracing_day")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.day}"


class Exposure(models.Model):
    """An exposure event: a place and a time window, the cases present."""

    place_name = models.CharField(_("place"), max_length=200)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("to"))
    cases = models.ManyToManyField(Case, blank=True, related_name="exposures", verbose_name=_("cases"))
    description = models.CharField(_("description"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("exposure")
        ordering = ["-starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gte=models.F("starts_at")),
                                              name="exposure_window_ordered")]

    def __str__(self) -> str:
        return self.place_name


class RiskArea(models.Model):
    """A risk area: a whole region, or (as the editions draw them, "原则上以小区（村）为单位划定"; November 2022:
    "一般以单元、楼栋为单位划定") one housing compound or village, or one building or unit, at an address in a
    county. A compound or building is lifted on its own infections (``cases``), a whole region on the
    cases reported in it."""

    class Level(models.TextChoices):
        HIGH = "high", _("High risk")
        MEDIUM = "medium", _("Medium risk")
        LOW = "low", _("Low risk")

    class Kind(models.TextChoices):
        REGION = "region", _("Whole region")
        COMPOUND = "compound", _("Housing compound or village")
        BUILDING = "building", _("Building or unit")

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    kind = models.CharField(_("extent"), max_length=16, choices=Kind.choices, default=Kind.REGION)
    area_name = models.CharField(_("named area"), max_length=200, blank=True,
                                 help_text=_("Empty: the whole region."))
    address = models.CharField(_("address"), max_length=200, blank=True)
    cases = models.ManyToManyField(Case, blank=True, related_name="risk_areas",
                                   verbose_name=_("infections in the area"))
    level = models.CharField(_("level"), max_length=8, choices=Level.choices)
    designated_from = models.DateField(_("from"))
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    last_infection_on = models.DateField(_("last new infection"), null=True, blank=True)
    negative_screen_on = models.DateField(_("negative area-wide screen"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-designated_from", "-id"]
        verbose_name = _("risk area")
        verbose_name_plural = _("risk areas")

    def __str__(self) -> str:
        return f"{self.region_id} {self.area_name} {self.level}"


class ImportJob(models.Model):
    """A CSV/XLSX import run as a background job; its page shows the progress and the outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    #: The uploaded file (``data``) holds citizen IDs and phones in clear: it and the upload's name are sealed with
    #: a data key of the job's own, wrapped under the persons' keyring (``fangkong.cases.jobs``), so a keyring
    #: rotation rewraps the key of a job still waiting to run and shreds every earlier copy
    #: (``fangkong.persons.shredding``). Only the name is listed: the rotation rewraps the key, opens nothing.
    SEALED_IDENTIFIERS = {"cases.importjob.file_name": ("", "file_name")}
    SEALED_LEGACY_UPGRADE = "fangkong.cases.jobs.import_jobs_legacy_upgrade"

    kind = models.CharField(_("kind"), max_length=16)
    # The record of the module the file belongs to, for a kind declared ``targeted`` (a laboratory's id for its
    # result file: ``fangkong.modules.ImportKind``); empty otherwise.
    target = models.CharField(_("imported for"), max_length=32, blank=True, default="", editable=False)
    # The upload's name, sealed with the job's data key (``fangkong.cases.jobs.file_name_seal``): a file may be
    # named after a person or an ID number. Read it with ``shown_file_name``.
    file_name = models.CharField(_("file"), max_length=200)
    data = models.BinaryField(editable=False)
    key_wrapped = models.CharField(max_length=80, blank=True, default="", db_default="", editable=False)
    key_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written when the job starts and while it runs (``fangkong.cases.jobs``); a job whose heartbeat stops
    # for STALLED_AFTER has lost its process (a restart) and may be run again.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)

    STALLED_AFTER = dt.timedelta(minutes=10)

    class Meta:
        verbose_name = _("import job")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.pk} {self.status}"

    @property
    def shown_file_name(self) -> str:
        """The upload's name, for its submitter (the only one who sees the job)."""
        from fangkong.cases.jobs import file_name_unseal

        return file_name_unseal(self)

    @property
    def stalled(self) -> bool:
        """Queued or running, and no sign of life for ``STALLED_AFTER``."""
        if self.finished:
            return False
        return timezone.now() - (self.heartbeat_at or self.created_at) > self.STALLED_AFTER

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def saving(self) -> bool:
        """Every row is checked and the job is still running: the rows are being written (all at once)."""
        return self.status == self.Status.RUNNING and 0 < self.total_rows <= self.processed_rows

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
