"""Query parameters of the enterprises pages and API (``fangkong.request_params``), checked before either runs."""

from __future__ import annotations

from fangkong.request_params import Choice, Day, Id, Query, RegionCode, Text

from .models import Sector, TicketState


class EnterpriseQuery(Query):
    sector = Choice(Sector.choices, help_text="a sector")
    q = Text(help_text="part of the name, or the unified social credit code")


class TicketQuery(Query):
    state = Choice(TicketState.choices, help_text="a state")
    unit = Id(help_text="a responsible department")


class LockdownQuery(Query):
    region = RegionCode(help_text="the locked-down district or street")
    place = Id(help_text="a closed key place")


class DayQuery(Query):
    day = Day(help_text="the day (default: today)")
