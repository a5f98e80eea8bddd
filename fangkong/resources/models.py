"""Models of the resources module (资源保障): quarantine sites, their rooms and the persons assigned to them;
designated hospitals and their beds by day; supply stores, their stock, every movement of it, and the
requisitions between cities.

Rooms, assignments and bed counts carry their region (the site's or the hospital's) for the region scope;
requisitions carry two (the requesting and the supplying city): each side sees them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class QuarantineSite(models.Model):
    class Kind(models.TextChoices):
        HOTEL = "hotel", _("Hotel")
        PURPOSE_BUILT = "purpose_built", _("Purpose-built site")
        OTHER = "other", pgettext_lazy("site kind", "Other")

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.HOTEL)
    address = models.CharField(_("address"), max_length=200, blank=True)
    managers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="quarantine_sites",
                                      verbose_name=_("site managers"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["region_id", "name", "id"]
        verbose_name = _("quarantine site")
        verbose_name_plural = _("quarantine sites")

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single room")
        FAMILY = "family", _("Family room")
        ACCESSIBLE = "accessible", _("Accessible room")

    class State(models.TextChoices):
        AVAILABLE = "available", _("Available")
        RESERVED = "reserved", _("Reserved")
        OCCUPIED = "occupied", _("Occupied")
        CLEANING = "cleaning", _("Cleaning")
        OUT_OF_SERVICE = "out_of_service", _("Out of service")

    site = models.ForeignKey(QuarantineSite, on_delete=models.PROTECT, related_name="rooms",
                             verbose_name=_("quarantine site"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    number = models.CharField(_("room number"), max_length=20)
    kind = models.CharField(_("room type"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    state = models.CharField(_("room state"), max_length=16, choices=State.choices, default=State.AVAILABLE)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["site_id", "number"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="room_number_once_per_site")]
        indexes = [models.Index(fields=["region", "state"], name="room_region_state"),
                   models.Index(fields=["site", "state"], name="room_site_state")]

    def __str__(self) -> str:
        return f"{self.site} {self.number}"


class Assignment(models.Model):
    """A person in a room, from check-in to check-out (or transfer to another room)."""

    class Status(models.TextChoices):
        IN = "in", _("Checked in")
        OUT = "out", _("Checked out")
        TRANSFERRED = "transferred", _("Transferred")

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("room"))
    site = models.ForeignKey(QuarantineSite, on_delete=models.PROTECT, related_name="assignments",
                             verbose_name=_("quarantine site"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name=_("person"))
    contact = models.ForeignKey("cases.Contact", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("contact"))
    traveller = models.ForeignKey("inbound.Traveller", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name=_("inbound traveller"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.IN)
    checked_in_at = models.DateTimeField(_("checked in"))
    expected_check_out = models.DateField(_("expected check-out"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    transferred_from = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                            related_name="transferred_to", verbose_name=_("transferred from"))
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-checked_in_at", "-id"]
        verbose_name = _("room assignment")
        verbose_name_plural = _("room assignments")
        constraints = [
            models.UniqueConstraint(fields=["room"], condition=models.Q(checked_out_at__isnull=True),
                                    name="assignment_one_open_per_room"),
            models.UniqueConstraint(fields=["person"], condition=models.Q(checked_out_at__isnull=True),
                                    name="assignment_one_open_per_person"),
            models.UniqueConstraint(fields=["traveller"], condition=models.Q(checked_out_at__isnull=True),
                                    name="assignment_one_open_per_traveller"),
            models.CheckConstraint(condition=models.Q(person__isnull=False) | models.Q(traveller__isnull=False),
                                   name="assignment_names_someone"),
            models.CheckConstraint(condition=models.Q(checked_out_at__isnull=True)
                                   | models.Q(checked_out_at__gte=models.F("checked_in_at")),
                                   name="assignment_out_after_in"),
        ]
        indexes = [models.Index(fields=["site", "checked_in_at"], name="assignment_site_in"),
                   models.Index(fields=["site", "expected_check_out"], name="assignment_site_due"),
                   models.Index(fields=["site", "checked_out_at"], name="assignment_site_out")]

    def __str__(self) -> str:
        return f"{self.room} #{self.pk}"

    @property
    def occupant_name(self) -> str:
        """The name of the person in the room (a contact's person, or an inbound traveller)."""
        if self.person_id:
            return self.person.name
        return self.traveller.name if self.traveller_id else ""


class Hospital(models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["region_id", "name", "id"]
        verbose_name = _("designated hospital")
        verbose_name_plural = _("designated hospitals")

    def __str__(self) -> str:
        return self.name


class BedType(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary bed")
    SEVERE = "severe", _("Severe-care bed")
    ICU = "icu", _("ICU bed")


class BedCensus(models.Model):
    """Beds of one type at one hospital on one day: open beds and beds occupied."""

    hospital = models.ForeignKey(Hospital, on_delete=models.PROTECT, related_name="census",
                                 verbose_name=_("designated hospital"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    bed_type = models.CharField(_("bed type"), max_length=16, choices=BedType.choices)
    date = models.DateField(_("date"))
    beds = models.PositiveIntegerField(_("beds"))
    occupied = models.PositiveIntegerField(_("occupied"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-date", "hospital_id", "bed_type"]
        verbose_name = _("bed census")
        verbose_name_plural = _("bed census")
        constraints = [models.UniqueConstraint(fields=["hospital", "bed_type", "date"], name="bed_census_once")]
        indexes = [models.Index(fields=["region", "bed_type", "date"], name="bed_census_region")]

    def __str__(self) -> str:
        return f"{self.hospital_id} {self.bed_type} {self.date}"


class Item(models.TextChoices):
    MASKS = "masks", _("Masks")
    SUITS = "protective_suits", _("Protective suits")
    TEST_KITS = "test_kits", _("Test kits")
    REAGENTS = "reagents", _("Reagents")
    DISINFECTANT = "disinfectant", _("Disinfectant")


class Store(models.Model):
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["region_id", "name", "id"]
        verbose_name = _("supply store")
        verbose_name_plural = _("supply stores")

    def __str__(self) -> str:
        return self.name


class Stock(models.Model):
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="stock", verbose_name=_("supply store"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    item = models.CharField(_("item"), max_length=24, choices=Item.choices)
    quantity = models.PositiveBigIntegerField(_("on hand"), default=0)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["store_id", "item"]
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [models.UniqueConstraint(fields=["store", "item"], name="stock_once_per_store_item"),
                       models.CheckConstraint(condition=models.Q(quantity__gte=0), name="stock_not_negative")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.item}"


class Requisition(models.Model):
    """Supplies a city asks of another city of the province: requested → approved → shipped → received."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        SHIPPED = "shipped", _("Shipped")
        RECEIVED = "received", _("Received")

    requesting_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                          verbose_name=_("requesting city"))
    supplying_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("supplying city"))
    item = models.CharField(_("item"), max_length=24, choices=Item.choices)
    quantity = models.PositiveBigIntegerField(_("quantity"))
    destination_store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="+",
                                          verbose_name=_("destination store"))
    source_store = models.ForeignKey(Store, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name=_("source store"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.REQUESTED)
    note = models.CharField(_("note"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("requisition")
        verbose_name_plural = _("requisitions")
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gt=0), name="requisition_positive")]
        indexes = [models.Index(fields=["requesting_region", "status"], name="requisition_requesting"),
                   models.Index(fields=["supplying_region", "status"], name="requisition_supplying")]

    def __str__(self) -> str:
        return f"#{self.pk}"


class StockMovement(models.Model):
    """One change of a store's stock, with the balance after it: nothing moves without a row here."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        ISSUE = "issue", _("Issue")
        SHIPPED = "shipped", _("Shipped to another city")
        RECEIVED = "received", _("Received from another city")

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="movements", verbose_name=_("supply store"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    item = models.CharField(_("item"), max_length=24, choices=Item.choices)
    kind = models.CharField(_("movement"), max_length=16, choices=Kind.choices)
    change = models.BigIntegerField(_("change"))
    balance = models.PositiveBigIntegerField(_("balance after"))
    requisition = models.ForeignKey(Requisition, on_delete=models.PROTECT, null=True, blank=True, related_name="movements",
                                    verbose_name=_("requisition"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        indexes = [models.Index(fields=["store", "item", "at"], name="movement_store_item")]

    def __str__(self) -> str:
        return f"{self.store_id} {self.item} {self.change:+d}"


class StaffSkill(models.TextChoices):
    SAMPLING = "sampling", _("Sampling")
    MEDICAL = "medical", _("Medical")
    SECURITY = "security", _("Security")
    CLEANING = "cleaning", _("Cleaning")


class StaffTeam(models.Model):
    """A team of one skill in a region, by its size: the plan needs how many are on duty, not who (the members
    are kept by the unit that employs them, not here)."""

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    name = models.CharField(_("name"), max_length=200)
    skill = models.CharField(_("skill"), max_length=16, choices=StaffSkill.choices)
    size = models.PositiveIntegerField(_("members"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["region_id", "skill", "name", "id"]
        verbose_name = _("staff team")
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="staff_team_once")]

    def __str__(self) -> str:
        return self.name


class StaffRoster(models.Model):
    """How many of a team's members are available on one day (the roster: past days as worked, coming days as
    planned); recorded again, replaced. A day without a roster counts the whole team."""

    team = models.ForeignKey(StaffTeam, on_delete=models.PROTECT, related_name="roster", verbose_name=_("staff team"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    date = models.DateField(_("date"))
    available = models.PositiveIntegerField(_("available"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-date", "team_id"]
        verbose_name = _("staff roster")
        constraints = [models.UniqueConstraint(fields=["team", "date"], name="staff_roster_once")]
        indexes = [models.Index(fields=["region", "date"], name="staff_roster_region")]

    def __str__(self) -> str:
        return f"{self.team_id} {self.date}"
