"""REST API of sentinel surveillance (thin: read through the scoped selectors, write through one service).

- ``indicators/``, ``sites/``: what is reported, and where (sites in the caller's regions).
- ``reports/``: list; ``POST`` submits one daily count (a reporter, for its own site; the same day again
  corrects it); ``POST reports/import/`` takes a CSV or XLSX file (``file``), all rows or none.
- ``alerts/``: list (``?status=&region=&indicator=&level=&open=1&first=&last=``: days overlapping the
  period), detail with its signals and steps, ``POST alerts/{id}/transition/`` (``status``, ``note``,
  ``version``), ``GET alerts/{id}/series/``, ``POST alerts/{id}/open-cluster/``, ``POST
  alerts/{id}/open-case/`` (``citizen_id``, ``name``, ``onset_date``, ``disease``: a suspected case).
- ``detection-configs/``: list; ``PATCH`` changes method, parameters, enabled (provincial level).
- ``timeliness/`` (``?region=&first=&last=``) and ``reporting/`` (late and missing reports).
- ``earlies/`` (``?region=&first=&last=``): the four earlies of cases per child region and week;
  ``earlies-target/``: the targets in force (``GET``), set for a region and below (``POST``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Reach, Shows
from fangkong.api import fields as api_fields
from fangkong.api.pagination import UncountedPagination
from fangkong.api.parsers import JSONObjectParser
from fangkong.inputs import api_input
from fangkong.regions import selectors as region_selectors
from fangkong.regions.models import Region
from fangkong.request_params import filters_of, params_of
from fangkong.surveillance import selectors
from fangkong.surveillance.earlies import DEFAULT_TARGETS, earlies, earlies_targets_for
from fangkong.surveillance.inputs import (
    AlertOpenCaseInput,
    AlertTransitionInput,
    DetectionConfigInput,
    EarliesTargetInput,
    ReportInput,
    ResponseTargetInput,
)
from fangkong.surveillance.models import DetectionConfig
from fangkong.surveillance.params import (
    AlertFilters,
    AlertListQuery,
    PeriodQuery,
    RegionQuery,
    ReportListQuery,
    SiteListQuery,
)
from fangkong.surveillance.services import (
    alert_open_case,
    alert_open_cluster,
    alert_transition,
    detection_config_update,
    earlies_target_set,
    parse_report_file,
    report_submit,
    reports_import,
    reports_import_allowed_check,
    response_target_set,
)
from fangkong.web.day import data_last_day


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    unit_zh = serializers.CharField()
    unit_en = serializers.CharField()
    has_denominator = serializers.BooleanField()


class IndicatorViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The indicators sentinel sites report."""

    fangkong_access = REGION_SCOPED  # not regional data, but for signed-in users only
    fangkong_shows = Shows(Category.REFERENCE)
    serializer_class = IndicatorSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.indicator_list()


class SiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    region = serializers.CharField(source="region_id")
    active = serializers.BooleanField()


class SiteViewSet(viewsets.ReadOnlyModelViewSet):
    """Sentinel sites in the caller's regions (``?region=CODE&kind=``; ``?mine=1``: the sites I report for)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES, frozenset({Reach.REGION, Reach.OWN_SITES}))
    serializer_class = SiteSerializer
    query_params = {"list": SiteListQuery}

    def get_queryset(self):
        params = params_of(self.request)
        if params.get("mine"):
            return selectors.sites_reported_by(user=self.request.user)
        return selectors.site_list(user=self.request.user, region=params.get("region") or "",
                                   kind=params.get("kind") or "")

    def get_object(self):
        return selectors.site_get(user=self.request.user, site_id=self.kwargs["pk"])


class ReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site = serializers.CharField(source="site.code")
    indicator = serializers.CharField(source="indicator.code")
    date = api_fields.DateField()
    count = serializers.IntegerField()
    denominator = serializers.IntegerField(allow_null=True)
    reported_at = api_fields.DateTimeField()


class RevisionSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    denominator = serializers.IntegerField(allow_null=True)
    reported_at = api_fields.DateTimeField()
    replaced_at = api_fields.DateTimeField()
    replaced_by = serializers.CharField(source="replaced_by.username", allow_null=True, default=None)


class ReportDetailSerializer(ReportOutputSerializer):
    revisions = RevisionSerializer(many=True)
    sections = api_fields.RecordSections()


class ImportInputSerializer(serializers.Serializer):
    file = serializers.FileField()


class ReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    viewsets.GenericViewSet):
    """Daily reports in the caller's regions (``?site=ID&indicator=&first=&last=``); a report's detail
    carries the values its corrections replaced."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES, frozenset({Reach.REGION, Reach.OWN_SITES}))
    parser_classes = (JSONObjectParser, FormParser, MultiPartParser)
    query_params = {"list": ReportListQuery}

    def get_serializer_class(self):
        return ReportDetailSerializer if self.action == "retrieve" else ReportOutputSerializer

    def get_object(self):
        return selectors.report_get(user=self.request.user, report_id=self.kwargs["pk"])

    def get_queryset(self):
        params = params_of(self.request)
        return selectors.report_list(user=self.request.user, site_id=params.get("site"),
                                     indicator=params.get("indicator") or "", first=params.get("first"),
                                     last=params.get("last"))

    @extend_schema(request=ReportInput, responses={201: ReportOutputSerializer, 200: ReportOutputSerializer})
    def create(self, request, *args, **kwargs):
        values = api_input(ReportInput, request)
        result = report_submit(actor=request.user, request=request, site_id=values["site"],
                               indicator_code=values["indicator"], date=values["date"], count=values["count"],
                               denominator=values.get("denominator"))
        body = {**ReportOutputSerializer(result.report).data, "corrected": result.corrected}
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(request={"multipart/form-data": ImportInputSerializer}, responses=dict)
    @action(detail=False, methods=["post"], url_path="import")
    def import_file(self, request, *args, **kwargs):
        reports_import_allowed_check(request.user)  # before the upload is read
        data = api_input(ImportInputSerializer, request)
        upload = data["file"]
        rows = parse_report_file(upload.name, upload)
        result = reports_import(actor=request.user, rows=rows, source=upload.name, request=request)
        return Response({"created": result.created, "corrected": result.corrected, "unchanged": result.unchanged})


class AlertSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    level = serializers.CharField()
    region = serializers.CharField(source="region_id")
    region_name = serializers.CharField(source="region.name")
    site = serializers.IntegerField(source="site_id", allow_null=True)
    indicator = serializers.CharField(source="indicator.code")
    method = serializers.CharField()
    first_day = api_fields.DateField()
    last_day = api_fields.DateField()
    days = serializers.IntegerField()
    peak_observed = serializers.FloatField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    raised_at = api_fields.DateTimeField()
    acknowledged_at = api_fields.DateTimeField(allow_null=True)
    verified_at = api_fields.DateTimeField(allow_null=True)
    closed_at = api_fields.DateTimeField(allow_null=True)
    cluster = serializers.IntegerField(source="cluster_id", allow_null=True)
    case = serializers.IntegerField(source="case_id", allow_null=True)
    version = serializers.IntegerField()


class SignalSerializer(serializers.Serializer):
    day = api_fields.DateField()
    observed = serializers.FloatField()
    threshold = serializers.FloatField(allow_null=True)
    method = serializers.CharField()


class TransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    at = api_fields.DateTimeField()
    by = serializers.CharField(source="by.username")
    note = serializers.CharField()


class AlertDetailSerializer(AlertSerializer):
    signals = SignalSerializer(many=True)
    transitions = TransitionSerializer(many=True)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts (episodes of signals) in the caller's regions, newest first, paged without a total count
    (``next``/``previous``); respond with ``transition``."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": Shows(Category.AGGREGATES, frozenset({Reach.REGION, Reach.OWN_SITES})), "transition": Shows(Category.AGGREGATES), "open_cluster": Shows(Category.PSEUDONYMISED), "open_case": Shows(Category.NAMED)}
    pagination_class = UncountedPagination
    query_params = {"list": AlertListQuery}

    def get_serializer_class(self):
        return AlertDetailSerializer if self.action == "retrieve" else AlertSerializer

    def get_queryset(self):
        return alerts_filtered(self.request.user, params_of(self.request))

    def get_object(self):
        alert = selectors.alert_get(user=self.request.user, alert_id=self.kwargs["pk"])
        if self.action == "retrieve":
            alert = type(alert).objects.prefetch_related("signals", "transitions__by").get(pk=alert.pk)
        return alert

    @extend_schema(request=AlertTransitionInput, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, **kwargs):
        alert = self.get_object()  # 404 outside the caller's regions, before anything else
        data = api_input(AlertTransitionInput, request)
        # a stale version raises StaleEditError: the API's one 409 answer (fangkong.api.errors)
        alert = alert_transition(actor=request.user, alert=alert, request=request, **data)
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=None, responses=dict)
    @action(detail=True, methods=["post"], url_path="open-cluster")
    def open_cluster(self, request, pk=None, **kwargs):
        cluster = alert_open_cluster(actor=request.user, alert=self.get_object(), request=request)
        return Response({"cluster": cluster.pk, "name": cluster.name})

    @extend_schema(request=AlertOpenCaseInput, responses=dict)
    @action(detail=True, methods=["post"], url_path="open-case")
    def open_case(self, request, pk=None, **kwargs):
        alert = self.get_object()  # 404 outside the caller's regions, before anything else
        data = api_input(AlertOpenCaseInput, request)
        case = alert_open_case(actor=request.user, alert=alert, request=request, **data)
        return Response({"case": case.pk, "case_no": case.case_no, "classification": case.classification})

    @extend_schema(responses=dict)
    @action(detail=True, methods=["get"])
    def series(self, request, pk=None, **kwargs):
        series = selectors.alert_series(alert=self.get_object())
        return Response(series.__dict__)


class DetectionConfigSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    level = serializers.CharField(read_only=True)
    method = serializers.ChoiceField(choices=DetectionConfig.Method.values, read_only=True)
    parameters = serializers.JSONField(read_only=True)
    enabled = serializers.BooleanField(read_only=True)
    updated_at = api_fields.DateTimeField(read_only=True)


class DetectionConfigViewSet(mixins.ListModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Detection per indicator and level; changes need the provincial ``surveillance.configure``."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    serializer_class = DetectionConfigSerializer
    pagination_class = None
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return DetectionConfig.objects.select_related("indicator")

    @extend_schema(request=DetectionConfigInput, responses=DetectionConfigSerializer)
    def partial_update(self, request, *args, **kwargs):
        config = self.get_object()
        data = api_input(DetectionConfigInput, request)
        config = detection_config_update(actor=request.user, config=config, request=request, **data)
        return Response(DetectionConfigSerializer(config).data)


def alerts_filtered(user, params: dict):
    """The alerts in scope that the checked ``AlertFilters`` parameters select (page and API)."""
    filters = filters_of(params, AlertFilters)
    return selectors.alert_list(user=user, status=filters.get("status", ""), region=filters.get("region", ""),
                                indicator=filters.get("indicator", ""), level=filters.get("level", ""),
                                open_only=bool(filters.get("open")), first=filters.get("first"),
                                last=filters.get("last"))


def period_and_region(user, params: dict, *, default_days: int, default_last: dt.date | None = None
                      ) -> tuple[Region, dt.date, dt.date]:
    """The region (default: the user's first region) and period from checked ``PeriodQuery`` parameters; the
    period ends by default on ``default_last``, or on the last day with data in the user's scope
    (``fangkong.web.day``)."""
    last = params.get("last") or default_last or data_last_day(user)
    first = params.get("first") or last - dt.timedelta(days=default_days - 1)
    if first > last:
        raise ValidationError({"first": [_("The end of the period is before its start.")]})
    if (last - first).days > 366:
        raise ValidationError({"first": [_("At most one year at a time.")]})
    code = params.get("region")
    if code:
        region = region_selectors.region_get(user=user, code=code)
    else:
        roots = region_selectors.scope_roots(user=user)
        if not roots:
            raise ValidationError({"region": [_("You have no region.")]})
        region = roots[0]
    return region, first, last


class TimelinessView(APIView):
    """Response timeliness per child region against the targets (``?region=&first=&last=``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": PeriodQuery}

    @extend_schema(responses=dict)
    def get(self, request, *args, **kwargs):
        region, first, last = period_and_region(request.user, params_of(request), default_days=28)
        result = selectors.timeliness(user=request.user, region=region, first=first, last=last)

        def row(r):
            return {"region": r.region.code, "region_name": r.region.name, "alerts": r.alerts,
                    "acknowledged": r.acknowledged, "verified": r.verified, "confirmed": r.confirmed,
                    "median_acknowledge_hours": r.median_acknowledge_hours,
                    "median_verify_hours": r.median_verify_hours, "response_rate": r.response_rate,
                    "acknowledged_in_target_share": r.acknowledged_in_target_share,
                    "verified_in_target_share": r.verified_in_target_share, "confirmed_share": r.confirmed_share,
                    "signals_per_county_week": r.per_county_week, "meets_targets": r.meets_targets}

        return Response({"region": region.code, "first": str(first), "last": str(last), "target": result.target,
                         "total": row(result.total), "rows": [row(r) for r in result.rows]})


class ReportingView(APIView):
    """Late and missing reports per site and county (``?region=&first=&last=``, default the last 7 days)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": PeriodQuery}

    @extend_schema(responses=dict)
    def get(self, request, *args, **kwargs):
        region, first, last = period_and_region(request.user, params_of(request), default_days=7)
        summary = selectors.reporting_status(user=request.user, region=region.code, first=first, last=last)
        return Response({
            "region": region.code, "first": str(first), "last": str(last), "expected": summary.expected,
            "received": summary.received, "late": summary.late,
            "by_region": [{"region": c["region"].code, "sites": c["sites"], "expected": c["expected"],
                           "received": c["received"], "missing": c["missing"], "late": c["late"]}
                          for c in summary.by_region],
            "sites": [{"site": s.site.code, "name": s.site.name, "region": s.site.region_id, "expected": s.expected,
                       "received": s.received, "missing": s.missing, "late": s.late} for s in summary.sites],
        })


class ResponseTargetView(APIView):
    """The response targets in force for a region (``?region=``); ``POST`` sets them for a region and below
    (``surveillance.configure`` there)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": RegionQuery}

    @extend_schema(responses=dict)
    def get(self, request, *args, **kwargs):
        region, _first, _last = period_and_region(request.user, params_of(request), default_days=1)
        return Response({"region": region.code, **selectors.response_target_for(region.code)})

    @extend_schema(request=ResponseTargetInput, responses=dict)
    def post(self, request, *args, **kwargs):
        values = api_input(ResponseTargetInput, request)
        region = region_selectors.region_get(user=request.user, code=values.pop("region"))
        response_target_set(actor=request.user, region=region, request=request, **values)
        return Response({"region": region.code, **selectors.response_target_for(region.code)})


class EarliesView(APIView):
    """The four earlies of cases per child region and ISO week (``?region=&first=&last=``, default the
    last 8 weeks): per interval the cases measured, median hours and share within target."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": PeriodQuery}

    @extend_schema(responses=dict)
    def get(self, request, *args, **kwargs):
        region, first, last = period_and_region(request.user, params_of(request), default_days=56)
        return Response(earlies(request.user, region, first, last))


class EarliesTargetView(APIView):
    """The earlies' targets in force for a region (``?region=``); ``POST`` sets them for a region and below
    (``surveillance.configure`` there)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": RegionQuery}

    @extend_schema(responses=dict)
    def get(self, request, *args, **kwargs):
        region, _first, _last = period_and_region(request.user, params_of(request), default_days=1)
        return Response({"region": region.code, **earlies_targets_for(region.code)})

    @extend_schema(request=EarliesTargetInput, responses=dict)
    def post(self, request, *args, **kwargs):
        values = api_input(EarliesTargetInput, request)
        region = region_selectors.region_get(user=request.user, code=values.pop("region"))
        earlies_target_set(actor=request.user, region=region, request=request,
                           **{k: values[k] for k in DEFAULT_TARGETS})
        return Response({"region": region.code, **earlies_targets_for(region.code)})
