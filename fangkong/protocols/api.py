"""REST API of protocol versions: everyone with a region reads; administrators edit (optimistically locked)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api import fields as api_fields
from fangkong.api.errors import stale_version_response
from fangkong.inputs import api_input
from fangkong.protocols import selectors
from fangkong.protocols.inputs import ProtocolEditInput
from fangkong.protocols.services import StaleEditError, protocol_update


class ProtocolSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    effective_from = api_fields.DateField()
    close_contact_centralised_days = serializers.IntegerField()
    close_contact_home_days = serializers.IntegerField()
    close_contact_test_days = serializers.JSONField()
    close_contact_home_test_days = serializers.JSONField()
    secondary_contacts_traced = serializers.BooleanField()
    secondary_contact_days = serializers.IntegerField()
    secondary_contact_centralised = serializers.BooleanField()
    secondary_contact_test_days = serializers.JSONField()
    inbound_centralised_days = serializers.IntegerField()
    inbound_home_days = serializers.IntegerField()
    risk_levels = serializers.JSONField()
    risk_area_lift_days = serializers.IntegerField()
    risk_area_lift_needs_screen = serializers.BooleanField()
    lookback_days = serializers.IntegerField()
    lookback_from_last_negative = serializers.BooleanField()
    notes = serializers.CharField()
    version = serializers.IntegerField()


class ProtocolViewSet(viewsets.ViewSet):
    """Protocol versions (DESIGN.md §8). ``PATCH`` (administrators) sends ``version`` and the changed rules."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.REFERENCE)
    lookup_field = "code"
    lookup_value_regex = r"[-a-z0-9]+"

    @extend_schema(responses=ProtocolSerializer(many=True))
    def list(self, request, **kwargs):
        return Response(ProtocolSerializer(selectors.protocol_list(user=request.user), many=True).data)

    @extend_schema(responses=ProtocolSerializer)
    def retrieve(self, request, code=None, **kwargs):
        return Response(ProtocolSerializer(selectors.protocol_get(user=request.user, code=code)).data)

    @extend_schema(request=ProtocolEditInput, responses=ProtocolSerializer)
    def partial_update(self, request, code=None, **kwargs):
        protocol = selectors.protocol_get(user=request.user, code=code)
        try:
            updated = protocol_update(actor=request.user, protocol=protocol, request=request,
                                      **api_input(ProtocolEditInput, request))
        except StaleEditError as exc:
            return stale_version_response(exc)
        return Response(ProtocolSerializer(updated).data)
