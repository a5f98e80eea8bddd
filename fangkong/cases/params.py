"""The query parameters of the cases pages and API (``fangkong.request_params``): one declaration per list
or report, used by the page and the API alike, checked before either runs."""

from __future__ import annotations

from fangkong.cases.exports import FORMATS
from fangkong.cases.imports import COLUMNS
from fangkong.cases.models import Classification, ContactCategory, ContactStatus, DetectionRoute
from fangkong.cases.selectors import CASE_ORDERINGS, CONTACT_ORDERINGS
from fangkong.request_params import (
    PAST,
    Choice,
    Choices,
    Day,
    Flag,
    Id,
    PageQuery,
    Query,
    RegionCode,
    Text,
)


class CaseFilters(Query):
    q = Text(help_text="part of the case number or the name")
    classification = Choices(Classification.values, help_text="one, or several separated by commas")
    detection_route = Choice(DetectionRoute.values)
    imported = Flag(help_text="1: imported cases only, 0: local cases only")
    late = Flag(help_text="1: cases reported after their deadline")
    region = RegionCode(help_text="a region in scope: its subtree")
    date_from = Day(help_text="reported on or after (YYYY-MM-DD)")
    date_to = Day(help_text="reported on or before")
    onset_from = Day(window=PAST, help_text="onset on or after")
    onset_to = Day(help_text="onset on or before")
    cluster = Id()
    disease = Text(max_length=32, help_text="disease code")
    ordering = Choice(list(CASE_ORDERINGS))


class CaseListQuery(CaseFilters, PageQuery):
    pass


class CaseExportQuery(CaseFilters):
    format = Choice(list(FORMATS))


class ContactFilters(Query):
    q = Text(help_text="part of the contact number or the name")
    category = Choice(ContactCategory.values)
    status = Choice(ContactStatus.values)
    region = RegionCode(help_text="a region in scope: its subtree")
    source_case = Id()
    date_from = Day(help_text="listed on or after (YYYY-MM-DD)")
    date_to = Day(help_text="listed on or before")
    ordering = Choice(list(CONTACT_ORDERINGS))


class ContactListQuery(ContactFilters, PageQuery):
    pass


class ContactExportQuery(ContactFilters):
    format = Choice(list(FORMATS))


class TimelinessQuery(Query):
    region = RegionCode(help_text="default: the caller's first region")
    date_from = Day()
    date_to = Day()


class ExposureListQuery(PageQuery):
    case = Id(help_text="the exposures a case was present at")


class CaseNumberQuery(Query):
    """The forms that start from a case (``?case_no=``)."""

    case_no = Text(max_length=40)


class ImportPageQuery(Query):
    template = Choice(sorted(COLUMNS), help_text="download the header row of this kind of file")


class FragmentQuery(Query):
    fragment = Flag(help_text="1: only the part of the page that refreshes")
