"""REST API of the enterprises module: enterprises, plans and tickets of the enterprises the caller reads
(officials: their regions; an enterprise contact: its own), supply links and operating status; who a
lockdown hits (aggregates). Writes take the same input schemas as the pages and the import (``inputs.py``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Reach, Shows
from fangkong.api import fields as api_fields
from fangkong.api.parsers import JSONObjectParser
from fangkong.inputs import api_input
from fangkong.keypopulations.api import RosterFileInput, import_job_answer
from fangkong.request_params import params_of

from . import imports, selectors, services
from .inputs import (
    EnterpriseInput,
    LinkInput,
    PlanDecisionInput,
    PlanInput,
    StatusInput,
    TicketActionInput,
    TicketInput,
)
from .params import EnterpriseQuery, LockdownQuery, TicketQuery

NAMED = Shows(Category.NAMED)
#: officials in their regions, an enterprise contact for its own enterprises (``selectors.enterprise_q``)
OWN = Shows(Category.NAMED, frozenset({Reach.REGION, Reach.OWN_ENTERPRISES}))


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    phone = serializers.CharField(source="phone_masked", help_text="masked")


class EnterpriseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    credit_code = serializers.CharField()
    name = serializers.CharField()
    sector = serializers.CharField()
    size = serializers.CharField()
    region = serializers.CharField(source="region_id")
    county = serializers.CharField(source="county_id")
    address = serializers.CharField()
    staff = serializers.IntegerField()
    supply_guarantee = serializers.BooleanField()
    export = serializers.BooleanField()
    key_chain = serializers.BooleanField()
    contacts = ContactSerializer(many=True, source="contacts.all")
    places = serializers.SerializerMethodField()

    def get_places(self, enterprise) -> list[int]:
        return [place.pk for place in enterprise.places.all()]


class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Key enterprises the caller reads; one registered (POST) or a file of them (``import/``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": OWN, "create": NAMED, "enterprises_import": NAMED}
    serializer_class = EnterpriseSerializer
    query_params = {"list": EnterpriseQuery}
    parser_classes = (JSONObjectParser, FormParser, MultiPartParser)

    def get_queryset(self):
        params = params_of(self.request)
        return (selectors.enterprise_list(user=self.request.user, sector=params.get("sector") or "",
                                          q=params.get("q") or "")
                .prefetch_related("contacts", "places").order_by("id"))

    def get_object(self):
        return selectors.enterprise_get(user=self.request.user, enterprise_id=self.kwargs["pk"])

    @extend_schema(request=EnterpriseInput, responses={201: EnterpriseSerializer})
    def create(self, request, *args, **kwargs):
        enterprise = services.enterprise_register(actor=request.user, request=request,
                                                  **api_input(EnterpriseInput, request))
        return Response(EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": RosterFileInput}, responses={202: dict})
    @action(detail=False, methods=["post"], url_path="import")
    def enterprises_import(self, request, *args, **kwargs):
        """A file of enterprises (columns of ``EnterpriseInput``) as an import job: all rows or none."""
        return import_job_answer(request, imports.KIND, imports.allowed)


class PlanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    enterprise = serializers.IntegerField(source="enterprise_id")
    version = serializers.IntegerField()
    closed_loop = serializers.BooleanField()
    loop_scope = serializers.CharField()
    staff_in_loop = serializers.IntegerField()
    test_every_days = serializers.IntegerField()
    shuttle = serializers.CharField()
    quarantine_rooms = serializers.IntegerField()
    responsible_person = serializers.CharField()
    state = serializers.CharField()
    submitted_at = api_fields.DateTimeField()
    decided_at = api_fields.DateTimeField(allow_null=True)


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Versions of the prevention plans (一企一策): submitted (POST), approved or rejected by the county
    (``decide/``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = OWN
    serializer_class = PlanSerializer

    def get_queryset(self):
        return selectors.plan_list(user=self.request.user).order_by("id")

    def get_object(self):
        return selectors.plan_get(user=self.request.user, plan_id=self.kwargs["pk"])

    @extend_schema(request=PlanInput, responses={201: PlanSerializer})
    def create(self, request, *args, **kwargs):
        plan = services.plan_submit(actor=request.user, request=request, **api_input(PlanInput, request))
        return Response(PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanDecisionInput, responses={200: PlanSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None, *args, **kwargs):
        plan = selectors.plan_get(user=request.user, plan_id=pk)  # 404 outside
        decided = services.plan_decide(actor=request.user, request=request, plan_id=plan.pk,
                                       **api_input(PlanDecisionInput, request))
        return Response(PlanSerializer(decided).data)


class TicketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    enterprise = serializers.IntegerField(source="enterprise_id")
    kind = serializers.CharField()
    description = serializers.CharField()
    unit = serializers.IntegerField(source="unit_id")
    sla_class = serializers.CharField()
    state = serializers.CharField()
    submitted_at = api_fields.DateTimeField()
    due_at = api_fields.DateTimeField()
    answered_at = api_fields.DateTimeField(allow_null=True)
    answer = serializers.CharField()


class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Support tickets of the enterprises the caller reads; one submitted (POST), accepted, answered or closed
    (``step/``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = OWN
    serializer_class = TicketSerializer
    query_params = {"list": TicketQuery}

    def get_queryset(self):
        params = params_of(self.request)
        return selectors.ticket_list(user=self.request.user, state=params.get("state") or "",
                                     unit=params.get("unit")).order_by("-id")

    def get_object(self):
        return selectors.ticket_get(user=self.request.user, ticket_id=self.kwargs["pk"])

    @extend_schema(request=TicketInput, responses={201: TicketSerializer})
    def create(self, request, *args, **kwargs):
        ticket = services.ticket_submit(actor=request.user, request=request, **api_input(TicketInput, request))
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TicketActionInput, responses={200: TicketSerializer})
    @action(detail=True, methods=["post"])
    def step(self, request, pk=None, *args, **kwargs):
        ticket = selectors.ticket_get(user=request.user, ticket_id=pk)  # 404 outside
        done = services.ticket_step(actor=request.user, request=request, ticket_id=ticket.pk,
                                    **api_input(TicketActionInput, request))
        return Response(TicketSerializer(done).data)


class LinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    supplier = serializers.IntegerField(source="supplier_id")
    customer = serializers.IntegerField(source="customer_id")
    goods = serializers.CharField()


class LinkViewSet(viewsets.GenericViewSet):
    """Supply-chain links: one recorded (POST)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = NAMED
    serializer_class = LinkSerializer

    @extend_schema(request=LinkInput, responses={201: LinkSerializer})
    def create(self, request, *args, **kwargs):
        link = services.link_add(actor=request.user, request=request, **api_input(LinkInput, request))
        return Response(LinkSerializer(link).data, status=status.HTTP_201_CREATED)


class StatusSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField(source="enterprise_id")
    day = api_fields.DateField()
    status = serializers.CharField()
    reason = serializers.CharField()


class StatusViewSet(viewsets.GenericViewSet):
    """An enterprise's operating status on a day (POST; recorded again, replaced)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = OWN
    serializer_class = StatusSerializer

    @extend_schema(request=StatusInput, responses={201: StatusSerializer})
    def create(self, request, *args, **kwargs):
        row = services.status_record(actor=request.user, request=request, **api_input(StatusInput, request))
        return Response(StatusSerializer(row).data, status=status.HTTP_201_CREATED)


class HitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    credit_code = serializers.CharField()
    county = serializers.CharField(source="county_id")
    tier = serializers.IntegerField()
    staff = serializers.IntegerField()


class LockdownViewSet(viewsets.GenericViewSet):
    """Who a lockdown of ``?region=`` (a district or street) or the closure of ``?place=`` hits: the
    enterprises inside (tier 0) and their customers in the province to the second tier, in the caller's
    regions, with their staff (at most 500 listed; the summary counts all)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    serializer_class = HitSerializer
    query_params = {"list": LockdownQuery}
    pagination_class = None

    @extend_schema(responses={200: dict})
    def list(self, request, *args, **kwargs):
        params = params_of(request)
        hit = selectors.lockdown_hit(user=request.user, region=params.get("region"), place=params.get("place"))
        return Response({"total": hit["total"],
                         "summary": {str(tier): row for tier, row in hit["summary"].items()},
                         "enterprises": HitSerializer(hit["enterprises"], many=True).data})
