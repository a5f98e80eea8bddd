"""Query parameters of the follow-up pages and API (``fangkong.request_params``)."""

from __future__ import annotations

from fangkong.request_params import Day, Flag, Id, Integer, PageQuery, Query, RegionCode


class DayQuery(Query):
    day = Day(help_text="the day (YYYY-MM-DD; default today)")
    region = RegionCode(help_text="only persons managed within this region code")


class DuePageQuery(DayQuery, PageQuery):
    """The day's list page: paged by ``fangkong.paging`` (``cursor``)."""

    open = Flag(help_text="1: only persons with a slot still unchecked")
    site = Id(help_text="only the persons placed now in this quarantine site, by room number (the floor list)")


class DueQuery(DayQuery):
    open = Flag(help_text="1: only persons with a slot still unchecked")
    after = Id(help_text="continue after this person under management (the last id of the previous page)")
    limit = Integer(minimum=1, maximum=200, help_text="persons per page (default 50)")
