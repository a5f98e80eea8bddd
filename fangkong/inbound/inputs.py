"""Input schemas of the inbound module: one per action, used by the page, the API and the manifest import
(``fangkong.inputs``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.api.fields import DateField, DateTimeField
from fangkong.inputs import validate_row
from fangkong.request_params import PAST, RegionCode

from . import loop
from .documents import DocumentError, document_parse
from .models import IdKind, Manifest, Sex, Status, TransferBatch

SLUG = r"^[a-z0-9-]{1,32}$"


class ManifestInput(serializers.Serializer):
    """A manifest: the port, the flight, vehicle or vessel, the day of arrival (not in the future)."""

    port = serializers.RegexField(SLUG, max_length=32, label=_("Port of entry"))
    carrier = serializers.ChoiceField(Manifest.Carrier.choices, label=_("Carrier"))
    carrier_no = serializers.CharField(max_length=32, label=_("Flight, vehicle or vessel number"))
    arrival_date = DateField(window=PAST, label=_("Arrival date"))


class TravellerRow(serializers.Serializer):
    """One traveller of a manifest (a row of the file, or of the API's list)."""

    name = serializers.CharField(max_length=64, label=_("Name"))
    id_kind = serializers.ChoiceField(IdKind.choices, label=_("Document"))
    id_number = serializers.CharField(max_length=32, label=_("Document number"))
    destination = RegionCode(required=True, label=_("Destination"))
    sex = serializers.ChoiceField(Sex.choices, required=False, allow_blank=True, label=_("Sex"))
    birth_date = DateField(window=PAST, required=False, allow_null=True, label=_("Birth date"))
    nationality = serializers.RegexField(r"^[A-Z]{3}$", required=False, allow_blank=True, label=_("Nationality"))
    address_text = serializers.CharField(max_length=200, required=False, allow_blank=True, label=_("Address"))

    def validate(self, attrs):
        try:
            attrs["document"] = document_parse(attrs["id_kind"], attrs.pop("id_number"))
        except DocumentError as exc:
            raise serializers.ValidationError({"id_number": [str(exc)]}) from exc
        return attrs


class ManifestApiInput(ManifestInput):
    """A manifest over the API: the page's fields and the travellers, each an object with the columns of a
    file's row (``TravellerRow``), read as the file's rows are (:func:`traveller_rows`)."""

    travellers = serializers.ListField(child=serializers.DictField(), allow_empty=False, label=_("Travellers"),
                                       help_text="objects with the fields of TravellerRow")


def traveller_rows(rows, *, first: int) -> tuple[list[dict], list[dict]]:
    """Travellers through ``TravellerRow``, as a file's rows (columns already named as its fields) or the
    API's list: the valid rows, each with its number (``_row``), and the errors by row and field
    (``{"row", "field", "message"}``: the service's refusals have the same shape). The first row is numbered
    ``first``: 2 in a file, under its header; 1 in the API's list."""
    valid, errors = [], []
    for number, cells in enumerate(rows, start=first):
        data, problems = validate_row(TravellerRow, cells)
        if problems:
            errors.extend({"row": number, "field": name, "message": message}
                          for name, messages in problems.items() for message in messages)
        else:
            valid.append({**data, "_row": number})
    return valid, errors


class ArrivalInput(serializers.Serializer):
    """The port confirms the arrival of travellers at a time (not in the future)."""

    travellers = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False,
                                       label=_("Travellers"))
    arrived_at = DateTimeField(window=PAST, label=_("Arrived at"))


class HandoffInput(serializers.Serializer):
    """A hand-off: who, to which region and unit, in which vehicle, expected when, acknowledged by when."""

    travellers = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False,
                                       label=_("Travellers"))
    stage = serializers.ChoiceField(TransferBatch.Stage.choices, label=_("Stage"))
    receiver_region = RegionCode(required=True, label=_("Receiver region"))
    receiver_unit = serializers.CharField(max_length=100, label=_("Receiver unit"))
    sender_unit = serializers.CharField(max_length=100, label=_("Sender unit"))
    vehicle = serializers.CharField(max_length=32, required=False, allow_blank=True, label=_("Vehicle"))
    escort = serializers.CharField(max_length=64, required=False, allow_blank=True, label=_("Escort"))
    expected_at = DateTimeField(label=_("Expected arrival"))
    ack_deadline = DateTimeField(required=False, allow_null=True, label=_("Acknowledge by"))


class AnswerInput(serializers.Serializer):
    """The receiver's answer to hand-offs: acknowledge, or reject with a reason."""

    handoffs = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False,
                                     label=_("Hand-offs"))
    accept = serializers.BooleanField(label=_("Acknowledge"))
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, label=_("Reason"))


class StepInput(serializers.Serializer):
    """A step the holding region records."""

    status = serializers.ChoiceField([(s, Status(s).label) for s in sorted(loop.RECORDED_STEPS - {loop.ARRIVED})],
                                     label=_("Step"))
    at = DateTimeField(window=PAST, required=False, allow_null=True, label=_("Time"))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, label=_("Note"))
    expected_version = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class CaseInput(serializers.Serializer):
    """A positive traveller becomes an imported case."""

    diagnosed_at = DateTimeField(window=PAST, label=_("Diagnosed at"))
    classification = serializers.ChoiceField([("confirmed", _("Confirmed")), ("asymptomatic", _("Asymptomatic infection"))],
                                             label=_("Classification"))


class BreakCloseInput(serializers.Serializer):
    resolution = serializers.CharField(max_length=200, label=_("Resolution"))
