"""Input schemas of sentinel surveillance (``fangkong.inputs``), one per action, bound by the page and by the
API alike: the types only; every rule about the values is the services'.

- reporting: ``ReportInput`` (the API's one count), ``site_day_input`` (the page's sheet of a site's day);
  whole numbers, plausible sizes, a date not in the future, the site's indicators, the denominator, at least
  one count on a day's sheet are ``report_submit``'s, ``site_day_report``'s and ``reports_import``'s
  (which applies the same ``_check_values`` to each row of a file);
- the response to an alert: ``AlertTransitionInput`` (``alert_transition``: which step may follow which, the
  version), ``AlertOpenCaseInput`` (``alert_open_case``: the citizen ID, the person, the disease);
- configuration: ``DetectionConfigInput`` (``detection_config_update``: the method's parameters),
  ``ResponseTargetInput`` and ``EarliesTargetInput`` (``response_target_set`` / ``earlies_target_set``: the
  ranges of hours and of the response rate).
"""

from __future__ import annotations

import json
import math

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.api import fields as api_fields
from fangkong.request_params import PAST
from fangkong.surveillance.models import AlertStatus, DetectionConfig


class ReportInput(serializers.Serializer):
    """One daily count of one indicator at a site (the API; a second report of the day corrects it)."""

    site = serializers.IntegerField(help_text="site id")
    indicator = serializers.CharField(max_length=40)
    date = serializers.CharField(max_length=10, help_text="YYYY-MM-DD")
    count = serializers.JSONField()
    denominator = serializers.JSONField(required=False, allow_null=True)


def site_day_input(indicator_codes) -> type[serializers.Serializer]:
    """The daily report page's sheet for a site: the day and, for each indicator the site reports, a count
    and a denominator (``count-<code>``, ``denominator-<code>``), as typed; ``site_day_report`` judges them."""
    fields: dict[str, serializers.Field] = {
        "date": serializers.CharField(required=False, allow_blank=True, max_length=10)}
    for code in indicator_codes:
        fields[f"count-{code}"] = serializers.CharField(required=False, allow_blank=True, max_length=40)
        fields[f"denominator-{code}"] = serializers.CharField(required=False, allow_blank=True, max_length=40)
    return type("SiteDayInput", (serializers.Serializer,), fields)


class ReportSheetChoice(serializers.Serializer):
    """Which sheet a posted daily report is for: the site (one the user reports for, else 404) and the day as
    typed (judged by ``site_day_report`` with the counts; ``reports.report_day`` reads it the same way)."""

    site = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    date = serializers.CharField(required=False, allow_blank=True, default="", max_length=10)


class AlertTransitionInput(serializers.Serializer):
    """One step of an alert's lifecycle (the alert page's buttons, ``POST /api/v1/alerts/<id>/transition/``):
    the status it moves to, a note, and the version the caller read (none: not checked)."""

    status = serializers.ChoiceField(choices=AlertStatus.values, source="to_status")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class AlertOpenCaseInput(serializers.Serializer):
    """A suspected case opened from a confirmed alert (the alert page's form, ``POST
    /api/v1/alerts/<id>/open-case/``): the person by citizen ID (a new one with the name), onset, disease."""

    citizen_id = serializers.CharField(max_length=32)
    name = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    onset_date = api_fields.DateField(window=PAST, required=False, allow_null=True, default=None,
                                      help_text="YYYY-MM-DD")
    disease = serializers.CharField(max_length=32, required=False, default="covid-19")


class JSONObjectField(serializers.JSONField):
    """A JSON object of finite numbers: a form posts its text (empty: ``{}``), the API the object itself
    (whose parser refuses ``NaN`` and ``Infinity``); a number too large for a float (``1e400``) is refused."""

    default_error_messages = {"invalid": _("The parameters must be a JSON object."),
                              "not_finite": _("A number in the parameters is too large.")}

    def to_internal_value(self, data):
        if getattr(data, "is_json_string", False):
            if not data.strip():
                return {}
            try:
                data = json.loads(data, parse_float=self._finite, parse_constant=self._finite)
            except ValueError:
                self.fail("invalid")
            except OverflowError:
                self.fail("not_finite")
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("invalid")
        return value

    @staticmethod
    def _finite(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise OverflowError(text)
        return value


class DetectionConfigInput(serializers.Serializer):
    """Change the detection of one indicator at one level (the detection page's row, ``PATCH
    /api/v1/detection-configs/<id>/``): method, parameters, switch; what is left out is kept (an unticked
    box on the page is a switch turned off)."""

    method = serializers.ChoiceField(choices=DetectionConfig.Method.values, required=False)
    parameters = JSONObjectField(required=False)
    enabled = serializers.BooleanField(required=False)


class DetectionConfigPageInput(DetectionConfigInput):
    """The detection page's row: the configuration it changes (the API names it in the URL)."""

    config = serializers.IntegerField(min_value=1)


class ResponseTargetInput(serializers.Serializer):
    """The response targets of a region and below (the timeliness page, ``POST
    /api/v1/surveillance/response-target/``): hours to acknowledge and to verify, and the response rate as a
    share (``response_rate``) or in per cent (``response_rate_percent``, as the page asks it)."""

    region = serializers.CharField(max_length=12)
    acknowledge_hours = serializers.FloatField()
    verify_hours = serializers.FloatField()
    response_rate = serializers.FloatField(required=False)
    response_rate_percent = serializers.FloatField(required=False)

    def validate(self, attrs):
        percent = attrs.pop("response_rate_percent", None)
        if ("response_rate" in attrs) == (percent is not None):
            raise serializers.ValidationError(
                {"response_rate": [_("Give the response rate once: as a share or in per cent.")]})
        if percent is not None:
            attrs["response_rate"] = percent / 100
        return attrs


class EarliesTargetInput(serializers.Serializer):
    """The earlies' targets of a region and below, in hours per interval (the earlies page, ``POST
    /api/v1/surveillance/earlies-target/``)."""

    region = serializers.CharField(max_length=12)
    onset_visit_hours = serializers.FloatField()
    visit_sampling_hours = serializers.FloatField()
    sampling_report_hours = serializers.FloatField()
    report_isolation_hours = serializers.FloatField()
    isolation_treatment_hours = serializers.FloatField()
