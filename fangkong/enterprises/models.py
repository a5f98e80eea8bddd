"""Models of the enterprises module (一企一策): the key enterprises and their contact persons, the places they
operate, their prevention plans in versions approved by the county, their support tickets answered under a
time limit, the supply-chain links between them and their operating status day by day."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Sector(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    ELECTRONICS = "electronics", _("Electronics")
    AUTOMOTIVE = "automotive", _("Automotive")
    FOOD = "food", _("Food and daily necessities")
    MEDICAL = "medical", _("Medical supplies")
    LOGISTICS = "logistics", _("Logistics")
    ENERGY = "energy", _("Energy and utilities")
    OTHER = "other", _("Other sector")


class Size(models.TextChoices):
    LARGE = "large", _("Large enterprise")
    MEDIUM = "medium", _("Medium enterprise")
    SMALL = "small", _("Small enterprise")
    MICRO = "micro", _("Micro enterprise")


class Enterprise(models.Model):
    """A key enterprise, known by its unified social credit code (GB 32100, check character validated)."""

    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    size = models.CharField(_("size"), max_length=8, choices=Size.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    county = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("county"))
    address = models.CharField(_("address"), max_length=300)
    staff = models.PositiveIntegerField(_("staff"), default=0)
    supply_guarantee = models.BooleanField(_("on the supply-guarantee list"), default=False)
    export = models.BooleanField(_("on the key export list"), default=False)
    key_chain = models.BooleanField(_("on the key industrial chain list"), default=False)
    places = models.ManyToManyField("places.Place", blank=True, related_name="+", verbose_name=_("places operated"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("key enterprise")
        verbose_name_plural = _("key enterprises")
        indexes = [models.Index(fields=["region"], name="ent_region"),
                   models.Index(fields=["county", "sector"], name="ent_county_sector")]

    def __str__(self) -> str:
        return self.name


class ContactPerson(models.Model):
    """A contact person of an enterprise: the phone sealed at rest (``persons.protection``), shown masked."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts",
                                   verbose_name=_("enterprise"))
    name = models.CharField(_("name"), max_length=64)
    title = models.CharField(_("post"), max_length=64, blank=True)
    phone_sealed = models.TextField(blank=True, default="")
    phone_masked = models.CharField(_("phone"), max_length=32, blank=True, default="")

    class Meta:
        ordering = ["id"]
        verbose_name = _("contact person")

    def __str__(self) -> str:
        return self.name


class PlanState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PreventionPlan(models.Model):
    """One version of an enterprise's prevention plan (一企一策); the one in force is its latest approved."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="plans",
                                   verbose_name=_("enterprise"))
    version = models.PositiveIntegerField(_("version"))
    closed_loop = models.BooleanField(_("closed-loop production"), default=False)
    loop_scope = models.CharField(_("scope of the closed loop"), max_length=300, blank=True)
    staff_in_loop = models.PositiveIntegerField(_("staff in the closed loop"), default=0)
    test_every_days = models.PositiveSmallIntegerField(_("test every (days)"), default=0)
    shuttle = models.CharField(_("shuttle arrangements"), max_length=300, blank=True)
    quarantine_rooms = models.PositiveIntegerField(_("on-site quarantine rooms"), default=0)
    responsible_person = models.CharField(_("responsible person"), max_length=64)
    state = models.CharField(_("state"), max_length=12, choices=PlanState.choices, default=PlanState.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        ordering = ["enterprise_id", "-version"]
        verbose_name = _("prevention plan")
        constraints = [models.UniqueConstraint(fields=["enterprise", "version"], name="ent_plan_version_once")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} v{self.version}"


class TicketKind(models.TextChoices):
    SUPPLY_CHAIN = "supply_chain", _("Supply-chain interruption")
    LOGISTICS_PASS = "logistics_pass", _("Logistics pass")
    STAFF_RETURN = "staff_return", _("Staff return to work")
    RAW_MATERIALS = "raw_materials", _("Raw materials")
    TESTING = "testing", _("Testing support")
    OTHER = "other", _("Other request")


class TicketState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Being handled")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


#: States in which the department still has to answer (the time limit runs).
OPEN_TICKET_STATES = (TicketState.SUBMITTED, TicketState.ACCEPTED)


class Ticket(models.Model):
    """A request for support from an enterprise, routed to a responsible department (a worklists ``Unit`` of
    the enterprise's region or above), to be answered by ``due_at`` (the three lists' time-limit classes)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.PROTECT, related_name="tickets",
                                   verbose_name=_("enterprise"))
    kind = models.CharField(_("kind"), max_length=16, choices=TicketKind.choices)
    description = models.TextField(_("description"), max_length=2000)
    unit = models.ForeignKey("worklists.Unit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("responsible department"))
    sla_class = models.CharField(_("time limit class"), max_length=8)
    state = models.CharField(_("state"), max_length=12, choices=TicketState.choices, default=TicketState.SUBMITTED)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("answer due"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    answer = models.TextField(_("answer"), blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("support ticket")
        indexes = [models.Index(fields=["state", "due_at"], name="ent_ticket_due"),
                   models.Index(fields=["unit", "-submitted_at"], name="ent_ticket_unit"),
                   models.Index(fields=["-submitted_at", "-id"], name="ent_ticket_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class SupplyLink(models.Model):
    """A supplier → customer edge of the supply chain, with the goods involved."""

    supplier = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="supplies",
                                 verbose_name=_("supplier"))
    customer = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="supplied_by",
                                 verbose_name=_("customer"))
    goods = models.CharField(_("goods"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["supplier_id", "customer_id"]
        verbose_name = _("supply-chain link")
        constraints = [
            models.UniqueConstraint(fields=["supplier", "customer"], name="ent_link_once"),
            models.CheckConstraint(condition=~Q(supplier=F("customer")), name="ent_link_not_to_itself",
                                   violation_error_message=_("An enterprise cannot supply itself.")),
        ]
        indexes = [models.Index(fields=["customer"], name="ent_link_customer")]

    def __str__(self) -> str:
        return f"{self.supplier_id} → {self.customer_id}"


class OperatingState(models.TextChoices):
    OPERATING = "operating", _("Operating normally")
    CLOSED_LOOP = "closed_loop", _("Operating in a closed loop")
    PARTIAL = "partial", _("Partly operating")
    STOPPED = "stopped", _("Stopped")


class OperatingStatus(models.Model):
    """How an enterprise operated on a day (企业复工复产), with the reason when not normally."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="statuses",
                                   verbose_name=_("enterprise"))
    day = models.DateField(_("day"))
    status = models.CharField(_("operating status"), max_length=12, choices=OperatingState.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-day", "enterprise_id"]
        verbose_name = _("operating status")
        constraints = [models.UniqueConstraint(fields=["enterprise", "day"], name="ent_status_once_a_day")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.day}: {self.status}"
