"""Models of the interop module: the systems fangkong sends to (``Destination``, configured by administrators,
credentials kept sealed), the outbound queue (``OutboundMessage``: one row per message that leaves the platform,
with its payload hash, idempotency key, state, attempts and the receiver's last answer), and the DHIS2 mapping
(``Dhis2Mapping``: a fangkong figure → a data element and category option combo; ``Dhis2OrgUnit``: a region →
an organisation unit)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Destination(models.Model):
    """A receiving system. ``region`` is the region of the administrator who configured it (the scope of the
    row); ``regions`` the codes whose data may go there (each within ``region``)."""

    class Kind(models.TextChoices):
        FHIR = "fhir", _("HL7 FHIR R4 server")
        DHIS2 = "dhis2", _("DHIS2 instance")

    class Auth(models.TextChoices):
        NONE = "none", _("No authentication")
        BASIC = "basic", _("User name and password")
        BEARER = "bearer", _("Access token")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    base_url = models.URLField(_("base URL"), max_length=300)
    auth = models.CharField(_("authentication"), max_length=8, choices=Auth.choices, default=Auth.NONE)
    username = models.CharField(_("user name"), max_length=150, blank=True)
    secret_sealed = models.BinaryField(_("sealed secret"), blank=True, default=b"", editable=False)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    regions = models.JSONField(_("regions whose data may go there"), default=list)
    identifiers_entitled = models.BooleanField(
        _("entitled to identifiers"), default=False,
        help_text=_("Whether citizen IDs may be sent in clear (otherwise a pseudonymous identifier)."))
    dhis2_data_set = models.CharField(_("DHIS2 data set UID"), max_length=11, blank=True)
    dhis2_period = models.CharField(_("DHIS2 period type"), max_length=8, blank=True,
                                    choices=[("daily", _("Daily")), ("weekly", _("Weekly"))])
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("destination")
        constraints = [models.UniqueConstraint(fields=["name"], name="interop_destination_name_unique")]

    def __str__(self) -> str:
        return self.name


class MessageState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    REFUSED = "refused", _("Refused by the receiver")
    RETRYING = "retrying", _("Failed, will retry")


class OutboundMessage(models.Model):
    """One message to one destination. ``idempotency_key`` is unique per destination and sent as the
    ``Idempotency-Key`` header: a receiver that keeps the keys it accepted takes each message once, however
    often a lost answer or a killed worker makes the sender try again."""

    class Kind(models.TextChoices):
        DHIS2_DATA_VALUE_SET = "dhis2_dvs", _("DHIS2 data value set")
        FHIR_BUNDLE = "fhir_bundle", _("FHIR document bundle")

    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="messages",
                                    verbose_name=_("destination"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    path = models.CharField(_("path"), max_length=200)  # appended to the destination's base URL, query included
    payload = models.JSONField(_("payload"))
    payload_hash = models.CharField(_("payload hash"), max_length=64)
    idempotency_key = models.CharField(_("idempotency key"), max_length=100)
    state = models.CharField(_("state"), max_length=12, choices=MessageState.choices, default=MessageState.QUEUED,
                             db_index=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    sending_since = models.DateTimeField(_("sending since"), null=True, blank=True)
    last_status = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_answer = models.TextField(_("last answer"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    reconciliation = models.JSONField(_("reconciliation"), null=True, blank=True)
    follows = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="followers",
                                verbose_name=_("follows"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound message")
        constraints = [models.UniqueConstraint(fields=["destination", "idempotency_key"],
                                               name="interop_message_key_unique_per_destination")]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="interop_msg_due")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class Dhis2Mapping(models.Model):
    """A fangkong figure sent to one DHIS2 data element and category option combo of a destination. The figures
    are the platform's new cases by classification (``Figure``) and those the modules count
    (``ModuleConfig.aggregate_figures``: ``laboratory.tests``, ``surveillance.<indicator>``…), read when used
    (``dhis2.figure_choices``): a module's figure needs no migration here."""

    class Figure(models.TextChoices):
        NEW_CONFIRMED = "new_confirmed", _("New confirmed cases")
        NEW_ASYMPTOMATIC = "new_asymptomatic", _("New asymptomatic infections")
        NEW_SUSPECTED = "new_suspected", _("New suspected cases")

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="dhis2_mappings")
    figure = models.CharField(_("figure"), max_length=64)
    data_element = models.CharField(_("data element UID"), max_length=11)
    category_option_combo = models.CharField(_("category option combo UID"), max_length=11)

    class Meta:
        ordering = ["figure"]
        verbose_name = _("DHIS2 mapping")
        constraints = [models.UniqueConstraint(fields=["destination", "figure"], name="interop_dhis2_figure_once")]

    def __str__(self) -> str:
        return f"{self.figure} → {self.data_element}/{self.category_option_combo}"


class Dhis2OrgUnit(models.Model):
    """A region sent as one DHIS2 organisation unit of a destination."""

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="dhis2_org_units")
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))
    org_unit = models.CharField(_("organisation unit UID"), max_length=11)

    class Meta:
        ordering = ["region_id"]
        verbose_name = _("DHIS2 organisation unit")
        constraints = [models.UniqueConstraint(fields=["destination", "region"], name="interop_dhis2_region_once")]

    def __str__(self) -> str:
        return f"{self.region_id} → {self.org_unit}"


class ImportedBundle(models.Model):
    """A FHIR case-report Bundle taken in (``fhir_import.fhir_case_import``): its identifier (system|value, once),
    the SHA-256 of the bytes received, and the case it registered — so that the same Bundle sent again
    registers nothing, and another Bundle under a used identifier is refused."""

    identifier = models.CharField(_("bundle identifier"), max_length=400, unique=True)
    payload_hash = models.CharField(_("payload hash"), max_length=64)
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="+", verbose_name=_("case"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("imported by"))
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("imported bundle")
        verbose_name_plural = _("imported bundles")

    def __str__(self) -> str:
        return self.identifier
