"""REST API of the laboratory module: the entries in the caller's regions (keyset-paged); recording one
takes the same input schema as the page (``inputs.EntryInput``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows

from . import selectors, services
from .inputs import EntryInput


class EntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    title = serializers.CharField()
    created_at = serializers.DateTimeField()


class EntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    serializer_class = EntrySerializer

    def get_queryset(self):
        return selectors.entry_list(user=self.request.user)

    def get_object(self):
        return selectors.entry_get(user=self.request.user, entry_id=self.kwargs["pk"])

    @extend_schema(request=EntryInput, responses={201: EntrySerializer})
    def create(self, request, *args, **kwargs):
        data = EntryInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.entry_create(actor=request.user, request=request, **data.validated_data)
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)
