"""REST API of the laboratory module: laboratories, rounds (with their progress), pools and specimens in the
caller's regions; recording a pool, a specimen or a result takes the same input schema as its page
(``inputs``) and the same service."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Reach, Shows
from fangkong.api import fields as api_fields
from fangkong.cases.api import ImportJobSerializer
from fangkong.cases.jobs import import_job_submit
from fangkong.inputs import api_input

from . import selectors, services
from .apps import RESULT_FILE
from .inputs import (
    InvestigationCloseInput,
    LotStopInput,
    PoolInput,
    ResultFileInput,
    ResultInput,
    RoundCloseInput,
    RoundInput,
    SpecimenInput,
)

AGGREGATES = Shows(Category.AGGREGATES)
OWN_SAMPLES = Shows(Category.NAMED, frozenset({Reach.REGION, Reach.OWN_SAMPLES}))


class LaboratorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    region = serializers.CharField(source="region_id")
    daily_capacity = serializers.IntegerField()
    tests = serializers.CharField()


class ResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    outcome = serializers.CharField()
    ct_values = serializers.DictField(child=serializers.FloatField())
    received_at = serializers.DateTimeField()
    resulted_at = serializers.DateTimeField()
    turnaround_hours = serializers.SerializerMethodField()

    def get_turnaround_hours(self, result) -> float:
        return round(result.turnaround.total_seconds() / 3600, 2)


class LaboratoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Laboratories in the caller's regions; ``results``: record a result of one of its samples."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": AGGREGATES, "results": OWN_SAMPLES, "result_files": OWN_SAMPLES}
    serializer_class = LaboratorySerializer

    def get_queryset(self):
        return selectors.laboratory_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.laboratory_get(user=self.request.user, laboratory_id=self.kwargs["pk"])

    @extend_schema(request=ResultInput, responses={201: ResultSerializer})
    @action(detail=True, methods=["post"])
    def results(self, request, pk=None, *args, **kwargs):
        result = services.result_record(actor=request.user, laboratory=self.get_object(), request=request,
                                        **api_input(ResultInput, request))
        return Response(ResultSerializer(result).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": ResultFileInput}, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"], url_path="result-files", parser_classes=(FormParser, MultiPartParser))
    def result_files(self, request, pk=None, *args, **kwargs):
        """The laboratory's result file as an import job (202; ``/api/v1/import-jobs/<id>/`` follows it: progress,
        then every refused row) — the page's schema; the right to record its results checked before the upload
        is read."""
        lab = self.get_object()
        if not services.may_test(request.user, lab):
            raise PermissionDenied(_("You may not import results of this laboratory."))
        data = ResultFileInput(data={"laboratory": lab.pk, "file": request.data.get("file")})
        data.is_valid(raise_exception=True)
        job = import_job_submit(actor=request.user, request=request, kind=RESULT_FILE, target=str(lab.pk),
                                upload=data.validated_data["file"])
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class RoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    county = serializers.CharField(source="county_id")
    name = serializers.CharField()
    starts_on = serializers.DateField()
    population = serializers.IntegerField()
    expected_prevalence = serializers.FloatField()
    pool_sizes = serializers.ListField(child=serializers.IntegerField())
    days = serializers.IntegerField()
    status = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    pools_sampled = serializers.IntegerField()
    persons_sampled = serializers.IntegerField()
    pools_tested = serializers.IntegerField()
    pools_positive = serializers.IntegerField()
    pools_inconclusive = serializers.IntegerField()
    pools_resolved = serializers.IntegerField()


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Mass-screening rounds (全员核酸) with their tally; opening one (the page's schema and service), and
    ``close``: finished or cancelled — its kits and samplers leave the resources forecast."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = RoundSerializer

    def get_queryset(self):
        return selectors.round_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.round_get(user=self.request.user, round_id=self.kwargs["pk"])

    @extend_schema(request=RoundInput, responses={201: RoundSerializer})
    def create(self, request, *args, **kwargs):
        screening = services.round_create(actor=request.user, request=request, **api_input(RoundInput, request))
        return Response(RoundSerializer(screening).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoundCloseInput, responses={200: RoundSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, *args, **kwargs):
        screening = services.round_close(actor=request.user, round=self.get_object(), request=request,
                                         **api_input(RoundCloseInput, request))
        return Response(RoundSerializer(screening).data)


class PoolSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    round = serializers.IntegerField(source="round_id")
    laboratory = serializers.IntegerField(source="laboratory_id")
    region = serializers.CharField(source="region_id")
    code = serializers.CharField()
    size = serializers.IntegerField()
    sampled_at = serializers.DateTimeField()
    outcome = serializers.SerializerMethodField()
    resolution = serializers.CharField()

    def get_outcome(self, pool) -> str:
        return _outcome(pool)


def _outcome(pool) -> str:
    result = getattr(pool, "result", None)
    return result.outcome if result is not None else ""


class PoolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Pools (混管) in the caller's regions: codes, sizes and results (no person); recording one names its
    members by citizen ID."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": AGGREGATES, "create": OWN_SAMPLES}
    serializer_class = PoolSerializer

    def get_queryset(self):
        return selectors.pool_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.pool_get(user=self.request.user, pool_id=self.kwargs["pk"])

    @extend_schema(request=PoolInput, responses={201: PoolSerializer})
    def create(self, request, *args, **kwargs):
        data = api_input(PoolInput, request)
        lab = selectors.laboratory_list(user=request.user).filter(pk=data.pop("laboratory")).first()
        screening = selectors.round_list(user=request.user).filter(pk=data.pop("round")).first()
        if lab is None or screening is None:
            raise ValidationError({"laboratory" if lab is None else "round": ["Not found in your area."]})
        pool = services.pool_record(actor=request.user, request=request, laboratory=lab, round=screening, **data)
        return Response(PoolSerializer(pool).data, status=status.HTTP_201_CREATED)


class SpecimenSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    laboratory = serializers.IntegerField(source="laboratory_id")
    region = serializers.CharField(source="region_id")
    code = serializers.CharField()
    subject = serializers.CharField()
    person = serializers.IntegerField(source="person_id", allow_null=True)
    goods_lot = serializers.IntegerField(source="goods_lot_id", allow_null=True)
    place = serializers.IntegerField(source="place_id", allow_null=True)
    kind = serializers.CharField()
    sampled_at = serializers.DateTimeField()
    pool_member = serializers.IntegerField(source="pool_member_id", allow_null=True)


class SpecimenDetailSerializer(SpecimenSerializer):
    sections = api_fields.RecordSections()


class SpecimenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Specimens the caller may read (a laboratory: its own); recording one."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = OWN_SAMPLES
    serializer_class = SpecimenSerializer

    def get_queryset(self):
        return selectors.specimen_list(user=self.request.user).order_by("id")

    def get_serializer_class(self):
        return SpecimenDetailSerializer if self.action == "retrieve" else SpecimenSerializer

    def get_object(self):
        return selectors.specimen_get(user=self.request.user, specimen_id=self.kwargs["pk"])

    @extend_schema(request=SpecimenInput, responses={201: SpecimenSerializer})
    def create(self, request, *args, **kwargs):
        data = api_input(SpecimenInput, request)
        lab = selectors.laboratory_list(user=request.user).filter(pk=data.pop("laboratory")).first()
        if lab is None:
            raise Http404
        specimen = services.specimen_record_by_ids(actor=request.user, request=request, laboratory=lab, **data)
        return Response(SpecimenSerializer(specimen).data, status=status.HTTP_201_CREATED)


class LotStopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    upstream = serializers.IntegerField(source="upstream_id", allow_null=True)
    kind = serializers.CharField()
    place = serializers.IntegerField(source="place_id", allow_null=True)
    place_name = serializers.CharField(source="place.name", allow_null=True, default=None)
    enterprise = serializers.IntegerField(source="enterprise_id", allow_null=True)
    enterprise_name = serializers.CharField(source="enterprise.name", allow_null=True, default=None)
    region = serializers.CharField(source="region_id")
    arrived_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)


class GoodsLotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    lot_no = serializers.CharField()
    description = serializers.CharField()
    origin_country = serializers.CharField()
    port = serializers.CharField()
    container_no = serializers.CharField()
    owner_name = serializers.CharField()
    owner_credit_code = serializers.CharField()


class GoodsLotPathSerializer(GoodsLotSerializer):
    path = serializers.SerializerMethodField()

    @extend_schema_field(LotStopSerializer(many=True))
    def get_path(self, lot) -> list:
        return [LotStopSerializer(stop).data for stop, _depth in selectors.lot_path(lot)]


class GoodsLotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Goods lots recorded in the caller's regions or that passed through them; one lot with its path (the
    places and enterprises it touched, from the port); ``stops``: add a stop (the page's schema and service)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = GoodsLotSerializer

    def get_queryset(self):
        return selectors.goods_lot_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.goods_lot_get(user=self.request.user, lot_id=self.kwargs["pk"])

    def get_serializer_class(self):
        return GoodsLotPathSerializer if self.action == "retrieve" else GoodsLotSerializer

    @extend_schema(request=LotStopInput, responses={201: LotStopSerializer})
    @action(detail=True, methods=["post"])
    def stops(self, request, pk=None, *args, **kwargs):
        lot = self.get_object()
        stop = services.lot_stop_add(actor=request.user, lot=lot, request=request, **api_input(LotStopInput, request))
        return Response(LotStopSerializer(stop).data, status=status.HTTP_201_CREATED)


class ExposedSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    name = serializers.CharField()
    reason = serializers.CharField()
    where = serializers.CharField()
    at = serializers.DateTimeField(allow_null=True)


class InvestigationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    specimen = serializers.IntegerField(source="specimen_id")
    subject = serializers.CharField(source="specimen.subject")
    goods_lot = serializers.IntegerField(source="specimen.goods_lot_id", allow_null=True)
    place = serializers.IntegerField(source="specimen.place_id", allow_null=True)
    region = serializers.CharField(source="region_id")
    opened_at = serializers.DateTimeField()
    status = serializers.CharField()
    note = serializers.CharField()


class InvestigationDetailSerializer(InvestigationSerializer):
    exposed = serializers.SerializerMethodField()
    workers_total = serializers.SerializerMethodField()
    visitors_total = serializers.SerializerMethodField()

    def _found(self, investigation) -> dict:
        if "found" not in self.context:
            self.context["found"] = selectors.exposed_persons(user=self.context["request"].user,
                                                              investigation=investigation)
        return self.context["found"]

    @extend_schema_field(ExposedSerializer(many=True))
    def get_exposed(self, investigation) -> list:
        found = self._found(investigation)
        rows = [{"person": e.person_id, "name": e.person.name, "reason": "worker",
                 "where": e.group.place.name if e.group.place_id else e.group.employer_name, "at": None}
                for e in found["workers"]]
        rows += [{"person": s.person_id, "name": s.person.name, "reason": "co-visitor", "where": s.place.name,
                  "at": s.scanned_at} for s in found["visitors"]]
        return ExposedSerializer(rows, many=True).data

    def get_workers_total(self, investigation) -> int:
        return self._found(investigation)["workers_total"]

    def get_visitors_total(self, investigation) -> int:
        return self._found(investigation)["visitors_total"]


class InvestigationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Investigations of positive goods lots and environment specimens; one with the persons exposed to it that
    the caller may read (workers on the rosters, co-visitors of the places); ``close``: its conclusion."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": AGGREGATES, "retrieve": Shows(Category.NAMED), "close": Shows(Category.NAMED)}
    serializer_class = InvestigationSerializer

    def get_queryset(self):
        return selectors.investigation_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.investigation_get(user=self.request.user, investigation_id=self.kwargs["pk"])

    def get_serializer_class(self):
        return InvestigationDetailSerializer if self.action == "retrieve" else InvestigationSerializer

    @extend_schema(request=InvestigationCloseInput, responses={200: InvestigationSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, *args, **kwargs):
        investigation = services.investigation_close(actor=request.user, investigation=self.get_object(),
                                                     request=request, **api_input(InvestigationCloseInput, request))
        return Response(InvestigationSerializer(investigation).data)
