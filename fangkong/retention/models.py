"""Models of the retention module (PIPL art. 47): how long each category of data is kept, the changes of
those policies awaiting a second administrator, legal holds, the dates epidemics were declared over, the
purges (planned by a dry run, approved by a second administrator, run in resumable batches) and their
deletion certificates.

Nothing here holds personal data: a purge remembers the persons it touched by row id only while it runs
(``PurgeCandidate``) and keeps their pseudonymous references (``PurgedReference``: a keyed hash of the row
id, which nothing links back to a person once the person is gone).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DataCategory(models.TextChoices):
    PERSONS = "persons", _("Persons")
    CASES = "cases", _("Cases")
    CONTACTS = "contacts", _("Contacts")
    TRAVELLERS = "travellers", _("Inbound travellers")
    SCANS = "scans", _("Venue scans")
    SAMPLES = "samples", _("Samples")
    SENTINEL_REPORTS = "sentinel_reports", _("Sentinel reports")
    EXPORTS = "exports", _("Generated exports")
    JOB_PAYLOADS = "job_payloads", _("Import job payloads")
    AUDIT = "audit", _("Audit trail")


class Clock(models.TextChoices):
    REPORT_DATE = "report_date", _("Report date")
    MANAGEMENT_ENDED = "management_ended", _("End of management")
    ARRIVAL = "arrival", _("Arrival")
    SCAN_TIME = "scan_time", _("Scan time")
    COLLECTED = "collected", _("Sample collection")
    RECORD_DATE = "record_date", _("Record date")
    EPIDEMIC_OVER = "epidemic_over", _("Epidemic declared over")
    LAST_RECORD_GONE = "last_record_gone", _("Last linked record deleted")


class Action(models.TextChoices):
    DELETE = "delete", _("Delete")
    ANONYMISE = "anonymise", _("Anonymise (keep sex, age band, county, week)")
    AGGREGATE = "aggregate", _("Aggregate, then delete")


#: The Cybersecurity Law (art. 21) keeps network logs at least six months: the audit policy's floor, held by the
#: database too (``RetentionPolicy``'s constraint; the services refuse a change below it with a clear error).
AUDIT_MINIMUM_DAYS = 183


class RetentionPolicy(models.Model):
    """The policy in force for one category: changed only by an approved ``PolicyChange``."""

    category = models.CharField(_("data category"), max_length=24, choices=DataCategory.choices, unique=True)
    clock = models.CharField(_("starts at"), max_length=24, choices=Clock.choices)
    period_days = models.PositiveIntegerField(_("retention period (days)"))
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("in force since"), default=timezone.now)

    class Meta:
        ordering = ["category"]
        verbose_name = _("retention policy")
        verbose_name_plural = _("retention policies")
        constraints = [models.CheckConstraint(
            condition=~models.Q(category="audit") | models.Q(period_days__gte=AUDIT_MINIMUM_DAYS),
            name="retention_audit_floor",
            violation_error_message=_("The Cybersecurity Law keeps network logs at least six months."))]

    def __str__(self) -> str:
        return f"{self.category}: {self.period_days}d after {self.clock} → {self.action}"


class PolicyChange(models.Model):
    """A change of a policy proposed by one administrator; in force only once another one approves it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting a second administrator")
        APPROVED = "approved", _("Approved and in force")
        REJECTED = "rejected", _("Rejected")

    category = models.CharField(_("data category"), max_length=24, choices=DataCategory.choices)
    clock = models.CharField(_("starts at"), max_length=24, choices=Clock.choices)
    period_days = models.PositiveIntegerField(_("retention period (days)"))
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    reason = models.CharField(_("reason for the change"), max_length=300)
    base_version = models.PositiveIntegerField(default=0)  # the policy version it changes (0: none yet)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("policy change")
        constraints = [models.UniqueConstraint(fields=["category"], condition=models.Q(status="pending"),
                                               name="retention_one_pending_change_per_category")]

    def __str__(self) -> str:
        return f"{self.category} change {self.pk} ({self.status})"


class LegalHold(models.Model):
    """Suspends every policy for one record (a person, case, contact or traveller) or for a whole region."""

    class Target(models.TextChoices):
        PERSON = "person", _("Person")
        CASE = "case", _("Case")
        CONTACT = "contact", _("Contact")
        TRAVELLER = "traveller", _("Inbound traveller")
        REGION = "region", _("Region")

    target = models.CharField(_("held"), max_length=12, choices=Target.choices)
    object_id = models.BigIntegerField(_("record id"), null=True, blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("region"))
    reason = models.CharField(_("reason"), max_length=300)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("legal hold")
        constraints = [models.CheckConstraint(
            condition=(models.Q(target="region", region__isnull=False, object_id__isnull=True)
                       | (~models.Q(target="region") & models.Q(object_id__isnull=False, region__isnull=True))),
            name="retention_hold_names_one_thing")]

    def __str__(self) -> str:
        return f"hold {self.target} {self.region_id or self.object_id}"


class EpidemicEnd(models.Model):
    """The day an epidemic of a disease was declared over in a region: the clock of policies that wait for it."""

    disease = models.ForeignKey("cases.Disease", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("disease"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    declared_over = models.DateField(_("declared over on"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-declared_over"]
        verbose_name = _("end of an epidemic")
        constraints = [models.UniqueConstraint(fields=["disease", "region"], name="retention_epidemic_end_once")]

    def __str__(self) -> str:
        return f"{self.disease_id} over in {self.region_id} on {self.declared_over}"


class Purge(models.Model):
    """One purge: planned by a dry run (``plan``: per category, how many and by when), approved by another
    administrator, then run in batches; ``progress`` says which categories are done, so a run killed half-way
    and started again goes on where it stopped."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Dry run, awaiting approval")
        APPROVED = "approved", _("Approved")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")

    as_of = models.DateField(_("records due on"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    plan = models.JSONField(_("dry run"), default=dict)
    policies = models.JSONField(default=dict)  # the policies the plan was made with (by category)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    progress = models.JSONField(default=dict, editable=False)  # {"done": [categories], "counts": {...}}
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))
    approved_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("purge")

    def __str__(self) -> str:
        return f"purge {self.pk} of {self.region_id} ({self.status})"


class PurgeCandidate(models.Model):
    """A person whose records a running purge deleted: deleted too at the end if nothing else refers to
    them (written in the batch's transaction, so a crash loses none). Emptied when the purge ends."""

    purge = models.ForeignKey(Purge, on_delete=models.CASCADE, related_name="+")
    person_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("purge candidate")
        constraints = [models.UniqueConstraint(fields=["purge", "person_id"], name="retention_candidate_once")]

    def __str__(self) -> str:
        return f"purge {self.purge_id}: person {self.person_id}"


class PurgedReference(models.Model):
    """The pseudonymous reference of one record a purge deleted or anonymised (certificate's hash input)."""

    purge = models.ForeignKey(Purge, on_delete=models.CASCADE, related_name="references")
    category = models.CharField(max_length=24, choices=DataCategory.choices)
    reference = models.CharField(max_length=64)
    # No unique index: a reference is written in the transaction that deletes its record, so a run started
    # again never writes it twice — and an index of random hashes would slow the purge's every batch.

    class Meta:
        verbose_name = _("purged reference")

    def __str__(self) -> str:
        return f"{self.category}:{self.reference}"


class RetainedFigure(models.Model):
    """Counts kept by an ``aggregate`` policy: records of a category by county, ISO week, sex and age band."""

    category = models.CharField(max_length=24, choices=DataCategory.choices)
    county = models.CharField(max_length=12)
    week = models.CharField(max_length=8)  # ISO year-week, "2022-W11"
    sex = models.CharField(max_length=1, blank=True)
    age_band = models.CharField(max_length=8, blank=True)  # "30-39"
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("retained figure")
        constraints = [models.UniqueConstraint(fields=["category", "county", "week", "sex", "age_band"],
                                               name="retention_figure_once")]

    def __str__(self) -> str:
        return f"{self.category} {self.county} {self.week}: {self.count}"


class DeletionCertificate(models.Model):
    """What a purge deleted, by which policies, approved by whom, counts per category and the SHA-256 of the
    sorted list of pseudonymous references; its PDF is made once and kept."""

    purge = models.OneToOneField(Purge, on_delete=models.PROTECT, related_name="certificate")
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    content = models.JSONField(default=dict)
    references_sha256 = models.CharField(_("hash of the references"), max_length=64)
    pdf = models.BinaryField(editable=False, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("deletion certificate")

    def __str__(self) -> str:
        return f"certificate of purge {self.purge_id}"


class AnonymisedRecord(models.Model):
    """A record an ``anonymise`` policy kept without its personal details (so no purge handles it twice)."""

    category = models.CharField(max_length=24, choices=DataCategory.choices)
    object_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("anonymised record")
        constraints = [models.UniqueConstraint(fields=["category", "object_id"], name="retention_anonymised_once")]

    def __str__(self) -> str:
        return f"{self.category} {self.object_id}"
