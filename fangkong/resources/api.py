"""REST API of the resources module: the same actions as the pages with the same input schemas
(``inputs.py``) and the same scoped reads — sites and rooms (aggregates), room assignments (named: the
manager's own sites only), stock and its movements, requisitions (both sides), the forecast."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Reach, Shows
from fangkong.inputs import api_input
from fangkong.web.day import data_last_day

from . import forecast, selectors, services
from .inputs import (
    ApproveInput,
    CheckInInput,
    CheckOutInput,
    RequisitionInput,
    RequisitionStepInput,
    RosterInput,
    StockInput,
    TeamInput,
    TransferInput,
)

AGGREGATES = Shows(Category.AGGREGATES)
SITES = Shows(Category.AGGREGATES, frozenset({Reach.REGION, Reach.ASSIGNED_SITES}))
PERSONS = Shows(Category.NAMED, frozenset({Reach.REGION, Reach.ASSIGNED_SITES}))


class ResourceSiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    name = serializers.CharField()
    kind = serializers.CharField()
    rooms_total = serializers.IntegerField()
    rooms_available = serializers.IntegerField()
    rooms_occupied = serializers.IntegerField()
    rooms_out_of_service = serializers.IntegerField()


class ResourceAssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site = serializers.IntegerField(source="site_id")
    room = serializers.CharField(source="room.number")
    name = serializers.CharField(source="occupant_name")
    contact = serializers.IntegerField(source="contact_id", allow_null=True)
    traveller = serializers.IntegerField(source="traveller_id", allow_null=True)
    status = serializers.CharField()
    checked_in_at = serializers.DateTimeField()
    expected_check_out = serializers.DateField(allow_null=True)
    checked_out_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class ResourceStockSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    store = serializers.IntegerField(source="store_id")
    region = serializers.CharField(source="region_id")
    item = serializers.CharField()
    quantity = serializers.IntegerField()


class ResourceMovementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    store = serializers.IntegerField(source="store_id")
    item = serializers.CharField()
    kind = serializers.CharField()
    change = serializers.IntegerField()
    balance = serializers.IntegerField()
    requisition = serializers.IntegerField(source="requisition_id", allow_null=True)
    at = serializers.DateTimeField()


class ResourceRequisitionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    requesting_region = serializers.CharField(source="requesting_region_id")
    supplying_region = serializers.CharField(source="supplying_region_id")
    item = serializers.CharField()
    quantity = serializers.IntegerField()
    status = serializers.CharField()
    destination_store = serializers.IntegerField(source="destination_store_id")
    source_store = serializers.IntegerField(source="source_store_id", allow_null=True)
    requested_at = serializers.DateTimeField()
    shipped_at = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()


class ResourceForecastSerializer(serializers.Serializer):
    city = serializers.CharField()
    resource = serializers.CharField()
    capacity = serializers.FloatField()
    in_use = serializers.FloatField(allow_null=True)
    band = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    probability = serializers.FloatField(allow_null=True)
    first_day = serializers.FloatField(allow_null=True)
    first_date = serializers.DateField(allow_null=True)
    above_90 = serializers.FloatField(allow_null=True)


class SiteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Quarantine sites in view with their rooms by state (a manager: its own sites only)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = SITES
    serializer_class = ResourceSiteSerializer

    def get_queryset(self):
        return selectors.site_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.site_list(user=self.request.user).get(pk=selectors.site_get(
            user=self.request.user, site_id=self.kwargs["pk"]).pk)


class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Room assignments whose persons the caller may read; check-in, check-out and transfer."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = PERSONS
    serializer_class = ResourceAssignmentSerializer

    def get_queryset(self):
        return selectors.assignment_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.assignment_get(user=self.request.user, assignment_id=self.kwargs["pk"])

    @extend_schema(request=CheckInInput, responses={201: ResourceAssignmentSerializer})
    def create(self, request, *args, **kwargs):
        data = api_input(CheckInInput, request)
        selectors.room_get(user=request.user, room_id=data["room_id"])  # 404 outside the caller's sites
        assignment = services.check_in(actor=request.user, request=request, **data)
        return Response(ResourceAssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CheckOutInput, responses={200: ResourceAssignmentSerializer})
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None, *args, **kwargs):
        assignment = self.get_object()
        data = api_input(CheckOutInput, request)
        done = services.check_out(actor=request.user, assignment_id=assignment.pk, request=request, **data)
        return Response(ResourceAssignmentSerializer(done).data)

    @extend_schema(request=TransferInput, responses={200: ResourceAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None, *args, **kwargs):
        assignment = self.get_object()
        data = api_input(TransferInput, request)
        selectors.room_get(user=request.user, room_id=data["room_id"])
        moved = services.transfer(actor=request.user, assignment_id=assignment.pk, request=request, **data)
        return Response(ResourceAssignmentSerializer(moved).data)


class ResourceTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    name = serializers.CharField()
    skill = serializers.CharField()
    size = serializers.IntegerField()


class ResourceRosterSerializer(serializers.Serializer):
    team = serializers.IntegerField(source="team_id")
    date = serializers.DateField()
    available = serializers.IntegerField()


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Staff teams in the caller's region (by skill and size); ``roster``: how many are available on a day."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = ResourceTeamSerializer

    def get_queryset(self):
        return selectors.team_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.team_get(user=self.request.user, team_id=self.kwargs["pk"])

    @extend_schema(request=TeamInput, responses={201: ResourceTeamSerializer})
    def create(self, request, *args, **kwargs):
        team = services.team_create(actor=request.user, request=request, **api_input(TeamInput, request))
        return Response(ResourceTeamSerializer(team).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RosterInput, responses={200: ResourceRosterSerializer})
    @action(detail=True, methods=["post"])
    def roster(self, request, pk=None, *args, **kwargs):
        row = services.roster_record(actor=request.user, team=self.get_object(), request=request,
                                     **api_input(RosterInput, request))
        return Response(ResourceRosterSerializer(row).data)


class StockViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Stock on hand in the caller's stores; ``receive`` and ``issue`` at a store (``/stock/<store>/…``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = ResourceStockSerializer

    def get_queryset(self):
        return selectors.stock_list(user=self.request.user).order_by("id")

    def _move(self, request, pk, service):
        store = selectors.store_get(user=request.user, store_id=pk)
        data = api_input(StockInput, request)
        movement = service(actor=request.user, store=store, request=request, **data)
        return Response(ResourceMovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=StockInput, responses={201: ResourceMovementSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None, *args, **kwargs):
        return self._move(request, pk, services.stock_receive)

    @extend_schema(request=StockInput, responses={201: ResourceMovementSerializer})
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None, *args, **kwargs):
        return self._move(request, pk, services.stock_issue)


class RequisitionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Requisitions the caller's cities sent or received, and their steps."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = ResourceRequisitionSerializer

    def get_queryset(self):
        return selectors.requisition_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.requisition_get(user=self.request.user, requisition_id=self.kwargs["pk"])

    @extend_schema(request=RequisitionInput, responses={201: ResourceRequisitionSerializer})
    def create(self, request, *args, **kwargs):
        data = api_input(RequisitionInput, request)
        store = selectors.store_get(user=request.user, store_id=data.pop("store"))
        requisition = services.requisition_create(actor=request.user, store=store, request=request, **data)
        return Response(ResourceRequisitionSerializer(requisition).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ApproveInput, responses={200: ResourceRequisitionSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, *args, **kwargs):
        requisition = self.get_object()
        data = api_input(ApproveInput, request)
        source = selectors.store_get(user=request.user, store_id=data.pop("source_store"))
        done = services.requisition_approve(actor=request.user, requisition_id=requisition.pk, source_store=source,
                                            request=request, **data)
        return Response(ResourceRequisitionSerializer(done).data)

    def _step(self, request, service):
        requisition = self.get_object()
        data = api_input(RequisitionStepInput, request)
        done = service(actor=request.user, requisition_id=requisition.pk, request=request, **data)
        return Response(ResourceRequisitionSerializer(done).data)

    @extend_schema(request=RequisitionStepInput, responses={200: ResourceRequisitionSerializer})
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None, *args, **kwargs):
        return self._step(request, services.requisition_ship)

    @extend_schema(request=RequisitionStepInput, responses={200: ResourceRequisitionSerializer})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None, *args, **kwargs):
        return self._step(request, services.requisition_receive)


class ForecastViewSet(viewsets.GenericViewSet):
    """The forecast of every city × resource in view, from the last day with data."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = AGGREGATES
    serializer_class = ResourceForecastSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.site_list(user=self.request.user).none()

    @extend_schema(responses={200: ResourceForecastSerializer(many=True)})
    def list(self, request, *args, **kwargs):
        lines = forecast.forecast_table(user=request.user, day=data_last_day(request.user))
        return Response(ResourceForecastSerializer(lines, many=True).data)
