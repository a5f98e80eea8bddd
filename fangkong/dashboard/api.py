"""REST API of the dashboard: the situation of a region in scope on a day (the figures the page shows)."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from fangkong.accounts.access import REGION_SCOPED
from fangkong.dashboard import selectors
from fangkong.regions import selectors as region_selectors


class SituationView(APIView):
    """New and cumulative infections (local/imported, by classification), curves by report and onset date
    stacked by detection route, Rt with its 95% credible interval for the region and each child region, open
    signals and their response, tracing timeliness. ``?date=YYYY-MM-DD`` (default: the last report date)."""

    fangkong_access = REGION_SCOPED

    @extend_schema(parameters=[OpenApiParameter("date", str, description="YYYY-MM-DD")], responses={200: dict})
    def get(self, request, code: str):
        region = region_selectors.region_get(user=request.user, code=code)
        try:
            day = dt.date.fromisoformat(request.query_params.get("date", ""))
        except ValueError:
            day = selectors.default_day(user=request.user, region=region)
        return Response(selectors.situation(user=request.user, region=region, day=day))
