"""Cross-region investigation requests (协查函): one region asks another to find, quarantine and report back on
persons linked to one of its cases.

- ``InvestigationRequest``: sender region, receiver region, the region whose case started the chain
  (``origin_region``: the sender unless the request was forwarded), the source case (and exposure event),
  the protocol edition in force when it was sent, urgency, the deadlines to acknowledge and to report back,
  and the sender's idempotency key (a request submitted twice is recorded once). Counts of its persons by
  state are kept on the row by the services, so that inbox and overdue list read one table.
- ``RequestedPerson``: one person of a request, with what the receiver needs to find them (name, sex,
  birth date, address; citizen ID and phone protected as the registry protects them: keyed hash, sealed,
  mask) and the exposure; its current outcome, the receiver's contact once quarantined, and the person of
  the request it was forwarded from (``forwarded_from``) — the chain back to the first sender.
- ``PersonOutcome``: the history of a person's outcomes, append-only (forwarding keeps the history).

Scope (``fangkong.accounts.access.scoped`` over several region fields): a request is seen by its sender, its
receiver and the region of the source case (``SCOPE``), by nobody else.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SCOPE = ("sender_region__code", "receiver_region__code", "origin_region__code")


class Urgency(models.TextChoices):
    """The urgency fixes the default deadlines (hours to acknowledge, hours to report back)."""

    EXTRA_URGENT = "extra_urgent", _("Extra urgent")
    URGENT = "urgent", _("Urgent")
    ROUTINE = "routine", _("Routine")


#: Urgency → (hours to acknowledge, hours to report back). Issue 27: "2 h to acknowledge, 24 h to find and
#: quarantine"; the protocols name no figure for a request between regions, so these are the platform's.
DEADLINE_HOURS = {Urgency.EXTRA_URGENT: (2, 12), Urgency.URGENT: (2, 24), Urgency.ROUTINE: (12, 48)}


class PersonCategory(models.TextChoices):
    CLOSE = "close", _("Close contact")
    SECONDARY = "secondary", _("Contact of a close contact")
    CO_VISITOR = "co_visitor", _("Same place and time (co-visitor)")
    TRAVELLER = "traveller", _("Traveller from a risk area")


class OutcomeKind(models.TextChoices):
    PENDING = "pending", _("Awaiting outcome")
    QUARANTINED = "quarantined", _("Found and quarantined")
    NOT_FOUND = "not_found", _("Not found")
    FORWARDED = "forwarded", _("Not in the area: forwarded")
    ALREADY_MANAGED = "already_managed", _("Already managed (under management before the request)")


#: Outcomes after which nothing more is recorded for the person in this request.
FINAL_OUTCOMES = (OutcomeKind.QUARANTINED, OutcomeKind.FORWARDED, OutcomeKind.ALREADY_MANAGED)


class RequestStatus(models.TextChoices):
    SENT = "sent", _("Sent, not acknowledged")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged, in hand")
    REPORTED = "reported", _("Reported back")


class InvestigationRequest(models.Model):
    AUDIT_NAME_FIELD = "request_no"
    request_no = models.CharField(_("request number"), max_length=40, unique=True)
    sender_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("sending region"))
    receiver_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("receiving region"))
    origin_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("region of the source case"))
    source_case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("source case"))
    source_case_no = models.CharField(_("source case number"), max_length=40)  # as sent; never edited
    exposure = models.ForeignKey("cases.Exposure", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("exposure event"))
    exposure_details = models.CharField(_("exposure details"), max_length=500, blank=True)
    protocol = models.ForeignKey("protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+",
                                 db_index=False, verbose_name=_("protocol in force"))
    urgency = models.CharField(_("urgency"), max_length=16, choices=Urgency.choices, default=Urgency.URGENT)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    ack_deadline = models.DateTimeField(_("acknowledge by"))
    report_deadline = models.DateTimeField(_("report back by"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                        related_name="+")
    reported_at = models.DateTimeField(_("reported back"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.SENT)
    forwarded_from = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="forwards", verbose_name=_("forwarded from"))
    # Counts of the persons by outcome, kept by the services (the lists read the request row only).
    persons_total = models.PositiveIntegerField(default=0)
    persons_pending = models.PositiveIntegerField(default=0)
    persons_not_found = models.PositiveIntegerField(default=0)
    persons_quarantined = models.PositiveIntegerField(default=0)
    # Set by the escalation job (``services.overdue_escalate``) the first time the request is found overdue.
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    idempotency_key = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("investigation request")
        verbose_name_plural = _("investigation requests")
        constraints = [
            models.UniqueConstraint(fields=["sender_region", "idempotency_key"], name="crossregion_request_once"),
            models.CheckConstraint(condition=~Q(sender_region=models.F("receiver_region")),
                                   name="crossregion_not_to_itself"),
            models.CheckConstraint(condition=Q(ack_deadline__gte=models.F("sent_at"))
                                   & Q(report_deadline__gte=models.F("ack_deadline")),
                                   name="crossregion_deadlines_ordered"),
        ]
        indexes = [
            models.Index(fields=["receiver_region", "sent_at", "id"], name="crossregion_inbox"),
            models.Index(fields=["sender_region", "sent_at", "id"], name="crossregion_outbox"),
            models.Index(fields=["origin_region", "sent_at", "id"], name="crossregion_origin"),
            # The overdue list: unacknowledged past the deadline, or persons still open past the report deadline.
            models.Index(fields=["ack_deadline", "id"], condition=Q(acknowledged_at__isnull=True),
                         name="crossregion_ack_open"),
            models.Index(fields=["report_deadline", "id"], condition=Q(persons_pending__gt=0) | Q(persons_not_found__gt=0),
                         name="crossregion_persons_open"),
        ]

    def __str__(self) -> str:
        return self.request_no

    def ack_overdue(self, now=None) -> bool:
        return self.acknowledged_at is None and (now or timezone.now()) > self.ack_deadline

    def report_overdue(self, now=None) -> bool:
        return self.persons_pending > 0 and (now or timezone.now()) > self.report_deadline


class RequestedPerson(models.Model):
    #: rehashed and rewrapped by a keyring rotation (``fangkong.persons.shredding``)
    SEALED_IDENTIFIERS = {"citizen_id": ("citizen_id_hash", "citizen_id_sealed"), "phone": ("", "phone_sealed")}

    request = models.ForeignKey(InvestigationRequest, on_delete=models.CASCADE, related_name="persons")
    # What the receiver needs to find the person (need to know: shown through ``persons.shown``).
    name = models.CharField(_("name"), max_length=64)
    sex = models.CharField(_("sex"), max_length=1, default="U")
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    citizen_id_hash = models.CharField(max_length=64, blank=True, editable=False)
    citizen_id_sealed = models.TextField(blank=True, editable=False)
    citizen_id_masked = models.CharField(_("citizen ID"), max_length=18, blank=True, editable=False)
    phone_sealed = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=24, blank=True, editable=False)
    # The row's data key, which seals the identifiers above (fangkong.persons.keyring: crypto-shredding).
    key_wrapped = models.CharField(max_length=80, blank=True, default="", db_default="", editable=False)
    key_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    address_text = models.CharField(_("address or place last seen"), max_length=200, blank=True)
    category = models.CharField(_("category"), max_length=16, choices=PersonCategory.choices)
    exposure_start = models.DateField(_("exposure from"), null=True, blank=True)
    exposure_end = models.DateField(_("last exposure"), null=True, blank=True)
    listed_at = models.DateTimeField(_("listed by the sender"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=OutcomeKind.choices, default=OutcomeKind.PENDING)
    outcome_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)
    quarantined_at = models.DateTimeField(_("quarantined"), null=True, blank=True)
    contact = models.ForeignKey("cases.Contact", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                verbose_name=_("contact registered by the receiver"))
    forwarded_from = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="forwarded_to", verbose_name=_("forwarded from"))
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        ordering = ["request", "id"]
        verbose_name = _("requested person")
        verbose_name_plural = _("requested persons")
        constraints = [models.UniqueConstraint(fields=["request", "citizen_id_hash"],
                                               condition=~Q(citizen_id_hash=""),
                                               name="crossregion_person_once")]

    def __str__(self) -> str:
        return f"{self.request_id}/{self.pk}"

    # ``persons.shown.person_shown`` reads a person through these (the registry's field names).
    @property
    def address_region_id(self) -> str:
        return self.request.receiver_region_id

    def get_sex_display(self) -> str:
        from fangkong.persons.models import Person

        return str(dict(Person.Sex.choices).get(self.sex, self.sex))


class PersonOutcome(models.Model):
    """One outcome recorded for a requested person (append-only: the history of the person in the request)."""

    person = models.ForeignKey(RequestedPerson, on_delete=models.CASCADE, related_name="history")
    outcome = models.CharField(_("outcome"), max_length=16, choices=OutcomeKind.choices)
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.CharField(_("reason or note"), max_length=300, blank=True)
    forwarded_to = models.ForeignKey(InvestigationRequest, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("forwarded as"))

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("person outcome")
        verbose_name_plural = _("person outcomes")

    def __str__(self) -> str:
        return f"{self.person_id} {self.outcome}"
