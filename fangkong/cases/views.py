"""Pages of the cases app. Thin: scoped selectors to read, one service to write, render.

Cross-region links are rendered from ``selectors.case_link``: an out-of-scope case shows as its number
and city, without a link or person data.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong.accounts.access import can, in_scope, region_scoped
from fangkong.accounts.roles import Capability
from fangkong.cases import exports, imports, jobs, selectors, services
from fangkong.cases.api import CASE_FILTERS, CONTACT_FILTERS, _timeliness_region
from fangkong.cases.models import (
    Classification,
    ContactCategory,
    ContactStatus,
    DetectionRoute,
    Disease,
    Outcome,
    RiskArea,
    Severity,
)
from fangkong.persons import selectors as person_selectors

PAGE_SIZE = 50


def _filters(request, names) -> dict:
    return {k: request.GET.get(k, "").strip() for k in names}


@region_scoped
@require_GET
def case_list(request):
    filters = _filters(request, CASE_FILTERS)
    ordering = request.GET.get("ordering", "-reported")
    page = Paginator(selectors.case_list(user=request.user, filters=filters, ordering=ordering),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/case_list.html", {
        "page": page, "filters": filters, "ordering": ordering,
        "classifications": Classification.choices, "routes": DetectionRoute.choices,
        "can_write": can(request.user, Capability.CASE_WRITE),
    })


@region_scoped
@require_GET
def case_export(request):
    return _export(request, "cases", selectors.case_list(user=request.user, filters=_filters(request, CASE_FILTERS),
                                                          ordering=request.GET.get("ordering", "-reported")),
                   _filters(request, CASE_FILTERS))


@region_scoped
@require_GET
def contact_export(request):
    filters = _filters(request, CONTACT_FILTERS)
    return _export(request, "contacts", selectors.contact_list(user=request.user, filters=filters), filters)


def _export(request, kind, queryset, filters):
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.FORMATS:
        return HttpResponse(_("Choose CSV or XLSX."), status=400, content_type="text/plain; charset=utf-8")
    body, content_type, filename = exports.export_line_list(user=request.user, kind=kind, queryset=queryset,
                                                            fmt=fmt, filters=filters, request=request)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _parse_moment(value: str):
    if not value:
        return None
    moment = dt.datetime.fromisoformat(value)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _parse_date(value: str):
    return dt.date.fromisoformat(value) if value else None


@region_scoped
@require_http_methods(["GET", "POST"])
def case_new(request):
    if not can(request.user, Capability.CASE_WRITE):
        raise PermissionDenied(_("Your role may not register cases."))
    values, errors = {}, {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in (
            "person", "disease", "classification", "diagnosed_at", "reported_at", "onset_date", "sampling_date",
            "detection_route", "origin", "severity", "outcome", "report_region", "infector_case_no")}
        try:
            person = person_selectors.person_list(user=request.user).filter(pk=int(values["person"] or 0)).first()
            fields = {"diagnosed_at": _parse_moment(values["diagnosed_at"]),
                      "reported_at": _parse_moment(values["reported_at"]),
                      "onset_date": _parse_date(values["onset_date"]),
                      "sampling_date": _parse_date(values["sampling_date"])}
        except ValueError:
            errors = {"__all__": [_("Enter dates as YYYY-MM-DD and times as YYYY-MM-DD HH:MM.")]}
        if not errors:
            infector = selectors.case_get_by_no(values["infector_case_no"]) if values["infector_case_no"] else None
            try:
                if values["infector_case_no"] and infector is None:
                    raise ValidationError({"infector_case_no": [_("No case with this number.")]})
                case = services.case_register(
                    actor=request.user, request=request, person=person,
                    disease=Disease.objects.filter(code=values["disease"]).first(),
                    classification=values["classification"], report_region=values["report_region"],
                    detection_route=values["detection_route"] or "other", imported="imported" in request.POST,
                    origin=values["origin"], severity=values["severity"] or "mild",
                    outcome=values["outcome"] or "under_treatment", infector=infector, **fields)
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                messages.success(request, _("Case registered."))
                return redirect("cases:case-detail", case_id=case.pk)
    return render(request, "cases/case_new.html", {
        "values": values, "errors": errors, "non_field_errors": errors.pop("__all__", []),
        "diseases": Disease.objects.all(), "classifications": Classification.choices,
        "routes": DetectionRoute.choices, "severities": Severity.choices, "outcomes": Outcome.choices,
    }, status=400 if errors else 200)


@region_scoped
@require_GET
def case_detail(request, case_id: int):
    case = selectors.case_get(user=request.user, case_id=case_id)
    return render(request, "cases/case_detail.html", _case_context(request, case))


def _case_context(request, case, **extra):
    return {
        "case": case, "infector": selectors.case_link(request.user, case.infector),
        "infectees": selectors.case_infectees(user=request.user, case=case),
        "history": case.classification_history.all(),
        "labels": dict(Classification.choices),
        "cluster_in_scope": bool(case.cluster_id) and in_scope(request.user, case.cluster.region_id),
        "contacts": selectors.contact_list(user=request.user, filters={"source_case": str(case.pk)})[:100],
        "exposures": selectors.exposure_list(user=request.user, case=case)[:50],
        "can_write": can(request.user, Capability.CASE_WRITE, case.report_region_id),
        "classifications": Classification.choices, "severities": Severity.choices, "outcomes": Outcome.choices,
        **extra,
    }


@region_scoped
@require_POST
def case_edit(request, case_id: int):
    """Edit severity/outcome/dates (with the version read) or re-classify; a stale version is refused."""
    case = selectors.case_get(user=request.user, case_id=case_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1
    try:
        if request.POST.get("classification"):
            services.case_reclassify(actor=request.user, case=case, expected_version=version, request=request,
                                     classification=request.POST["classification"],
                                     reason=request.POST.get("reason", ""))
        else:
            changes = {k: request.POST[k] for k in ("severity", "outcome", "origin") if k in request.POST}
            for name in ("onset_date", "sampling_date"):
                if name in request.POST:
                    changes[name] = _parse_date(request.POST[name])
            services.case_update(actor=request.user, case=case, expected_version=version, changes=changes,
                                 request=request)
    except services.StaleEditError as exc:
        return render(request, "cases/case_detail.html",
                      _case_context(request, selectors.case_get(user=request.user, case_id=case_id),
                                    edit_error=str(exc)), status=409)
    except (ValidationError, ValueError) as exc:
        message = "; ".join(exc.messages) if isinstance(exc, ValidationError) else _("Enter dates as YYYY-MM-DD.")
        return render(request, "cases/case_detail.html", _case_context(request, case, edit_error=message),
                      status=400)
    messages.success(request, _("Case saved."))
    return redirect("cases:case-detail", case_id=case.pk)


@region_scoped
@require_GET
def contact_list(request):
    filters = _filters(request, CONTACT_FILTERS)
    ordering = request.GET.get("ordering", "-listed")
    page = Paginator(selectors.contact_list(user=request.user, filters=filters, ordering=ordering),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    links = dict(zip([k.pk for k in page], selectors.case_links(request.user, [k.source_case for k in page]),
                     strict=True))
    return render(request, "cases/contact_list.html", {
        "page": page, "links": links, "filters": filters, "ordering": ordering,
        "categories": ContactCategory.choices, "statuses": ContactStatus.choices,
    })


@region_scoped
@require_GET
def contact_detail(request, contact_id: int):
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    return render(request, "cases/contact_detail.html", {
        "contact": contact, "source": selectors.case_link(request.user, contact.source_case),
        "can_convert": can(request.user, Capability.CASE_WRITE, contact.region_id)
        and contact.status != ContactStatus.CONVERTED,
    })


@region_scoped
@require_POST
def contact_convert(request, contact_id: int):
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    try:
        case = services.contact_convert_to_case(
            actor=request.user, contact=contact, request=request,
            expected_version=int(request.POST.get("version") or -1),
            diagnosed_at=_parse_moment(request.POST.get("diagnosed_at", "")) or timezone.now(),
            classification=request.POST.get("classification") or Classification.CONFIRMED)
    except (services.StaleEditError, ValidationError, ValueError) as exc:
        messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("cases:contact-detail", contact_id=contact.pk)
    messages.success(request, _("The contact is now a case; the infector link is kept."))
    return redirect("cases:case-detail", case_id=case.pk)


@region_scoped
@require_GET
def cluster_list(request):
    page = Paginator(selectors.cluster_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "cases/cluster_list.html", {"page": page})


@region_scoped
@require_GET
def cluster_detail(request, cluster_id: int):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    chain = selectors.cluster_chain(user=request.user, cluster=cluster)
    return render(request, "cases/cluster_detail.html", {"cluster": cluster, "chain": chain})


@region_scoped
@require_GET
def cluster_graph(request, cluster_id: int):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    return JsonResponse(selectors.cluster_chain(user=request.user, cluster=cluster))


@region_scoped
@require_GET
def timeliness(request):
    region = _timeliness_region(request)
    report = selectors.tracing_timeliness(
        user=request.user, region=region, date_from=selectors._date(request.GET.get("date_from")),
        date_to=selectors._date(request.GET.get("date_to")))
    return render(request, "cases/timeliness.html", {
        "report": report, "region": region, "total": report["total"].as_dict(),
        "children": [r.as_dict() for r in report["children"]],
        "days": [r.as_dict() for r in report["days"]][-60:],
        "date_from": request.GET.get("date_from", ""), "date_to": request.GET.get("date_to", ""),
    })


@region_scoped
@require_http_methods(["GET", "POST"])
def risk_area_list(request):
    errors = {}
    if request.method == "POST":
        try:
            services.risk_area_designate(
                actor=request.user, request=request, region=request.POST.get("region", ""),
                level=request.POST.get("level", ""), area_name=request.POST.get("area_name", ""),
                designated_from=_parse_date(request.POST.get("designated_from", "")),
                negative_screen_on=_parse_date(request.POST.get("negative_screen_on", "")))
        except ValidationError as exc:
            errors = exc.message_dict
        except ValueError:
            errors = {"designated_from": [_("Enter a date as YYYY-MM-DD.")]}
        else:
            messages.success(request, _("Risk area designated."))
            return redirect("cases:risk-areas")
    areas = list(selectors.risk_area_list(user=request.user)[:200])
    rows = []
    for area in areas:
        last = selectors.risk_area_last_case(user=request.user, area=area)
        lift, protocol = services.risk_area_lift_date(area, last_infection=last)
        rows.append({"area": area, "last": max(filter(None, (last, area.last_infection_on)), default=None),
                     "lift": lift, "protocol": protocol})
    return render(request, "cases/risk_areas.html", {
        "rows": rows, "errors": errors, "levels": RiskArea.Level.choices,
        "can_designate": can(request.user, Capability.RISK_AREA_DESIGNATE),
    }, status=400 if errors else 200)


@region_scoped
@require_http_methods(["GET", "POST"])
def import_page(request):
    """Upload a CSV/XLSX of cases or contacts: it runs as a background job whose page shows the progress;
    the whole file is checked and saved only when every row is valid. ``?template=cases|contacts``
    downloads the header row."""
    template = request.GET.get("template", "")
    if template in imports.COLUMNS:
        response = HttpResponse(imports.template_csv(template), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{template}-template.csv"'
        return response
    if not can(request.user, Capability.CASE_WRITE):
        raise PermissionDenied(_("Your role may not import cases or contacts."))
    error, kind = "", request.POST.get("kind", "cases")
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None or kind not in imports.COLUMNS:
            error = _("Choose a file and what it holds.")
        elif upload.size > imports.MAX_BYTES:
            error = _("The file is too large.")
        else:
            job = jobs.import_job_submit(actor=request.user, kind=kind, data=upload.read(), file_name=upload.name,
                                         request=request)
            return redirect("cases:import-job", job_id=job.pk)
    return render(request, "cases/import.html", {
        "error": error, "kind": kind, "recent": selectors.import_job_list(user=request.user)[:10],
    }, status=400 if error else 200)


@region_scoped
@require_GET
def import_job(request, job_id: int):
    job = selectors.import_job_get(user=request.user, job_id=job_id)
    template = "cases/_import_job.html" if request.GET.get("fragment") else "cases/import_job.html"
    return render(request, template, {"job": job, "errors": job.errors[:500]})
