"""Input schemas of the retention module: one per action, used by the page and the API (``fangkong.inputs``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.request_params import RegionCode

from .models import Action, Clock, DataCategory, LegalHold


class PolicyChangeInput(serializers.Serializer):
    """Propose a new policy for a category (in force once a second administrator approves)."""

    category = serializers.ChoiceField(DataCategory.choices, label=_("Data category"))
    clock = serializers.ChoiceField(Clock.choices, label=_("Starts at"))
    period_days = serializers.IntegerField(min_value=0, max_value=100 * 366, label=_("Retention period (days)"))
    action = serializers.ChoiceField(Action.choices, label=_("Action"))
    legal_basis = serializers.CharField(max_length=300, label=_("Legal basis"))
    reason = serializers.CharField(max_length=300, label=_("Reason for the change"))


class DecisionInput(serializers.Serializer):
    """A second administrator's decision on a proposed change or a planned purge."""

    approve = serializers.BooleanField(label=_("Approve"))


class HoldInput(serializers.Serializer):
    """Place a legal hold on one record (by its id) or on a region."""

    target = serializers.ChoiceField(LegalHold.Target.choices, label=_("Held"))
    object_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, label=_("Record id"))
    region = RegionCode(label=_("Region"))
    reason = serializers.CharField(max_length=300, label=_("Reason"))


class EpidemicEndInput(serializers.Serializer):
    """The day an epidemic of a disease was declared over in a region."""

    disease = serializers.CharField(max_length=32, label=_("Disease"))
    region = RegionCode(required=True, label=_("Region"))
    declared_over = serializers.DateField(label=_("Declared over on"))


class PurgePlanInput(serializers.Serializer):
    """A dry run: the region to purge and the day the records must be due by (today if empty)."""

    region = RegionCode(required=True, label=_("Region"))
    as_of = serializers.DateField(required=False, allow_null=True, label=_("Records due on"))
