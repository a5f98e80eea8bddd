"""The query parameters of the dashboard page and API (``fangkong.request_params``)."""

from __future__ import annotations

from fangkong.request_params import Choice, Day, Query

METRICS = ("incidence", "rt", "signals")


class SituationQuery(Query):
    date = Day(help_text="the day of the situation (default: the last report date)")


class DashboardQuery(SituationQuery):
    metric = Choice(list(METRICS), help_text="what the map shows")
    screen = Choice(["big"], help_text="big: the big-screen mode")
