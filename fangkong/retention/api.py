"""REST API of the retention module (administrators only): the policies, proposing and deciding changes
(four eyes), legal holds, dry runs and their approval, and the scheduled deletion of one record — the same
input schemas and services as the pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED, can
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.inputs import api_input

from . import selectors, services
from .apps import MANAGE
from .inputs import DecisionInput, HoldInput, PolicyChangeInput, PurgePlanInput
from .models import DataCategory
from .sections import schedule_data


def _admin_only(request) -> None:
    if not can(request.user, MANAGE):
        raise PermissionDenied("Only an administrator may manage retention.")


class PolicySerializer(serializers.Serializer):
    category = serializers.CharField()
    clock = serializers.CharField()
    period_days = serializers.IntegerField()
    action = serializers.CharField()
    legal_basis = serializers.CharField()
    version = serializers.IntegerField()


class ChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField()
    clock = serializers.CharField()
    period_days = serializers.IntegerField()
    action = serializers.CharField()
    legal_basis = serializers.CharField()
    reason = serializers.CharField()
    status = serializers.CharField()
    proposed_by = serializers.CharField(source="proposed_by.username")
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)


class HoldSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    target = serializers.CharField()
    object_id = serializers.IntegerField(allow_null=True)
    region = serializers.CharField(source="region_id", allow_null=True)
    reason = serializers.CharField()
    placed_at = serializers.DateTimeField()


class PurgeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    as_of = serializers.DateField()
    status = serializers.CharField()
    plan = serializers.JSONField()
    progress = serializers.JSONField()
    requested_by = serializers.CharField(source="requested_by.username")
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True, default=None)


class _AdminViewSet(viewsets.GenericViewSet):
    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        _admin_only(request)


class PolicyViewSet(mixins.ListModelMixin, _AdminViewSet):
    serializer_class = PolicySerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.policy_list()


class ChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _AdminViewSet):
    serializer_class = ChangeSerializer

    def get_queryset(self):
        return selectors.change_list().order_by("-id")

    @extend_schema(request=PolicyChangeInput, responses={201: ChangeSerializer})
    def create(self, request, *args, **kwargs):
        change = services.policy_change_propose(actor=request.user, request=request,
                                                **api_input(PolicyChangeInput, request))
        return Response(ChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionInput, responses={200: ChangeSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None, **kwargs):
        change = services.policy_change_decide(actor=request.user, change=self.get_object(), request=request,
                                               **api_input(DecisionInput, request))
        return Response(ChangeSerializer(change).data)


class HoldViewSet(mixins.ListModelMixin, _AdminViewSet):
    serializer_class = HoldSerializer

    def get_queryset(self):
        return selectors.hold_list().order_by("-id")

    @extend_schema(request=HoldInput, responses={201: HoldSerializer})
    def create(self, request, *args, **kwargs):
        data = api_input(HoldInput, request)
        hold = services.hold_place(actor=request.user, request=request, **{**data, "region": data.get("region") or ""})
        return Response(HoldSerializer(hold).data, status=status.HTTP_201_CREATED)


class PurgeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _AdminViewSet):
    serializer_class = PurgeSerializer

    def get_queryset(self):
        return selectors.purge_list().order_by("-id")

    @extend_schema(request=PurgePlanInput, responses={201: PurgeSerializer})
    def create(self, request, *args, **kwargs):
        """The dry run: what the policies in force make due, per category (nothing is deleted)."""
        purge = services.purge_plan(actor=request.user, request=request, **api_input(PurgePlanInput, request))
        return Response(PurgeSerializer(purge).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionInput, responses={200: PurgeSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None, **kwargs):
        """A second administrator's approval (the purge is queued) or rejection."""
        purge = services.purge_decide(actor=request.user, purge=self.get_object(), request=request,
                                      **api_input(DecisionInput, request))
        purge.refresh_from_db()
        return Response(PurgeSerializer(purge).data)


class ScheduleSerializer(serializers.Serializer):
    category = serializers.CharField()
    id = serializers.IntegerField()
    date = serializers.DateField(allow_null=True)
    action = serializers.CharField()
    held = serializers.BooleanField()
    waiting = serializers.BooleanField()


class ScheduleViewSet(_AdminViewSet):
    serializer_class = ScheduleSerializer

    @extend_schema(parameters=[OpenApiParameter("category", str, enum=[c for c, _l in DataCategory.choices]),
                               OpenApiParameter("id", int)], responses={200: ScheduleSerializer})
    def list(self, request, *args, **kwargs):
        """When one record is scheduled for deletion (or anonymisation) under the policy in force — what the
        record's own API detail carries as ``sections.scheduled_deletion`` (``action`` empty: no policy covers
        it). A record outside the administrator's regions is not found (one without a region: only for an
        administrator of the whole province)."""
        category = request.query_params.get("category", "")
        model = selectors.model_of(category) if category in DataCategory.values else None
        if model is None or not str(request.query_params.get("id", "")).isdigit():
            raise serializers.ValidationError({"category": ["Name a category with records and a record id."]})
        record = selectors.record_in_scope(request.user, category, int(request.query_params["id"]))
        found = schedule_data(category, selectors.scheduled_deletion(category, record)) or {
            "date": None, "action": "", "held": False, "waiting": False}
        return Response(ScheduleSerializer({"category": category, "id": record.pk, **found}).data)
