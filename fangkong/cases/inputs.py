"""Input schemas of the cases module (``fangkong.inputs``): the types of what a form posts; every rule about
the values is the services' (``build_contact`` through ``contact_enlist``, the person registry's rules)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.api import fields as api_fields
from fangkong.cases.models import Classification, ContactStatus
from fangkong.request_params import PAST


def _text(max_length: int) -> serializers.CharField:
    return serializers.CharField(default="", allow_blank=True, max_length=max_length)


class ContactEnlistInput(serializers.Serializer):
    """Register a contact of a case, on the page and over the API: the source case by number, the person by
    citizen ID (found, or registered with the name, phone and region of residence when new) or by registry
    number (``person``), the contact's category, region, exposure and the times of listing and quarantine.
    An empty exposure type is "other"."""

    source_case_no = _text(40)
    person = serializers.IntegerField(required=False, allow_null=True, help_text="registry number of the person")
    citizen_id = _text(32)
    name = serializers.CharField(default="", allow_blank=True)
    phone = _text(32)
    address_region = _text(12)
    category = _text(20)
    region = _text(12)
    exposure_type = _text(20)
    exposure_start = api_fields.DateField(default=None, allow_null=True)
    exposure_end = api_fields.DateField(default=None, allow_null=True)
    listed_at = api_fields.DateTimeField(default=None, allow_null=True)
    quarantined_at = api_fields.DateTimeField(default=None, allow_null=True)
    quarantine_place = serializers.CharField(default="", allow_blank=True)

    def validate_exposure_type(self, value):
        return value or "other"


class CaseEnlistInput(serializers.Serializer):
    """Register a case, on the page and over the API: the person by registry number (``person``) or by
    citizen ID (found, or registered with the name, phone and region of residence given), the disease by
    code, the infector by case number, and the case's times and facts. An empty route, severity or outcome
    is the usual one."""

    person = serializers.IntegerField(required=False, allow_null=True, help_text="registry number of the person")
    citizen_id = _text(32)
    name = serializers.CharField(default="", allow_blank=True, help_text="a new person's name")
    phone = _text(32)
    address_region = _text(12)
    disease = serializers.SlugField(default="covid-19", allow_blank=True)
    classification = serializers.CharField(allow_blank=True, max_length=20,
                                           help_text="one of " + ", ".join(Classification.values))
    diagnosed_at = api_fields.DateTimeField(allow_null=True)
    reported_at = api_fields.DateTimeField(required=False, allow_null=True)
    onset_date = api_fields.DateField(window=PAST, required=False, allow_null=True)
    sampling_date = api_fields.DateField(required=False, allow_null=True)
    detection_route = serializers.CharField(default="other", allow_blank=True)
    imported = serializers.BooleanField(default=False)
    origin = serializers.CharField(required=False, allow_blank=True, default="", help_text="at most 100 characters")
    severity = serializers.CharField(default="mild", allow_blank=True)
    outcome = serializers.CharField(default="under_treatment", allow_blank=True)
    report_region = serializers.CharField(max_length=12, allow_blank=True)
    infector_case_no = _text(40)
    first_visit_at = api_fields.DateTimeField(required=False, allow_null=True)
    isolated_at = api_fields.DateTimeField(required=False, allow_null=True)
    treatment_at = api_fields.DateTimeField(required=False, allow_null=True)

    def validate_detection_route(self, value):
        return value or "other"

    def validate_severity(self, value):
        return value or "mild"

    def validate_outcome(self, value):
        return value or "under_treatment"


class CaseEditInput(serializers.Serializer):
    """Edit a case's facts and times (the case page's edit form, ``PATCH /api/v1/cases/<id>/``) under the
    ``version`` read; a field left out is kept, an empty date or time is cleared."""

    version = serializers.IntegerField()
    onset_date = api_fields.DateField(window=PAST, required=False, allow_null=True)
    sampling_date = api_fields.DateField(required=False, allow_null=True)
    detection_route = serializers.CharField(required=False)
    imported = serializers.BooleanField(required=False)
    origin = serializers.CharField(required=False, allow_blank=True, max_length=100)
    severity = serializers.CharField(required=False)
    outcome = serializers.CharField(required=False)
    first_visit_at = api_fields.DateTimeField(required=False, allow_null=True)
    isolated_at = api_fields.DateTimeField(required=False, allow_null=True)
    treatment_at = api_fields.DateTimeField(required=False, allow_null=True)


class CaseReclassifyInput(serializers.Serializer):
    """Re-classify a case (the case page, ``POST /api/v1/cases/<id>/reclassify/``) with the reason."""

    version = serializers.IntegerField()
    classification = serializers.ChoiceField(choices=Classification.values)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class ContactConvertInput(serializers.Serializer):
    """A contact tested positive (the contact page, ``POST /api/v1/contacts/<id>/convert/``): the time of
    diagnosis (required, no default), the report time (default now), classification, sampling and onset."""

    version = serializers.IntegerField()
    diagnosed_at = api_fields.DateTimeField(default=None, allow_null=True)  # required by the rules of a case
    reported_at = api_fields.DateTimeField(required=False)
    classification = serializers.ChoiceField(choices=Classification.values, default="confirmed")
    sampling_date = api_fields.DateField(required=False, allow_null=True)
    onset_date = api_fields.DateField(window=PAST, required=False, allow_null=True)


# What the contact page's status form says happened (``ContactStatusInput.action``) and the status it sets;
# "exposure": the exposure window corrected, the management period counted again from its end.
STATUS_ACTIONS = {"quarantine": ContactStatus.QUARANTINED, "release": ContactStatus.RELEASED,
                  "lost": ContactStatus.LOST, "listed": ContactStatus.LISTED, "exposure": None}


class ContactStatusInput(serializers.Serializer):
    """What happened to a contact (the contact page's status form): quarantined (time required, place),
    released or lost to follow-up (when; default now), back to listed, or the exposure window corrected."""

    version = serializers.IntegerField()
    action = serializers.ChoiceField(choices=list(STATUS_ACTIONS))
    quarantined_at = api_fields.DateTimeField(default=None, allow_null=True)
    quarantine_place = _text(200)
    released_at = api_fields.DateTimeField(default=None, allow_null=True)
    exposure_start = api_fields.DateField(window=PAST, default=None, allow_null=True)
    exposure_end = api_fields.DateField(window=PAST, default=None, allow_null=True)


class RiskAreaLiftInput(serializers.Serializer):
    """Lift a risk area on a date (the risk-area page: today when left empty), with an override reason
    when the protocol's rule does not allow it yet."""

    lifted_on = api_fields.DateField(allow_null=True)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RiskAreaDesignateInput(serializers.Serializer):
    """Designate a risk area (the risk-area page, ``POST /api/v1/risk-areas/``): a whole region, or a named
    compound or building with its address and the case numbers of its own infections."""

    region = serializers.CharField(max_length=12)
    kind = serializers.ChoiceField(choices=["region", "compound", "building"], required=False, default="")
    area_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    level = serializers.ChoiceField(choices=["high", "medium", "low"])
    designated_from = api_fields.DateField()
    negative_screen_on = api_fields.DateField(required=False, allow_null=True)
    case_nos = _text(2000)


class RiskAreaInfectionsInput(serializers.Serializer):
    """New infections found in a compound or building, by case number (the risk-area page)."""

    case_nos = _text(2000)


class ExposureRecordInput(serializers.Serializer):
    """Record an exposure event (the exposure page, ``POST /api/v1/exposures/``): a place in a region, a time
    window, the cases present — by case number (``case_nos``, as the page asks) or by id (``cases``)."""

    place_name = serializers.CharField(max_length=200)
    region = serializers.CharField(max_length=12)
    starts_at = api_fields.DateTimeField(window=PAST)
    ends_at = api_fields.DateTimeField(window=PAST)
    cases = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    case_nos = _text(2000)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


#: What an import file may hold: the kinds of ``cases.imports.COLUMNS`` (a test keeps them equal; the imports
#: package reads this module, so it cannot be read from here).
IMPORT_KINDS = (("cases", _("cases")), ("contacts", _("contacts")))


class ImportJobInput(serializers.Serializer):
    """A file of cases or contacts to import as a background job (the import page, ``POST
    /api/v1/import-jobs/``): what it holds and the file; the job checks the rows."""

    kind = serializers.ChoiceField(choices=IMPORT_KINDS, label=_("The file holds"))
    file = serializers.FileField(source="upload", label=_("File"),
                                 help_text="CSV (UTF-8) or XLSX with the template's header row")
