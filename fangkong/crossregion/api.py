"""REST API of the cross-region requests: the requests in the caller's regions (all, ``inbox``, ``outgoing``,
``overdue``; keyset-paged), one request with its persons, sending one (``inputs.RequestInput``: the same
schema as the page; 201, or 200 with the first request when it was already sent), acknowledging, recording a
person's outcome (``inputs.OutcomeInput``), and the figures per city for the dashboard."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api.pagination import paged_response
from fangkong.request_params import PageQuery

from . import selectors, services
from .inputs import AcknowledgeInput, OutcomeInput, RequestInput


class RequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    request_no = serializers.CharField()
    sender_region = serializers.CharField(source="sender_region_id")
    receiver_region = serializers.CharField(source="receiver_region_id")
    origin_region = serializers.CharField(source="origin_region_id")
    source_case_no = serializers.CharField()
    forwarded_from = serializers.IntegerField(source="forwarded_from_id", allow_null=True)
    urgency = serializers.CharField()
    status = serializers.CharField()
    sent_at = serializers.DateTimeField()
    ack_deadline = serializers.DateTimeField()
    report_deadline = serializers.DateTimeField()
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    reported_at = serializers.DateTimeField(allow_null=True)
    persons_total = serializers.IntegerField()
    persons_pending = serializers.IntegerField()
    persons_quarantined = serializers.IntegerField()
    persons_not_found = serializers.IntegerField()
    escalated_at = serializers.DateTimeField(allow_null=True)


class ShownPersonSerializer(serializers.Serializer):
    """A person as the reader may see them (``persons.shown``): named fields only for named readers."""

    level = serializers.CharField()
    sex = serializers.CharField()
    age_band = serializers.CharField()
    name = serializers.CharField()
    citizen_id = serializers.CharField(help_text="the mask")
    phone = serializers.CharField(help_text="the mask")
    address_text = serializers.CharField()


class ForwardSerializer(serializers.Serializer):
    request_no = serializers.CharField(source="0")
    request = serializers.IntegerField(source="1")
    outcome = serializers.CharField(source="2")


class PersonRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    person = ShownPersonSerializer(source="shown", allow_null=True)
    category = serializers.CharField()
    exposure_end = serializers.DateField(allow_null=True)
    listed_at = serializers.DateTimeField()
    outcome = serializers.CharField()
    outcome_at = serializers.DateTimeField(allow_null=True)
    quarantined_at = serializers.DateTimeField(allow_null=True)
    contact_no = serializers.CharField()
    escalated = serializers.BooleanField()
    forwarded_as = ForwardSerializer(many=True)


class RequestDetailSerializer(RequestSerializer):
    exposure_details = serializers.CharField()
    protocol = serializers.CharField(source="protocol.code")
    persons = serializers.SerializerMethodField()

    @extend_schema(responses=PersonRowSerializer(many=True))
    def get_persons(self, req) -> list[dict]:
        rows = selectors.request_persons(user=self.context["request"].user, req=req)
        return PersonRowSerializer(rows, many=True).data


class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": Shows(Category.PSEUDONYMISED), "create": Shows(Category.NAMED),
                      "acknowledge": Shows(Category.NAMED), "outcome": Shows(Category.NAMED)}
    serializer_class = RequestSerializer
    query_params = {"inbox": PageQuery, "outgoing": PageQuery, "overdue": PageQuery}

    def get_queryset(self):
        return selectors.request_outgoing(user=self.request.user) | selectors.request_inbox(user=self.request.user)

    def get_object(self):
        return selectors.request_get(user=self.request.user, request_id=self.kwargs["pk"])

    def retrieve(self, request, *args, **kwargs):
        return Response(RequestDetailSerializer(self.get_object(), context={"request": request}).data)

    def _paged(self, queryset):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(RequestSerializer(page, many=True).data)

    @extend_schema(responses=paged_response(RequestSerializer, name="CrossregionRequestPage"))
    @action(detail=False, methods=["get"])
    def inbox(self, request, format=None):
        """Requests received by the caller's regions."""
        return self._paged(selectors.request_inbox(user=request.user))

    @extend_schema(responses=paged_response(RequestSerializer, name="CrossregionRequestPage"))
    @action(detail=False, methods=["get"])
    def outgoing(self, request, format=None):
        """Requests sent from the caller's regions (and the forwards of requests about their cases)."""
        return self._paged(selectors.request_outgoing(user=request.user))

    @extend_schema(responses=paged_response(RequestSerializer, name="CrossregionRequestPage"))
    @action(detail=False, methods=["get"])
    def overdue(self, request, format=None):
        """Overdue requests and requests with persons not found, in the caller's regions, oldest deadline first."""
        return self._paged(selectors.request_overdue(user=request.user).order_by(*selectors.OVERDUE_ORDER))

    @extend_schema(request=RequestInput, responses={201: RequestDetailSerializer, 200: RequestDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = RequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        req, created = services.request_send(actor=request.user, request=request, **data.validated_data)
        return Response(RequestDetailSerializer(req, context={"request": request}).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=AcknowledgeInput, responses={200: RequestDetailSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None, format=None):
        data = AcknowledgeInput(data=request.data)
        data.is_valid(raise_exception=True)
        req = services.request_acknowledge(actor=request.user, req=self.get_object(), request=request,
                                           **data.validated_data)
        return Response(RequestDetailSerializer(req, context={"request": request}).data)

    @extend_schema(request=OutcomeInput, responses={200: RequestDetailSerializer})
    @action(detail=True, methods=["post"], url_path=r"persons/(?P<person_id>\d+)/outcome")
    def outcome(self, request, pk=None, person_id=None, format=None):
        req = self.get_object()
        data = OutcomeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.person_outcome_record(actor=request.user, req=req, person_id=int(person_id), request=request,
                                       **data.validated_data)
        return Response(RequestDetailSerializer(selectors.request_get(user=request.user, request_id=req.pk),
                                                context={"request": request}).data)


class CityFiguresSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    open_in = serializers.IntegerField()
    open_out = serializers.IntegerField()
    ack_overdue = serializers.IntegerField()
    not_found = serializers.IntegerField()
    median_hours_to_quarantine = serializers.FloatField(allow_null=True)


class FiguresView(APIView):
    """Per city: open requests received and sent, acknowledgements overdue, persons not found, median hours
    from listing to quarantine (the dashboard's and the daily report's figures)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)

    @extend_schema(responses=CityFiguresSerializer(many=True))
    def get(self, request):
        return Response(CityFiguresSerializer(selectors.city_figures(user=request.user), many=True).data)
