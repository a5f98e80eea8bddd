"""Input schemas of the cross-region requests: one per action (send, acknowledge, record an outcome), used by
the pages, the API and an import alike (``fangkong.inputs``).

The persons of a request are a list: the API sends objects, a page (and an import cell) sends one person a
line — ``name, citizen ID, phone, category, last exposure, address`` separated by commas (either width) or
tabs — and both go through the same ``PersonInput``, so a page line and an API object get the same verdict.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.api.fields import DateField, DateTimeField
from fangkong.persons.citizen_id import CitizenIdError, parse_citizen_id
from fangkong.request_params import PAST, RegionCode

from .models import OutcomeKind, PersonCategory, Urgency

MAX_PERSONS = 500
LINE_FIELDS = ("name", "citizen_id", "phone", "category", "exposure_end", "address_text")
_SEPARATOR = re.compile(r"\s*[,，\t]\s*")


def _category_value(text: str) -> str:
    """A category by its code or its label in either language (``密切接触者``, ``close``)."""
    from django.utils import translation

    wanted = text.strip().lower()
    for value, label in PersonCategory.choices:
        labels = {value, str(label).lower()}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                labels.add(str(label).lower())
        if wanted in labels:
            return value
    return text.strip()


class PersonInput(serializers.Serializer):
    """One person of a request: what the receiver needs to find them."""

    name = serializers.CharField(max_length=64, label=_("Name"))
    citizen_id = serializers.CharField(max_length=18, required=False, allow_blank=True, label=_("Citizen ID"))
    phone = serializers.CharField(max_length=24, required=False, allow_blank=True, label=_("Phone"))
    sex = serializers.ChoiceField(choices=["M", "F", "U"], required=False, allow_blank=True, label=_("Sex"))
    birth_date = DateField(window=PAST, required=False, allow_null=True, label=_("Birth date"))
    category = serializers.ChoiceField(choices=PersonCategory.choices, default=PersonCategory.CLOSE,
                                       label=_("Category"))
    exposure_start = DateField(window=PAST, required=False, allow_null=True, label=_("Exposure from"))
    exposure_end = DateField(window=PAST, required=False, allow_null=True, label=_("Last exposure"))
    address_text = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                         label=_("Address or place last seen"))

    def to_internal_value(self, data):
        if isinstance(data, dict) and data.get("category"):
            data = {**data, "category": _category_value(str(data["category"]))}
        return super().to_internal_value(data)

    def validate_citizen_id(self, value: str) -> str:
        if not value:
            return ""
        try:
            return parse_citizen_id(value).number
        except CitizenIdError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate(self, attrs):
        start, end = attrs.get("exposure_start"), attrs.get("exposure_end")
        if start and end and start > end:
            raise serializers.ValidationError({"exposure_start": [gettext("The exposure starts after it ends.")]})
        return attrs


def persons_from_lines(text: str) -> list[dict]:
    """The persons of a page's text box (one a line, ``LINE_FIELDS`` in order; blank lines skipped)."""
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        cells = _SEPARATOR.split(line.strip(), maxsplit=len(LINE_FIELDS) - 1)
        rows.append({name: cell for name, cell in zip(LINE_FIELDS, cells, strict=False) if cell != ""})
    return rows


class PersonsField(serializers.Field):
    """A list of ``PersonInput``: objects (API) or one person a line (page, import); errors name the line."""

    default_error_messages = {"empty": _("List at least one person."),
                              "too_many": _("At most %(limit)d persons in one request."),
                              "invalid": _("Send a list of persons or one person a line.")}

    def to_internal_value(self, data):
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], str):
            data = data[0]  # a form field read as a list of one value
        if isinstance(data, str):
            data = persons_from_lines(data)
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            self.fail("invalid")
        if not data:
            self.fail("empty")
        if len(data) > MAX_PERSONS:
            raise serializers.ValidationError(self.error_messages["too_many"] % {"limit": MAX_PERSONS})
        persons, errors = [], []
        for number, row in enumerate(data, start=1):
            item = PersonInput(data=row)
            if item.is_valid():
                persons.append(dict(item.validated_data))
                continue
            for field, messages in item.errors.items():
                label = item.fields[field].label if field in item.fields else field
                for message in messages:
                    errors.append(gettext("Person %(n)d, %(field)s: %(message)s")
                                  % {"n": number, "field": label, "message": message})
        if errors:
            raise serializers.ValidationError(errors)
        return persons

    def to_representation(self, value):
        return value


class RequestInput(serializers.Serializer):
    """Send a request: from one of the sender's regions to another region, about persons linked to a case."""

    sender_region = RegionCode(required=False, label=_("Sending region"))
    receiver_region = RegionCode(required=True, label=_("Receiving region"))
    source_case = serializers.CharField(max_length=40, label=_("Source case number"))
    exposure_details = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                             label=_("Exposure details"))
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.URGENT, label=_("Urgency"))
    persons = PersonsField(label=_("Persons"))
    idempotency_key = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                            label=_("Submission key"))


class AcknowledgeInput(serializers.Serializer):
    """Acknowledge a request received (nothing to enter: who and when are recorded)."""

    note = serializers.CharField(max_length=300, required=False, allow_blank=True, label=_("Note"))


class OutcomeInput(serializers.Serializer):
    """Record the outcome for one person of a request received."""

    outcome = serializers.ChoiceField(choices=[c for c in OutcomeKind.choices if c[0] != OutcomeKind.PENDING],
                                      label=_("Outcome"))
    quarantined_at = DateTimeField(required=False, allow_null=True, label=_("Quarantined at"))
    quarantine_place = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                             label=_("Quarantine place"))
    managing_region = RegionCode(required=False, label=_("Managing region"))
    forward_to = RegionCode(required=False, label=_("Forward to region"))
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, label=_("Reason or note"))
