"""Input schemas of the interop module: one per action, used by the page and the API (``fangkong.inputs``)."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.regions.codes import CODE_PATTERN
from fangkong.request_params import PAST, Choice, Day, Flag, Id, RegionCode, Text

from .models import Destination

UID = re.compile(r"^[A-Za-z][A-Za-z0-9]{10}$")  # a DHIS2 UID: a letter, then ten letters or digits


class RegionCodes(serializers.CharField):
    """Region codes separated by commas or spaces; the value is their list."""

    def __init__(self, **kwargs):
        super().__init__(max_length=2000, **kwargs)

    def to_internal_value(self, data):
        codes = [c for c in re.split(r"[\s,，、;]+", super().to_internal_value(data)) if c]
        bad = [c for c in codes if not CODE_PATTERN.fullmatch(c)]
        if bad:
            raise serializers.ValidationError(_("Not a region code of 6, 9 or 12 digits: %(codes)s.") % {
                "codes": ", ".join(bad[:5])})
        return codes


class BaseUrl(serializers.URLField):
    def to_internal_value(self, data):
        url = super().to_internal_value(data)
        if not url.lower().startswith(("https://", "http://")):
            raise serializers.ValidationError(_("Enter an http or https address."))
        return url


class Dhis2Uid(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(UID.pattern, max_length=11, error_messages={
            "invalid": _("A DHIS2 identifier has 11 letters or digits and begins with a letter.")}, **kwargs)


class DestinationFields(serializers.Serializer):
    name = Text(required=True, max_length=100, label=_("Name"))
    kind = Choice(Destination.Kind.choices, required=True, label=_("Kind"))
    base_url = BaseUrl(max_length=300, label=_("Base URL"))
    auth = Choice(Destination.Auth.choices, label=_("Authentication"), default=Destination.Auth.NONE)
    username = Text(max_length=150, label=_("User name"), allow_blank=True, default="")
    secret = Text(max_length=500, label=_("Password or token"), allow_blank=True, default="", write_only=True)
    regions = RegionCodes(label=_("Regions whose data may go there"))
    identifiers_entitled = Flag(label=_("Entitled to identifiers"), default=False)
    dhis2_data_set = Dhis2Uid(required=False, allow_blank=True, default="", label=_("DHIS2 data set UID"))
    dhis2_period = Choice([("", "—"), ("daily", _("Daily")), ("weekly", _("Weekly"))], allow_blank=True,
                          default="", label=_("DHIS2 period type"))
    active = Flag(label=_("Active"), default=True)
    reason = Text(required=True, max_length=200, label=_("Reason"))

    def validate(self, attrs):
        if attrs.get("kind") == Destination.Kind.DHIS2 and not (attrs.get("dhis2_data_set") and attrs.get("dhis2_period")):
            raise serializers.ValidationError({"dhis2_data_set": [_("A DHIS2 destination needs its data set and "
                                                                    "period type.")]})
        return attrs


class DestinationInput(DestinationFields):
    """Configure a destination: the region it belongs to (the administrator's), where it is, how to sign in,
    which regions' data may go there, and why."""

    region = RegionCode(required=True, label=_("Region"))


class DestinationEditInput(DestinationFields):
    """Change a destination (its region stays); an empty password keeps the sealed one."""


class Dhis2MappingInput(serializers.Serializer):
    """One figure of the DHIS2 mapping of a destination."""

    figure = Text(max_length=64, required=True, label=_("Figure"),
                  help_text="a figure's code: new_confirmed, new_asymptomatic, new_suspected, or a module's "
                            "(laboratory.tests, resources.beds_occupied, surveillance.<indicator>…)")
    data_element = Dhis2Uid(label=_("Data element UID"))
    category_option_combo = Dhis2Uid(label=_("Category option combo UID"))


class Dhis2OrgUnitInput(serializers.Serializer):
    """A region's DHIS2 organisation unit."""

    region = RegionCode(required=True, label=_("Region"))
    org_unit = Dhis2Uid(label=_("Organisation unit UID"))


class Dhis2ExportInput(serializers.Serializer):
    """Send a period's figures of a region to a DHIS2 destination (a dry run first)."""

    destination = Id(required=True, label=_("Destination"))
    region = RegionCode(required=True, label=_("Region"))
    day = Day(required=True, window=PAST, label=_("A day of the period"))


class CaseReportSendInput(serializers.Serializer):
    """Send one case's report (a FHIR document Bundle) to a FHIR destination."""

    destination = Id(required=True, label=_("Destination"))
    case_no = Text(max_length=40, required=True, label=_("Case number"))


class CaseReportsExportInput(serializers.Serializer):
    """Export the case reports of a region's subtree and a period of report dates, for a FHIR destination, as
    an NDJSON file of document Bundles (``fhir_bulk.case_reports_export``)."""

    destination = Id(required=True, label=_("Destination"))
    region = RegionCode(required=True, label=_("Region"))
    reported_from = Day(required=True, label=_("Reported from"))
    reported_to = Day(required=True, label=_("Reported to"))
    reason = Text(max_length=200, allow_blank=True, default="",
                  label=_("Reason (a destination that receives identifiers in clear)"))


class CaseReportsFileInput(serializers.Serializer):
    """An NDJSON file of FHIR case-report Bundles to import as a job (``fhir_bulk.bundles_import``)."""

    file = serializers.FileField(label=_("File (NDJSON: one Bundle per line)"))
