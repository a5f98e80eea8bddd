"""Pages of the follow-up module (phone first): the worker's list of the day's checks and tests, one check
recorded in one step from that list, a person's follow-up (with today's personal link and its QR code),
the overdue list, and the person's own form opened by the personal link (no sign-in, ``selfreport``). Read through the selectors,
write through the services, input through the action's schema (``inputs.py``, the same as the API's)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong import paging
from fangkong.accounts.access import can, public, region_scoped
from fangkong.accounts.need_to_know import Category, Reach, may_read, shows
from fangkong.cases.jobs import import_job_submit
from fangkong.inputs import PageForm, error_messages, error_summary
from fangkong.places.views import venue_qr_svg
from fangkong.request_params import query_params
from fangkong.web.day import data_last_day, day_asked, is_day_chosen

from . import imports, selectors, selfreport, services
from .apps import RECORD
from .inputs import (
    CheckFields,
    CheckInput,
    ChecksFileInput,
    NotTakenInput,
    SampleInput,
    SelfReportInput,
    SuspectedInput,
)
from .models import SLOTS, Slot, Symptom
from .params import DayQuery, DuePageQuery
from .sources import source_of

PAGE = 50
SITE_PAGE = 500  # a site's whole list on one screen (the manager's floor list)
#: The pages a quarantine-site manager and a community worker open too (their persons: ``selectors.reach_q``).
RECORDERS = (Reach.REGION, Reach.ASSIGNED_SITES, Reach.HOME_MONITORED)


def _day(request):
    """The day of the lists: the user's day, as on every page (``fangkong.web.day``) — the one asked (it becomes
    the user's day for every page) or the one the user chose before. Nothing chosen: today when somebody in the
    user's area is under management today, else the day every other page opens on (the last day with data,
    ``data_last_day``, shown in the header) when somebody was under management then, else the last day somebody
    was (``selectors.last_managed_day``): a training installation on 2022's data opens on its follow-up, on the
    header's day where it can (not on a later day of a period nobody has recorded yet), never on an empty
    today — the platform's last day with data is a case's report, which another module's demo may date today."""
    if request.params.get("day") or is_day_chosen(request):
        return day_asked(request, "day")
    for day in (timezone.localdate(), data_last_day(request.user)):
        if selectors.due_subjects(user=request.user, day=day).exists():
            return day
    return selectors.last_managed_day(user=request.user) or data_last_day(request.user)


def _slot_default(row) -> str:
    return (row.open_slots or [Slot.MORNING])[0] if row else Slot.MORNING


@region_scoped
@shows(Category.NAMED, reaches_served=RECORDERS)
@query_params(DuePageQuery)
@require_GET
def due(request):
    """The day's persons under management the worker may follow up, each with the slot to check next, ``PAGE``
    at a time (``fangkong.paging``: a phone shows one page of cards, not the whole district); with ``site``,
    one quarantine site's persons by room number, all on one screen (the manager's floor list)."""
    day, region, site = _day(request), request.params.get("region"), request.params.get("site")
    subjects = selectors.due_queryset(user=request.user, day=day, region=region,
                                      open_only=bool(request.params.get("open")), site=site)
    if site:  # one site, one screen: no pages
        page, rows = None, subjects.order_by("room_number", "id")[:SITE_PAGE]
    else:
        page = paging.page_of(subjects, order=("id",), size=PAGE, cursor=request.params["cursor"])
        rows = page.rows
    if site:  # the floor's own counts: the site's persons, not the city's
        counts = next(iter(selectors.site_counts(user=request.user, day=day, site=site)), None)
    else:
        counts = selectors.followup_counts(user=request.user, day=day, region=region)
    may_record = can(request.user, RECORD)
    return render(request, "followup/due.html", {
        "day": day, "today": timezone.localdate(), "rows": selectors.due_rows(rows, day), "page": page,
        "sites": selectors.sites_managed(user=request.user), "site": site,
        "region": region or "", "open_only": bool(request.params.get("open")), "may_record": may_record,
        "counts": counts, "check_fields": check_fields(request) if may_record else {},
        "next_path": request.get_full_path()})


def check_fields(request) -> dict[str, str]:
    """The fields of the list's one-step check form for each slot proposed, rendered once for the page (a
    floor list of 500 persons would render the same symptoms 500 times)."""
    return {slot: mark_safe(render_to_string(  # noqa: S308 - our own template, escaped as it renders
        "followup/_check_fields.html", {"slot": slot, "slots": Slot.choices, "symptoms": Symptom.choices},
        request)) for slot in SLOTS}


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def checks_import(request):
    """Upload a file of a day's checks: it runs as one of the platform's import jobs, whose page
    (``cases:import-job``) shows the progress and every refused row; all rows or none (``imports.py``)."""
    imports.checks_allowed(request.user)  # before the upload is read
    refused = ""
    if request.method == "POST":
        posted = request.POST.copy()
        posted.update(request.FILES)  # the form and its file, as DRF reads a multipart body
        submitted = ChecksFileInput(data=posted)
        if not submitted.is_valid():
            refused = error_summary(error_messages(submitted.errors))
        else:
            try:
                job = import_job_submit(actor=request.user, request=request, kind=imports.CHECKS,
                                        upload=submitted.validated_data["file"])
            except ValidationError as exc:
                refused = error_summary(error_messages(exc))
            else:
                return redirect("cases:import-job", job_id=job.pk)
    return render(request, "followup/import.html", {"refused": refused, "columns": ", ".join(CheckFields().fields)},
                  status=400 if refused else 200)


@region_scoped
@shows(Category.AGGREGATES)
@query_params(DayQuery)
@require_GET
def sites(request):
    """Completeness per quarantine site on the day: the persons placed there and under management, the shares
    fully checked, with a missed check, with fever or symptoms (``selectors.site_counts``: a manager's own
    sites only)."""
    day, region = _day(request), request.params.get("region")
    return render(request, "followup/sites.html", {
        "day": day, "region": region or "", "sites": selectors.site_counts(user=request.user, day=day, region=region)})


@region_scoped
@shows(Category.NAMED, reaches_served=RECORDERS)
@require_http_methods(["GET", "POST"])
def check_new(request, pk: int):
    """Record one check of a person (the list posts here in one step; a refusal shows this form again)."""
    subject = selectors.subject_get(user=request.user, subject_id=pk)
    if not selectors.may_record(request.user, subject):
        raise PermissionDenied(_("Your role may not record follow-ups."))
    today = timezone.localdate()
    form = PageForm(CheckInput, request, initial={"subject": subject.pk, "day": today, "slot": Slot.MORNING})
    if form.is_valid():
        data = dict(form.data)
        if data.pop("subject") != subject.pk:
            form.errors["subject"] = [_("This form belongs to another person.")]
        else:
            try:
                services.health_check_record(actor=request.user, subject=subject, request=request, **data)
            except ValidationError as exc:
                form.add_errors(exc)
            else:
                messages.success(request, _("Check recorded for %(label)s.") % {"label": subject.label})
                back = request.POST.get("next", "")
                return redirect(back if back.startswith(reverse("followup:due")) else reverse("followup:due"))
    return render(request, "followup/check_new.html", {
        "form": form, "subject": subject, "symptoms": Symptom.choices, "slots": Slot.choices,
        "checked": form.lists.get("symptoms", [])}, status=form.status)


@region_scoped
@shows(Category.NAMED, reaches_served=RECORDERS)
@require_GET
def subject_detail(request, pk: int):
    """One person's follow-up: the days of the period, each check, the tests to their results."""
    subject = selectors.subject_get(user=request.user, subject_id=pk)
    checks = selectors.subject_checks(subject)
    today = timezone.localdate()
    strip = selectors.day_strip(subject, checks, today)
    may_record = selectors.may_record(request.user, subject)
    link = None
    if may_record and subject.status == subject.Status.ACTIVE and subject.covers(today):
        url = request.build_absolute_uri(selfreport.link_path(subject, today))
        link = {"url": url, "qr": mark_safe(venue_qr_svg(url, title=_("Self-report link")))}  # noqa: S308 - segno's SVG of our URL
    return render(request, "followup/subject_detail.html", {
        "self_report": link,
        "subject": subject, "strip": strip, "checks": checks, "tests": selectors.subject_tests(subject),
        "today": today, "may_record": may_record, "source_url": source_of(subject.kind).url(subject.source_id),
        "may_open_case": may_record and can(request.user, "case.write", subject.region_id),
        "may_read_cases": may_read(request.user, Category.PSEUDONYMISED, subject.region_id)})


@region_scoped
@shows(Category.NAMED, reaches_served=RECORDERS)
@require_POST
def sample_record(request, pk: int):
    test = selectors.test_get(user=request.user, test_id=pk)
    form = PageForm(SampleInput, request)
    form.submit(services.sample_record, actor=request.user, test=test, request=request)
    if form.errors:
        messages.error(request, error_summary(form.errors))
    else:
        messages.success(request, _("Test recorded."))
    return redirect("followup:subject", pk=test.subject_id)


@region_scoped
@shows(Category.NAMED, reaches_served=RECORDERS)
@require_POST
def not_taken(request, pk: int):
    """A scheduled test not taken, with the reason."""
    test = selectors.test_get(user=request.user, test_id=pk)
    form = PageForm(NotTakenInput, request)
    form.submit(services.sample_not_taken, actor=request.user, test=test, request=request)
    if form.errors:
        messages.error(request, error_summary(form.errors))
    else:
        messages.success(request, _("Test recorded as not taken."))
    return redirect("followup:subject", pk=test.subject_id)


@region_scoped
@shows(Category.NAMED)
@require_POST
def suspected(request, pk: int):
    """Open a suspected case for a person with fever or symptoms (through the owning module's service)."""
    subject = selectors.subject_get(user=request.user, subject_id=pk)
    form = PageForm(SuspectedInput, request)
    case_no = form.submit(services.subject_to_suspected, actor=request.user, subject=subject, request=request)
    if case_no is not None:
        messages.success(request, _("Suspected case %(case)s opened; the contact's link is kept.") % {"case": case_no})
        return redirect("followup:subject", pk=subject.pk)
    messages.error(request, error_summary(form.errors))
    return redirect("followup:subject", pk=subject.pk)


@region_scoped
@shows(Category.NAMED)
@query_params(DayQuery)
@require_GET
def overdue(request):
    """What must reach the epidemiologist today: fever or symptoms, missed checks, overdue tests."""
    day, region = _day(request), request.params.get("region")
    return render(request, "followup/overdue.html", {
        "day": day, "region": region or "",
        "symptomatic": selectors.symptomatic_subjects(user=request.user, region=region),
        "missed": selectors.missed_checks(user=request.user, day=day, region=region),
        "tests": selectors.overdue_tests(user=request.user, day=day, region=region)})


REFUSED_STATUS = {"invalid": 404, "expired": 410, "closed": 410, "throttled": 429}
AFTERNOON = 14  # from this hour the personal form proposes the evening slot


def _self_refused(request, reason: str):
    services.self_report_refused(reason=reason, request=request)
    response = render(request, "followup/self_report.html", {"refused": reason},
                      status=REFUSED_STATUS[reason])
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@public
@require_http_methods(["GET", "POST"])
def self_report(request, token: str):
    """The person's own check through the personal link: one form for the person and the day the signed token
    names (``selfreport``), nothing else; the name shown as its first character."""
    if selfreport.address_throttled(request):
        return _self_refused(request, "throttled")
    try:
        opened = selfreport.token_open(token)
    except selfreport.TokenRefused as exc:
        return _self_refused(request, exc.reason)
    done = {c.slot: c for c in selectors.day_checks(opened.subject, opened.day)}
    open_slots = [slot for slot in SLOTS if slot not in done]
    proposed = (Slot.EVENING if timezone.localtime().hour >= AFTERNOON and Slot.EVENING in open_slots
                else (open_slots or [Slot.MORNING])[0])
    form = PageForm(SelfReportInput, request, initial={"slot": proposed})
    if form.bound:
        if selfreport.subject_throttled(opened):
            return _self_refused(request, "throttled")
        if form.submit(services.self_report_record, subject=opened.subject, day=opened.day,
                       request=request) is not None:
            return redirect(request.path)
    response = render(request, "followup/self_report.html", {
        "form": form, "hint": selfreport.name_hint(opened.subject), "day": opened.day,
        "day_number": opened.subject.day_number(opened.day), "done": [done[slot] for slot in SLOTS if slot in done],
        "slots": [(v, label) for v, label in Slot.choices if v in open_slots], "symptoms": Symptom.choices,
        "checked": form.lists.get("symptoms", [])}, status=form.status)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
