"""Pages of the cases app. Thin: scoped selectors to read, one service to write, render.

Cross-region links are rendered from ``selectors.case_link``: an out-of-scope case shows as its number
and city, without a link or person data.

The lists page by keyset (``fangkong.paging``: ``?cursor=``, a count capped at 1,000); every page's query
parameters are declared in ``fangkong.cases.params`` and checked before the view runs. The forms
(contact, contact status, exposure, risk area lifting) post with htmx when it is there (the form fragment
comes back with its errors, status 400; success answers ``HX-Redirect``) and as plain forms without it
(redirect after post).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong import paging
from fangkong.accounts.access import can, in_scope, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.accounts.roles import Capability
from fangkong.cases import exports, imports, jobs, selectors, services
from fangkong.cases.api import timeliness_region
from fangkong.cases.inputs import (
    CaseEditInput,
    CaseEnlistInput,
    CaseReclassifyInput,
    ContactConvertInput,
    ContactEnlistInput,
    ContactStatusInput,
    ExposureRecordInput,
    ImportJobInput,
    RiskAreaDesignateInput,
    RiskAreaInfectionsInput,
    RiskAreaLiftInput,
)
from fangkong.cases.models import (
    Classification,
    ContactCategory,
    ContactStatus,
    DetectionRoute,
    Disease,
    ExposureType,
    ImportJob,
    Outcome,
    RiskArea,
    Severity,
)
from fangkong.cases.params import (
    CaseExportQuery,
    CaseFilters,
    CaseListQuery,
    CaseNumberQuery,
    ContactExportQuery,
    ContactFilters,
    ContactListQuery,
    FragmentQuery,
    ImportPageQuery,
    PageQuery,
    TimelinessQuery,
)
from fangkong.inputs import NON_FIELD, PageForm, error_messages, error_summary
from fangkong.modules import import_kinds
from fangkong.persons import services as person_services
from fangkong.persons.inputs import RevealInput
from fangkong.protocols.models import TEST_PHASE_LABELS
from fangkong.request_params import filter_names, filters_of, query_params
from fangkong.web.day import day_asked

PAGE_SIZE = 50
#: Tracing timeliness shows by default the days up to the user's day (``fangkong.web.day``).
TIMELINESS_DAYS = 28


def _form(request, declaration) -> dict:
    """The filters as typed, for the filter form (the checked values are in ``request.params``)."""
    return {name: request.GET.get(name, "").strip() for name in filter_names(declaration)}


def _keyset(request, queryset, order: tuple[str, ...], ordering: str = "") -> paging.Page:
    return paging.page_of(queryset, order=order, ordering=ordering, size=PAGE_SIZE,
                          cursor=request.params.get("cursor"))


@region_scoped
@shows(Category.PSEUDONYMISED)
@query_params(CaseListQuery)
@require_GET
def case_list(request):
    ordering = request.params["ordering"] or "-reported"
    queryset = selectors.case_list(user=request.user, filters=filters_of(request.params, CaseFilters),
                                   ordering=ordering)
    page = _keyset(request, queryset, selectors.CASE_ORDERINGS[ordering], ordering)
    return render(request, "cases/case_list.html", {
        "page": page, "filters": _form(request, CaseFilters), "ordering": ordering, "count_cap": page.count,
        "classifications": Classification.choices, "routes": DetectionRoute.choices,
        "can_write": can(request.user, Capability.CASE_WRITE),
        "can_export_clear": can(request.user, Capability.PERSON_EXPORT_CLEAR),
    })


@region_scoped
@shows(Category.PSEUDONYMISED)
@query_params(CaseExportQuery)
@require_http_methods(["GET", "POST"])
def case_export(request):
    queryset = selectors.case_list(user=request.user, filters=filters_of(request.params, CaseFilters),
                                   ordering=request.params["ordering"] or "-reported")
    return _export(request, "cases", queryset, _form(request, CaseFilters))


@region_scoped
@shows(Category.PSEUDONYMISED)
@query_params(ContactExportQuery)
@require_http_methods(["GET", "POST"])
def contact_export(request):
    queryset = selectors.contact_list(user=request.user, filters=filters_of(request.params, ContactFilters),
                                      ordering=request.params["ordering"] or "-listed")
    return _export(request, "contacts", queryset, _form(request, ContactFilters))


def _export(request, kind, queryset, filters):
    """GET: the file, masked. POST (the form "export in clear", with its reason): in clear where the user
    may export in clear; a reason that is not a sentence answers 400 with the form again, nothing written."""
    form = PageForm(RevealInput, request)
    reason = None  # a GET: the masked file
    try:
        if form.bound:
            if not form.is_valid():
                raise ValidationError(form.errors)
            reason = form.data["reason"]
        body, content_type, filename = exports.export_line_list(
            user=request.user, kind=kind, queryset=queryset, fmt=request.params["format"] or "csv",
            filters=filters, request=request, reason=reason)
    except ValidationError as exc:
        return render(request, "cases/export_clear.html", {
            "kind": kind, "errors": exc.message_dict.get("reason", exc.messages), "reason": form.values["reason"],
            "query": request.GET.urlencode()}, status=400)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def case_new(request):
    if not can(request.user, Capability.CASE_WRITE):
        raise PermissionDenied(_("Your role may not register cases."))
    form = PageForm(CaseEnlistInput, request)
    case = form.submit(services.case_enlist, actor=request.user, request=request,
                       refusals={person_services.PersonElsewhereError: "citizen_id"})
    if case is not None:
        messages.success(request, _("Case registered."))
        return redirect("cases:case-detail", case_id=case.pk)
    return render(request, "cases/case_new.html", {
        "values": form.values, "errors": form.errors, "non_field_errors": form.non_field_errors,
        "diseases": Disease.objects.all(), "classifications": Classification.choices,
        "routes": DetectionRoute.choices, "severities": Severity.choices, "outcomes": Outcome.choices,
    }, status=form.status)


@region_scoped
@shows(Category.PSEUDONYMISED)
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
@shows(Category.NAMED)
@require_POST
def case_edit(request, case_id: int):
    """Edit severity/outcome/dates (with the version read) or re-classify; a stale version is refused."""
    case = selectors.case_get(user=request.user, case_id=case_id)
    reclassify = bool(request.POST.get("classification"))
    form = PageForm(CaseReclassifyInput if reclassify else CaseEditInput, request)
    try:
        if form.is_valid():
            data = dict(form.data)
            version = data.pop("version")
            if reclassify:
                services.case_reclassify(actor=request.user, case=case, expected_version=version, request=request,
                                         **data)
            else:
                services.case_update(actor=request.user, case=case, expected_version=version, changes=data,
                                     request=request)
    except services.StaleEditError as exc:
        return render(request, "cases/case_detail.html",
                      _case_context(request, selectors.case_get(user=request.user, case_id=case_id),
                                    edit_error=str(exc)), status=409)
    except ValidationError as exc:
        form.add_errors(exc)
    if form.errors:
        return render(request, "cases/case_detail.html",
                      _case_context(request, case, edit_error=error_summary(form.errors)), status=400)
    messages.success(request, _("Case saved."))
    return redirect("cases:case-detail", case_id=case.pk)


@region_scoped
@shows(Category.PSEUDONYMISED)
@query_params(ContactListQuery)
@require_GET
def contact_list(request):
    ordering = request.params["ordering"] or "-listed"
    queryset = selectors.contact_list(user=request.user, filters=filters_of(request.params, ContactFilters),
                                      ordering=ordering)
    page = _keyset(request, queryset, selectors.CONTACT_ORDERINGS[ordering], ordering)
    filters = _form(request, ContactFilters)
    links = dict(zip([k.pk for k in page], selectors.case_links(request.user, [k.source_case for k in page]),
                     strict=True))
    rows = [(k, links[k.pk]) for k in page]
    return render(request, "cases/contact_list.html", {
        "page": page, "rows": rows, "filters": filters, "ordering": ordering, "count_cap": page.count,
        "categories": ContactCategory.choices, "statuses": ContactStatus.choices,
        "can_write": can(request.user, Capability.CASE_WRITE),
        "can_export_clear": can(request.user, Capability.PERSON_EXPORT_CLEAR),
    })


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _done(request, url: str, message: str):
    """After a successful post: the page to go to (htmx follows ``HX-Redirect``, a plain form a 302)."""
    messages.success(request, message)
    if _htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _form_errors(exc) -> dict:
    if isinstance(exc, ValidationError):
        return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return {"__all__": [str(exc)]}


@region_scoped
@shows(Category.NAMED)
@query_params(CaseNumberQuery)
@require_http_methods(["GET", "POST"])
def contact_new(request):
    """Register a contact of a case: the person by citizen ID (registered on the way if new, through the
    person registry's service), the contact with its test schedule from the protocol in force."""
    if not can(request.user, Capability.CASE_WRITE):
        raise PermissionDenied(_("Your role may not register contacts."))
    form = PageForm(ContactEnlistInput, request, initial={
        "source_case_no": request.params["case_no"] or "", "category": "close", "exposure_type": "household",
        "listed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "region": _case_region(request, request.params["case_no"] or "")})
    contact = form.submit(services.contact_enlist, actor=request.user, request=request,
                          refusals={person_services.PersonElsewhereError: "citizen_id", PermissionDenied: NON_FIELD})
    if contact is not None:
        return _done(request, reverse("cases:contact-detail", kwargs={"contact_id": contact.pk}),
                     _("Contact %(no)s registered; test schedule of %(protocol)s.") % {
                         "no": contact.contact_no, "protocol": contact.protocol.name})
    context = {"values": form.values, "errors": form.errors, "non_field_errors": form.non_field_errors,
               "categories": ContactCategory.choices, "exposure_types": ExposureType.choices}
    template = "cases/_contact_form.html" if _htmx(request) else "cases/contact_new.html"
    return render(request, template, context, status=form.status)


def _case_region(request, case_no: str) -> str:
    """The region of report of the case a form starts from (in scope), to preselect it."""
    if not case_no.strip():
        return ""
    return selectors.case_list(user=request.user).filter(case_no=case_no.strip()) \
        .values_list("report_region_id", flat=True).first() or ""


@region_scoped
@shows(Category.PSEUDONYMISED)
@require_GET
def contact_detail(request, contact_id: int):
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    return render(request, "cases/contact_detail.html", _contact_context(request, contact))


def _contact_context(request, contact, **extra) -> dict:
    open_ = contact.status != ContactStatus.CONVERTED
    return {
        "contact": contact, "source": selectors.case_link(request.user, contact.source_case),
        "can_convert": can(request.user, Capability.CASE_WRITE, contact.region_id) and open_,
        "can_manage": can(request.user, Capability.CONTACT_MANAGE, contact.region_id) and open_,
        "can_record_exposure": can(request.user, Capability.CASE_WRITE),
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "status_errors": {},
        "test_schedule": [{**test, "phase_label": TEST_PHASE_LABELS.get(test["phase"], test["phase"])}
                          for test in contact.test_schedule],
        "conversion_warnings": services.contact_conversion_warnings(contact) if open_ else [], **extra,
    }


@region_scoped
@shows(Category.NAMED)
@require_POST
def contact_status(request, contact_id: int):
    """Quarantine (time and place), release, lost to follow-up, back to listed, or the exposure window
    corrected (the management period and the test schedule are counted again from the last exposure) —
    ``services.contact_status_record`` under the version the page read."""
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    form = PageForm(ContactStatusInput, request)
    status = 400
    try:
        if form.is_valid():
            data = dict(form.data)
            services.contact_status_record(actor=request.user, contact=contact,
                                           expected_version=data.pop("version"), request=request, **data)
    except services.StaleEditError as exc:
        form.errors, status = {NON_FIELD: [str(exc)]}, 409
    except ValidationError as exc:
        form.add_errors(exc)
    except PermissionDenied as exc:
        form.errors, status = _form_errors(exc), 403
    errors = form.errors
    if not errors:
        return _done(request, reverse("cases:contact-detail", kwargs={"contact_id": contact.pk}),
                     _("Contact %(no)s: %(status)s.") % {"no": contact.contact_no,
                                                         "status": contact.get_status_display()})
    fresh = selectors.contact_get(user=request.user, contact_id=contact_id)
    context = _contact_context(request, fresh, status_errors=errors,
                               status_non_field=errors.get("__all__", []) + errors.get("action", []) +
                               errors.get("status", []))
    template = "cases/_contact_status.html" if _htmx(request) else "cases/contact_detail.html"
    return render(request, template, context, status=status)


@region_scoped
@shows(Category.NAMED)
@require_POST
def contact_convert(request, contact_id: int):
    """The contact tested positive: the diagnosis time is asked for (no default), the report time defaults
    to now and may be earlier (a back-entry), onset and sampling dates are optional."""
    contact = selectors.contact_get(user=request.user, contact_id=contact_id)
    form = PageForm(ContactConvertInput, request)
    case = None
    try:
        if form.is_valid():
            data = dict(form.data)
            case = services.contact_convert_to_case(actor=request.user, contact=contact, request=request,
                                                    expected_version=data.pop("version"), **data)
    except services.StaleEditError as exc:
        form.errors = {NON_FIELD: [str(exc)]}
    except ValidationError as exc:
        form.add_errors(exc)
    if case is None:
        messages.error(request, error_summary(form.errors))
        return redirect("cases:contact-detail", contact_id=contact.pk)
    for warning in services.contact_conversion_warnings(contact):
        messages.warning(request, warning)
    messages.success(request, _("The contact is now a case; the infector link is kept."))
    return redirect("cases:case-detail", case_id=case.pk)


@region_scoped
@shows(Category.PSEUDONYMISED)
@query_params(PageQuery)
@require_GET
def cluster_list(request):
    page = _keyset(request, selectors.cluster_list(user=request.user), selectors.CLUSTER_ORDER)
    return render(request, "cases/cluster_list.html", {"page": page})


@region_scoped
@shows(Category.PSEUDONYMISED)
@require_GET
def cluster_detail(request, cluster_id: int):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    chain = selectors.cluster_chain(user=request.user, cluster=cluster)
    return render(request, "cases/cluster_detail.html", {"cluster": cluster, "chain": chain})


@region_scoped
@shows(Category.PSEUDONYMISED)
@require_GET
def cluster_graph(request, cluster_id: int):
    cluster = selectors.cluster_get(user=request.user, cluster_id=cluster_id)
    return JsonResponse(selectors.cluster_chain(user=request.user, cluster=cluster))


@region_scoped
@shows(Category.AGGREGATES)
@query_params(TimelinessQuery)
@require_GET
def timeliness(request):
    region = timeliness_region(request.user, request.params["region"])
    date_to = day_asked(request, "date_to")  # by default the user's day (``fangkong.web.day``)
    date_from = request.params["date_from"] or date_to - dt.timedelta(days=TIMELINESS_DAYS - 1)
    report = selectors.tracing_timeliness(user=request.user, region=region, date_from=date_from, date_to=date_to)
    return render(request, "cases/timeliness.html", {
        "report": report, "region": region, "total": report["total"].as_dict(),
        "children": [r.as_dict() for r in report["children"]],
        "days": [r.as_dict() for r in report["days"]][-60:],
        "date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
        "api_query": urlencode({"region": region.code, "date_from": date_from.isoformat(),
                                "date_to": date_to.isoformat()}),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def risk_area_list(request):
    form = PageForm(RiskAreaDesignateInput, request)
    if form.is_valid():
        data = dict(form.data)
        try:
            cases = selectors.case_list_by_numbers(user=request.user, text=data.pop("case_nos"))
            services.risk_area_designate(actor=request.user, request=request, cases=cases, **data)
        except ValidationError as exc:
            form.add_errors(exc)
        else:
            return _done(request, reverse("cases:risk-areas"), _("Risk area designated."))
    return _risk_area_page(request, errors=form.errors, values=form.values, status=form.status)


def _risk_area_page(request, *, errors=None, values=None, lift_errors=None, status=200):
    today = timezone.localdate()
    rows = []
    for area in selectors.risk_area_list(user=request.user)[:200]:
        last = selectors.risk_area_last_case(user=request.user, area=area)
        lift, protocol = services.risk_area_lift_date(area, last_infection=last)
        rows.append({"area": area, "last": max(filter(None, (last, area.last_infection_on)), default=None),
                     "lift": lift, "protocol": protocol, "liftable": lift is not None and lift <= today,
                     "can_lift": area.lifted_on is None and can(request.user, Capability.RISK_AREA_DESIGNATE,
                                                                area.region_id),
                     "errors": (lift_errors or {}).get(area.pk, [])})
    return render(request, "cases/risk_areas.html", {
        "rows": rows, "errors": errors or {}, "values": values or {}, "levels": RiskArea.Level.choices,
        "kinds": RiskArea.Kind.choices,
        "today": today, "can_designate": can(request.user, Capability.RISK_AREA_DESIGNATE),
    }, status=status)


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def risk_area_lift(request, area_id: int):
    """Lift an area on a date: allowed when the protocol's rule says it can be lifted by then, otherwise
    only with an override reason (audited with the date the rule allows)."""
    area = selectors.risk_area_get(user=request.user, area_id=area_id)
    form = PageForm(RiskAreaLiftInput, request)
    try:
        if form.is_valid():
            services.risk_area_lift(actor=request.user, area=area, request=request,
                                    lifted_on=form.data["lifted_on"] or timezone.localdate(),
                                    override_reason=form.data["override_reason"],
                                    last_infection=selectors.risk_area_last_case(user=request.user, area=area))
    except ValidationError as exc:
        form.add_errors(exc)
    except PermissionDenied as exc:
        return _risk_area_page(request, lift_errors={area.pk: [str(exc)]}, status=403)
    if form.errors:
        return _risk_area_page(request, status=400, lift_errors={
            area.pk: [m for messages_ in form.errors.values() for m in messages_]})
    return _done(request, reverse("cases:risk-areas"),
                 _("Risk area %(name)s lifted on %(date)s.") % {"name": area.area_name or area.region.name,
                                                                "date": area.lifted_on.isoformat()})


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def risk_area_infections(request, area_id: int):
    """New infections found in a compound or building: its lifting date is counted from them."""
    area = selectors.risk_area_get(user=request.user, area_id=area_id)
    form = PageForm(RiskAreaInfectionsInput, request)
    try:
        if form.is_valid():
            services.risk_area_infections_add(actor=request.user, area=area, request=request,
                                              cases=selectors.case_list_by_numbers(user=request.user,
                                                                                   text=form.data["case_nos"]))
    except ValidationError as exc:
        form.add_errors(exc)
    except PermissionDenied as exc:
        return _risk_area_page(request, lift_errors={area.pk: [str(exc)]}, status=403)
    if form.errors:
        return _risk_area_page(request, status=400, lift_errors={
            area.pk: [m for messages_ in form.errors.values() for m in messages_]})
    return _done(request, reverse("cases:risk-areas"), _("Infections recorded in %(name)s.") % {"name": area.area_name})


@region_scoped
@shows(Category.NAMED)
@query_params(CaseNumberQuery)
@require_http_methods(["GET", "POST"])
def exposure_new(request):
    """Record an exposure event: a place in a region, a time window, the cases present (by case number)."""
    if not can(request.user, Capability.CASE_WRITE):
        raise PermissionDenied(_("Your role may not record exposures."))
    form = PageForm(ExposureRecordInput, request, initial={
        "case_nos": request.params["case_no"] or "", "region": _case_region(request, request.params["case_no"] or "")})
    exposure = None
    if form.is_valid():
        data = dict(form.data)
        data.pop("cases")
        try:
            cases = selectors.case_list_by_numbers(user=request.user, text=data.pop("case_nos"))
            exposure = services.exposure_record(actor=request.user, request=request, cases=cases, **data)
        except ValidationError as exc:
            form.add_errors(exc)
        except PermissionDenied as exc:
            form.errors.setdefault(NON_FIELD, []).append(str(exc))
    if exposure is not None:
        target = reverse("cases:case-detail", kwargs={"case_id": cases[0].pk}) if cases else reverse("cases:case-list")
        return _done(request, target, _("Exposure at %(place)s recorded.") % {"place": exposure.place_name})
    errors = dict(form.errors)
    status = 400 if errors else 200
    context = {"values": form.values, "errors": errors, "non_field_errors": errors.pop(NON_FIELD, [])}
    template = "cases/_exposure_form.html" if _htmx(request) else "cases/exposure_new.html"
    return render(request, template, context, status=status)


@region_scoped
@shows(Category.NAMED)
@query_params(ImportPageQuery)
@require_http_methods(["GET", "POST"])
def import_page(request):
    """Upload a CSV/XLSX of cases or contacts: it runs as a background job whose page shows the progress;
    the whole file is checked and saved only when every row is valid. ``?template=cases|contacts``
    downloads the header row."""
    template = request.params["template"]
    if template:
        response = HttpResponse(imports.template_csv(template), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{template}-template.csv"'
        return response
    jobs.import_allowed_check(request.user)  # before the upload is read
    error, kind = "", "cases"
    if request.method == "POST":
        posted = request.POST.copy()
        posted.update(request.FILES)  # the form and its file, as DRF reads a multipart body (``request.data``)
        submitted = ImportJobInput(data=posted)
        kind = posted.get("kind", kind)
        if not submitted.is_valid():
            error = error_summary(error_messages(submitted.errors))
        else:
            try:
                job = jobs.import_job_submit(actor=request.user, request=request, **submitted.validated_data)
            except ValidationError as exc:
                error = error_summary(error_messages(exc))
            else:
                return redirect("cases:import-job", job_id=job.pk)
    return render(request, "cases/import.html", {
        "error": error, "kind": kind, "recent": selectors.import_job_list(user=request.user)[:10],
    }, status=400 if error else 200)


@region_scoped
@shows(Category.NAMED, reaches_served=jobs.OWN_JOB_REACHES)
@query_params(FragmentQuery)
@require_GET
def import_job(request, job_id: int):
    job = selectors.import_job_get(user=request.user, job_id=job_id)
    template = "cases/_import_job.html" if request.params["fragment"] else "cases/import_job.html"
    return render(request, template, {"job": job, "errors": job.errors[:500], "again_url": _import_again_url(job),
                                      "module_kind": job.kind in import_kinds(),
                                      "stalled_minutes": int(ImportJob.STALLED_AFTER.total_seconds() // 60)})


def _import_again_url(job) -> str:
    """Where the job's page leads to import another file: the platform's import page for the cases module's own
    kinds, the page of the module that submitted it (``ImportKind.page``), none for a kind imported through the
    API only (the cases page would refuse its importers)."""
    declared = import_kinds().get(job.kind)
    if declared is None:
        return reverse("cases:import")
    return reverse(declared.page, args=[job.target] if declared.targeted else []) if declared.page else ""


@region_scoped
@shows(Category.NAMED, reaches_served=jobs.OWN_JOB_REACHES)
@require_POST
def import_job_rerun(request, job_id: int):
    """Run a stalled import again (its page offers it once the job has shown no sign of life for a while)."""
    job = selectors.import_job_get(user=request.user, job_id=job_id)
    try:
        with transaction.atomic():
            jobs.import_job_rerun(actor=request.user, job=job, request=request)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("cases:import-job", job_id=job.pk)
