"""Input schemas of the daily situation reports (``fangkong.inputs``), bound by the page and by the API alike:
the types only; who may generate, review and approve, and in which state, is the services'."""

from __future__ import annotations

from rest_framework import serializers

from fangkong.api import fields as api_fields
from fangkong.bulletins.models import Bulletin


class BulletinGenerateInput(serializers.Serializer):
    """Generate the next version of a region's report for a day, in a language (the list and detail pages'
    forms, ``POST /api/v1/bulletins/``)."""

    region = serializers.CharField(max_length=12, source="region_code")
    date = api_fields.DateField(source="day")
    language = serializers.ChoiceField(choices=Bulletin.Language.values)


class BulletinTransitionInput(serializers.Serializer):
    """Move the report on (the detail page's buttons, ``POST /api/v1/bulletins/<id>/transition/``)."""

    to = serializers.ChoiceField(choices=[Bulletin.Status.REVIEWED, Bulletin.Status.APPROVED])
