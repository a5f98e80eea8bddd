"""The API's date and time fields: read within a plausible window, written with a real offset.

- ``DateField`` and ``DateTimeField`` refuse a day outside their ``Window`` (``fangkong.request_params``:
  1900-01-01 to a few days after today by default; ``PAST`` for what cannot lie in the future, such as an
  onset or an exposure) with 400 naming the field — the year 677 is not a plausible exposure.
- ``DateTimeField`` writes a time in the current zone (Asia/Shanghai) with its offset in whole minutes, as
  RFC 3339 requires: before 1901 the zone database gives Shanghai its local mean time, ``+08:05:43``,
  which no client parses; such a time is written with the zone's standard offset (``+08:00``) instead.

And ``RecordSections``, the ``sections`` of a record's API detail: what other modules add to it (the module
kit's ``record_sections``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from fangkong import modules
from fangkong.request_params import PLAUSIBLE, Window


def _in_window(window: Window, day: dt.date) -> None:
    try:
        window.check(day)
    except ValidationError as exc:
        raise serializers.ValidationError(exc.messages) from exc


def whole_minute_offset(moment: dt.datetime) -> dt.datetime:
    """``moment`` as it is, or — when its offset is not whole minutes (local mean time) — the same instant
    at the zone's standard offset (its offset on 1 January 1970)."""
    offset = moment.utcoffset()
    if offset is None or offset.total_seconds() % 60 == 0:
        return moment
    standard = moment.tzinfo.utcoffset(dt.datetime(1970, 1, 1))
    return moment.astimezone(dt.timezone(standard))


class DateField(serializers.DateField):
    def __init__(self, *, window: Window = PLAUSIBLE, **kwargs):
        self.window = window
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        _in_window(self.window, day)
        return day


class DateTimeField(serializers.DateTimeField):
    def __init__(self, *, window: Window = PLAUSIBLE, **kwargs):
        self.window = window
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        _in_window(self.window, timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date())
        return moment

    def enforce_timezone(self, value):
        value = super().enforce_timezone(value)
        return whole_minute_offset(value) if timezone.is_aware(value) else value


@extend_schema_field({"type": "object", "additionalProperties": {"type": "object", "nullable": True},
                      "description": "What other modules add to this record, by key (the retention module: "
                                     "scheduled_deletion); null where a module has nothing to say about it."})
class RecordSections(serializers.Field):
    """The ``sections`` of a record's API detail: ``{key: data}`` of the modules declaring a section for its
    model (``ModuleConfig.record_sections``, ``fangkong.modules.record_data``) — the same modules and the same
    reads as the sections of the record's page. On a detail only: a list would read them once per row."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value):
        return modules.record_data(self.context["request"], value)
