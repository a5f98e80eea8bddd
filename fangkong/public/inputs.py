"""Input schemas of the public module: one per action (``fangkong.inputs``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from fangkong.request_params import RegionCode

from .models import BODY_MAX, TITLE_MAX


class NoticeInput(serializers.Serializer):
    """Draft an official notice: plain text in Chinese and English, bounded."""

    region = RegionCode(required=True, label=_("Region"))
    title_zh = serializers.CharField(max_length=TITLE_MAX, label=_("Title (Chinese)"))
    title_en = serializers.CharField(max_length=TITLE_MAX, label=_("Title (English)"))
    body_zh = serializers.CharField(max_length=BODY_MAX, label=_("Text (Chinese)"))
    body_en = serializers.CharField(max_length=BODY_MAX, label=_("Text (English)"))
