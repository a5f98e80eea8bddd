"""REST API of the cases app (thin: scoped selectors, one service per write, one error shape).

Cross-region links are serialised with ``CaseLinkSerializer``: for a linked case outside the caller's
scope only its case number and city are given (``case_id`` is null, no person).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED
from fangkong.api.errors import error_body
from fangkong.cases import imports, jobs, paging, selectors, services
from fangkong.cases.models import Classification, Disease
from fangkong.persons import selectors as person_selectors
from fangkong.regions import selectors as region_selectors

CASE_FILTERS = ("q", "classification", "detection_route", "imported", "late", "region", "date_from", "date_to",
                "onset_from", "onset_to", "cluster", "disease")
CONTACT_FILTERS = ("q", "category", "status", "region", "source_case", "date_from", "date_to")


KEYSET_MAX_LIMIT = 200


def keyset_requested(request) -> bool:
    return "cursor" in request.query_params or "before" in request.query_params


def keyset_response(request, queryset, orderings: dict, default: str, serialize) -> Response:
    """A page read by keyset (``?cursor=`` for the first page, ``?cursor=<next>`` / ``?before=<previous>``
    to move; ``limit`` up to 200): ``count`` is capped at 1,000 (``count_capped`` says when there are more);
    ``next`` and ``previous`` are the URLs of the pages around it. Without ``cursor`` the list keeps its
    limit/offset paging with an exact count."""
    params = request.query_params
    ordering = params.get("ordering", default)
    ordering = ordering if ordering in orderings else default
    try:
        limit = max(1, min(int(params.get("limit", 50)), KEYSET_MAX_LIMIT))
    except ValueError:
        limit = 50
    page = paging.keyset_page(queryset, order=orderings[ordering], ordering=ordering, size=limit,
                              after=params.get("cursor", ""), before=params.get("before", ""))

    def url(**cursor) -> str:
        query = params.copy()
        for name in ("cursor", "before", "offset"):
            query.pop(name, None)
        query.update(cursor)
        return request.build_absolute_uri(request.path) + "?" + query.urlencode()

    return Response({"count": page.count, "count_capped": page.count_capped,
                     "next": url(cursor=page.next_cursor) if page.has_next else None,
                     "previous": url(before=page.previous_cursor) if page.has_previous else None,
                     "results": serialize(page.rows)})


def stale(exc) -> Response:
    return Response(error_body("stale_version", str(exc)), status=status.HTTP_409_CONFLICT)


class CaseLinkSerializer(serializers.Serializer):
    case_id = serializers.IntegerField(allow_null=True)
    case_no = serializers.CharField()
    city_code = serializers.CharField()
    city_name = serializers.CharField()
    in_scope = serializers.BooleanField()
    person_name = serializers.CharField()


class CaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    case_no = serializers.CharField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.name")
    citizen_id_masked = serializers.CharField(source="person.citizen_id_masked")
    disease = serializers.CharField(source="disease.code")
    classification = serializers.CharField()
    onset_date = serializers.DateField(allow_null=True)
    first_visit_at = serializers.DateTimeField(allow_null=True)
    sampling_date = serializers.DateField(allow_null=True)
    diagnosed_at = serializers.DateTimeField()
    reported_at = serializers.DateTimeField()
    report_deadline = serializers.DateTimeField()
    reported_late = serializers.BooleanField()
    detection_route = serializers.CharField()
    imported = serializers.BooleanField()
    origin = serializers.CharField()
    severity = serializers.CharField()
    outcome = serializers.CharField()
    residence_region = serializers.CharField(source="residence_region_id")
    report_region = serializers.CharField(source="report_region_id")
    isolated_at = serializers.DateTimeField(allow_null=True)
    treatment_at = serializers.DateTimeField(allow_null=True)
    cluster = serializers.IntegerField(source="cluster_id", allow_null=True)
    version = serializers.IntegerField()


class CaseDetailSerializer(CaseOutputSerializer):
    infector = serializers.SerializerMethodField()
    infectees = serializers.SerializerMethodField()
    classification_history = serializers.SerializerMethodField()

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


class CaseInputSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    disease = serializers.SlugField(default="covid-19")
    classification = serializers.ChoiceField(choices=Classification.values)
    diagnosed_at = serializers.DateTimeField()
    reported_at = serializers.DateTimeField(required=False)
    onset_date = serializers.DateField(required=False, allow_null=True)
    sampling_date = serializers.DateField(required=False, allow_null=True)
    detection_route = serializers.CharField(default="other")
    imported = serializers.BooleanField(default=False)
    origin = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    severity = serializers.CharField(default="mild")
    outcome = serializers.CharField(default="under_treatment")
    report_region = serializers.CharField(max_length=12)
    infector_case_no = serializers.CharField(required=False, allow_blank=True, max_length=40)
    first_visit_at = serializers.DateTimeField(required=False, allow_null=True)
    isolated_at = serializers.DateTimeField(required=False, allow_null=True)
    treatment_at = serializers.DateTimeField(required=False, allow_null=True)


class CaseUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    onset_date = serializers.DateField(required=False, allow_null=True)
    sampling_date = serializers.DateField(required=False, allow_null=True)
    detection_route = serializers.CharField(required=False)
    imported = serializers.BooleanField(required=False)
    origin = serializers.CharField(required=False, allow_blank=True, max_length=100)
    severity = serializers.CharField(required=False)
    outcome = serializers.CharField(required=False)
    first_visit_at = serializers.DateTimeField(required=False, allow_null=True)
    isolated_at = serializers.DateTimeField(required=False, allow_null=True)
    treatment_at = serializers.DateTimeField(required=False, allow_null=True)


class ReclassifySerializer(serializers.Serializer):
    version = serializers.IntegerField()
    classification = serializers.ChoiceField(choices=Classification.values)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Cases in the caller's scope (limit/offset paging with an exact count, or keyset paging with
    ``?cursor=``: see ``keyset_response``). Filters: q, classification (one, or several separated by commas),
    detection_route, imported, late, region, date_from, date_to (report dates), onset_from, onset_to (onset
    dates), cluster, disease; ``ordering`` = reported, -reported, onset, -onset, case_no, region.
    ``PATCH`` needs the ``version`` read: a stale one is refused with 409."""

    fangkong_access = REGION_SCOPED

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseOutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.case_list(user=self.request.user, filters={k: params.get(k, "") for k in CASE_FILTERS},
                                   ordering=params.get("ordering", "-reported"))

    def get_object(self):
        return selectors.case_get(user=self.request.user, case_id=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        if keyset_requested(request):
            return keyset_response(request, self.get_queryset(), selectors.CASE_ORDERINGS, "-reported",
                                   lambda rows: CaseOutputSerializer(rows, many=True).data)
        return super().list(request, *args, **kwargs)

    @extend_schema(request=CaseInputSerializer, responses={201: CaseDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = CaseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        person = person_selectors.person_get(user=request.user, person_id=fields.pop("person"))
        disease = Disease.objects.filter(code=fields.pop("disease")).first()
        infector_no = fields.pop("infector_case_no", "")
        infector = selectors.case_get_by_no(infector_no) if infector_no else None
        if infector_no and infector is None:
            return Response(error_body("invalid", _("The input is not valid."),
                                       {"infector_case_no": [_("No case with this number.")]}), status=400)
        case = services.case_register(actor=request.user, request=request, person=person, disease=disease,
                                      infector=infector, **fields)
        return Response(CaseDetailSerializer(case, context={"request": request}).data, status=201)

    @extend_schema(request=CaseUpdateSerializer, responses=CaseDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        case = self.get_object()
        data = CaseUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        version = changes.pop("version")
        try:
            case = services.case_update(actor=request.user, case=case, expected_version=version, changes=changes,
                                        request=request)
        except services.StaleEditError as exc:
            return stale(exc)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)

    @extend_schema(request=ReclassifySerializer, responses=CaseDetailSerializer)
    @action(detail=True, methods=["post"])
    def reclassify(self, request, pk=None, **kwargs):
        case = self.get_object()
        data = ReclassifySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            case = services.case_reclassify(actor=request.user, case=case, request=request,
                                            classification=data.validated_data["classification"],
                                            expected_version=data.validated_data["version"],
                                            reason=data.validated_data["reason"])
        except services.StaleEditError as exc:
            return stale(exc)
        return Response(CaseDetailSerializer(case, context={"request": request}).data)


class ContactOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    contact_no = serializers.CharField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.name")
    category = serializers.CharField()
    source_case = serializers.SerializerMethodField()
    exposure_type = serializers.CharField()
    exposure_start = serializers.DateField(allow_null=True)
    exposure_end = serializers.DateField(allow_null=True)
    listed_at = serializers.DateTimeField()
    quarantined_at = serializers.DateTimeField(allow_null=True)
    quarantine_place = serializers.CharField()
    status = serializers.CharField()
    protocol = serializers.CharField(source="protocol.code")
    test_schedule = serializers.JSONField()
    release_due = serializers.DateField(allow_null=True)
    region = serializers.CharField(source="region_id")
    converted_case = serializers.IntegerField(source="converted_case_id", allow_null=True)
    version = serializers.IntegerField()

    @extend_schema_field(CaseLinkSerializer)
    def get_source_case(self, contact):
        links = self.context.get("links")
        link = links[contact.pk] if links else selectors.case_link(self.context["request"].user, contact.source_case)
        return CaseLinkSerializer(link).data


class ContactUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    quarantined_at = serializers.DateTimeField(required=False)
    quarantine_place = serializers.CharField(required=False, allow_blank=True, max_length=200)
    status = serializers.CharField(required=False)


class ConvertSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    diagnosed_at = serializers.DateTimeField()
    reported_at = serializers.DateTimeField(required=False)
    classification = serializers.ChoiceField(choices=Classification.values, default="confirmed")
    sampling_date = serializers.DateField(required=False, allow_null=True)


class ContactInputSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    source_case = serializers.IntegerField()
    category = serializers.ChoiceField(choices=["close", "secondary"])
    region = serializers.CharField(max_length=12)
    listed_at = serializers.DateTimeField()
    quarantined_at = serializers.DateTimeField(required=False, allow_null=True)
    quarantine_place = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    exposure_type = serializers.CharField(default="other")
    exposure_start = serializers.DateField(required=False, allow_null=True)
    exposure_end = serializers.DateField(required=False, allow_null=True)


class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Contacts in the caller's scope (limit/offset, or keyset with ``?cursor=``). Filters: q, category, status, region, source_case, date_from,
    date_to; ``ordering`` = listed, -listed, quarantined, contact_no. ``convert`` turns a contact who tested
    positive into a case whose infector is the contact's source case."""

    fangkong_access = REGION_SCOPED
    serializer_class = ContactOutputSerializer

    def get_queryset(self):
        params = self.request.query_params
        return selectors.contact_list(user=self.request.user,
                                      filters={k: params.get(k, "") for k in CONTACT_FILTERS},
                                      ordering=params.get("ordering", "-listed"))

    def get_object(self):
        return selectors.contact_get(user=self.request.user, contact_id=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        def serialize(rows):
            links = dict(zip([k.pk for k in rows], selectors.case_links(request.user, [k.source_case for k in rows]),
                             strict=True))
            return ContactOutputSerializer(rows, many=True, context={"request": request, "links": links}).data

        if keyset_requested(request):
            return keyset_response(request, self.get_queryset(), selectors.CONTACT_ORDERINGS, "-listed", serialize)
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(serialize(page))

    @extend_schema(request=ContactInputSerializer, responses={201: ContactOutputSerializer})
    def create(self, request, *args, **kwargs):
        data = ContactInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        person = person_selectors.person_get(user=request.user, person_id=fields.pop("person"))
        source = selectors.case_get(user=request.user, case_id=fields.pop("source_case"))
        contact = services.contact_register(actor=request.user, request=request, person=person, source_case=source,
                                            **fields)
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

    @extend_schema(request=ConvertSerializer, responses={201: CaseDetailSerializer})
    @action(detail=True, methods=["post"])
    def convert(self, request, pk=None, **kwargs):
        contact = self.get_object()
        data = ConvertSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
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
    area_name = serializers.CharField()
    level = serializers.CharField()
    designated_from = serializers.DateField()
    lifted_on = serializers.DateField(allow_null=True)
    negative_screen_on = serializers.DateField(allow_null=True)


class RiskAreaInputSerializer(serializers.Serializer):
    region = serializers.CharField(max_length=12)
    area_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    level = serializers.ChoiceField(choices=["high", "medium", "low"])
    designated_from = serializers.DateField()
    negative_screen_on = serializers.DateField(required=False, allow_null=True)


class LiftSerializer(serializers.Serializer):
    lifted_on = serializers.DateField()
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RiskAreaViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Risk areas in scope with ``can_be_lifted_on`` from the lifting rule of the protocol in force on the
    designation date (null while a required negative area-wide screen is missing)."""

    fangkong_access = REGION_SCOPED
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

    @extend_schema(request=LiftSerializer, responses=RiskAreaSerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, pk=None, **kwargs):
        area = selectors.risk_area_get(user=request.user, area_id=pk)
        data = LiftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        area = services.risk_area_lift(actor=request.user, area=area, request=request,
                                       lifted_on=data.validated_data["lifted_on"],
                                       override_reason=data.validated_data["override_reason"],
                                       last_infection=selectors.risk_area_last_case(user=request.user, area=area))
        return Response(self._with_lift(request, area))

    @extend_schema(request=RiskAreaInputSerializer, responses={201: RiskAreaSerializer})
    def create(self, request, *args, **kwargs):
        data = RiskAreaInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        area = services.risk_area_designate(actor=request.user, request=request, **data.validated_data)
        return Response(self._with_lift(request, area), status=201)


class ExposureSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    place_name = serializers.CharField()
    region = serializers.CharField(source="region_id")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    description = serializers.CharField()


class ExposureInputSerializer(serializers.Serializer):
    place_name = serializers.CharField(max_length=200)
    region = serializers.CharField(max_length=12)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    cases = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ExposureViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Exposure events (place, time window, cases present) in scope; ``?case=ID`` filters by case."""

    fangkong_access = REGION_SCOPED
    serializer_class = ExposureSerializer

    def get_queryset(self):
        case_id = self.request.query_params.get("case", "")
        case = selectors.case_get(user=self.request.user, case_id=case_id) if case_id else None
        return selectors.exposure_list(user=self.request.user, case=case)

    @extend_schema(request=ExposureInputSerializer, responses={201: ExposureSerializer})
    def create(self, request, *args, **kwargs):
        data = ExposureInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        cases = [selectors.case_get(user=request.user, case_id=pk) for pk in fields.pop("cases")]
        exposure = services.exposure_record(actor=request.user, request=request, cases=cases, **fields)
        return Response(ExposureSerializer(exposure).data, status=201)


class TimelinessView(APIView):
    """Tracing timeliness in ``?region=CODE`` (default: the caller's first region) per child region and day;
    ``date_from`` / ``date_to`` (YYYY-MM-DD) bound the period."""

    fangkong_access = REGION_SCOPED

    @extend_schema(responses=dict)
    def get(self, request):
        region = _timeliness_region(request)
        params = request.query_params
        report = selectors.tracing_timeliness(user=request.user, region=region,
                                              date_from=selectors._date(params.get("date_from")),
                                              date_to=selectors._date(params.get("date_to")))
        return Response({"region": report["region"], "total": report["total"].as_dict(),
                         "children": [r.as_dict() for r in report["children"]],
                         "days": [r.as_dict() for r in report["days"]]})


def _timeliness_region(request):
    code = request.GET.get("region", "")
    if code:
        return region_selectors.region_get(user=request.user, code=code)
    roots = region_selectors.scope_roots(user=request.user)
    if not roots:
        from django.http import Http404

        raise Http404("no region in scope")
    return roots[0]


class ImportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    file_name = serializers.CharField()
    status = serializers.CharField()
    total_rows = serializers.IntegerField()
    processed_rows = serializers.IntegerField(help_text="rows checked so far")
    saving = serializers.BooleanField(help_text="every row is checked and the rows are being written")
    stalled = serializers.BooleanField(help_text="no sign of life for 10 minutes: may be run again")
    created_count = serializers.IntegerField()
    existing_count = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField(),
                                   help_text="when failed: every error (row, column, message), the first 1,000")
    created_at = serializers.DateTimeField()
    heartbeat_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)


class ImportJobInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=sorted(imports.COLUMNS))
    file = serializers.FileField(help_text="CSV (UTF-8) or XLSX with the template's header row")


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imports of cases or contacts as background jobs, as on the import page: POST a file (multipart) and
    get 202 with the job; GET the job for its progress and, once failed, every error; POST ``rerun`` on a
    stalled job. Nothing is saved unless every row is valid; rows already imported are skipped. A user
    sees only the jobs they submitted."""

    fangkong_access = REGION_SCOPED
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return selectors.import_job_list(user=self.request.user)

    def retrieve(self, request, *args, **kwargs):
        return Response(ImportJobSerializer(selectors.import_job_get(user=request.user, job_id=kwargs["pk"])).data)

    @extend_schema(request={"multipart/form-data": ImportJobInputSerializer}, responses={202: ImportJobSerializer})
    def create(self, request, *args, **kwargs):
        data = ImportJobInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job = jobs.import_job_submit(actor=request.user, request=request, kind=data.validated_data["kind"],
                                     upload=data.validated_data["file"])
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=ImportJobSerializer)
    @action(detail=True, methods=["post"])
    def rerun(self, request, pk=None, **kwargs):
        job = selectors.import_job_get(user=request.user, job_id=pk)
        return Response(ImportJobSerializer(jobs.import_job_rerun(actor=request.user, job=job, request=request)).data)
