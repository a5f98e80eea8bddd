"""REST API of the daily situation reports: list and read in scope, generate, review and approve."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api import fields as api_fields
from fangkong.api.errors import error_body
from fangkong.bulletins import selectors, services
from fangkong.bulletins.inputs import BulletinGenerateInput, BulletinTransitionInput
from fangkong.inputs import api_input
from fangkong.request_params import Day, PageQuery, RegionCode, params_of


class BulletinListQuery(PageQuery):
    region = RegionCode(help_text="a region in scope: its subtree")
    date = Day(help_text="the day the reports are about")


class BulletinSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    date = api_fields.DateField()
    language = serializers.CharField()
    version = serializers.IntegerField()
    status = serializers.CharField()
    fingerprint = serializers.CharField()
    created_at = api_fields.DateTimeField()
    reviewed_at = api_fields.DateTimeField(allow_null=True)
    approved_at = api_fields.DateTimeField(allow_null=True)


class BulletinDetailSerializer(BulletinSerializer):
    content = serializers.JSONField()
    html = serializers.CharField()


class BulletinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Reports in scope (filters: region, date); POST generates the next version; ``transition`` moves the
    latest version on (draft → reviewed → approved)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"list": BulletinListQuery}

    def get_serializer_class(self):
        return BulletinDetailSerializer if self.action == "retrieve" else BulletinSerializer

    def get_queryset(self):
        params = params_of(self.request)
        return selectors.bulletin_list(user=self.request.user, region=params.get("region") or "",
                                       day=params.get("date"))

    def get_object(self):
        return selectors.bulletin_get(user=self.request.user, bulletin_id=self.kwargs["pk"])

    @extend_schema(request=BulletinGenerateInput, responses={201: BulletinDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = api_input(BulletinGenerateInput, request)
        bulletin = services.bulletin_generate(actor=request.user, request=request, **data)
        return Response(BulletinDetailSerializer(bulletin).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=BulletinTransitionInput, responses={200: BulletinSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, **kwargs):
        bulletin = self.get_object()
        step = services.BULLETIN_STEPS[api_input(BulletinTransitionInput, request)["to"]]
        try:
            bulletin = step(actor=request.user, bulletin=bulletin, request=request)
        except services.BulletinStateError as exc:
            return Response(error_body("invalid_state", str(exc)), status=status.HTTP_409_CONFLICT)
        return Response(BulletinSerializer(bulletin).data)
