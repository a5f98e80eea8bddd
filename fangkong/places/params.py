"""Query parameters of the places pages and API (``fangkong.request_params``), checked before either runs."""

from __future__ import annotations

from fangkong.request_params import Choice, Flag, Id, Integer, PageQuery, Query, RegionCode, Text

from .models import PlaceCategory


class PlaceFilters(Query):
    q = Text(help_text="part of the name or address")
    category = Choice(PlaceCategory.values)
    region = RegionCode(help_text="a region in scope: its subtree")
    overdue = Flag(help_text="1: places whose inspection is overdue")


class PlaceListQuery(PlaceFilters, PageQuery):
    pass


class CoverageQuery(Query):
    category = Choice(PlaceCategory.values)


class CoVisitQuery(PageQuery):
    person = Id(help_text="the case's person (registry number)")
    case = Id(help_text="a case: its person")
    window = Integer(minimum=5, maximum=240, help_text="minutes around each scan (default 30)")


class InspectionNewQuery(Query):
    """The inspection form's address: ``?follow_up_of=<inspection>`` opens a re-inspection of its open findings."""

    follow_up_of = Id(help_text="the inspection this one follows up")


class ChecklistQuery(Query):
    category = Choice(PlaceCategory.values)
