"""REST API of the public site's records: official notices, testing sites and editions — listed and read in
scope, drafted, approved or withdrawn, prepared and published through the same services and input schemas
as the pages (``inputs.py``), so the same four eyes, region scope, screen and audit hold. The public site
itself has no API: it is the published files (``/public/``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.api import fields as api_fields
from fangkong.api.errors import error_body
from fangkong.inputs import api_input

from . import selectors, services
from .inputs import NoticeInput, TestingSiteInput, TransitionInput


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    title_zh = serializers.CharField()
    title_en = serializers.CharField()
    body_zh = serializers.CharField()
    body_en = serializers.CharField()
    status = serializers.CharField()
    created_at = api_fields.DateTimeField()
    created_by = serializers.CharField(source="created_by.username")
    approved_at = api_fields.DateTimeField(allow_null=True)
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True, default=None)


class TestingSiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    address_zh = serializers.CharField()
    address_en = serializers.CharField()
    weekdays = serializers.ListField(child=serializers.IntegerField())
    opens_at = serializers.TimeField(format="%H:%M")
    closes_at = serializers.TimeField(format="%H:%M")
    hours_note_zh = serializers.CharField()
    hours_note_en = serializers.CharField()
    services = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    review = serializers.CharField()
    replaces = serializers.IntegerField(source="replaces_id", allow_null=True)
    created_at = api_fields.DateTimeField()
    created_by = serializers.CharField(source="created_by.username")
    approved_at = api_fields.DateTimeField(allow_null=True)
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True, default=None)


class PublicationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    region = serializers.CharField(source="region_id")
    status = serializers.CharField()
    serial = serializers.IntegerField(allow_null=True, help_text="the edition number, once published")
    snapshot_sha256 = serializers.CharField()
    manifest_sha256 = serializers.CharField()
    file_count = serializers.IntegerField()
    prepared_at = api_fields.DateTimeField()
    prepared_by = serializers.CharField(source="prepared_by.username")
    published_at = api_fields.DateTimeField(allow_null=True)
    published_by = serializers.CharField(source="published_by.username", allow_null=True, default=None)


class PublicationDetailSerializer(PublicationSerializer):
    snapshot = serializers.JSONField(help_text="the approved content of the edition, frozen")


class PrepareInput(serializers.Serializer):
    """Prepare an edition: all approved content (nothing to choose; the page's button posts nothing)."""


def _state_conflict(exc: Exception) -> Response:
    return Response(error_body("invalid_state", str(exc)), status=status.HTTP_409_CONFLICT)


class _Reviewed(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Records drafted by one person and approved by another: list, read, draft (POST), ``transition``."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    schema_input: type[serializers.Serializer]
    create_service = approve_service = withdraw_service = staticmethod(lambda **kwargs: None)
    record = ""

    def _create(self, request):
        data = api_input(self.schema_input, request)
        made = type(self).create_service(actor=request.user, request=request, **data)
        return Response(self.get_serializer_class()(made).data, status=status.HTTP_201_CREATED)

    def _transition(self, request):
        obj = self.get_object()
        data = api_input(TransitionInput, request)
        step = type(self).approve_service if data["to"] == "approved" else type(self).withdraw_service
        try:
            obj = step(actor=request.user, request=request, **{self.record: obj})
        except services.PublicationStateError as exc:
            return _state_conflict(exc)
        return Response(self.get_serializer_class()(obj).data)


class NoticeViewSet(_Reviewed):
    """Official notices in scope; POST drafts one (``NoticeInput``, as the page); ``transition`` approves
    (somebody other than the drafter) or withdraws it."""

    serializer_class = NoticeSerializer
    schema_input = NoticeInput
    create_service = staticmethod(services.notice_create)
    approve_service = staticmethod(services.notice_approve)
    withdraw_service = staticmethod(services.notice_withdraw)
    record = "notice"

    def get_queryset(self):
        return selectors.notice_list(user=self.request.user)

    def get_object(self):
        return selectors.notice_get(user=self.request.user, notice_id=self.kwargs["pk"])

    @extend_schema(request=NoticeInput, responses={201: NoticeSerializer})
    def create(self, request, *args, **kwargs):
        return self._create(request)

    @extend_schema(request=TransitionInput, responses={200: NoticeSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, **kwargs):
        return self._transition(request)


class TestingSiteViewSet(_Reviewed):
    """Testing sites in scope (every version); POST drafts one or a new version of one (``TestingSiteInput``,
    as the page); ``transition`` approves (somebody other than the drafter) or withdraws it."""

    serializer_class = TestingSiteSerializer
    schema_input = TestingSiteInput
    create_service = staticmethod(services.testing_site_create)
    approve_service = staticmethod(services.testing_site_approve)
    withdraw_service = staticmethod(services.testing_site_withdraw)
    record = "site"

    def get_queryset(self):
        return selectors.testing_site_list(user=self.request.user)

    def get_object(self):
        return selectors.testing_site_get(user=self.request.user, site_id=self.kwargs["pk"])

    @extend_schema(request=TestingSiteInput, responses={201: TestingSiteSerializer})
    def create(self, request, *args, **kwargs):
        return self._create(request)

    @extend_schema(request=TransitionInput, responses={200: TestingSiteSerializer})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, **kwargs):
        return self._transition(request)


class PublicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Editions of the public site in scope; POST prepares one from the approved content; ``publish``
    publishes it (somebody other than the preparer)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)

    def get_serializer_class(self):
        return PublicationDetailSerializer if self.action == "retrieve" else PublicationSerializer

    def get_queryset(self):
        return selectors.publication_list(user=self.request.user)

    def get_object(self):
        return selectors.publication_get(user=self.request.user, publication_id=self.kwargs["pk"])

    @extend_schema(request=PrepareInput, responses={201: PublicationDetailSerializer})
    def create(self, request, *args, **kwargs):
        api_input(PrepareInput, request)
        publication = services.publication_prepare(actor=request.user, request=request)
        return Response(PublicationDetailSerializer(publication).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PublicationSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None, **kwargs):
        publication = self.get_object()
        try:
            publication = services.publication_publish(actor=request.user, publication=publication, request=request)
        except services.PublicationStateError as exc:
            return _state_conflict(exc)
        return Response(PublicationSerializer(publication).data)
