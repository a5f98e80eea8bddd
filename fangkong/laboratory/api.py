"""REST API of the laboratory module: laboratories, rounds (with their progress), pools and specimens in the
caller's regions; recording a pool, a specimen or a result takes the same input schema as its page
(``inputs``) and the same service."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Reach, Shows
from fangkong.inputs import api_input

from . import selectors, services
from .inputs import PoolInput, ResultInput, SpecimenInput

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
    fangkong_shows = {"*": AGGREGATES, "results": OWN_SAMPLES}
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


class RoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    county = serializers.CharField(source="county_id")
    name = serializers.CharField()
    starts_on = serializers.DateField()
    population = serializers.IntegerField()
    expected_prevalence = serializers.FloatField()
    pool_sizes = serializers.ListField(child=serializers.IntegerField())
    pools_sampled = serializers.IntegerField()
    persons_sampled = serializers.IntegerField()
    pools_tested = serializers.IntegerField()
    pools_positive = serializers.IntegerField()
    pools_inconclusive = serializers.IntegerField()
    pools_resolved = serializers.IntegerField()


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Mass-screening rounds (全员核酸) with their tally."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = RoundSerializer

    def get_queryset(self):
        return selectors.round_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.round_get(user=self.request.user, round_id=self.kwargs["pk"])


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


class SpecimenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Specimens the caller may read (a laboratory: its own); recording one."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = OWN_SAMPLES
    serializer_class = SpecimenSerializer

    def get_queryset(self):
        return selectors.specimen_list(user=self.request.user).order_by("id")

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
