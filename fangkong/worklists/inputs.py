"""Input schemas of the worklists module: one per action, used by the page, the API and the import
(``fangkong.inputs``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.request_params import Integer, PageQuery, Query, RegionCode

from .models import CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR, CalendarDayKind, Severity, SlaClass, Unit


class ProblemInput(serializers.Serializer):
    """Raise a problem found by staff (the other modules call ``services.problem_raise`` directly)."""

    region = RegionCode(required=True, label=_("Region"))
    severity = serializers.ChoiceField(choices=Severity.choices, label=_("Severity"))
    title = serializers.CharField(max_length=200, label=_("Title"))
    evidence = serializers.CharField(required=False, allow_blank=True, default="", label=_("Evidence"))
    found_at = serializers.DateTimeField(required=False, allow_null=True, default=None, label=_("Found at"))
    source_key = serializers.CharField(max_length=128, label=_("Reference number"),
                                       help_text=_("Your reference: the same number raised again changes nothing."))


class TaskInput(serializers.Serializer):
    """Create a task: region, owner unit (and person), time limit class, optional deadline."""

    region = RegionCode(required=True, label=_("Region"))
    title = serializers.CharField(max_length=200, label=_("Title"))
    description = serializers.CharField(required=False, allow_blank=True, default="", label=_("Description"))
    owner_unit = serializers.IntegerField(min_value=1, label=_("Owner unit"))
    owner = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None, label=_("Owner"))
    sla_class = serializers.ChoiceField(choices=SlaClass.choices, label=_("Time limit class"))
    deadline = serializers.DateTimeField(required=False, allow_null=True, default=None, label=_("Deadline"))
    problem = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None,
                                       label=_("Problem"))


class AssignInput(serializers.Serializer):
    owner_unit = serializers.IntegerField(min_value=1, label=_("Owner unit"))
    owner = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None, label=_("Owner"))
    note = serializers.CharField(required=False, allow_blank=True, default="", label=_("Note"))


class TaskTransitionInput(serializers.Serializer):
    """A step of the state machine; ``note``: the close-out evidence, or the reason to return or cancel."""

    action = serializers.ChoiceField(choices=[("start", _("Start")), ("submit", _("Submit for close-out")),
                                              ("close", _("Verify and close")), ("return", _("Return")),
                                              ("cancel", _("Cancel"))], label=_("Action"))
    note = serializers.CharField(required=False, allow_blank=True, default="", label=_("Evidence or reason"))


class UnitInput(serializers.Serializer):
    region = RegionCode(required=True, label=_("Region"))
    name = serializers.CharField(max_length=100, label=_("Name"))
    kind = serializers.ChoiceField(choices=Unit.Kind.choices, default=Unit.Kind.OTHER, label=_("Kind"))
    standing_duties = serializers.CharField(required=False, allow_blank=True, default="",
                                            label=_("Standing duties"))


class CalendarDayInput(serializers.Serializer):
    """How one day counts on the working calendar of deadlines: a holiday (a weekday off), a weekend day worked
    in exchange (调休), or an ordinary day again (its weekday decides)."""

    day = serializers.DateField(label=_("Day"))
    counts_as = serializers.ChoiceField(choices=CalendarDayKind.choices, label=_("Counts as"))
    note = serializers.CharField(max_length=100, required=False, allow_blank=True, default="", label=_("Note"),
                                 help_text=_("For example the holiday's name, as in the State Council's notice."))


class CalendarQuery(Query):
    """The calendar page's year."""

    year = Integer(minimum=CALENDAR_FIRST_YEAR, maximum=CALENDAR_LAST_YEAR, label=_("Year"))


class TaskListQuery(PageQuery):
    """The task lists' parameters: paging, and the region whose subtree to show (the dashboard panel's links)."""

    region = RegionCode(label=_("Region"))
