"""REST API of the interop module: the outbound queue in the caller's regions (keyset-paged), read as
aggregates — state, attempts, the receiver's last answer; never a payload."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows

from . import selectors


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    destination = serializers.CharField(source="destination.name")
    kind = serializers.CharField()
    region = serializers.CharField(source="region_id")
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField()
    last_status = serializers.IntegerField(allow_null=True)
    last_answer = serializers.CharField()
    payload_hash = serializers.CharField()
    idempotency_key = serializers.CharField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class MessageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    serializer_class = MessageSerializer

    def get_queryset(self):
        return selectors.message_list(user=self.request.user)

    def get_object(self):
        return selectors.message_get(user=self.request.user, message_id=self.kwargs["pk"])
