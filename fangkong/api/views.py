"""REST API views (thin: check access through selectors, call one service, reply)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED, memberships_of, scope_prefixes
from fangkong.audit.selectors import audit_event_list
from fangkong.persons import selectors as person_selectors
from fangkong.persons.services import person_register, person_reveal
from fangkong.regions import selectors as region_selectors


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
    lookup_field = "code"
    lookup_value_regex = r"\d{6}(\d{3}(\d{3})?)?"

    def get_serializer_class(self):
        return RegionDetailSerializer if self.action == "retrieve" else RegionSerializer

    def get_queryset(self):
        return region_selectors.region_list(
            user=self.request.user,
            parent=self.request.query_params.get("parent", ""),
            level=self.request.query_params.get("level", ""),
        )

    def get_object(self):
        return region_selectors.region_get(user=self.request.user, code=self.kwargs["code"])


class PersonOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    citizen_id_masked = serializers.CharField()
    phone_masked = serializers.CharField()
    address_region = serializers.CharField(source="address_region_id")
    address_text = serializers.CharField()
    created_at = serializers.DateTimeField()


class PersonInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=64)
    sex = serializers.ChoiceField(choices=["M", "F", "U"], required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    citizen_id = serializers.CharField(required=False, allow_blank=True, max_length=32)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=32)
    address_region = serializers.CharField(max_length=12)
    address_text = serializers.CharField(required=False, allow_blank=True, max_length=200)


class RevealInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class RevealOutputSerializer(serializers.Serializer):
    citizen_id = serializers.CharField()
    phone = serializers.CharField()


class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The person registry in the caller's scope; identifiers are masked unless revealed."""

    fangkong_access = REGION_SCOPED
    serializer_class = PersonOutputSerializer

    def get_queryset(self):
        return person_selectors.person_list(user=self.request.user, search=self.request.query_params.get("q", ""))

    def get_object(self):
        return person_selectors.person_get(user=self.request.user, person_id=self.kwargs["pk"])

    @extend_schema(request=PersonInputSerializer, responses={201: PersonOutputSerializer, 200: PersonOutputSerializer})
    def create(self, request, *args, **kwargs):
        data = PersonInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration = person_register(actor=request.user, request=request, **data.validated_data)
        body = PersonOutputSerializer(registration.person).data
        if registration.created:
            return Response(body, status=status.HTTP_201_CREATED)
        return Response({**body, "already_registered": True,
                         "message": _("This citizen ID is already registered: the existing person is returned.")},
                        status=status.HTTP_200_OK)

    @extend_schema(request=RevealInputSerializer, responses=RevealOutputSerializer)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None, **kwargs):
        data = RevealInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        revealed = person_reveal(actor=request.user, person=self.get_object(), request=request, **data.validated_data)
        return Response(RevealOutputSerializer(revealed).data)


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor_username = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    region_code = serializers.CharField()
    source_ip = serializers.CharField(allow_null=True)


class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The audit trail (system administrators), filterable by ``action``, ``user``, ``object_type``."""

    fangkong_access = REGION_SCOPED
    serializer_class = AuditEventSerializer

    def get_queryset(self):
        params = self.request.query_params
        return audit_event_list(
            user=self.request.user, action=params.get("action", ""), username=params.get("user", ""),
            object_type=params.get("object_type", ""),
        )


class MeView(APIView):
    """The caller, with memberships and scope."""

    fangkong_access = REGION_SCOPED

    @extend_schema(responses=dict)
    def get(self, request):
        return Response({
            "username": request.user.get_username(),
            "memberships": [{"region": code, "role": role} for code, role in memberships_of(request.user)],
            "scope_prefixes": scope_prefixes(request.user),
        })
