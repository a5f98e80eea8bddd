"""Pages of the command dashboard. Thin: scoped selectors to read, render; no writes here.

- ``/dashboard/``: the dashboard of the user's current region (or the top of their scope);
- ``/dashboard/<code>/``: one region on one day (``?date=``), map metric ``?metric=``; ``?screen=big`` is the
  full-screen variant for the command hall (no navigation, large type, refreshed by htmx polling);
- ``/dashboard/<code>/screen/panel/``: the big screen's body, polled;
- ``/dashboard/<code>/geo.json``: the map's shapes (children in scope, or the region alone).
"""

from __future__ import annotations

import datetime as dt

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fangkong.accounts.access import in_scope, region_scoped
from fangkong.accounts.need_to_know import Category, shows, url_opens
from fangkong.cases.models import DetectionRoute
from fangkong.dashboard import selectors
from fangkong.dashboard.params import DashboardQuery
from fangkong.regions import selectors as region_selectors
from fangkong.request_params import query_params
from fangkong.surveillance.earlies import INTERVALS as EARLIES_INTERVALS
from fangkong.surveillance.models import AlertStatus
from fangkong.web.context import CURRENT_REGION_KEY
from fangkong.web.day import day_asked

REFRESH_SECONDS = 60


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def home(request):
    code = request.session.get(CURRENT_REGION_KEY, "")
    if not in_scope(request.user, code):
        roots = region_selectors.scope_roots(user=request.user)
        if not roots:
            return render(request, "web/no_scope.html", status=403)
        code = roots[0].code
    return redirect("dashboard:region", code=code)


def _context(request, code: str) -> dict:
    region = region_selectors.region_get(user=request.user, code=code)
    day = day_asked(request, "date")
    metric = request.params["metric"] or "incidence"
    figures_key, data = selectors.keyed_situation(user=request.user, region=region, day=day)
    opens = _opens(request.user)
    links = _links(region.code, day, opens)
    labels = _chart_labels()
    return {
        "region": region, "day": day, "metric": metric, "metrics": _metric_choices(), "data": data,
        "figures_key": figures_key, "figures_cache_seconds": selectors.SITUATION_CACHE_SECONDS,
        "links": links,
        # the rendered body is kept per figures key and per set of pages the user may open (see region.html)
        "opens_key": "".join("1" if opens[name] else "0" for name in LINKED_PAGES),
        # built only when the page body is rendered (it is kept per figures key: see region.html)
        "children": LazyList(lambda: _children(data, day, metric, opens)),
        "breadcrumb": region_selectors.ancestors_in_scope(user=request.user, region=region),
        "statuses": selectors.alert_status_breakdown(data["signals"]),
        "open_statuses": [row for row in selectors.alert_status_breakdown(data["signals"]) if row[2]],
        "metric_label": dict(_metric_choices())[metric],
        "chart": {"data": data, "labels": labels, "metric": metric,
                  "geo_url": reverse("dashboard:geo", kwargs={"code": region.code}),
                  "child_link": _dashboard_url("000000", day, metric),
                  "case_list": selectors.case_list_url({"region": region.code}) if opens["cases:case-list"] else "",
                  "routes": [r.value for r in DetectionRoute]},
        "previous_day": day - dt.timedelta(days=1), "next_day": day + dt.timedelta(days=1),
        "refresh_seconds": REFRESH_SECONDS,
        "is_leaf": not data["children"],
        # rates on apportioned populations are labelled 估算; schematic shapes are not drawn (selectors)
        "estimated_rates": any(c.get("population_estimated") for c in data["children"] or [data["totals"]]),
        "hidden_shapes": sum(bool(c.get("geometry_synthetic")) for c in data["children"]),
        "map_estimated": any(c.get("population_estimated") and not c.get("geometry_synthetic")
                             for c in data["children"] or [data["totals"]]),
        "earlies": _earlies_rows(data),
    }


def _earlies_rows(data: dict) -> list[dict]:
    """The earlies panel's rows: each interval's figures with its label in the page's language."""
    labels = {key: label for key, label, _field in EARLIES_INTERVALS}
    return [{**row, "label": labels[row["key"]]} for row in data.get("earlies", {}).get("intervals", [])]


class LazyList:
    """A list computed on first use (truthiness, iteration or length) in a template."""

    def __init__(self, build):
        self._build, self._items = build, None

    def _list(self) -> list:
        if self._items is None:
            self._items = self._build()
        return self._items

    def __bool__(self) -> bool:
        return bool(self._list())

    def __iter__(self):
        return iter(self._list())

    def __len__(self) -> int:
        return len(self._list())


def _children(data: dict, day: dt.date, metric: str, opens: dict[str, bool]) -> list[dict]:
    """The child rows of the page with the links of each figure (none to a page the user may not open)."""
    cases = reverse("cases:case-list")
    alerts = reverse("surveillance:alert-list")
    dashboard = _dashboard_url("000000", day, metric)  # one reversal, the code substituted per child

    def case_list(code: str, **query) -> str:
        return f"{cases}?{urlencode({'region': code, **query})}" if opens["cases:case-list"] else ""

    day_iso, week_iso = day.isoformat(), (day - dt.timedelta(days=6)).isoformat()
    return [{**c, "dashboard_url": dashboard.replace("000000", c["code"], 1),
             "case_list_url": case_list(c["code"], date_from=day_iso, date_to=day_iso),
             "local_url": case_list(c["code"], imported="0", date_from=day_iso, date_to=day_iso),
             "cumulative_url": case_list(c["code"], date_to=day_iso),
             "week_url": case_list(c["code"], imported="0", date_from=week_iso, date_to=day_iso),
             "signals_url": f"{alerts}?{urlencode({'region': c['code']})}" if opens["surveillance:alert-list"] else ""}
            for c in data["children"]]


def _dashboard_url(code: str, day: dt.date, metric: str, **extra) -> str:
    query = {"date": day.isoformat(), "metric": metric, **extra}
    return f"{reverse('dashboard:region', kwargs={'code': code})}?{urlencode(query)}"


#: The pages the dashboard's figures open; a figure links to one only for a user it lets in.
LINKED_PAGES = ("cases:case-list", "cases:contact-list", "cases:timeliness", "surveillance:alert-list",
                "surveillance:timeliness", "surveillance:earlies", "bulletins:list")


def _opens(user) -> dict[str, bool]:
    return {name: url_opens(user, name) for name in LINKED_PAGES}


def _links(code: str, day: dt.date, opens: dict[str, bool]) -> dict:
    """The line list or page behind every figure, for the pages the user may open (a figure without its link
    is shown as plain text: a commander's figure does not lead the administrator to a refusal)."""
    links = {}
    for figure in selectors.FIGURES:
        links[f"new_{figure}"] = selectors.case_list_url(selectors.figure_filters(code, day, figure))
        links[f"cumulative_{figure}"] = selectors.case_list_url(
            selectors.figure_filters(code, day, figure, cumulative=True))
    links["new_all"] = selectors.case_list_url({"region": code, "date_from": day.isoformat(),
                                                "date_to": day.isoformat()})
    links["last_7_days"] = selectors.case_list_url({"region": code, "date_from": (day - dt.timedelta(days=6)).isoformat(),
                                                     "date_to": day.isoformat()})
    links["signals"] = f"{reverse('surveillance:alert-list')}?{urlencode({'region': code})}"
    links["response"] = f"{reverse('surveillance:timeliness')}?{urlencode({'region': code})}"
    links["tracing"] = f"{reverse('cases:timeliness')}?" + urlencode(
        {"region": code, "date_from": (day - dt.timedelta(days=6)).isoformat(), "date_to": day.isoformat()})
    links["contacts"] = f"{reverse('cases:contact-list')}?" + urlencode(
        {"region": code, "category": "close", "date_from": (day - dt.timedelta(days=6)).isoformat(),
         "date_to": day.isoformat()})
    links["earlies"] = f"{reverse('surveillance:earlies')}?" + urlencode(
        {"region": code, "first": (day - dt.timedelta(days=6)).isoformat(), "last": day.isoformat()})
    links["bulletins"] = f"{reverse('bulletins:list')}?{urlencode({'region': code, 'date': day.isoformat()})}"
    page_of = {"signals": "surveillance:alert-list", "response": "surveillance:timeliness",
               "tracing": "cases:timeliness", "contacts": "cases:contact-list", "earlies": "surveillance:earlies",
               "bulletins": "bulletins:list"}
    return {key: url for key, url in links.items() if opens[page_of.get(key, "cases:case-list")]}


def _metric_choices() -> list[tuple[str, str]]:
    return [("incidence", _("Incidence per 100,000 (7 days)")), ("rt", _("Rt")), ("signals", _("Open signals"))]


def _chart_labels() -> dict:
    return {
        "routes": dict(DetectionRoute.choices),
        "by_report": _("By report date"), "by_onset": _("By onset date"),
        "rt": _("Rt"), "band": _("95 percent credible interval"), "band_lower": _("Lower bound"),
        "threshold": _("Rt = 1"),
        "metrics": dict(_metric_choices()), "no_data": _("No data"),
        "statuses": dict(AlertStatus.choices),
    }


@region_scoped
@shows(Category.AGGREGATES)
@query_params(DashboardQuery)
@require_GET
def region_dashboard(request, code: str):
    context = _context(request, code)
    if request.params["screen"] == "big":
        context["big_screen"] = True
        context["panel_url"] = reverse("dashboard:screen-panel", kwargs={"code": code}) + "?" + urlencode(
            {"date": request.GET.get("date", ""), "metric": context["metric"]})
        return render(request, "dashboard/screen.html", context)
    context["screen_url"] = _dashboard_url(code, context["day"], context["metric"], screen="big")
    context["module_panels"] = _module_panels(request, code)
    return render(request, "dashboard/region.html", context)


def _module_panels(request, code: str) -> list[str]:
    """The panels the modules declare (``dashboard_panels``), each rendered from its own context function."""
    from django.template.loader import render_to_string
    from django.utils.module_loading import import_string

    from fangkong.modules import dashboard_panels

    return [render_to_string(panel.template, import_string(panel.context)(request, code), request=request)
            for panel in dashboard_panels()]


@region_scoped
@shows(Category.AGGREGATES)
@query_params(DashboardQuery)
@require_GET
def screen_panel(request, code: str):
    """The big screen's body, polled every ``REFRESH_SECONDS`` by htmx."""
    context = _context(request, code)
    context["big_screen"] = True
    context["panel_url"] = request.get_full_path()
    return render(request, "dashboard/_screen_panel.html", context)


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def region_geo(request, code: str):
    region = region_selectors.region_get(user=request.user, code=code)
    response = JsonResponse(selectors.region_geometry(user=request.user, region=region))
    response["Cache-Control"] = "private, max-age=3600"  # boundaries change with a new region tree only
    return response
