"""Models of the places module: key places and units under full-coverage supervision (重点场所), their
checklists, inspections, findings and rectification orders, and the scans of their venue codes (场所码)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PlaceCategory(models.TextChoices):
    """The key places and units of the seed (重点场所、重点单位)."""

    PORT = "port", _("Port")
    COLD_CHAIN = "cold_chain", _("Cold-chain warehouse")
    FARMERS_MARKET = "farmers_market", _("Farmers' market")
    SUPERMARKET = "supermarket", _("Supermarket")
    SCHOOL = "school", _("School")
    ELDERLY_CARE = "elderly_care", _("Elderly-care home")
    MEDICAL = "medical", _("Medical institution or fever clinic")
    QUARANTINE_HOTEL = "quarantine_hotel", _("Quarantine hotel")
    CONSTRUCTION = "construction", _("Construction site")
    PUBLIC_TRANSPORT = "public_transport", _("Public transport")


class RiskTier(models.TextChoices):
    HIGH = "high", _("High risk tier")
    MEDIUM = "medium", _("Medium risk tier")
    LOW = "low", _("Low risk tier")


#: Days between inspections by risk tier: the module's defaults (no protocol edition fixes them).
FREQUENCY_DAYS = {RiskTier.HIGH: 7, RiskTier.MEDIUM: 14, RiskTier.LOW: 30}

#: The tier a place takes from its category when none is given.
CATEGORY_TIER = {
    PlaceCategory.PORT: RiskTier.HIGH, PlaceCategory.COLD_CHAIN: RiskTier.HIGH,
    PlaceCategory.QUARANTINE_HOTEL: RiskTier.HIGH, PlaceCategory.MEDICAL: RiskTier.HIGH,
    PlaceCategory.FARMERS_MARKET: RiskTier.MEDIUM, PlaceCategory.SUPERMARKET: RiskTier.MEDIUM,
    PlaceCategory.SCHOOL: RiskTier.MEDIUM, PlaceCategory.ELDERLY_CARE: RiskTier.MEDIUM,
    PlaceCategory.PUBLIC_TRANSPORT: RiskTier.MEDIUM, PlaceCategory.CONSTRUCTION: RiskTier.LOW,
}


class Place(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Temporarily closed")

    category = models.CharField(_("category"), max_length=24, choices=PlaceCategory.choices)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=300)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))
    responsible_unit = models.CharField(_("responsible unit"), max_length=200)
    responsible_person = models.CharField(_("responsible person"), max_length=64)
    responsible_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                         related_name="+", verbose_name=_("responsible person's account"))
    contact_phone_sealed = models.TextField(blank=True, default="")
    contact_phone_masked = models.CharField(_("contact phone"), max_length=32, blank=True, default="")
    credit_code = models.CharField(_("unified social credit code"), max_length=18, blank=True, default="")
    risk_tier = models.CharField(_("risk tier"), max_length=8, choices=RiskTier.choices)
    tier_reason = models.CharField(_("reason for the risk tier"), max_length=200, blank=True, default="")
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    venue_token = models.CharField(max_length=40, unique=True)
    registered_on = models.DateField(_("registered on"), default=timezone.localdate)
    last_inspected_on = models.DateField(_("last inspected on"), null=True, blank=True)
    next_due_on = models.DateField(_("next inspection due"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("key place")
        verbose_name_plural = _("key places")
        constraints = [models.UniqueConstraint(fields=["credit_code"], condition=~models.Q(credit_code=""),
                                               name="place_credit_code_unique")]
        indexes = [models.Index(fields=["county", "next_due_on"], name="place_county_due"),
                   models.Index(fields=["next_due_on", "id"], name="place_due"),  # the overdue list's order
                   models.Index(fields=["region", "name"], name="place_region_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def frequency_days(self) -> int:
        return FREQUENCY_DAYS[RiskTier(self.risk_tier)]

    def due_from(self, day: dt.date | None) -> dt.date:
        """The next due day counted from ``day`` (the last inspection, else the registration)."""
        return (day or self.registered_on) + dt.timedelta(days=self.frequency_days)


class ChecklistVersion(models.Model):
    """A versioned checklist of a category: items ``[{"code", "zh", "en", "critical"}]``; an inspection is
    done against the version in force on its day."""

    category = models.CharField(_("category"), max_length=24, choices=PlaceCategory.choices)
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(_("in force from"))
    retired_on = models.DateField(_("retired on"), null=True, blank=True)
    items = models.JSONField(_("items"), default=list)

    class Meta:
        verbose_name = _("checklist version")
        ordering = ["category", "-version"]
        constraints = [models.UniqueConstraint(fields=["category", "version"], name="checklist_category_version")]

    def __str__(self) -> str:
        return f"{self.category} v{self.version}"

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.retired_on is None or day < self.retired_on)

    def item(self, code: str) -> dict | None:
        return next((item for item in self.items if item["code"] == code), None)


class Inspection(models.Model):
    class Outcome(models.TextChoices):
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Findings to rectify")
        WAIVED = "waived", _("Waived")

    class Mode(models.TextChoices):
        PHONE = "phone", _("On site (phone)")
        DESK = "desk", _("Desk review")

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="inspections", verbose_name=_("place"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    checklist = models.ForeignKey(ChecklistVersion, on_delete=models.PROTECT, related_name="+")
    inspected_on = models.DateField(_("inspected on"))
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices, default=Mode.PHONE)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    results = models.JSONField(_("results by item"), default=dict)
    notes = models.TextField(_("notes"), blank=True, default="")
    follow_up_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="follow_ups", verbose_name=_("re-inspection of"))
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inspection")
        ordering = ["-inspected_on", "-id"]
        indexes = [models.Index(fields=["place", "-inspected_on"], name="inspection_place_day")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.inspected_on}"


class Finding(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="findings")
    item_code = models.CharField(_("item"), max_length=32)
    item_text = models.CharField(_("item text"), max_length=300)
    critical = models.BooleanField(_("critical"), default=False)
    note = models.TextField(_("note"), blank=True, default="")
    carried_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="carried_to", verbose_name=_("finding carried forward"))

    class Meta:
        verbose_name = _("inspection finding")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.item_code


class Rectification(models.Model):
    """The order to rectify one finding: open → rectifying → submitted → verified, or reopened / overdue."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        RECTIFYING = "rectifying", _("Rectifying")
        SUBMITTED = "submitted", _("Submitted for verification")
        VERIFIED = "verified", _("Verified")
        REOPENED = "reopened", _("Reopened")
        OVERDUE = "overdue", _("Overdue")

    finding = models.OneToOneField(Finding, on_delete=models.PROTECT, related_name="rectification")
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="rectifications")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    deadline = models.DateField(_("deadline"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    evidence = models.TextField(_("evidence"), blank=True, default="")
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rectification order")
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["state", "deadline"], name="rectification_state_deadline")]

    #: States in which an order is still to be done (counted as open; overdue past its deadline).
    UNFINISHED = (State.OPEN, State.RECTIFYING, State.REOPENED, State.OVERDUE)

    def __str__(self) -> str:
        return f"#{self.pk} {self.state}"


class CoverageTally(models.Model):
    """How many places (or unfinished rectification orders) of a county and category fall due on a day — the
    coverage figures without reading the places (``tally.py``). Kept by the services that register places,
    record inspections and move orders on (``tally.move``); filled from the register by ``tally.rebuild``.
    The due day is kept, not a state: whether it is past is decided when the figures are read, so the tally
    stays right as days pass with no write."""

    class Kind(models.TextChoices):
        INSPECTED = "inspected", _("Inspected places")        # by their next inspection's due day
        NEVER = "never", _("Places never inspected")          # by their first inspection's due day
        ORDER = "order", _("Unfinished rectification orders")  # by their deadline

    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=24, choices=PlaceCategory.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    due_on = models.DateField()
    count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("coverage tally")
        constraints = [models.UniqueConstraint(fields=["county", "category", "kind", "due_on"],
                                               name="coverage_tally_key")]

    def __str__(self) -> str:
        return f"{self.county_id} {self.category} {self.kind} {self.due_on}: {self.count}"


class Scan(models.Model):
    """A person's scan of a place's venue code (场所码); kept for the retention period only."""

    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="scans")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, related_name="+")
    scanned_at = models.DateTimeField(_("scanned at"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("venue-code scan")
        ordering = ["-scanned_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["place", "person", "scanned_at"], name="scan_once")]
        indexes = [models.Index(fields=["person", "scanned_at"], name="scan_person_time"),
                   models.Index(fields=["place", "scanned_at"], name="scan_place_time")]

    def __str__(self) -> str:
        return f"#{self.pk}"


class CoVisitContact(models.Model):
    """A co-visitor of a case turned into a contact (``services.co_visitors_enlist``): the contact the cases
    module registered, and the exposure that made it one — the place, both scans and their overlap."""

    contact = models.OneToOneField("cases.Contact", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("contact"))
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("case"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")  # the contact's
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+", verbose_name=_("place"))
    case_scan_at = models.DateTimeField(_("case's scan"))
    their_scan_at = models.DateTimeField(_("their scan"))
    overlap_minutes = models.PositiveIntegerField(_("overlap (minutes)"))
    window_minutes = models.PositiveIntegerField(_("window (minutes)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("co-visitor made a contact")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case"], name="covisit_contact_case")]

    def __str__(self) -> str:
        return f"#{self.pk}"


class FindingPhoto(models.Model):
    """A photo of a finding (``photos.py``): the image re-encoded by the server, stored outside the database
    under ``key``; read in the place's region as the finding is."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="photos", verbose_name=_("finding"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=100, unique=True)
    content_type = models.CharField(max_length=20)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    original_name = models.CharField(_("file name"), max_length=100, blank=True, default="")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("finding photo")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"#{self.pk}"
