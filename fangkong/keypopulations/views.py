"""Pages of the key-populations module: read through the selectors, write through the services, input
through the action's schema (``inputs.py``, the same one the API and the imports use). The day shown is
the user's day (``fangkong.web.day``: on a training installation, the last day with data)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from fangkong import paging
from fangkong.accounts.access import can, memberships_of, region_scoped
from fangkong.accounts.need_to_know import Category, Reach, may_read, shows
from fangkong.accounts.roles import Capability
from fangkong.cases.jobs import import_job_submit
from fangkong.inputs import PageForm, error_messages, error_summary
from fangkong.persons.shown import person_shown
from fangkong.request_params import query_params
from fangkong.web.day import day_asked

from . import selectors, services
from .apps import MANAGE, TEST_RECORD
from .inputs import (
    IMPORT_KINDS,
    FrequencyInput,
    GroupAction,
    GroupInput,
    ImportInput,
    MemberInput,
    PositiveCaseInput,
    ResultInput,
)
from .models import KeyGroup, KeyTest, Population
from .params import DayQuery, EmployerQuery, OverdueQuery

#: The staff shown on a page of the employer's list.
EMPLOYER_PAGE = 100

#: The pages an enterprise contact uses: its own employers' groups and staff (``selectors.named_groups_q``).
OWN_STAFF = (Reach.REGION, Reach.OWN_ENTERPRISES)


def _rows(user, pairs):
    """(entry, shown person, compliance) for a template (``shown_member``)."""
    codes = selectors.employer_codes(user)
    return [(entry, shown_member(user, entry, codes), status) for entry, status in pairs]


def shown_member(user, entry, codes: list[str]):
    """The person of a roster entry as the reader may see it: region-wide, or as the contact of the group's
    employer (``Reach.OWN_ENTERPRISES``: only for a group of one of ``codes``, the reader's employers)."""
    shown = person_shown(user, entry.person, entry.group.region_id)
    if shown is None and entry.group.employer_code and entry.group.employer_code in codes:
        shown = person_shown(user, entry.person, entry.group.region_id, reach=Reach.OWN_ENTERPRISES)
    return shown


@region_scoped
@shows(Category.AGGREGATES)
@query_params(DayQuery)
@require_GET
def group_list(request):
    day = day_asked(request, "day")
    groups = list(selectors.group_list(user=request.user, day=day)[:200])
    return render(request, "keypopulations/group_list.html", {
        "groups": groups, "day": day, "flagged": selectors.flagged_groups([group.pk for group in groups], day),
        "may_manage": can(request.user, MANAGE), "may_read_named": may_read(request.user, Category.NAMED)})


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def group_new(request):
    if not can(request.user, MANAGE):
        raise PermissionDenied(_("Your role may not create key-population groups."))
    form = PageForm(GroupInput, request, initial={"region": next(iter(memberships_of(request.user)), ("",))[0]})
    if form.is_valid():
        try:
            group = services.group_create(actor=request.user, request=request, **form.data)
        except ValidationError as exc:
            form.add_errors(exc)
        else:
            messages.success(request, _("Group created."))
            return redirect("keypopulations:group-detail", group_id=group.pk)
    return render(request, "keypopulations/group_new.html", {"form": form, "populations": Population.choices},
                  status=form.status)


ACTIONS = {"member": (MemberInput, services.ROSTER), "test": (ResultInput, TEST_RECORD),
           "frequency": (FrequencyInput, MANAGE), "case": (PositiveCaseInput, Capability.CASE_WRITE)}


@region_scoped
@shows(Category.NAMED, reaches_served=OWN_STAFF)
@query_params(DayQuery)
@require_http_methods(["GET", "POST"])
def group_detail(request, group_id: int):
    """A group: its frequencies and the rules they cite, its members with their compliance, and the forms
    to add a member, record a test and change the frequency."""
    group = selectors.group_get(user=request.user, group_id=group_id, category=Category.NAMED)
    day = day_asked(request, "day")
    kind, refused = "", False
    if request.method == "POST":
        chosen = PageForm(GroupAction, request)
        if chosen.is_valid():
            kind = chosen.data["action"]
        else:  # a form the page does not have: said above the page, nothing changed
            refused = True
            messages.error(request, error_summary(chosen.errors))
    forms = {}
    for name, (schema, _capability) in ACTIONS.items():
        forms[name] = PageForm(schema, request if kind == name else _Unbound(request), initial={"group": group.pk})
    if kind in ACTIONS:
        schema, capability = ACTIONS[kind]
        if not services.may_keep(request.user, group, capability):
            raise PermissionDenied(_("Your role may not change this group."))
        form = forms[kind]
        if form.is_valid():
            data = {key: value for key, value in form.data.items() if key != "group"}
            try:
                if kind == "member":
                    services.member_add(actor=request.user, request=request, group=group.pk, **data)
                elif kind == "test":
                    services.result_record(actor=request.user, request=request, group=group.pk, **data)
                elif kind == "case":
                    if not KeyTest.objects.filter(pk=data["test"], group=group).exists():
                        raise ValidationError({"test": [_("No positive test with this number in this group.")]})
                    services.positive_to_case(actor=request.user, request=request, **data)
                else:
                    services.frequency_set(actor=request.user, request=request, group=group.pk, **data)
            except ValidationError as exc:
                form.add_errors(exc)
            else:
                messages.success(request, _("Saved."))
                return redirect("keypopulations:group-detail", group_id=group.pk)
    status = 400 if refused or any(form.errors for form in forms.values()) else 200
    region_wide = may_read(request.user, Category.NAMED, group.region_id)  # not only an employer's contact
    return render(request, "keypopulations/group_detail.html", {
        "group": group, "day": day, "frequencies": selectors.frequencies_of(group),
        "rows": _rows(request.user, selectors.roster_rows(user=request.user, group_id=group.pk, day=day)),
        # test results are health data: the health authority's, not the employer's (it sees due days only)
        "tests": selectors.tests_of(user=request.user, group_id=group.pk, limit=20) if region_wide else [],
        # a flag says a member tested positive: health data too, the region-wide readers' only
        "flags": selectors.flags_of(group, limit=20) if region_wide else [],
        "hide_results": not region_wide, "forms": forms,
        "may_manage": can(request.user, MANAGE, group.region_id),
        "may_roster": services.may_keep(request.user, group, services.ROSTER),
        "may_test": can(request.user, TEST_RECORD, group.region_id),
        "may_list_overdue": region_wide,
        "may_register_case": can(request.user, Capability.CASE_WRITE, group.region_id)}, status=status)


class _Unbound:
    """A GET-like request for the forms not posted (they show empty)."""

    method = "GET"

    def __init__(self, request):
        self.POST = {}


@region_scoped
@shows(Category.NAMED)
@query_params(OverdueQuery)
@require_GET
def overdue(request):
    """Persons overdue on the day, in the reader's groups, by group, employer, place or region."""
    day = day_asked(request, "day")
    params = request.params
    entries = list(selectors.overdue_entries(
        user=request.user, day=day, group=params.get("group"), employer=params.get("employer") or "",
        place=params.get("place"), region=params.get("region") or "")[:500])
    return render(request, "keypopulations/overdue.html", {
        "day": day, "rows": _rows(request.user, selectors.with_compliance(entries, day)),
        "filters": {key: params.get(key) or "" for key in ("group", "employer", "place", "region")}})


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def import_page(request):
    """Upload groups, a roster or a file of test results: it runs as one of the platform's import jobs, whose
    page (``cases:import-job``) shows the progress and every refused row; all rows or none."""
    if not (can(request.user, MANAGE) or can(request.user, TEST_RECORD)):
        raise PermissionDenied(_("Your role may not import rosters or tests."))
    kind, refused = "roster", ""
    if request.method == "POST":
        posted = request.POST.copy()
        posted.update(request.FILES)  # the form and its file, as DRF reads a multipart body
        submitted = ImportInput(data=posted)
        kind = posted.get("kind", kind)
        if not submitted.is_valid():
            refused = error_summary(error_messages(submitted.errors))
        else:
            try:
                job = import_job_submit(actor=request.user, request=request, upload=submitted.validated_data["file"],
                                        kind=IMPORT_KINDS[submitted.validated_data["kind"]])
            except ValidationError as exc:
                refused = error_summary(error_messages(exc))
            else:
                return redirect("cases:import-job", job_id=job.pk)
    return render(request, "keypopulations/import.html", {"kind": kind, "refused": refused},
                  status=400 if refused else 200)


@region_scoped
@shows(Category.NAMED, reaches_served=(Reach.OWN_ENTERPRISES,))  # the employer's page: its contact's only
@query_params(EmployerQuery)
@require_GET
def employer(request):
    """An employer's account: the compliance of its own staff (overdue first, paged), of one of its employers
    with ``?employer=`` (404 for an employer it does not act for), and nothing else."""
    day = day_asked(request, "day")
    codes = selectors.employer_codes(request.user)
    chosen = request.params.get("employer") or ""
    staff = selectors.employer_staff(user=request.user, day=day, employer=chosen)
    page = paging.page_of(staff, order=selectors.EMPLOYER_ORDER, size=request.params.get("limit") or EMPLOYER_PAGE,
                          cursor=request.params["cursor"])
    return render(request, "keypopulations/employer.html", {
        "day": day, "codes": codes, "chosen": chosen, "page": page,
        "rows": _rows(request.user, selectors.with_compliance(page.rows, day)),
        "groups": KeyGroup.objects.filter(pk__in=staff.values("group_id")).order_by("name", "id"),
        "overdue": staff.filter(due__lt=day).count()})
