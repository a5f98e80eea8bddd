"""REST API of the dashboard: the situation of a region in scope on a day (the figures the page shows)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED
from fangkong.accounts.need_to_know import Category, Shows
from fangkong.dashboard import selectors
from fangkong.dashboard.params import SituationQuery
from fangkong.regions import selectors as region_selectors
from fangkong.request_params import params_of
from fangkong.web.day import data_last_day


class SituationView(APIView):
    """New and cumulative infections (local/imported, by classification), curves by report and onset date
    stacked by detection route, Rt with its 95% credible interval for the region and each child region, open
    signals and their response, tracing timeliness. ``?date=YYYY-MM-DD`` (default: the last day with data in
    the user's scope, ``fangkong.web.day``)."""

    fangkong_access = REGION_SCOPED
    fangkong_shows = Shows(Category.AGGREGATES)
    query_params = {"get": SituationQuery}

    @extend_schema(responses={200: dict})
    def get(self, request, code: str):
        region = region_selectors.region_get(user=request.user, code=code)
        day = params_of(request).get("date") or data_last_day(request.user)
        return Response(selectors.situation(user=request.user, region=region, day=day))
