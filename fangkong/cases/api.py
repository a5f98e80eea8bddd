"""REST API of the cases app (thin: scoped selectors, one service per write, one error shape).

Cross-region links are serialised with ``CaseLinkSerializer``: for a linked case outside the caller's
scope only its case number and city are given (``case_id`` is null, no person).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api import fields as api_fields
from fangkong.api.errors import stale_version_response
from fangkong.api.parsers import JSONObjectParser
from fangkong.cases import jobs, selectors, services
from fangkong.cases.inputs import (
    CaseEditInput,
    CaseEnlistInput,
    CaseReclassifyInput,
    ContactConvertInput,
    ContactEnlistInput,
    ExposureRecordInput,
    ImportJobInput,
    RiskAreaDesignateInput,
    RiskAreaLiftInput,
)
from fangkong.cases.params import (
    CaseFilters,
    CaseListQuery,
    ContactFilters,
    ContactListQuery,
    ExposureListQuery,
    TimelinessQuery,
)
from fangkong.inputs import api_input
from fangkong.persons.shown import person_shown
from fangkong.regions import selectors as region_selectors
from fangkong.request_params import PAST, filters_of, params_of

stale = stale_version_response  # the one 409 answer (fangkong.api.errors)


class CaseLinkSerializer(serializers.Serializer):
    case_id = serializers.IntegerField(allow_null=True)
    case_no = serializers.CharField()
    city_code = serializers.CharField()
    city_name = serializers.CharField()
    in_scope = serializers.BooleanField()
    person_name = serializers.CharField()


class PersonShownMixin:
    """The person fields of a case or contact row as ``fangkong.persons.shown`` lets the caller see them:
    name and citizen-ID mask for named readers (empty otherwise), sex and age band for every reader."""

    person_region_field = "report_region_id"

    def _shown(self, row):
        cache = self.context.setdefault("_shown", {})
        key = (type(row).__name__, row.pk)
        if key not in cache:
            cache[key] = person_shown(self.context["request"].user, row.person, getattr(row, self.person_region_field))
        return cache[key]

    def get_person_name(self, row) -> str:
        shown = self._shown(row)
        return shown.name if shown else ""

    def get_citizen_id_masked(self, row) -> str:
        shown = self._shown(row)
        return shown.citizen_id if shown else ""

    def get_sex(self, row) -> str:
        shown = self._shown(row)
        return shown.sex if shown else ""

    def get_age_band(self, row) -> str:
        shown = self._shown(row)
        return shown.age_band if shown else ""


class CaseOutputSerializer(PersonShownMixin, serializers.Serializer):
    id = serializers.IntegerField()
    case_no = serializers.CharField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.SerializerMethodField(help_text="empty unless the caller may read named line lists")
    citizen_id_masked = serializers.SerializerMethodField(help_text="the mask; empty unless named")
    sex = serializers.SerializerMethodField()
    age_band = serializers.SerializerMethodField(help_text="ten-year band, e.g. 30–39")
    disease = serializers.CharField(source="disease.code")
    classification = serializers.CharField()
    onset_date = api_fields.DateField(window=PAST, allow_null=True)
    first_visit_at = api_fields.DateTimeField(allow_null=True)
    sampling_date = api_fields.DateField(allow_null=True)
    diagnosed_at = api_fields.DateTimeField()
    reported_at = api_fields.DateTimeField()
    report_deadline = api_fields.DateTimeField()
    reported_late = serializers.BooleanField()
    detection_route = serializers.CharField()
    imported = serializers.BooleanField()
    origin = serializers.CharField()
    severity = serializers.CharField()
    outcome = serializers.CharField()
    residence_region = serializers.CharField(source="residence_region_id")
    report_region = serializers.CharField(source="report_region_id")
    isolated_at = api_fields.DateTimeField(allow_null=True)
    treatment_at = api_fields.DateTimeField(allow_null=True)
    cluster = serializers.IntegerField(source="cluster_id", allow_null=True)
    version = serializers.IntegerField()


class CaseDetailSerializer(CaseOutputSerializer):
    infector = serializers.SerializerMethodField()
    infectees = serializers.SerializerMethodField()
    classification_history = serializers.SerializerMethodField()
    sections = api_fields.RecordSections()

    @extend_schema_field(CaseLinkSerializer(allow_null=True))
    def get_infector(self, case):
        link = selectors.case_link(self.context["request"].user, case.infector)
        return CaseLinkSerializer(link).data if link else None

    @extend_schema_field(CaseLinkSerializer(many=True))
    def get_infectees(self, case):
        return CaseLinkSerializer(selectors.case_infectees(user=self.context["request"].user, case=case),
                                  many=True).data

    def get_classification_history(self, case) -> list[dict]:
        return [{"previous": h.previous, "classification": h.classification, "changed_at": h.changed_at,
                 "reason": h.reason} for h in case.classification_history.all()]


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases in the caller's scope, paged by keyset (``fangkong.api.pagination``). Filters: q,
    classification (one, or several separated by commas), detection_route, imported, late, region,
    date_from, date_to (report dates), onset_from, onset_to (onset dates), cluster, disease; ``ordering`` =
    reported, -reported, onset, -onset, case_no, region. ``PATCH`` needs the ``version`` read: a stale one
    is refused with 409."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": Shows(Category.PSEUDONYMISED), "create": Shows(Category.NAMED), "partial_update": Shows(Category.NAMED), "reclassify": Shows(Category.NAMED)}
    query_params = {"list": CaseListQuery}
    orderings, default_ordering = selectors.CASE_ORDERINGS, "-reported"

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseOutputSerializer

    def get_queryset(self):
        params = params_of(self.request)
        return selectors.case_list(user=self.request.user, filters=filters_of(params, CaseFilters),
                                   ordering=params.get("ordering") or self.default_ordering)

    def get_object(self):
        return selectors.case_get(user=self.request.user, case_id=self.kwargs["pk"])

    @extend_schema(request=CaseEnlistInput, responses={201: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        case = services.case_enlist(actor=request.user, request=request, **api_input(CaseEnlistInput, request))
        return Response(CaseDetailSerializer(case, context={"request": request}).data, status=201)

    @extend_schema(request=CaseEditInput, responses=CaseDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        case = self.get_object()
        changes = api_input(CaseEditInput, request)
        version = changes.pop("version")
        try:
            case = services.case_update(actor=request.user, case=case, expected_version=version, changes=changes,
                                        request=request)
        except services.StaleEditError as exc:
            return stale(exc)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)

    @extend_schema(request=CaseReclassifyInput, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reclassify(self, request, pk=None, **kwargs):
        case = self.get_object()
        data = api_input(CaseReclassifyInput, request)
        try:
            case = services.case_reclassify(actor=request.user, case=case, request=request,
                                            classification=data["classification"],
                                            expected_version=data["version"], reason=data["reason"])
        except services.StaleEditError as exc:
            return stale(exc)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


class ContactOutputSerializer(PersonShownMixin, serializers.Serializer):
    person_region_field = "region_id"

    id = serializers.IntegerField()
    contact_no = serializers.CharField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.SerializerMethodField(help_text="empty unless the caller may read named line lists")
    sex = serializers.SerializerMethodField()
    age_band = serializers.SerializerMethodField(help_text="ten-year band, e.g. 30–39")
    category = serializers.CharField()
    source_case = serializers.SerializerMethodField()
    exposure_type = serializers.CharField()
    exposure_start = api_fields.DateField(window=PAST, allow_null=True)
    exposure_end = api_fields.DateField(window=PAST, allow_null=True)
    listed_at = api_fields.DateTimeField()
    quarantined_at = api_fields.DateTimeField(allow_null=True)
    quarantine_place = serializers.CharField()
    status = serializers.CharField()
    released_at = api_fields.DateTimeField(allow_null=True, help_text="end of management (released or lost)")
    protocol = serializers.CharField(source="protocol.code")
    test_schedule = serializers.JSONField()
    release_due = api_fields.DateField(allow_null=True)
    # Day 0 of the management period: the last exposure, or the listing date when it is unknown.
    management_counted_from = api_fields.DateField()
    last_exposure_unknown = serializers.BooleanField()
    region = serializers.CharField(source="region_id")
    converted_case = serializers.IntegerField(source="converted_case_id", allow_null=True)
    version = serializers.IntegerField()

    @extend_schema_field(CaseLinkSerializer)
    def get_source_case(self, contact):
        links = self.context.get("links")
        link = links[contact.pk] if links else selectors.case_link(self.context["request"].user, contact.source_case)
        return CaseLinkSerializer(link).data


class ContactDetailSerializer(ContactOutputSerializer):
    sections = api_fields.RecordSections()


class ContactUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    quarantined_at = api_fields.DateTimeField(required=False)
    quarantine_place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.CharField(required=False)
    # An edited exposure window counts the management period again from its end (audited).
    exposure_start = api_fields.DateField(window=PAST, required=False, allow_null=True)
    exposure_end = api_fields.DateField(window=PAST, required=False, allow_null=True)
    # Released or lost: when management ended (default now); a time alone corrects an ended contact's.
    released_at = api_fields.DateTimeField(required=False)


class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contacts in the caller's scope, paged by keyset. Filters: q, category, status, region, source_case,
    date_from, date_to; ``ordering`` = listed, -listed, quarantined, contact_no. ``convert`` turns a contact
    who tested positive into a case whose infector is the contact's source case."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": Shows(Category.PSEUDONYMISED), "create": Shows(Category.NAMED), "partial_update": Shows(Category.NAMED), "convert": Shows(Category.NAMED)}
    serializer_class = ContactOutputSerializer
    query_params = {"list": ContactListQuery}
    orderings, default_ordering = selectors.CONTACT_ORDERINGS, "-listed"

    def get_serializer_class(self):
        return ContactDetailSerializer if self.action == "retrieve" else ContactOutputSerializer

    def get_queryset(self):
        params = params_of(self.request)
        return selectors.contact_list(user=self.request.user, filters=filters_of(params, ContactFilters),
                                      ordering=params.get("ordering") or self.default_ordering)

    def get_object(self):
        return selectors.contact_get(user=self.request.user, contact_id=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        def serialize(rows):
            links = dict(zip([k.pk for k in rows], selectors.case_links(request.user, [k.source_case for k in rows]),
                             strict=True))
            return ContactOutputSerializer(rows, many=True, context={"request": request, "links": links}).data

        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(serialize(page))

    @extend_schema(request=ContactEnlistInput, responses={201: ContactOutputSerializer})
    def create(self, request, *args, **kwargs):
        contact = services.contact_enlist(actor=request.user, request=request, **api_input(ContactEnlistInput, request))
        return Response(ContactOutputSerializer(contact, context={"request": request}).data, status=201)

    @extend_schema(request=ContactUpdateSerializer, responses=ContactOutputSerializer)
    def partial_update(self, request, *args, **kwargs):
        contact = self.get_object()
        data = ContactUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        version = changes.pop("version")
        try:
            contact = services.contact_update(actor=request.user, contact=contact, expected_version=version,
                                              changes=changes, request=request)
        except services.StaleEditError as exc:
            return stale(exc)
        return Response(ContactOutputSerializer(contact, context={"request": request}).data)

    @extend_schema(request=ContactConvertInput, responses={201: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None, **kwargs):
        contact = self.get_object()
        fields = api_input(ContactConvertInput, request)
        version = fields.pop("version")
        try:
            case = services.contact_convert_to_case(actor=request.user, contact=contact, expected_version=version,
                                                    request=request, **fields)
        except services.StaleEditError as exc:
            return stale(exc)
        return Response(CaseDetailSerializer(case, context={"request": request}).data, status=201)


class ClusterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.CharField(source="region_id")
    n_cases = serializers.IntegerField(required=False)


class ClusterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Clusters in scope; a cluster's detail carries its chain graph, timeline and statistics."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.PSEUDONYMISED)
    serializer_class = ClusterSerializer

    def get_queryset(self):
        return selectors.cluster_list(user=self.request.user)

    def retrieve(self, request, *args, **kwargs):
        cluster = selectors.cluster_get(user=request.user, cluster_id=kwargs["pk"])
        return Response({**ClusterSerializer(cluster).data,
                         "chain": selectors.cluster_chain(user=request.user, cluster=cluster)})


class RiskAreaSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    kind = serializers.CharField()
    area_name = serializers.CharField()
    address = serializers.CharField()
    level = serializers.CharField()
    designated_from = api_fields.DateField()
    lifted_on = api_fields.DateField(allow_null=True)
    negative_screen_on = api_fields.DateField(allow_null=True)


class RiskAreaViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Risk areas in scope with ``can_be_lifted_on`` from the lifting rule of the protocol in force on the
    designation date (null while a required negative area-wide screen is missing)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    serializer_class = RiskAreaSerializer

    def get_queryset(self):
        return selectors.risk_area_list(user=self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response([self._with_lift(request, area) for area in page])

    @staticmethod
    def _with_lift(request, area) -> dict:
        last = selectors.risk_area_last_case(user=request.user, area=area)
        lift, protocol = services.risk_area_lift_date(area, last_infection=last)
        return {**RiskAreaSerializer(area).data, "can_be_lifted_on": lift, "protocol": protocol.code}

    @extend_schema(request=RiskAreaLiftInput, responses=RiskAreaSerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None, **kwargs):
        area = selectors.risk_area_get(user=request.user, area_id=pk)
        data = api_input(RiskAreaLiftInput, request)
        area = services.risk_area_lift(actor=request.user, area=area, request=request,
                                       lifted_on=data["lifted_on"], override_reason=data["override_reason"],
                                       last_infection=selectors.risk_area_last_case(user=request.user, area=area))
        return Response(self._with_lift(request, area))

    @extend_schema(request=RiskAreaDesignateInput, responses={201: RiskAreaSerializer})
    def create(self, request, *args, **kwargs):
        data = api_input(RiskAreaDesignateInput, request)
        cases = selectors.case_list_by_numbers(user=request.user, text=data.pop("case_nos"))
        area = services.risk_area_designate(actor=request.user, request=request, cases=cases, **data)
        return Response(self._with_lift(request, area), status=201)


class ExposureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    place_name = serializers.CharField()
    region = serializers.CharField(source="region_id")
    starts_at = api_fields.DateTimeField(window=PAST)
    ends_at = api_fields.DateTimeField(window=PAST)
    description = serializers.CharField()


class ExposureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Exposure events (place, time window, cases present) in scope; ``?case=ID`` filters by case."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": Shows(Category.PSEUDONYMISED), "create": Shows(Category.NAMED)}
    serializer_class = ExposureSerializer
    query_params = {"list": ExposureListQuery}

    def get_queryset(self):
        case_id = params_of(self.request).get("case")
        case = selectors.case_get(user=self.request.user, case_id=case_id) if case_id else None
        return selectors.exposure_list(user=self.request.user, case=case)

    @extend_schema(request=ExposureRecordInput, responses={201: ExposureSerializer})
    def create(self, request, *args, **kwargs):
        fields = api_input(ExposureRecordInput, request)
        cases = [selectors.case_get(user=request.user, case_id=pk) for pk in fields.pop("cases")]
        cases += selectors.case_list_by_numbers(user=request.user, text=fields.pop("case_nos"))
        exposure = services.exposure_record(actor=request.user, request=request, cases=cases, **fields)
        return Response(ExposureSerializer(exposure).data, status=201)


class TimelinessView(APIView):
    """Tracing timeliness in ``?region=CODE`` (default: the caller's first region) per child region and day;
    ``date_from`` / ``date_to`` (YYYY-MM-DD) bound the period."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": TimelinessQuery}

    @extend_schema(responses=dict)
    def get(self, request):
        params = params_of(request)
        region = timeliness_region(request.user, params.get("region"))
        report = selectors.tracing_timeliness(user=request.user, region=region, date_from=params.get("date_from"),
                                              date_to=params.get("date_to"))
        return Response({"region": report["region"], "total": report["total"].as_dict(),
                         "children": [r.as_dict() for r in report["children"]],
                         "days": [r.as_dict() for r in report["days"]]})


def timeliness_region(user, code: str | None):
    """The region of a timeliness report: ``code`` (in scope), or the user's first region."""
    if code:
        return region_selectors.region_get(user=user, code=code)
    roots = region_selectors.scope_roots(user=user)
    if not roots:
        from django.http import Http404

        raise Http404("no region in scope")
    return roots[0]


class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    file_name = serializers.CharField(source="shown_file_name")
    status = serializers.CharField()
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField(help_text="rows checked so far")
    saving = serializers.BooleanField(help_text="every row is checked and the rows are being written")
    stalled = serializers.BooleanField(help_text="no sign of life for 10 minutes: may be run again")
    created_count = serializers.IntegerField()
    existing_count = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField(),
                                   help_text="when failed: every error (row, column, message), the first 1,000")
    created_at = api_fields.DateTimeField()
    heartbeat_at = api_fields.DateTimeField(allow_null=True)
    finished_at = api_fields.DateTimeField(allow_null=True)


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of cases or contacts as background jobs, as on the import page: POST a file (multipart) and
    get 202 with the job; GET the job for its progress and, once failed, every error; POST ``rerun`` on a
    stalled job. Nothing is saved unless every row is valid; rows already imported are skipped. A user
    sees only the jobs they submitted."""

    fangkong_access = REGION_SCOPED
    # reading one's own jobs serves every reach (``jobs.OWN_JOB_REACHES``); submitting cases or contacts: the region
    fangkong_shows = {"*": Shows(Category.NAMED), **dict.fromkeys(
        ("list", "retrieve", "rerun"), Shows(Category.NAMED, frozenset(jobs.OWN_JOB_REACHES)))}
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser, JSONObjectParser]

    def get_queryset(self):
        return selectors.import_job_list(user=self.request.user)

    def retrieve(self, request, *args, **kwargs):
        return Response(ImportJobSerializer(selectors.import_job_get(user=request.user, job_id=kwargs["pk"])).data)

    @extend_schema(request={"multipart/form-data": ImportJobInput}, responses={202: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        jobs.import_allowed_check(request.user)  # before the upload is read
        data = ImportJobInput(data=request.data)
        data.is_valid(raise_exception=True)
        job = jobs.import_job_submit(actor=request.user, request=request, **data.validated_data)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ImportJobSerializer)
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None, **kwargs):
        job = selectors.import_job_get(user=request.user, job_id=pk)
        return Response(ImportJobSerializer(jobs.import_job_rerun(actor=request.user, job=job, request=request)).data)
