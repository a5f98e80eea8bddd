"""Input schema of the protocols module: the edit of a version's rules, one schema for the page and the API
(``fangkong.inputs``). Every rule is optional — a field not sent is not changed — and the version read
(optimistic locking) is required. A list of days is a JSON list (API) or the text the page shows
("1, 2, 3" or "1，2，3"); the rules across fields (test days within their period, known risk levels) are the
model's, checked by the service."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.api.fields import DateField

DAYS = {"min_value": 0, "max_value": 366, "required": False}


class TextList(serializers.ListField):
    """A list, sent as a JSON list or as one text of items separated by commas (ASCII or Chinese)."""

    def get_value(self, dictionary):
        if hasattr(dictionary, "getlist"):  # a posted form: one text field
            return dictionary.get(self.field_name, serializers.empty)
        return super().get_value(dictionary)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [item.strip() for item in data.replace("，", ",").split(",") if item.strip()]
        return super().to_internal_value(data)


class ProtocolEditInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=2**31, label=_("Version"))
    name_zh = serializers.CharField(max_length=100, required=False, label=_("name (Chinese)"))
    name_en = serializers.CharField(max_length=100, required=False, label=_("name (English)"))
    effective_from = DateField(required=False, label=_("in force from"))
    close_contact_centralised_days = serializers.IntegerField(**DAYS)
    close_contact_home_days = serializers.IntegerField(**DAYS)
    close_contact_test_days = TextList(child=serializers.IntegerField(min_value=1, max_value=366), required=False,
                                       allow_empty=True)
    close_contact_home_test_days = TextList(child=serializers.IntegerField(min_value=1, max_value=366),
                                            required=False, allow_empty=True)
    secondary_contacts_traced = serializers.BooleanField(required=False)
    secondary_contact_days = serializers.IntegerField(**DAYS)
    secondary_contact_centralised = serializers.BooleanField(required=False)
    secondary_contact_test_days = TextList(child=serializers.IntegerField(min_value=1, max_value=366),
                                           required=False, allow_empty=True)
    inbound_centralised_days = serializers.IntegerField(**DAYS)
    inbound_home_days = serializers.IntegerField(**DAYS)
    risk_levels = TextList(child=serializers.CharField(max_length=16), required=False, allow_empty=True)
    risk_area_lift_days = serializers.IntegerField(**DAYS)
    risk_area_lift_needs_screen = serializers.BooleanField(required=False)
    lookback_days = serializers.IntegerField(**DAYS)
    lookback_from_last_negative = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=4000, label=_("notes"))

    def validate(self, attrs):
        expected = attrs.pop("version")
        return {"changes": attrs, "expected_version": expected}
