"""REST API of the inbound module: the same actions as the pages with the same input schemas
(``inputs.py``) — manifests with their travellers, arrivals, hand-offs and their answers, steps, breaks —
and the same scoped reads. Every endpoint names persons: it shows named data."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api import fields as api_fields
from fangkong.api.pagination import paged_response
from fangkong.inputs import api_input

from . import selectors, services
from .inputs import (
    AnswerInput,
    ArrivalInput,
    BreakCloseInput,
    HandoffInput,
    ManifestApiInput,
    StepInput,
    traveller_rows,
)

NAMED = Shows(Category.NAMED)


class TravellerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    id_kind = serializers.CharField()
    id_masked = serializers.CharField()
    port = serializers.CharField(source="port.code")
    manifest = serializers.CharField(source="manifest.carrier_no")
    destination = serializers.CharField(source="destination_id")
    holder = serializers.CharField(source="holder_id")
    status = serializers.CharField()
    status_at = serializers.DateTimeField()
    arrived_at = serializers.DateTimeField()
    protocol = serializers.CharField(source="protocol.code", default=None)
    centralised_until = serializers.DateField()
    home_until = serializers.DateField()
    release_due = serializers.DateField()
    due_at = serializers.DateTimeField()

    def get_name(self, traveller) -> str:
        shown = selectors.traveller_shown(self.context["request"].user, traveller)
        return shown.name if shown else ""


class TravellerDetailSerializer(TravellerSerializer):
    sections = api_fields.RecordSections()


class HandoffSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    batch = serializers.IntegerField(source="batch_id")
    traveller = serializers.IntegerField(source="traveller_id")
    sender_region = serializers.CharField(source="sender_region_id")
    receiver_region = serializers.CharField(source="receiver_region_id")
    state = serializers.CharField()
    ack_deadline = serializers.DateTimeField(source="batch.ack_deadline")
    answered_at = serializers.DateTimeField()
    reason = serializers.CharField()


class BreakSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    traveller = serializers.IntegerField(source="traveller_id")
    sender_region = serializers.CharField(source="sender_region_id")
    receiver_region = serializers.CharField(source="receiver_region_id")
    due_at = serializers.DateTimeField()
    detected_at = serializers.DateTimeField()
    level = serializers.IntegerField()
    closed_at = serializers.DateTimeField()
    resolution = serializers.CharField()


def _objects(selector, user, ids: list[int]) -> list:
    rows = list(selector(user=user).filter(pk__in=ids))
    if len(rows) != len(set(ids)):
        raise Http404("not found")
    return rows


class TravellerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Travellers in the caller's scope; ``arrive`` confirms arrivals, ``step`` records a step."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = NAMED
    serializer_class = TravellerSerializer

    def get_queryset(self):
        return selectors.traveller_list(user=self.request.user).select_related("protocol", "manifest")

    def get_serializer_class(self):
        return TravellerDetailSerializer if self.action == "retrieve" else TravellerSerializer

    def get_object(self):
        return selectors.traveller_get(user=self.request.user, traveller_id=self.kwargs["pk"])

    @extend_schema(request=ArrivalInput, responses={200: None})
    @action(detail=False, methods=["post"])
    def arrive(self, request, *args, **kwargs):
        data = api_input(ArrivalInput, request)
        travellers = _objects(selectors.traveller_list, request.user, data["travellers"])
        count = services.travellers_arrive(actor=request.user, travellers=travellers, at=data["arrived_at"],
                                           request=request)
        return Response({"arrived": count})

    @extend_schema(request=StepInput, responses={200: TravellerSerializer})
    @action(detail=True, methods=["post"])
    def step(self, request, pk=None, *args, **kwargs):
        traveller = self.get_object()
        data = api_input(StepInput, request)
        services.traveller_step(actor=request.user, traveller=traveller, request=request, status=data["status"],
                                at=data.get("at"), note=data.get("note", ""),
                                expected_version=data.get("expected_version"))
        return Response(TravellerSerializer(traveller, context={"request": request}).data)


class ManifestViewSet(viewsets.GenericViewSet):
    """Import a manifest with its travellers (JSON); the same manifest twice adds nothing."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = NAMED
    serializer_class = ManifestApiInput

    def get_queryset(self):
        return selectors.manifest_list(user=self.request.user)

    @extend_schema(request=ManifestApiInput, responses={201: None, 200: None})
    def create(self, request, *args, **kwargs):
        data = api_input(ManifestApiInput, request)
        rows, row_errors = traveller_rows(data.pop("travellers"), first=1)
        result = services.manifest_import(actor=request.user, request=request, rows=rows, row_errors=row_errors,
                                          **data)
        if result.manifest is None:
            return Response({"error": {"code": "invalid", "message": "rows refused",
                                       "fields": {"travellers": result.errors}}}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"manifest": result.manifest.pk, "created": result.created, "already": result.already},
                        status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class HandoffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Hand-offs of both sides; ``inbox`` those awaiting the caller's acknowledgement; ``answer`` them."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = NAMED
    serializer_class = HandoffSerializer

    def get_queryset(self):
        return selectors.handoff_list(user=self.request.user)

    def get_object(self):
        return selectors.handoff_get(user=self.request.user, handoff_id=self.kwargs["pk"])

    @extend_schema(request=HandoffInput, responses={201: None})
    def create(self, request, *args, **kwargs):
        data = api_input(HandoffInput, request)
        travellers = _objects(selectors.traveller_list, request.user, data.pop("travellers"))
        batch = services.handoff_send(actor=request.user, travellers=travellers, request=request, **data)
        return Response({"batch": batch.pk, "ack_deadline": batch.ack_deadline}, status=status.HTTP_201_CREATED)

    @extend_schema(responses=paged_response(HandoffSerializer, name="InboundHandoffPage"))
    @action(detail=False, methods=["get"])
    def inbox(self, request, *args, **kwargs):
        page = self.paginate_queryset(selectors.inbox(user=request.user).order_by("id"))
        return self.get_paginated_response(HandoffSerializer(page, many=True).data)

    @extend_schema(request=AnswerInput, responses={200: None})
    @action(detail=False, methods=["post"])
    def answer(self, request, *args, **kwargs):
        data = api_input(AnswerInput, request)
        handoffs = _objects(selectors.handoff_list, request.user, data["handoffs"])
        count = services.handoffs_answer(actor=request.user, handoffs=handoffs, accept=data["accept"],
                                         reason=data.get("reason", ""), request=request)
        return Response({"answered": count})


class BreakViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Open breaks of both sides; ``close`` one with its resolution."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = NAMED
    serializer_class = BreakSerializer

    def get_queryset(self):
        return selectors.break_list(user=self.request.user)

    @extend_schema(request=BreakCloseInput, responses={200: BreakSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, *args, **kwargs):
        loop_break = selectors.break_get(user=request.user, break_id=pk)
        data = api_input(BreakCloseInput, request)
        services.break_close(actor=request.user, loop_break=loop_break, request=request, **data)
        return Response(BreakSerializer(loop_break).data)
