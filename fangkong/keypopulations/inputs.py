"""Input schemas of the key-populations module: one per action, used by the page, the API and the import
(``fangkong.inputs``). The rules about values beyond their type are the services' (a frequency the
protocol allows, a person found or registered by the registry's rules)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.api.fields import DateField, DateTimeField
from fangkong.places.credit_code import CreditCodeError, parse_credit_code
from fangkong.places.inputs import CREDIT_CODE_ERRORS, LabelledChoice
from fangkong.request_params import PAST, RegionCode

from .models import Population, Result

ID = {"min_value": 1, "max_value": 2**63 - 1}


class GroupInput(serializers.Serializer):
    """Create a group under periodic testing: its population, region, and the place or employer it belongs to."""

    name = serializers.CharField(max_length=200, label=_("Name"))
    population = LabelledChoice(Population.choices, label=_("Key population"))
    region = RegionCode(required=True, label=_("Region"))
    place = serializers.IntegerField(required=False, allow_null=True, label=_("Key place"), **ID)
    employer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="",
                                          label=_("Employer"))
    employer_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                          label=_("Employer's unified social credit code"))
    frequency_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=31,
                                              label=_("Test at least every (days)"))
    effective_from = DateField(required=False, allow_null=True, label=_("From"))

    def validate_employer_code(self, value: str) -> str:
        if not value:
            return ""
        try:
            return parse_credit_code(value)
        except CreditCodeError as exc:
            raise serializers.ValidationError(str(CREDIT_CODE_ERRORS[str(exc)])) from exc


class FrequencyInput(serializers.Serializer):
    """Change a group's test frequency from a day on."""

    days = serializers.IntegerField(min_value=1, max_value=31, label=_("Test at least every (days)"))
    effective_from = DateField(label=_("From"))


class MemberInput(serializers.Serializer):
    """Put a person on a group's roster (a row of a roster import): the group by number, the person as the
    registry takes one (found by citizen ID when registered), the days of membership."""

    group = serializers.IntegerField(label=_("Group"), **ID)
    name = serializers.CharField(max_length=64, label=_("Name"))
    citizen_id = serializers.CharField(max_length=32, label=_("Citizen ID"))
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="", label=_("Phone"))
    sex = serializers.CharField(max_length=1, required=False, allow_blank=True, default="", label=_("Sex"))
    address_region = RegionCode(required=True, label=_("Region of residence"))
    start = DateField(label=_("Member from"))
    end = DateField(required=False, allow_null=True, label=_("Member until"))

    def validate(self, attrs):
        if attrs.get("end") is not None and attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": [_("The end of membership lies before its start.")]})
        return attrs


class ResultInput(serializers.Serializer):
    """Record a test of a person on a group's roster (a row of a test import). The day of the sample, or its
    moment (``sampled_at``, as laboratories send it, often in UTC): the test counts on the *local* day of that
    moment (``TIME_ZONE``) — a sample at 23:59 Beijing time is that day's, one at 00:01 the next day's."""

    group = serializers.IntegerField(label=_("Group"), **ID)
    citizen_id = serializers.CharField(max_length=32, label=_("Citizen ID"))
    sampled_on = DateField(window=PAST, required=False, label=_("Sampled on"))
    sampled_at = DateTimeField(window=PAST, required=False, write_only=True, label=_("Sampled at"))
    result = LabelledChoice(Result.choices, label=_("Result"))

    def validate(self, attrs):
        moment = attrs.pop("sampled_at", None)
        if moment is not None:
            day = timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()
            if attrs.get("sampled_on") not in (None, day):
                raise serializers.ValidationError({"sampled_on": [_("The day and the moment of the sample differ.")]})
            attrs["sampled_on"] = day
        if attrs.get("sampled_on") is None:
            raise serializers.ValidationError({"sampled_on": [_("Give the day (or the moment) of the sample.")]})
        return attrs

    def validate_citizen_id(self, value: str) -> str:
        from fangkong.persons.rules import citizen_id_verdict

        verdict = citizen_id_verdict(value)
        if isinstance(verdict, str):
            raise serializers.ValidationError(verdict)
        return verdict.number


#: What the import page's choice stands for: the import job's kind (``apps.py``, ``import_kinds``).
IMPORT_KINDS = {"groups": "keypop_groups", "roster": "keypop_roster", "tests": "keypop_results"}


class PositiveCaseInput(serializers.Serializer):
    """Register the case of a positive test through the cases service (the group page's form, the API)."""

    test = serializers.IntegerField(label=_("Test"), **ID)
    diagnosed_at = DateTimeField(window=PAST, label=_("Diagnosed at"))
    classification = serializers.ChoiceField((("confirmed", _("Confirmed case")),
                                              ("asymptomatic", _("Asymptomatic infection"))),
                                             default="confirmed", label=_("Classification"))


class ImportInput(serializers.Serializer):
    """Groups, a roster or a file of test results to import as a job (the import page; the API has one
    address per kind)."""

    kind = serializers.ChoiceField((("groups", _("Groups")), ("roster", _("A roster")), ("tests", _("Test results"))),
                                   label=_("The file holds"))
    file = serializers.FileField(label=_("File (CSV or XLSX)"))


class GroupAction(serializers.Serializer):
    """Which of the group page's forms was posted (each then has its own schema)."""

    action = serializers.ChoiceField(("member", "test", "frequency", "case"), label=_("Action"))
