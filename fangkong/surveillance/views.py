"""Pages of sentinel surveillance. Thin: read through the scoped selectors, write through one service.

- the reporter's daily form (one screen, phone-sized): the counts of one site for one day;
- alerts: list with filters (status, region, indicator, level, days overlapping a period), detail with
  the series chart, the lifecycle buttons (htmx), and from a confirmed alert a cluster or a case
  investigation (htmx form);
- a report's correction history;
- response timeliness against the targets; the four earlies of cases; late and missing reports; bulk
  import of a file.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong import paging
from fangkong.accounts.access import can, region_scoped
from fangkong.accounts.need_to_know import Category, Reach, shows
from fangkong.accounts.roles import Capability
from fangkong.inputs import NON_FIELD, PageForm, error_messages, error_summary
from fangkong.locking import StaleEditError
from fangkong.regions import selectors as region_selectors
from fangkong.request_params import filter_names, query_params
from fangkong.surveillance import selectors
from fangkong.surveillance.api import alerts_filtered, period_and_region
from fangkong.surveillance.detectors import PARAMETER_LABELS
from fangkong.surveillance.earlies import INTERVALS, earlies
from fangkong.surveillance.inputs import (
    AlertOpenCaseInput,
    AlertTransitionInput,
    DetectionConfigPageInput,
    EarliesTargetInput,
    ReportSheetChoice,
    ResponseTargetInput,
    site_day_input,
)
from fangkong.surveillance.models import AlertStatus, DetectionConfig, Level
from fangkong.surveillance.params import AlertFilters, AlertListQuery, PeriodQuery, ReportFormQuery
from fangkong.surveillance.reports import report_day
from fangkong.surveillance.services import (
    TRANSITIONS,
    alert_open_case,
    alert_open_cluster,
    alert_transition,
    detection_config_update,
    earlies_target_set,
    parse_report_file,
    reports_import,
    reports_import_allowed_check,
    response_target_set,
    site_day_report,
)
from fangkong.surveillance.summaries import REPORT_DUE_HOUR
from fangkong.web.day import chosen_day, remember_day

PAGE_SIZE = 25
ACTION_LABELS = {
    AlertStatus.ACKNOWLEDGED: gettext_lazy("Acknowledge"),
    AlertStatus.INVESTIGATING: gettext_lazy("Start investigation"),
    AlertStatus.CONFIRMED: gettext_lazy("Confirm outbreak"),
    AlertStatus.FALSE_ALARM: gettext_lazy("False alarm"),
    AlertStatus.CLOSED: gettext_lazy("Close"),
}


def _nav(request) -> dict:
    user = request.user
    return {
        "can_report": can(user, Capability.SENTINEL_REPORT),
        "can_import": can(user, Capability.SENTINEL_IMPORT),
    }


def _region_choices(user):
    return list(region_selectors.region_list(user=user).filter(level__in=("province", "prefecture", "county"))
                .order_by("code"))


@region_scoped
@shows(Category.AGGREGATES, reaches_served=(Reach.REGION, Reach.OWN_SITES))
@query_params(ReportFormQuery)
@require_http_methods(["GET", "POST"])
def report_form(request):
    sites = list(selectors.sites_reported_by(user=request.user))
    if not sites:
        return render(request, "surveillance/report_form.html", {"sites": [], **_nav(request)})
    today = timezone.localdate()
    if request.method == "POST":  # the sheet posts its site and day with the counts
        where = PageForm(ReportSheetChoice, request)
        if not where.is_valid():
            raise Http404("not your site")
        chosen, raw_day = where.data["site"], where.data["date"] or today.isoformat()
    else:
        chosen, raw_day = request.params["site"] or sites[0].pk, (request.params["date"] or today).isoformat()
    site = next((s for s in sites if s.pk == chosen), None)
    if site is None:
        raise Http404("not your site")
    day = report_day(raw_day, today) or today  # the sheet of a day the service will refuse: today's values
    indicators = list(site.indicators.all())
    existing = {r.indicator_id: r for r in selectors.report_list(user=request.user, site_id=site.pk, first=day,
                                                                  last=day)}
    initial = {"date": raw_day}
    for i in indicators:
        initial[f"count-{i.code}"] = existing[i.pk].count if i.pk in existing else ""
        initial[f"denominator-{i.code}"] = (existing[i.pk].denominator or "") if i.pk in existing else ""
    form = PageForm(site_day_input([i.code for i in indicators]), request, initial=initial)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                result = site_day_report(actor=request.user, request=request, site_id=site.pk, date=raw_day,
                                         counts={i.code: (form.data.get(f"count-{i.code}", ""),
                                                          form.data.get(f"denominator-{i.code}", ""))
                                                 for i in indicators})
            except ValidationError as exc:
                errors, status = error_messages(exc), 400
            except PermissionDenied as exc:
                errors, status = {NON_FIELD_ERRORS: [str(exc)]}, 403
            else:
                messages.success(request, _("Saved: %(new)d new, %(corrected)d corrected.") % {
                    "new": result.created, "corrected": result.corrected})
                return redirect(f"{request.path}?site={site.pk}&date={day.isoformat()}")
        else:  # a field of the sheet under its indicator (its code after "count-" or "denominator-")
            errors, status = {k.partition("-")[2] or k: v for k, v in form.errors.items()}, 400
    values = {i.code: {"count": form.values[f"count-{i.code}"], "denominator": form.values[f"denominator-{i.code}"]}
              for i in indicators}
    rows = [{"indicator": i, "count": values[i.code]["count"], "denominator": values[i.code]["denominator"],
             "errors": errors.get(i.code, []), "reported": existing.get(i.pk)} for i in indicators]
    return render(request, "surveillance/report_form.html", {
        "sites": sites, "site": site, "day": raw_day, "today": today, "rows": rows,
        "date_errors": errors.get("date", []), "non_field_errors": errors.get("__all__", []) + errors.get("site", []),
        **_nav(request),
    }, status=status)


@region_scoped
@shows(Category.AGGREGATES, reaches_served=(Reach.REGION, Reach.OWN_SITES))
@query_params(AlertListQuery)
@require_GET
def alert_list(request):
    page = paging.page_of(alerts_filtered(request.user, request.params), order=selectors.ALERT_ORDER,
                          size=PAGE_SIZE, cursor=request.params["cursor"], counted=False)
    return render(request, "surveillance/alert_list.html", {
        "page": page, "filters": {name: request.GET.get(name, "") for name in filter_names(AlertFilters)},
        "statuses": AlertStatus.choices, "levels": Level.choices,
        "indicators": selectors.indicator_list(), "regions": _region_choices(request.user), **_nav(request),
    })


def _lifecycle_context(request, alert, error: str = "") -> dict:
    allowed = can(request.user, Capability.SIGNAL_RESPOND, alert.region_id)
    actions = [(to, ACTION_LABELS[to]) for to in TRANSITIONS.get(alert.status, ())] if allowed else []
    return {"alert": alert, "actions": actions, "lifecycle_error": error,
            "transitions": alert.transitions.select_related("by").all(),
            "can_open_cluster": alert.outcome == AlertStatus.CONFIRMED and not alert.cluster_id
            and can(request.user, Capability.CASE_WRITE, alert.region_id),
            **_case_form_context(request, alert)}


def _case_form_context(request, alert, *, errors: dict | None = None, values: dict | None = None) -> dict:
    return {"can_open_case": alert.outcome == AlertStatus.CONFIRMED and not alert.case_id
            and can(request.user, Capability.CASE_WRITE, alert.region_id),
            "case_errors": errors or {}, "case_values": values or {}}


@region_scoped
@shows(Category.AGGREGATES, reaches_served=(Reach.REGION, Reach.OWN_SITES))
@require_GET
def alert_detail(request, alert_id: int):
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    return render(request, "surveillance/alert_detail.html", {
        **_lifecycle_context(request, alert), "signals": alert.signals.order_by("day"), **_nav(request),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def alert_transition_fragment(request, alert_id: int):
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    form = PageForm(AlertTransitionInput, request)
    error, status = "", 200
    try:
        moved = form.submit(alert_transition, actor=request.user, alert=alert, request=request)
    except StaleEditError as exc:
        error, status = str(exc), 409
        alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    except PermissionDenied as exc:
        error, status = str(exc), 403
    else:
        if moved is not None:
            alert = moved
        else:
            error, status = error_summary(form.errors), form.status
    if not request.headers.get("HX-Request"):
        if error:
            messages.error(request, error)
        return redirect("surveillance:alert-detail", alert_id=alert.pk)
    return render(request, "surveillance/_lifecycle.html", _lifecycle_context(request, alert, error), status=status)


@region_scoped
@shows(Category.PSEUDONYMISED)
@require_POST
def alert_cluster(request, alert_id: int):
    """Open a cluster investigation for a confirmed alert, then show it in the cases module."""
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    try:
        cluster = alert_open_cluster(actor=request.user, alert=alert, request=request)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("surveillance:alert-detail", alert_id=alert.pk)
    messages.success(request, _("Cluster investigation opened."))
    return redirect("cases:cluster-detail", cluster_id=cluster.pk)


@region_scoped
@shows(Category.NAMED)
@require_POST
def alert_case(request, alert_id: int):
    """Open a case investigation for a confirmed alert: register a suspected case (htmx form on the alert)."""
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    form = PageForm(AlertOpenCaseInput, request)
    try:
        case = form.submit(alert_open_case, actor=request.user, alert=alert, request=request)
    except PermissionDenied as exc:
        case, form.errors = None, {NON_FIELD: [str(exc)]}
        status = 403
    else:
        status = form.status
    values = form.values
    errors = {("general" if k == NON_FIELD else k): v for k, v in form.errors.items()}
    if case is not None:
        messages.success(request, _("Suspected case %(case_no)s registered for this alert.") % {
            "case_no": case.case_no})
        target = reverse("cases:case-detail", args=[case.pk])
        if request.headers.get("HX-Request"):
            response = render(request, "surveillance/_alert_case.html", {"alert": alert, "opened": case})
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    if not request.headers.get("HX-Request"):
        messages.error(request, " ".join(m for msgs in errors.values() for m in msgs))
        return redirect("surveillance:alert-detail", alert_id=alert.pk)
    return render(request, "surveillance/_alert_case.html",
                  {"alert": alert, **_case_form_context(request, alert, errors=errors, values=values)}, status=status)


@region_scoped
@shows(Category.AGGREGATES, reaches_served=(Reach.REGION, Reach.OWN_SITES))
@require_GET
def report_detail(request, pk: int):
    """One daily report and the values its corrections replaced."""
    report = selectors.report_get(user=request.user, report_id=pk)
    return render(request, "surveillance/report_detail.html", {
        "report": report, "revisions": report.revisions.all(), **_nav(request),
    })


@region_scoped
@shows(Category.AGGREGATES, reaches_served=(Reach.REGION, Reach.OWN_SITES))
@require_GET
def alert_series(request, alert_id: int):
    alert = selectors.alert_get(user=request.user, alert_id=alert_id)
    return JsonResponse(selectors.alert_series(alert=alert).__dict__)


def _period(request, default_days: int):
    """(region, first, last, error): the period and region asked for, or the defaults with the reason when
    the query is not valid. The period ends by default on the user's day (``fangkong.web.day``); a period
    asked for makes its last day the user's day."""
    day = chosen_day(request)
    try:
        region, first, last = period_and_region(request.user, request.params, default_days=default_days,
                                                default_last=day)
    except ValidationError as exc:
        return (*period_and_region(request.user, {}, default_days=default_days, default_last=day),
                " ".join(exc.messages))
    if request.params["last"]:
        remember_day(request, last)
    return region, first, last, None


@region_scoped
@shows(Category.AGGREGATES)
@query_params(PeriodQuery)
@require_GET
def timeliness(request):
    region, first, last, error = _period(request, 28)
    result = selectors.timeliness(user=request.user, region=region, first=first, last=last)
    return render(request, "surveillance/timeliness.html", {
        "result": result, "region": region, "first": first, "last": last, "error": error,
        "may_set_targets": can(request.user, Capability.DETECTION_CONFIGURE, region.code),
        "regions": _region_choices(request.user), **_nav(request),
    })


@region_scoped
@shows(Category.AGGREGATES)
@query_params(PeriodQuery)
@require_GET
def earlies_page(request):
    """The four earlies of the cases reported in a period, per child region and week, against targets."""
    region, first, last, error = _period(request, 56)
    result = earlies(request.user, region, first, last)
    intervals = result["intervals"]

    def cells(entry):
        return [entry[i["key"]] for i in intervals]

    return render(request, "surveillance/earlies.html", {
        "result": result, "region": region, "first": first, "last": last, "error": error,
        "intervals": intervals,
        "region_rows": [(r, cells(r)) for r in result["regions"]],
        "week_rows": [(w, cells(w)) for w in result["weeks"]],
        "total_cells": cells(result["total"]),
        "target_fields": [(f, label, result["targets"][f]) for _k, label, f in INTERVALS if f],
        "may_set_targets": can(request.user, Capability.DETECTION_CONFIGURE, region.code),
        "regions": _region_choices(request.user), **_nav(request),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def earlies_targets(request):
    """Set the earlies' targets of a region (and below), then show its earlies against them."""
    code = _targets_set(request, EarliesTargetInput, earlies_target_set, _("The earlies' targets are saved."))
    return redirect(f"{reverse('surveillance:earlies')}?{urlencode({'region': code})}")


def _targets_set(request, schema, service, saved: str) -> str:
    """Targets of a region posted to ``schema`` and set by ``service``, the refusal or ``saved`` as the
    message; the region's code, for the way back. The region is read first, in the user's scope (404
    outside it, whatever else was posted)."""
    form = PageForm(schema, request)
    region = region_selectors.region_get(user=request.user, code=form.values["region"])
    try:
        done = form.submit(service, actor=request.user, region=region, request=request)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        if done is None:
            messages.error(request, error_summary(form.errors))
        else:
            messages.success(request, saved)
    return region.code


@region_scoped
@shows(Category.AGGREGATES)
@query_params(PeriodQuery)
@require_GET
def reporting(request):
    region, first, last, error = _period(request, 7)
    summary = selectors.reporting_status(user=request.user, region=region.code, first=first, last=last)
    return render(request, "surveillance/reporting.html", {
        "summary": summary, "region": region, "first": first, "last": last, "error": error,
        "due_hour": REPORT_DUE_HOUR, "regions": _region_choices(request.user), **_nav(request),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def import_reports(request):
    reports_import_allowed_check(request.user)  # before the upload is read
    errors: dict = {}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError({"file": [_("Choose a CSV or XLSX file.")]})
            rows = parse_report_file(upload.name, upload)
            result = reports_import(actor=request.user, rows=rows, source=upload.name, request=request)
        except ValidationError as exc:
            errors, status = exc.message_dict, 400
        else:
            messages.success(request, _("Imported: %(created)d new, %(corrected)d corrected, %(unchanged)d "
                                        "unchanged.") % result.__dict__)
            return redirect("surveillance:import")
    return render(request, "surveillance/import.html", {"errors": errors, **_nav(request)}, status=status)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def detection_configs(request):
    """Detection per indicator and level; provincial configurers change method, parameters and switch."""
    configs = list(selectors.detection_config_list())
    may_configure = can(request.user, Capability.DETECTION_CONFIGURE, selectors.province_code())
    errors: dict[int, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = PageForm(DetectionConfigPageInput, request)
        config = next((c for c in configs if str(c.pk) == form.values["config"]), None)
        if config is None:
            raise Http404("no such configuration")
        if form.submit(detection_config_update, actor=request.user, config=config, request=request) is not None:
            messages.success(request, _("Detection configuration saved."))
            return redirect("surveillance:detection")
        errors[config.pk] = [m for messages_ in form.errors.values() for m in messages_]
        status = 400
    rows = [{"config": c, "parameters": json.dumps(c.parameters, ensure_ascii=False), "errors": errors.get(c.pk, [])}
            for c in configs]
    in_use = sorted({name for c in configs for name in c.parameters})
    return render(request, "surveillance/detection.html", {
        "rows": rows, "may_configure": may_configure, "methods": DetectionConfig.Method.choices,
        "parameter_labels": [(name, PARAMETER_LABELS.get(name, "")) for name in in_use], **_nav(request),
    }, status=status)


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def response_targets(request):
    """Set the response targets of a region (and below), then show its timeliness against them."""
    code = _targets_set(request, ResponseTargetInput, response_target_set, _("Response targets saved."))
    return redirect(f"{reverse('surveillance:timeliness')}?{urlencode({'region': code})}")
