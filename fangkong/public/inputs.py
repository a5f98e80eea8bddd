"""Input schemas of the public module: one per action (``fangkong.inputs``), shared by the pages and the API."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from fangkong.request_params import Id, Query, RegionCode

from .models import (
    ADDRESS_MAX,
    BODY_MAX,
    HOURS_NOTE_MAX,
    SITE_NAME_MAX,
    TITLE_MAX,
    TestingSite,
    hours_problem,
)

#: ISO weekdays (1 Monday … 7 Sunday), as the testing sites' hours store them.
WEEKDAYS = ((1, pgettext_lazy("weekday", "Monday")), (2, pgettext_lazy("weekday", "Tuesday")),
            (3, pgettext_lazy("weekday", "Wednesday")), (4, pgettext_lazy("weekday", "Thursday")),
            (5, pgettext_lazy("weekday", "Friday")), (6, pgettext_lazy("weekday", "Saturday")),
            (7, pgettext_lazy("weekday", "Sunday")))


class NoticeInput(serializers.Serializer):
    """Draft an official notice: plain text in Chinese and English, bounded."""

    region = RegionCode(required=True, label=_("Region"))
    title_zh = serializers.CharField(max_length=TITLE_MAX, label=_("Title (Chinese)"))
    title_en = serializers.CharField(max_length=TITLE_MAX, label=_("Title (English)"))
    body_zh = serializers.CharField(max_length=BODY_MAX, label=_("Text (Chinese)"))
    body_en = serializers.CharField(max_length=BODY_MAX, label=_("Text (English)"))


class TestingSiteInput(serializers.Serializer):
    """Draft a testing site, or a new version of one (``replaces``): plain text in both languages, bounded;
    the hours as days of the week and one period (00:00–00:00: all day)."""

    region = RegionCode(required=True, label=_("County"))
    name_zh = serializers.CharField(max_length=SITE_NAME_MAX, label=_("Name (Chinese)"))
    name_en = serializers.CharField(max_length=SITE_NAME_MAX, label=_("Name (English)"))
    address_zh = serializers.CharField(max_length=ADDRESS_MAX, label=_("Address (Chinese)"))
    address_en = serializers.CharField(max_length=ADDRESS_MAX, label=_("Address (English)"))
    weekdays = serializers.MultipleChoiceField(choices=WEEKDAYS, allow_empty=False, label=_("Days open"))
    opens_at = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"], label=_("Opens at"))
    closes_at = serializers.TimeField(format="%H:%M", input_formats=["%H:%M"], label=_("Closes at"))
    hours_note_zh = serializers.CharField(max_length=HOURS_NOTE_MAX, required=False, allow_blank=True, default="",
                                          label=_("Note on the hours (Chinese)"))
    hours_note_en = serializers.CharField(max_length=HOURS_NOTE_MAX, required=False, allow_blank=True, default="",
                                          label=_("Note on the hours (English)"))
    services = serializers.MultipleChoiceField(choices=TestingSite.Service.choices, allow_empty=False,
                                               label=_("Services"))
    status = serializers.ChoiceField(choices=TestingSite.Status.choices, default=TestingSite.Status.OPEN,
                                     label=_("Status"))
    replaces = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                        max_value=2**31 - 1, label=_("Replaces the approved version"))

    def validate(self, data):
        if problem := hours_problem(data["opens_at"], data["closes_at"]):
            raise serializers.ValidationError({"closes_at": [problem]})
        data["weekdays"] = sorted(int(d) for d in data["weekdays"])
        data["services"] = [s for s in TestingSite.Service.values if s in data["services"]]
        return data


class TransitionInput(serializers.Serializer):
    """Approve or withdraw a notice or a testing site (API)."""

    to = serializers.ChoiceField(choices=[("approved", _("Approved")), ("withdrawn", _("Withdrawn"))],
                                 label=_("New status"))


class TestingSiteNewQuery(Query):
    """The testing-site form's address: ``?replaces=<id>`` drafts a new version of that site, its values filled in."""

    replaces = Id(help_text="the testing site this draft replaces")
