"""Models of the inbound closed loop (外防输入全流程闭环管理): ports, manifests, travellers and their loop,
hand-offs between regions, and the breaks found in the loop.

A traveller's identity document (citizen ID, passport or home-return permit) is protected like a citizen
ID in the person registry (``fangkong.persons.protection``): a keyed hash for de-duplication, sealed for
an audited reveal, a mask for everything else; the number itself is never stored in clear. From central
quarantine on, a traveller is also a person of the registry (``Traveller.person``): the one the citizen ID
names, or one registered without an identifier for a passport or permit holder (the document stays here).

Region fields name who answers for a row: a traveller belongs to its port's region (the sender), its
destination county and the region that holds it now; a hand-off to its sender and its receiver; a break
to both sides. Reads are scoped on all of them (``fangkong.accounts.access.scoped``): a third city sees
none of it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Port(models.Model):
    class Kind(models.TextChoices):
        AIRPORT = "airport", _("Airport")
        LAND_PORT = "land_port", _("Land port")
        SEA_PORT = "sea_port", _("Seaport")

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))

    class Meta:
        ordering = ["region_id", "code"]
        verbose_name = _("port of entry")

    def __str__(self) -> str:
        return self.name_zh


class Manifest(models.Model):
    """The travellers of one flight, vehicle or vessel arriving at a port on a day."""

    class Carrier(models.TextChoices):
        FLIGHT = "flight", _("Flight")
        VEHICLE = "vehicle", _("Vehicle")
        VESSEL = "vessel", _("Vessel")

    port = models.ForeignKey(Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("port of entry"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    carrier = models.CharField(_("carrier"), max_length=16, choices=Carrier.choices)
    carrier_no = models.CharField(_("flight, vehicle or vessel number"), max_length=32)
    arrival_date = models.DateField(_("arrival date"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-arrival_date", "-id"]
        verbose_name = _("arrival manifest")
        constraints = [models.UniqueConstraint(fields=["port", "carrier_no", "arrival_date"], name="manifest_once")]

    def __str__(self) -> str:
        return f"{self.carrier_no} {self.arrival_date:%Y-%m-%d}"


class Status(models.TextChoices):
    DECLARED = "declared", _("Declared")
    ARRIVED = "arrived", _("Arrived")
    IN_TRANSFER = "in_transfer", _("In transfer")
    HANDED_OVER = "handed_over", _("Handed over")
    CENTRAL_QUARANTINE = "central_quarantine", _("Central quarantine")
    HOME_MONITORING = "home_monitoring", _("Home health monitoring")
    RELEASED = "released", _("Released")
    CASE = "case", _("Became a case")
    LOST = "lost", _("Lost")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out of the province")


OPEN_STATUSES = (Status.DECLARED, Status.ARRIVED, Status.IN_TRANSFER, Status.HANDED_OVER,
                 Status.CENTRAL_QUARANTINE, Status.HOME_MONITORING)


class IdKind(models.TextChoices):
    CITIZEN_ID = "citizen_id", _("Citizen ID")
    PASSPORT = "passport", _("Passport")
    PERMIT = "permit", _("Home-return permit")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    UNKNOWN = "U", _("Unknown")


#: the purpose a document of each kind is sealed and hashed for (``fangkong.persons.protection``)
DOCUMENT_PURPOSES = {IdKind.CITIZEN_ID: "citizen_id", IdKind.PASSPORT: "passport", IdKind.PERMIT: "travel_permit"}


class Traveller(models.Model):
    """One traveller's closed loop, from the manifest to release (or an exit)."""

    #: rehashed and rewrapped by a keyring rotation (``fangkong.persons.shredding``), for the purpose of its kind
    SEALED_IDENTIFIERS = {"document": ("id_hash", "id_sealed")}
    SEALED_PURPOSES = {"document": ("id_kind", DOCUMENT_PURPOSES)}

    manifest = models.ForeignKey(Manifest, on_delete=models.PROTECT, related_name="travellers")
    port = models.ForeignKey(Port, on_delete=models.PROTECT, related_name="+", verbose_name=_("port of entry"))
    port_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("port region"))
    destination = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("destination"))
    holder = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("responsible region"))
    name = models.CharField(_("name"), max_length=64)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    nationality = models.CharField(_("nationality"), max_length=3, blank=True)
    id_kind = models.CharField(_("document"), max_length=16, choices=IdKind.choices)
    id_hash = models.CharField(max_length=64, editable=False)
    id_sealed = models.TextField(editable=False)
    id_masked = models.CharField(_("document number"), max_length=32, editable=False)
    # The row's data key, which seals the document number (fangkong.persons.keyring: crypto-shredding).
    key_wrapped = models.CharField(max_length=80, blank=True, default="", db_default="", editable=False)
    key_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    address_text = models.CharField(_("address"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DECLARED)
    status_at = models.DateTimeField(_("status since"), default=timezone.now)
    arrived_at = models.DateTimeField(_("arrived at"), null=True, blank=True)
    protocol = models.ForeignKey("protocols.ProtocolVersion", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("protocol edition"))
    centralised_until = models.DateField(_("central quarantine until"), null=True, blank=True)
    home_until = models.DateField(_("home monitoring until"), null=True, blank=True)
    release_due = models.DateField(_("release due"), null=True, blank=True)
    due_at = models.DateTimeField(_("next step due"), null=True, blank=True)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # The person of the registry (``fangkong.persons``) the traveller is, found or registered when it enters
    # central quarantine or home health monitoring (``services._person_link``): the daily follow-up reads
    # everything through the person. The document stays here (a passport is not a registry identifier).
    person = models.ForeignKey("persons.Person", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("person"))
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inbound traveller")
        constraints = [models.UniqueConstraint(fields=["manifest", "id_hash"], name="traveller_once_per_manifest")]
        indexes = [models.Index(fields=["due_at"], name="traveller_due", condition=Q(due_at__isnull=False)),
                   models.Index(fields=["id_hash"], name="traveller_id_hash")]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"

    # What ``fangkong.persons.shown.person_shown`` reads of a person: a traveller is shown the same way.
    @property
    def address_region_id(self) -> str:
        return self.destination_id

    @property
    def citizen_id_masked(self) -> str:
        return self.id_masked if self.id_kind == IdKind.CITIZEN_ID else ""

    @property
    def phone_masked(self) -> str:
        return ""


class LoopStep(models.Model):
    """One step of a traveller's loop: from which status to which, when, by whom, in which region."""

    traveller = models.ForeignKey(Traveller, on_delete=models.CASCADE, related_name="steps")
    status_from = models.CharField(max_length=20, choices=Status.choices, blank=True)
    status_to = models.CharField(max_length=20, choices=Status.choices)
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("loop step")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.status_from or '-'} → {self.status_to}"


class TransferBatch(models.Model):
    """A hand-off of one or more travellers from a sender to a receiver (点对点转运): the vehicle, the escort,
    the expected arrival and the deadline to acknowledge."""

    class Stage(models.TextChoices):
        QUARANTINE = "quarantine", _("To central quarantine")
        HOME = "home", _("To home health monitoring")

    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    sender_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("sender region"))
    sender_unit = models.CharField(_("sender unit"), max_length=100)
    receiver_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("receiver region"))
    receiver_unit = models.CharField(_("receiver unit"), max_length=100)
    vehicle = models.CharField(_("vehicle"), max_length=32, blank=True)
    escort = models.CharField(_("escort"), max_length=64, blank=True)
    expected_at = models.DateTimeField(_("expected arrival"))
    ack_deadline = models.DateTimeField(_("acknowledge by"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("hand-off")

    def __str__(self) -> str:
        return f"{self.sender_unit} → {self.receiver_unit}"


class Handoff(models.Model):
    """One traveller in a transfer batch, with the receiver's answer."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REJECTED = "rejected", _("Rejected")

    batch = models.ForeignKey(TransferBatch, on_delete=models.CASCADE, related_name="handoffs")
    traveller = models.ForeignKey(Traveller, on_delete=models.PROTECT, related_name="handoffs")
    sender_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    receiver_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+")
    status_before = models.CharField(max_length=20, choices=Status.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("hand-off of a traveller")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["traveller"], condition=Q(state="pending"),
                                               name="one_pending_handoff_per_traveller")]
        indexes = [models.Index(fields=["receiver_region", "state"], name="handoff_inbox")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.traveller_id} {self.state}"


class LoopBreak(models.Model):
    """A break in a loop found by the periodic sweep: a step that was due and did not happen."""

    class Kind(models.TextChoices):
        NOT_TRANSFERRED = "not_transferred", _("Not transferred from the port")
        UNACKNOWLEDGED = "unacknowledged", _("Hand-off not acknowledged by the deadline")
        NO_CHECK_IN = "no_check_in", _("No check-in at the quarantine site")
        NOT_RELEASED_ON_TIME = "not_released", _("Central quarantine over, no hand-off home")
        MONITORING_OVERDUE = "monitoring_overdue", _("Home monitoring over, not released")
        NOT_ARRIVED = "not_arrived", _("Declared, arrival not confirmed")

    kind = models.CharField(_("break"), max_length=24, choices=Kind.choices)
    traveller = models.ForeignKey(Traveller, on_delete=models.CASCADE, related_name="breaks", db_index=False)
    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # The two sides are copied by the sweep (the only writer of breaks, ``services._breaks_make``) from the
    # traveller's and the hand-off's region columns, which the database checks: checking them again here cost
    # two thirds of a sweep that makes 75,000 breaks (two foreign-key lookups a row at commit), so not in the
    # database (``db_constraint=False``); still foreign keys to the ORM (joins, PROTECT).
    sender_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", db_index=False,
                                      db_constraint=False)
    receiver_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                        db_index=False, db_constraint=False)
    due_at = models.DateTimeField(_("was due"))
    detected_at = models.DateTimeField(_("found at"))
    level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+",
                                  db_index=False)
    resolution = models.CharField(_("resolution"), max_length=200, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("loop break")
        constraints = [models.UniqueConstraint(fields=["traveller", "kind"], condition=Q(closed_at__isnull=True),
                                               name="one_open_break_per_kind")]
        # The sweep's "no break names this due time yet" (and a traveller's breaks); the open list's order; the
        # two sides' scope (a prefix of the region code, ``scoped``; one index each, not a plain one besides).
        # Each index is written for every break a sweep makes: no more than these (no index on who closed it).
        indexes = [models.Index(fields=["traveller", "due_at"], name="break_of_due_time"),
                   models.Index(fields=["due_at", "id"], name="break_open_order", condition=Q(closed_at__isnull=True)),
                   models.Index(fields=["sender_region"], name="break_sender_scope", opclasses=["varchar_pattern_ops"]),
                   models.Index(fields=["receiver_region"], name="break_receiver_scope",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.traveller_id}"
