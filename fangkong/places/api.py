"""REST API of the places module. Places, inspections, rectification orders and coverage are aggregates
(the inspector reads them); scans and co-visitors are named data. Writes take the same input schemas as
the pages and the imports (``inputs.py``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED, can
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api import fields as api_fields
from fangkong.api.errors import error_body
from fangkong.api.pagination import UncountedPagination
from fangkong.api.parsers import JSONObjectParser
from fangkong.inputs import api_input
from fangkong.request_params import filters_of, params_of

from . import selectors, services
from .apps import CHECKLIST, INSPECT, REGISTER, SCAN_RECORD
from .inputs import (
    ChecklistPublishInput,
    CoVisitEnlistInput,
    FindingNoteInput,
    InspectionInput,
    PlaceInput,
    RectificationInput,
    ScanInput,
)
from .params import ChecklistQuery, CoverageQuery, CoVisitQuery, PlaceFilters, PlaceListQuery

AGGREGATES = Shows(Category.AGGREGATES)
NAMED = Shows(Category.NAMED)


class PlaceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField()
    category_label = serializers.CharField(source="get_category_display")
    name = serializers.CharField()
    address = serializers.CharField()
    region = serializers.CharField(source="region_id")
    county = serializers.CharField(source="county_id")
    responsible_unit = serializers.CharField()
    responsible_person = serializers.CharField()
    contact_phone = serializers.CharField(source="contact_phone_masked", help_text="masked: the last four digits")
    credit_code = serializers.CharField()
    risk_tier = serializers.CharField()
    tier_reason = serializers.CharField()
    frequency_days = serializers.IntegerField()
    status = serializers.CharField()
    last_inspected_on = api_fields.DateField(allow_null=True)
    next_due_on = api_fields.DateField()


class PlaceDetailSerializer(PlaceSerializer):
    venue_code = serializers.SerializerMethodField(help_text="the text of the place's QR code (opaque, signed)")

    def get_venue_code(self, place) -> str:
        return services.venue_code(place)


class ImportInput(serializers.Serializer):
    file = serializers.FileField()


def _import_answer(result: services.ImportResult) -> Response:
    """201 with the count, or 400 in the API's one error shape: each error under ``file`` or ``row N column``."""
    if not result.errors:
        return Response({"created": result.created}, status=status.HTTP_201_CREATED)
    fields: dict[str, list[str]] = {}
    for error in result.errors:
        where = f"row {error['row']} {error['column']}".strip() if error["row"] else "file"
        fields.setdefault(where, []).append(error["message"])
    return Response(error_body("invalid", "The file was not imported.", fields), status=status.HTTP_400_BAD_REQUEST)


class PlaceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Key places in the caller's regions (``?q=&category=&region=&overdue=1``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    query_params = {"list": PlaceListQuery}
    parser_classes = (JSONObjectParser, FormParser, MultiPartParser)

    def get_serializer_class(self):
        return PlaceDetailSerializer if self.action == "retrieve" else PlaceSerializer

    def get_queryset(self):
        return selectors.place_list(user=self.request.user,
                                    filters=filters_of(params_of(self.request), PlaceFilters)).order_by("name", "id")

    def get_object(self):
        return selectors.place_get(user=self.request.user, place_id=self.kwargs["pk"])

    @extend_schema(request=PlaceInput, responses={201: PlaceDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = api_input(PlaceInput, request)
        place = services.place_register(actor=request.user, request=request, **data)
        return Response(PlaceDetailSerializer(place).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": ImportInput}, responses=dict)
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request, *args, **kwargs):
        if not can(request.user, REGISTER):  # before the upload is read
            raise PermissionDenied(_("Your role may not register places."))
        data = api_input(ImportInput, request)
        upload = data["file"]
        return _import_answer(services.places_import(
            actor=request.user, data=upload.read(services.IMPORT_LIMITS.max_bytes + 1), name=upload.name,
            request=request))


class FindingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item_code = serializers.CharField()
    item_text = serializers.CharField()
    critical = serializers.BooleanField()
    carried_from = serializers.IntegerField(source="carried_from_id", allow_null=True)


class InspectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    place = serializers.IntegerField(source="place_id")
    checklist_version = serializers.IntegerField(source="checklist.version")
    inspected_on = api_fields.DateField()
    mode = serializers.CharField()
    outcome = serializers.CharField()
    results = serializers.DictField(child=serializers.CharField())
    notes = serializers.CharField()
    follow_up_of = serializers.IntegerField(source="follow_up_of_id", allow_null=True)


class InspectionDetailSerializer(InspectionSerializer):
    findings = FindingSerializer(many=True, source="findings.all")


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Inspections of the places in the caller's regions, the latest first."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES

    def get_serializer_class(self):
        return InspectionDetailSerializer if self.action == "retrieve" else InspectionSerializer

    def get_queryset(self):
        return selectors.inspection_list(user=self.request.user).order_by("-inspected_on", "-id")

    def get_object(self):
        return selectors.inspection_get(user=self.request.user, inspection_id=self.kwargs["pk"])

    @extend_schema(request=InspectionInput, responses={201: InspectionDetailSerializer})
    def create(self, request, *args, **kwargs):
        if not can(request.user, INSPECT):
            raise PermissionDenied(_("Your role may not inspect places."))
        data = api_input(InspectionInput, request)
        inspection = services.inspection_record(actor=request.user, request=request, **data)
        return Response(InspectionDetailSerializer(inspection).data, status=status.HTTP_201_CREATED)


class ChecklistSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField()
    version = serializers.IntegerField()
    effective_from = api_fields.DateField()
    retired_on = api_fields.DateField(allow_null=True)
    items = serializers.ListField(child=serializers.DictField())


class ChecklistViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Checklist versions by category (``?category=``), the latest first; the provincial commander publishes
    the next version of a category (``places.checklist``): the one in force until its day is retired on it."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = ChecklistSerializer
    query_params = {"list": ChecklistQuery}
    parser_classes = (JSONObjectParser, FormParser, MultiPartParser)

    def get_queryset(self):
        return selectors.checklist_list(category=params_of(self.request).get("category")).order_by("category", "-version", "id")

    @extend_schema(request=ChecklistPublishInput, responses={201: ChecklistSerializer})
    def create(self, request, *args, **kwargs):
        if not can(request.user, CHECKLIST):
            raise PermissionDenied(_("Your role may not publish checklists."))
        data = api_input(ChecklistPublishInput, request)
        version = services.checklist_publish(actor=request.user, request=request, **data)
        return Response(ChecklistSerializer(version).data, status=status.HTTP_201_CREATED)


class FindingPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    original_name = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="the photo, served in scope only")

    def get_url(self, photo) -> str:
        from django.urls import reverse

        return reverse("places:finding-photo", kwargs={"pk": photo.pk})


class FindingNoteSerializer(FindingSerializer):
    note = serializers.CharField()
    photos = FindingPhotoSerializer(many=True, source="photos.all")


class FindingViewSet(viewsets.GenericViewSet):
    """A finding's note and photos: ``POST place-findings/{id}/annotate/`` (multipart: ``note``, ``photo``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = FindingNoteSerializer
    parser_classes = (MultiPartParser, FormParser, JSONObjectParser)

    def get_queryset(self):
        return selectors.inspection_list(user=self.request.user).none()

    @extend_schema(request={"multipart/form-data": FindingNoteInput}, responses={200: FindingNoteSerializer})
    @action(detail=True, methods=["post"], url_path="annotate")
    def annotate(self, request, pk=None, *args, **kwargs):
        finding = selectors.finding_get(user=request.user, finding_id=pk)
        if not can(request.user, INSPECT, finding.inspection.region_id):  # before the upload is read
            raise PermissionDenied(_("Your role may not record findings in this region."))
        data = api_input(FindingNoteInput, request)
        finding = services.finding_annotate(actor=request.user, request=request, finding=finding.pk, **data)
        return Response(FindingNoteSerializer(finding).data)


class RectificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    place = serializers.IntegerField(source="place_id")
    inspection = serializers.IntegerField(source="finding.inspection_id")
    item_code = serializers.CharField(source="finding.item_code")
    critical = serializers.BooleanField(source="finding.critical")
    deadline = api_fields.DateField()
    state = serializers.CharField()
    evidence = serializers.CharField()
    verified_at = api_fields.DateTimeField(allow_null=True)


class RectificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rectification orders in the caller's regions, the nearest deadline first; ``act`` moves one on."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = RectificationSerializer

    def get_queryset(self):
        return selectors.rectification_list(user=self.request.user).order_by("deadline", "id")

    def get_object(self):
        return selectors.rectification_get(user=self.request.user, rectification_id=self.kwargs["pk"])

    @extend_schema(request=RectificationInput, responses={200: RectificationSerializer})
    @action(detail=True, methods=["post"])
    def act(self, request, *args, **kwargs):
        order = self.get_object()
        data = api_input(RectificationInput, request)
        order = services.rectification_act(actor=request.user, rectification=order.pk, request=request,
                                           **data)
        return Response(RectificationSerializer(order).data)


class ScanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    place = serializers.IntegerField(source="place_id")
    person = serializers.IntegerField(source="person_id")
    scanned_at = api_fields.DateTimeField()


class ScanViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Venue-code scans (named data: the roles that trace, in their regions); recording one takes the
    venue code, the person and the time; the same scan twice is kept once (200 the second time)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = NAMED
    serializer_class = ScanSerializer
    parser_classes = (JSONObjectParser, FormParser, MultiPartParser)

    def get_queryset(self):
        return selectors.scan_list(user=self.request.user).order_by("-scanned_at", "-id")

    @extend_schema(request=ScanInput, responses={201: ScanSerializer, 200: ScanSerializer})
    def create(self, request, *args, **kwargs):
        data = api_input(ScanInput, request)
        scan, new = services.scan_record(actor=request.user, request=request, **data)
        return Response(ScanSerializer(scan).data, status=status.HTTP_201_CREATED if new else status.HTTP_200_OK)

    @extend_schema(request={"multipart/form-data": ImportInput}, responses=dict)
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request, *args, **kwargs):
        if not can(request.user, SCAN_RECORD):
            raise PermissionDenied(_("Your role may not record scans."))
        data = api_input(ImportInput, request)
        upload = data["file"]
        return _import_answer(services.scans_import(
            actor=request.user, data=upload.read(services.IMPORT_LIMITS.max_bytes + 1), name=upload.name,
            request=request))


class CoverageView(APIView):
    """Inspection coverage per county: places, inspected within their frequency, overdue, open and overdue
    rectification orders (``?category=``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    query_params = {"get": CoverageQuery}

    @extend_schema(responses=dict)
    def get(self, request, *args, **kwargs):
        rows = selectors.coverage(user=request.user, category=params_of(request).get("category"))

        def row(r):
            return {"county": r.county, "county_name": r.county_name, "places": r.places, "covered": r.covered,
                    "share": r.share, "overdue": r.overdue, "open_orders": r.open_orders,
                    "overdue_orders": r.overdue_orders}

        return Response({"total": row(selectors.coverage_total(rows)), "rows": [row(r) for r in rows]})


class CoVisitView(APIView):
    """The persons who scanned the same places as a case within ``window`` minutes (named data), with the
    overlap: candidates for tracing (``?case=`` or ``?person=``), the longest overlap first, paged as every
    list (``fangkong.api.pagination``: ``next``, ``previous``, ``results``) with ``count``, all of them."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = NAMED
    query_params = {"get": CoVisitQuery}
    parser_classes = (JSONObjectParser, FormParser, MultiPartParser)

    @extend_schema(responses=dict)
    def get(self, request, *args, **kwargs):
        from fangkong.cases.selectors import case_get
        from fangkong.persons.shown import person_shown

        params = params_of(request)
        person_id = params.get("person")
        if params.get("case"):
            person_id = case_get(user=request.user, case_id=params["case"]).person_id
        if not person_id:
            return Response({"error": {"code": "invalid", "message": _("Name a case or a person."),
                                       "fields": {"case": [_("Name a case or a person.")]}}},
                            status=status.HTTP_400_BAD_REQUEST)
        persons, found = selectors.co_visit_candidates(user=request.user, person_id=person_id,
                                                       window_minutes=params.get("window") or 30)
        paginator = UncountedPagination()  # the longest overlap first, a page at a time (``?limit=&cursor=``);
        # uncounted: the search counted them (``found``), exactly
        rows = []
        for person in paginator.paginate_queryset(persons, request, view=self):
            c = found[person.pk]
            shown = person_shown(request.user, person, person.address_region_id)
            rows.append({"person": c.person_id, "name": shown.name if shown else "", "place": c.place_id,
                         "place_name": c.place_name, "case_scan": c.case_scan, "their_scan": c.their_scan,
                         "overlap_minutes": c.overlap_minutes})
        response = paginator.get_paginated_response(rows)
        response.data = {"person": person_id, "count": len(found), **response.data}
        return response

    @extend_schema(request=CoVisitEnlistInput, responses={201: dict, 200: dict})
    def post(self, request, *args, **kwargs):
        """Turn the chosen co-visitors of a case into its contacts (``services.co_visitors_enlist``): 201 when
        some were registered, 200 when all were contacts already."""
        data = api_input(CoVisitEnlistInput, request)
        result = services.co_visitors_enlist(actor=request.user, request=request, **data)
        return Response({"case": data["case"], "created": [{"contact": c.pk, "contact_no": c.contact_no,
                                                            "person": c.person_id} for c in result.created],
                         "already_contacts": result.already},
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)
