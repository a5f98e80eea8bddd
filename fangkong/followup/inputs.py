"""Input schemas of the follow-up module: one per action, used by the page, the API and an import alike
(``fangkong.inputs``). What needs the database (the subject's period, a check already recorded) is the
service's to refuse."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.request_params import PAST, Day, Id

from .models import TEMPERATURE_MAX, TEMPERATURE_MIN, ScheduledTest, Slot, Symptom


class CheckFields(serializers.Serializer):
    """The fields of one daily health check, each valid on its own: what ``CheckInput`` reads, and what the
    import reads a file's cells with (``fangkong.inputs.ColumnReader``: each distinct text once), the rule
    across fields (``check_complete``) then applied to every row as ``CheckInput`` applies it."""

    subject = Id(required=True, label=_("Person under management"))
    day = Day(window=PAST, required=True, label=_("Day"))
    slot = serializers.ChoiceField(choices=Slot.choices, label=_("Slot"))
    temperature = serializers.DecimalField(
        max_digits=3, decimal_places=1, min_value=TEMPERATURE_MIN, max_value=TEMPERATURE_MAX, required=False,
        allow_null=True, label=_("Temperature (°C)"),
        error_messages={"min_value": _("A body temperature lies between 34.0 and 43.0 °C."),
                        "max_value": _("A body temperature lies between 34.0 and 43.0 °C.")})
    symptoms = serializers.MultipleChoiceField(choices=Symptom.choices, required=False, label=_("Symptoms"))
    not_possible = serializers.BooleanField(required=False, default=False, label=_("Check not possible"))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", label=_("Note"))
    checked_at = serializers.DateTimeField(required=False, allow_null=True, label=_("Checked at"))
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                   label=_("Reason for the correction"),
                                   help_text=_("Only to correct a check already recorded for this day and slot."))



def check_complete(attrs: dict) -> dict[str, list]:
    """The rule across a check's fields: a check not possible says why, any other gives the temperature. The
    errors by field (none: the check is complete); ``attrs["symptoms"]`` sorted."""
    attrs["symptoms"] = sorted(attrs.get("symptoms") or ())
    if attrs.get("not_possible"):
        if not attrs.get("note", "").strip():
            return {"note": [_("Say why the check was not possible.")]}
    elif attrs.get("temperature") is None:
        return {"temperature": [_("Enter the temperature measured.")]}
    return {}


class CheckInput(CheckFields):
    """Record one daily health check: the day and slot, the temperature and the symptoms asked, or that
    the check was not possible (with the reason in the note)."""

    def validate(self, attrs):
        errors = check_complete(attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class SampleInput(serializers.Serializer):
    """Record a scheduled test: the day the sample was taken, and its result when it is known."""

    taken_on = Day(window=PAST, required=True, label=_("Sample taken on"))
    result = serializers.ChoiceField(choices=ScheduledTest.Result.choices, required=False, allow_blank=True,
                                     default="", label=_("Result"))


class SuspectedInput(serializers.Serializer):
    """Open a suspected case for a person under management with fever or symptoms."""

    onset_date = Day(window=PAST, required=False, allow_null=True, label=_("Onset"))


class SelfReportInput(serializers.Serializer):
    """The person's own check through the personal link: the slot, the temperature measured and the symptoms.
    No person and no day here: both come from the signed token (``selfreport``), never from the form."""

    slot = serializers.ChoiceField(choices=Slot.choices, label=_("Slot"))
    temperature = serializers.DecimalField(
        max_digits=3, decimal_places=1, min_value=TEMPERATURE_MIN, max_value=TEMPERATURE_MAX, label=_("Temperature (°C)"),
        error_messages={"min_value": _("A body temperature lies between 34.0 and 43.0 °C."),
                        "max_value": _("A body temperature lies between 34.0 and 43.0 °C."),
                        "required": _("Enter the temperature measured."), "null": _("Enter the temperature measured.")})
    symptoms = serializers.MultipleChoiceField(choices=Symptom.choices, required=False, label=_("Symptoms"))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="", label=_("Note"))

    def validate(self, attrs):
        attrs["symptoms"] = sorted(attrs.get("symptoms") or ())
        return attrs


class ResultInput(serializers.Serializer):
    """A test's sample and result by person and scheduled day (an import row, the laboratory's report)."""

    subject = Id(required=True, label=_("Person under management"))
    due_date = Day(required=True, label=_("Scheduled on"))
    taken_on = Day(window=PAST, required=True, label=_("Sample taken on"))
    result = serializers.ChoiceField(choices=ScheduledTest.Result.choices, required=False, allow_blank=True,
                                     default="", label=_("Result"))


class NotTakenInput(serializers.Serializer):
    """A scheduled test not taken, and why."""

    reason = serializers.CharField(max_length=200, label=_("Why not taken"))


class ChecksFileInput(serializers.Serializer):
    """A file of a day's checks to import as a job (the import page, ``POST /api/v1/followup/checks/import/``):
    its columns are ``CheckFields``'; the job checks the rows (``imports.py``)."""

    file = serializers.FileField(label=_("File (CSV or XLSX)"))
