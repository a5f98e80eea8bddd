"""Input schemas of the laboratory module: one per action, used by the page, the API and the import
(``fangkong.inputs``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.request_params import RegionCode


class EntryInput(serializers.Serializer):
    """Record an entry: the region it belongs to and its title."""

    region = RegionCode(required=True, label=_("Region"))
    title = serializers.CharField(max_length=200, label=_("Title"))
