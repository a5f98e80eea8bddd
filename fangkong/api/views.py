"""REST API views (thin: check access through selectors, call one service, reply)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED, memberships_of, scope_prefixes
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api import fields as api_fields
from fangkong.audit.models import AuditEvent
from fangkong.audit.selectors import audit_event_list, audit_filters_parse
from fangkong.persons import selectors as person_selectors
from fangkong.persons.inputs import PersonInput, RevealInput
from fangkong.persons.services import person_register, person_reveal
from fangkong.persons.shown import person_shown
from fangkong.regions import selectors as region_selectors
from fangkong.regions.models import Region
from fangkong.request_params import PAST, Choice, Day, PageQuery, RegionCode, Text, params_of


class RegionListQuery(PageQuery):
    parent = RegionCode(help_text="the children of this region")
    level = Choice(Region.Level.values)


class PersonListQuery(PageQuery):
    q = Text(help_text="part of the name")


class AuditListQuery(PageQuery):
    action = Choice(AuditEvent.Action.values)
    user = Text(max_length=150, help_text="user name")
    object_type = Text(max_length=100, help_text="app.model, e.g. cases.case")
    object_id = Text(max_length=64)
    region = serializers.RegexField(r"^\d{1,12}$", required=False, max_length=12,
                                    help_text="a region code or its prefix (digits)")
    date_from = Day(help_text="from this day (YYYY-MM-DD)")
    date_to = Day(help_text="to this day, inclusive")


class RegionSerializer(serializers.Serializer):
    code = serializers.CharField()
    parent = serializers.CharField(source="parent_id", allow_null=True)
    level = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    population = serializers.IntegerField()
    population_estimated = serializers.BooleanField()
    geometry_synthetic = serializers.BooleanField()


class RegionDetailSerializer(RegionSerializer):
    geometry = serializers.JSONField()


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions in the caller's scope. Filter with ``?parent=CODE`` or ``?level=county``."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.REFERENCE)
    lookup_field = "code"
    lookup_value_regex = r"\d{6}(\d{3}(\d{3})?)?"
    query_params = {"list": RegionListQuery}

    def get_serializer_class(self):
        return RegionDetailSerializer if self.action == "retrieve" else RegionSerializer

    def get_queryset(self):
        params = params_of(self.request)
        return region_selectors.region_list(user=self.request.user, parent=params.get("parent") or "",
                                            level=params.get("level") or "")

    def get_object(self):
        return region_selectors.region_get(user=self.request.user, code=self.kwargs["code"])


class PersonOutputSerializer(serializers.Serializer):
    """A registry entry (named readers only); the masks as ``fangkong.persons.shown`` gives them to the caller."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = api_fields.DateField(window=PAST, allow_null=True)
    citizen_id_masked = serializers.SerializerMethodField()
    phone_masked = serializers.SerializerMethodField()
    address_region = serializers.CharField(source="address_region_id")
    address_text = serializers.CharField()
    created_at = api_fields.DateTimeField()

    def _shown(self, person):
        return person_shown(self.context["request"].user, person, person.address_region_id)

    def get_citizen_id_masked(self, person) -> str:
        shown = self._shown(person)
        return shown.citizen_id if shown else ""

    def get_phone_masked(self, person) -> str:
        shown = self._shown(person)
        return shown.phone if shown else ""


class RevealOutputSerializer(serializers.Serializer):
    citizen_id = serializers.CharField()
    phone = serializers.CharField()


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The person registry in the caller's scope; identifiers are masked unless revealed."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = {"*": Shows(Category.NAMED), "reveal": Shows(Category.IDENTIFIERS)}
    serializer_class = PersonOutputSerializer
    query_params = {"list": PersonListQuery}

    def get_queryset(self):
        return person_selectors.person_list(user=self.request.user, search=params_of(self.request).get("q") or "")

    def get_object(self):
        return person_selectors.person_get(user=self.request.user, person_id=self.kwargs["pk"])

    @extend_schema(request=PersonInput, responses={201: PersonOutputSerializer, 200: PersonOutputSerializer})
    def create(self, request, *args, **kwargs):
        data = PersonInput(data=request.data)
        data.is_valid(raise_exception=True)
        registration = person_register(actor=request.user, request=request, **data.validated_data)
        body = PersonOutputSerializer(registration.person, context={"request": request}).data
        if registration.created:
            return Response(body, status=status.HTTP_201_CREATED)
        return Response({**body, "already_registered": True,
                         "message": _("This citizen ID is already registered: the existing person is returned.")},
                        status=status.HTTP_200_OK)

    @extend_schema(request=RevealInput, responses=RevealOutputSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None, **kwargs):
        data = RevealInput(data=request.data)
        data.is_valid(raise_exception=True)
        revealed = person_reveal(actor=request.user, person=self.get_object(), request=request, **data.validated_data)
        return Response(RevealOutputSerializer(revealed).data)


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = api_fields.DateTimeField()
    actor_username = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    region_code = serializers.CharField()
    source_ip = serializers.CharField(allow_null=True)
    reason = serializers.CharField()
    event_hash = serializers.CharField()


class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit trail (system administrators), filterable by ``action``, ``user``, ``object_type``,
    ``object_id``, ``region`` (code prefix), ``date_from`` and ``date_to`` (YYYY-MM-DD, inclusive)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AUDIT)
    serializer_class = AuditEventSerializer
    query_params = {"list": AuditListQuery}

    def get_queryset(self):
        return audit_event_list(user=self.request.user, filters=audit_filters_parse(self.request.query_params))


class MeView(APIView):
    """The caller, with memberships and scope."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.REFERENCE)

    @extend_schema(responses=dict)
    def get(self, request):
        return Response({
            "username": request.user.get_username(),
            "memberships": [{"region": code, "role": role} for code, role in memberships_of(request.user)],
            "scope_prefixes": scope_prefixes(request.user),
        })
