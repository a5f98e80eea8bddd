"""The query parameters of the surveillance pages and API (``fangkong.request_params``): one declaration per
list or report, used by the page and the API alike, checked before either runs."""

from __future__ import annotations

from fangkong.request_params import Choice, Day, Flag, Id, PageQuery, Query, RegionCode, Text
from fangkong.surveillance.models import AlertStatus, Level, SentinelSite


class SiteListQuery(PageQuery):
    region = RegionCode(help_text="a region in scope: its subtree")
    kind = Choice(SentinelSite.Kind.values)
    mine = Flag(help_text="1: the sites I report for")


class ReportListQuery(PageQuery):
    site = Id(help_text="site id")
    indicator = Text(max_length=40, help_text="indicator code")
    first = Day(help_text="reports of this day or later")
    last = Day(help_text="reports of this day or earlier")


class AlertFilters(Query):
    status = Choice(AlertStatus.values)
    region = RegionCode(help_text="a region in scope: its subtree")
    indicator = Text(max_length=40, help_text="indicator code")
    level = Choice(Level.values)
    open = Flag(help_text="1: only alerts not yet closed")
    first = Day(help_text="alerts whose days reach this day or later")
    last = Day(help_text="alerts whose days begin on this day or earlier")


class AlertListQuery(AlertFilters, PageQuery):
    pass


class PeriodQuery(Query):
    """A report over a period of a region: ``region`` (default: the caller's first), ``first``, ``last``."""

    region = RegionCode(help_text="default: the caller's first region")
    first = Day(help_text="first day of the period (YYYY-MM-DD)")
    last = Day(help_text="last day of the period")


class RegionQuery(Query):
    region = RegionCode(help_text="default: the caller's first region")


class ReportFormQuery(Query):
    site = Id()
    date = Day()
