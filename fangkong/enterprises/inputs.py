"""Input schemas of the enterprises module: one per action, used by the page, the API and the import
(``fangkong.inputs``). The credit code is read by the places module's GB 32100 check
(``places.credit_code``), with its messages (``places.inputs.CREDIT_CODE_ERRORS``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from fangkong.api.fields import DateField
from fangkong.persons.services import normalise_phone
from fangkong.places.credit_code import CreditCodeError, parse_credit_code
from fangkong.places.inputs import CREDIT_CODE_ERRORS, LabelledChoice
from fangkong.request_params import PAST, RegionCode
from fangkong.worklists.models import SlaClass

from .models import OperatingState, Sector, Size, TicketKind

ID = {"min_value": 1, "max_value": 2**63 - 1}


class EnterpriseInput(serializers.Serializer):
    """Register a key enterprise: its credit code, name, sector, size, region (county or street), address,
    staff, its key-enterprise lists, one contact person and the places it operates (place ids)."""

    credit_code = serializers.CharField(max_length=40, label=_("Unified social credit code"))
    name = serializers.CharField(max_length=200, label=pgettext_lazy("enterprise", "Name"))
    sector = LabelledChoice(Sector.choices, label=_("Sector"))
    size = LabelledChoice(Size.choices, label=_("Size"))
    region = RegionCode(required=True, label=_("Region (county or street)"))
    address = serializers.CharField(max_length=300, label=_("Address"))
    staff = serializers.IntegerField(min_value=0, max_value=10_000_000, default=0, label=_("Staff"))
    supply_guarantee = serializers.BooleanField(default=False, label=_("On the supply-guarantee list"))
    export = serializers.BooleanField(default=False, label=_("On the key export list"))
    key_chain = serializers.BooleanField(default=False, label=_("On the key industrial chain list"))
    contact_name = serializers.CharField(max_length=64, required=False, allow_blank=True, label=_("Contact person"))
    contact_title = serializers.CharField(max_length=64, required=False, allow_blank=True, label=_("Post"))
    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                          label=_("Contact phone"))
    places = serializers.ListField(child=serializers.IntegerField(**ID), required=False, max_length=100,
                                   label=_("Places operated"))

    def validate_credit_code(self, value: str) -> str:
        try:
            return parse_credit_code(value)
        except CreditCodeError as exc:
            raise serializers.ValidationError(str(CREDIT_CODE_ERRORS[str(exc)])) from exc

    def validate_contact_phone(self, value: str) -> str:
        if not value:
            return ""
        try:
            return normalise_phone(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class PlanInput(serializers.Serializer):
    """Submit a new version of an enterprise's prevention plan (一企一策)."""

    enterprise = serializers.IntegerField(**ID, label=_("Enterprise"))
    closed_loop = serializers.BooleanField(default=False, label=_("Closed-loop production"))
    loop_scope = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                       label=_("Scope of the closed loop"))
    staff_in_loop = serializers.IntegerField(min_value=0, max_value=10_000_000, default=0,
                                             label=_("Staff in the closed loop"))
    test_every_days = serializers.IntegerField(min_value=0, max_value=30, default=0, label=_("Test every (days)"))
    shuttle = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                    label=_("Shuttle arrangements"))
    quarantine_rooms = serializers.IntegerField(min_value=0, max_value=100_000, default=0,
                                                label=_("On-site quarantine rooms"))
    responsible_person = serializers.CharField(max_length=64, label=_("Responsible person"))

    def validate(self, attrs):
        if attrs.get("closed_loop") and not attrs.get("loop_scope"):
            raise serializers.ValidationError({"loop_scope": [_("A closed loop needs its scope.")]})
        if attrs.get("closed_loop") and not attrs.get("test_every_days"):
            raise serializers.ValidationError({"test_every_days": [_("Staff in a closed loop are tested "
                                                                     "periodically: give the interval.")]})
        return attrs


class PlanDecisionInput(serializers.Serializer):
    """Approve or reject a submitted plan version."""

    approve = serializers.BooleanField(label=_("Approve"))
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, label=_("Decision note"))


class TicketInput(serializers.Serializer):
    """Ask for support: the enterprise, the kind, what is needed and the responsible department."""

    enterprise = serializers.IntegerField(**ID, label=_("Enterprise"))
    kind = LabelledChoice(TicketKind.choices, label=_("Kind"))
    description = serializers.CharField(max_length=2000, label=_("Description"))
    unit = serializers.IntegerField(**ID, label=_("Responsible department"))
    sla_class = serializers.ChoiceField(SlaClass.choices, required=False, allow_blank=True,
                                        label=_("Time limit class"))


class TicketActionInput(serializers.Serializer):
    """A step of a ticket: accept it, answer it (with the answer), close it."""

    action = serializers.ChoiceField((("accept", _("Accept")), ("answer", _("Answer")), ("close", _("Close"))),
                                     label=_("Action"))
    answer = serializers.CharField(max_length=2000, required=False, allow_blank=True, label=_("Answer"))


class LinkInput(serializers.Serializer):
    """A supply-chain link: supplier → customer, with the goods."""

    supplier = serializers.IntegerField(**ID, label=_("Supplier"))
    customer = serializers.IntegerField(**ID, label=_("Customer"))
    goods = serializers.CharField(max_length=200, label=_("Goods"))

    def validate(self, attrs):
        if attrs["supplier"] == attrs["customer"]:
            raise serializers.ValidationError({"customer": [_("An enterprise cannot supply itself.")]})
        return attrs


class StatusInput(serializers.Serializer):
    """The operating status of an enterprise on a day, with the reason when it is not operating normally."""

    enterprise = serializers.IntegerField(**ID, label=_("Enterprise"))
    day = DateField(window=PAST, label=_("Day"))
    status = LabelledChoice(OperatingState.choices, label=_("Operating status"))
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, label=_("Reason"))

    def validate(self, attrs):
        if attrs["status"] != OperatingState.OPERATING and not attrs.get("reason"):
            raise serializers.ValidationError({"reason": [_("Give the reason when the enterprise is not "
                                                            "operating normally.")]})
        return attrs
