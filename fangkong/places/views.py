"""Pages of the places module: read through the selectors, write through the services, input through the
action's schema (``inputs.py``, the same one the API and the import use)."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong import paging
from fangkong.accounts.access import can, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.cases.models import ContactCategory
from fangkong.inputs import PageForm, error_messages, error_summary
from fangkong.persons.shown import person_shown
from fangkong.request_params import cursor_payload, filters_of, query_params
from fangkong.web.day import chosen_day

from . import selectors, services
from .apps import CHECKLIST, INSPECT, REGISTER
from .inputs import (
    ChecklistPublishInput,
    CoVisitEnlistInput,
    FindingNoteInput,
    InspectionInput,
    PlaceInput,
    RectificationInput,
)
from .models import PlaceCategory, Rectification, RiskTier
from .params import (
    ChecklistQuery,
    CoverageQuery,
    CoVisitQuery,
    InspectionNewQuery,
    PlaceFilters,
    PlaceListQuery,
)

PAGE_SIZE = 50
#: The co-visitors' order (``selectors.co_visit_candidates``): the longest overlap first.
CO_VISIT_ORDER = ("-overlap", "id")


def venue_qr_svg(code: str, title: str | None = None) -> str:
    """The printable QR code of a venue code (or of another module's signed link, ``title`` naming it), inline
    SVG drawn here (segno): it carries the signed token only."""
    out = io.BytesIO()
    segno.make(code, error="q").save(out, kind="svg", scale=4, border=4, xmldecl=False, svgns=True,
                                     title=title or _("Venue code"))
    return out.getvalue().decode("utf-8")


@region_scoped
@shows(Category.AGGREGATES)
@query_params(PlaceListQuery)
@require_GET
def place_list(request):
    today = chosen_day(request)  # overdue on the user's day (``fangkong.web.day``)
    queryset = selectors.place_list(user=request.user, filters=filters_of(request.params, PlaceFilters), today=today)
    overdue = bool(request.params.get("overdue"))
    order = ("next_due_on",) if overdue else ("name",)
    return render(request, "places/place_list.html", {
        "places": paging.page_of(queryset, order=order, size=PAGE_SIZE, cursor=request.params["cursor"]),
        "filters": {k: request.GET.get(k, "") for k in ("q", "category", "region", "overdue")},
        "categories": PlaceCategory.choices, "today": today, "overdue": overdue,
        "may_register": can(request.user, REGISTER)})


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def place_new(request):
    if not can(request.user, REGISTER):
        raise PermissionDenied(_("Your role may not register places."))
    form = PageForm(PlaceInput, request)
    place = form.submit(services.place_register, actor=request.user, request=request)
    if place is not None:
        messages.success(request, _("Place registered."))
        return redirect("places:place-detail", pk=place.pk)
    return render(request, "places/place_new.html", {"form": form, "categories": PlaceCategory.choices,
                                                     "tiers": RiskTier.choices}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def place_import(request):
    if not can(request.user, REGISTER):
        raise PermissionDenied(_("Your role may not register places."))
    result, status = None, 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            result = services.ImportResult(errors=[{"row": 0, "column": "file", "message": _("Choose a file.")}])
        else:
            result = services.places_import(actor=request.user, data=upload.read(services.IMPORT_LIMITS.max_bytes + 1),
                                            name=upload.name, request=request)
        status = 400 if result.errors else 200
    return render(request, "places/place_import.html", {"result": result, "columns": services.PLACE_COLUMNS},
                  status=status)


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def place_detail(request, pk: int):
    place = selectors.place_get(user=request.user, place_id=pk)
    return render(request, "places/place_detail.html", {
        "place": place, "venue_code": services.venue_code(place),
        "venue_qr": mark_safe(venue_qr_svg(services.venue_code(place))),  # noqa: S308 - drawn by segno from our token
        "checklist": services.checklist_in_force(place.category, timezone.localdate()),
        "inspections": selectors.inspection_list(user=request.user, place=place)[:20],
        "orders": selectors.rectification_list(user=request.user, place=place)[:50],
        "may_inspect": can(request.user, INSPECT, place.region_id), "today": chosen_day(request)})


@region_scoped
@shows(Category.AGGREGATES)
@query_params(InspectionNewQuery)
@require_http_methods(["GET", "POST"])
def inspection_new(request, pk: int):
    place = selectors.place_get(user=request.user, place_id=pk)
    if not can(request.user, INSPECT, place.region_id):
        raise PermissionDenied(_("Your role may not inspect places in this region."))
    form = PageForm(InspectionInput, request, initial={"place": place.pk, "inspected_on": timezone.localdate(),
                                                        "follow_up_of": request.params["follow_up_of"]})
    follow = form.values["follow_up_of"]  # the address's on the first visit, what the form carried once posted
    inspection = form.submit(services.inspection_record, actor=request.user, request=request, place=place.pk)
    if inspection is not None:
        messages.success(request, _("Inspection recorded."))
        return redirect("places:inspection-detail", pk=inspection.pk)
    checklist = services.checklist_in_force(place.category, timezone.localdate())
    items = checklist.items if checklist else []
    if follow.isdigit():
        open_codes = set(selectors.rectification_list(user=request.user, place=place)
                         .filter(finding__inspection_id=int(follow))
                         .exclude(state=Rectification.State.VERIFIED).values_list("finding__item_code", flat=True))
        items = [item for item in items if item["code"] in open_codes]
    return render(request, "places/inspection_new.html", {
        "place": place, "form": form, "checklist": checklist, "items": items, "follow_up_of": follow},
        status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def inspection_detail(request, pk: int):
    inspection = selectors.inspection_get(user=request.user, inspection_id=pk)
    findings = list(inspection.findings.select_related("rectification", "carried_from").prefetch_related("photos"))
    orders = list(selectors.rectification_list(user=request.user, place=inspection.place)
                  .filter(finding__inspection=inspection))
    return render(request, "places/inspection_detail.html", {
        "inspection": inspection, "findings": findings, "orders": orders,
        "may_inspect": can(request.user, INSPECT, inspection.region_id),
        "actions": RectificationInput.ACTIONS, "open_left": any(o.state != Rectification.State.VERIFIED
                                                                for o in orders)})


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def rectification_act(request, pk: int):
    order = selectors.rectification_get(user=request.user, rectification_id=pk)
    form = PageForm(RectificationInput, request)
    form.submit(services.rectification_act, actor=request.user, rectification=order.pk, request=request)
    if form.errors:
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, message)
        return redirect("places:inspection-detail", pk=order.finding.inspection_id)
    messages.success(request, _("Rectification order updated."))
    return redirect("places:inspection-detail", pk=order.finding.inspection_id)


@region_scoped
@shows(Category.AGGREGATES)
@query_params(CoverageQuery)
@require_GET
def coverage(request):
    category = request.params.get("category")
    today = chosen_day(request)  # coverage and overdue on the user's day (``fangkong.web.day``)
    rows = selectors.coverage(user=request.user, category=category, today=today)
    return render(request, "places/coverage.html", {
        "rows": rows, "total": selectors.coverage_total(rows), "categories": PlaceCategory.choices,
        "category": category or "", "overdue": selectors.overdue_places(user=request.user, today=today)[:20]})


@region_scoped
@shows(Category.NAMED)
@query_params(CoVisitQuery)
@require_http_methods(["GET", "POST"])
def co_visits(request):
    """The co-visitors of a case or a person, a page at a time (``fangkong.paging``, the longest overlap
    first); for a case, those ticked become its contacts in one action (``services.co_visitors_enlist``, the
    same schema as the API's), which checks them against the whole search, and the page the user chose them
    on is shown again (its cursor is posted with them), the registered marked as contacts."""
    from fangkong.accounts.roles import Capability
    from fangkong.cases.selectors import case_get, contact_list

    case = None
    posted_cursor = request.POST.get("cursor") or ""  # the page the persons were ticked on
    try:
        cursor_payload(posted_cursor) if posted_cursor else None
    except ValidationError:
        posted_cursor = ""  # not one of ours: back to the first page
    form = PageForm(CoVisitEnlistInput, request, initial={"case": request.params.get("case"),
                                                          "window": request.params.get("window") or 30})
    if request.method == "POST":
        result = form.submit(services.co_visitors_enlist, actor=request.user, request=request)
        if result is not None:
            messages.success(request, _("%(created)d contacts registered; %(already)d already contacts of the case.")
                             % {"created": len(result.created), "already": len(result.already)})
            back = {"case": form.data["case"], "window": form.data["window"]}
            if posted_cursor:  # back to the page the persons were chosen on
                back["cursor"] = posted_cursor
            return redirect(f"{reverse('places:co-visits')}?{urlencode(back)}")
    case_id = form.values["case"] if request.method == "POST" else request.params.get("case")
    window = int(form.values["window"]) if str(form.values["window"]).isdigit() else 30
    person_id = request.params.get("person")
    if case_id and str(case_id).isdigit():
        case = case_get(user=request.user, case_id=int(case_id))
        person_id = case.person_id
    page, rows, already, total = None, [], set(), 0
    if person_id:
        persons, found = selectors.co_visit_candidates(user=request.user, person_id=person_id, window_minutes=window)
        cursor = request.params.get("cursor") or posted_cursor or None  # a checked payload, or a checked token
        page = paging.page_of(persons, order=CO_VISIT_ORDER, size=PAGE_SIZE, cursor=cursor,
                              counted=False)  # the search counted them: ``found``
        total = len(found)
        rows = [(found[p.pk], person_shown(request.user, p, p.address_region_id)) for p in page]
        if case is not None:
            already = set(contact_list(user=request.user, filters={"source_case": case.pk})
                          .filter(person_id__in=[p.pk for p in page]).values_list("person_id", flat=True))
    return render(request, "places/co_visits.html", {
        "rows": rows, "page": page, "total": total, "cursor": request.GET.get("cursor") or posted_cursor, "person": person_id or "",
        "case": case, "window": window, "form": form, "already": already, "categories": ContactCategory.choices,
        "may_enlist": case is not None and can(request.user, Capability.CASE_WRITE, case.report_region_id)},
        status=form.status)


def checklist_text(items: list[dict]) -> str:
    """A checklist's items in the text form the publish form reads (``inputs.ChecklistItemsField``)."""
    return "\n".join(" | ".join([item["code"], item["zh"], item.get("en", ""), "关键" if item.get("critical") else ""])
                     .rstrip(" |") for item in items)


@region_scoped
@shows(Category.AGGREGATES)
@query_params(ChecklistQuery)
@require_http_methods(["GET", "POST"])
def checklists(request):
    """The checklist versions of every category; the provincial commander publishes a new version."""
    may_publish = can(request.user, CHECKLIST)
    if request.method == "POST" and not may_publish:
        raise PermissionDenied(_("Your role may not publish checklists."))
    category = request.params.get("category") or ""
    today = timezone.localdate()
    current = services.checklist_in_force(category, today) if category else None
    form = PageForm(ChecklistPublishInput, request, initial={
        "category": category, "effective_from": today + dt.timedelta(days=1),
        "items": checklist_text(current.items) if current else ""})
    version = form.submit(services.checklist_publish, actor=request.user, request=request)
    if version is not None:
        messages.success(request, _("Checklist version %(version)s published.") % {"version": version.version})
        return redirect(f"{reverse('places:checklists')}?category={version.category}")
    versions = selectors.checklist_list(category=category or None)
    return render(request, "places/checklists.html", {
        "versions": versions, "categories": PlaceCategory.choices, "category": category, "today": today,
        "form": form, "may_publish": may_publish}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def finding_annotate(request, pk: int):
    """A note and/or a photo on a finding (``FindingNoteInput``, the API's schema); back to the inspection."""
    finding = selectors.finding_get(user=request.user, finding_id=pk)
    if not can(request.user, INSPECT, finding.inspection.region_id):
        raise PermissionDenied(_("Your role may not record findings in this region."))
    posted = request.POST.copy()
    posted.update(request.FILES)  # the form and its file, as DRF reads a multipart body (``request.data``)
    submitted = FindingNoteInput(data=posted)
    errors = None
    if not submitted.is_valid():
        errors = error_messages(submitted.errors)
    else:
        try:
            services.finding_annotate(actor=request.user, finding=finding.pk, request=request,
                                      **submitted.validated_data)
        except ValidationError as exc:
            errors = error_messages(exc)
    if errors:
        messages.error(request, error_summary(errors))
        return redirect("places:inspection-detail", pk=finding.inspection_id)
    messages.success(request, _("Finding updated."))
    return redirect("places:inspection-detail", pk=finding.inspection_id)


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def finding_photo(request, pk: int):
    """A finding's photo, in scope only, served as the image the server re-encoded (never sniffed as
    anything else, never run)."""
    from django.http import FileResponse, Http404

    from . import photos

    photo = selectors.finding_photo_get(user=request.user, photo_id=pk)
    try:
        handle = photos.path_of(photo.key).open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The photo file is missing.")) from exc
    response = FileResponse(handle, content_type=photo.content_type)
    response["Content-Disposition"] = f'inline; filename="finding-{photo.finding_id}-{photo.pk}.{photo.key.rsplit(".", 1)[-1]}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response
