"""Query parameters of the key-populations pages and API (``fangkong.request_params``), checked before either runs."""

from __future__ import annotations

from fangkong.request_params import Day, Id, PageQuery, Query, RegionCode, Text


class DayQuery(Query):
    day = Day(help_text="the day compliance is shown for (default: the user's day)")


class OverdueQuery(DayQuery):
    group = Id(help_text="a group")
    employer = Text(help_text="an employer's unified social credit code")
    place = Id(help_text="a key place")
    region = RegionCode(help_text="a region in scope: its subtree")


class EmployerQuery(DayQuery, PageQuery):
    """The employer's staff, paged (``selectors.EMPLOYER_ORDER``)."""

    employer = Text(help_text="one of the caller's employers (unified social credit code)")
