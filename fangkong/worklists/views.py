"""Pages of the worklists module: the personal inbox and the daily digest of a unit, the task list and the overdue list, a task with its
history (transitions, assignment), the problem list, the responsibility list per unit, and the forms to raise
a problem and create a task. Reads through the selectors, writes through the services, input through each
action's schema (``inputs.py``, the same the API uses)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong import paging
from fangkong.accounts.access import can, memberships_of, region_scoped
from fangkong.accounts.need_to_know import Category, endpoint_allows, shows, shows_of
from fangkong.inputs import PageForm
from fangkong.regions.codes import subtree_prefix
from fangkong.request_params import PageQuery, params_of, query_params

from . import selectors, services
from .apps import CALENDAR, MANUAL, WORK, WRITE
from .hours import sla, working_periods
from .inputs import (
    AssignInput,
    CalendarDayInput,
    CalendarQuery,
    ProblemInput,
    TaskInput,
    TaskListQuery,
    TaskTransitionInput,
)
from .models import CalendarDayKind, Severity, SlaClass, TaskEvent

PAGE_SIZE = 50
ORDER = ("deadline", "id")


def _home_region(user) -> str:
    return next(iter(memberships_of(user)), ("",))[0]


def _common(request, tab: str) -> dict:
    return {"tab": tab, "may_write": can(request.user, WRITE)}


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def inbox(request):
    return render(request, "worklists/inbox.html", {**_common(request, "inbox"),
                                                    "inbox": selectors.inbox(user=request.user),
                                                    "units": selectors.inbox_units(user=request.user)})


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def unit_digest(request, unit_id: int):
    return render(request, "worklists/digest.html", {
        **_common(request, "inbox"), "digest": selectors.unit_digest(user=request.user, unit_id=unit_id)})


def _tasks_page(request, tab: str, tasks):
    region = request.params.get("region")
    if region:
        tasks = tasks.filter(region__code__startswith=subtree_prefix(region))
    page = paging.page_of(tasks, order=ORDER, size=PAGE_SIZE, cursor=request.params.get("cursor"))
    return render(request, "worklists/task_list.html", {**_common(request, tab), "page": page, "region": region})


@region_scoped
@shows(Category.AGGREGATES)
@query_params(TaskListQuery)
@require_GET
def task_list(request):
    return _tasks_page(request, "tasks", selectors.task_list(user=request.user))


@region_scoped
@shows(Category.AGGREGATES)
@query_params(TaskListQuery)
@require_GET
def overdue(request):
    return _tasks_page(request, "overdue", selectors.overdue_list(user=request.user))


@region_scoped
@shows(Category.AGGREGATES)
@query_params(PageQuery)
@require_GET
def problem_list(request):
    page = paging.page_of(selectors.problem_list(user=request.user), order=("-found_at", "-id"), size=PAGE_SIZE,
                          cursor=request.params.get("cursor"))
    opens: dict = {}
    for problem in page.rows:  # a link to the source record only for a reader that record's page lets in
        problem.link_opens = bool(problem.link) and _opens(request.user, problem.link, opens)
    return render(request, "worklists/problem_list.html", {**_common(request, "problems"), "page": page})


def _opens(user, link: str, seen: dict) -> bool:
    try:
        view = resolve(link).func
    except Resolver404:
        return False
    if view not in seen:
        declared = shows_of(view, "GET")
        seen[view] = declared is not None and endpoint_allows(user, declared)
    return seen[view]


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def responsibility(request):
    return render(request, "worklists/responsibility.html", {
        **_common(request, "responsibility"), "rows": selectors.responsibility_list(user=request.user)})


def _detail(request, task, *, form=None, assign_form=None, status=200):
    return render(request, "worklists/task_detail.html", {
        **_common(request, "tasks"), "task": task, "history": selectors.task_history(task),
        "overdue": task.overdue(), "may_verify": can(request.user, WRITE, task.region_id),
        "may_close": can(request.user, WRITE, task.region_id)
        and request.user.pk not in (task.owner_id, task.submitted_by_id),
        "is_owner": services.is_owner(request.user, task) and can(request.user, WORK),
        "form": form, "assign_form": assign_form,
        "units": selectors.unit_list(user=request.user).filter(region__code__startswith=task.region.prefix),
        "Kind": TaskEvent.Kind}, status=status)


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def task_detail(request, task_id: int):
    return _detail(request, selectors.task_get(user=request.user, task_id=task_id))


def _task_action(request, task_id: int, schema, service, done: str, form_name: str):
    """A form posted on the task page: the schema, then the service; back to the task, or the page with errors."""
    task = selectors.task_get(user=request.user, task_id=task_id)
    form = PageForm(schema, request)
    if form.is_valid():
        try:
            service(actor=request.user, task_id=task.pk, request=request, **form.data)
        except ValidationError as exc:
            form.add_errors(exc)
        else:
            messages.success(request, done)
            return redirect("worklists:task-detail", task_id=task.pk)
    return _detail(request, selectors.task_get(user=request.user, task_id=task_id), status=form.status,
                   **{form_name: form})


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def task_transition(request, task_id: int):
    return _task_action(request, task_id, TaskTransitionInput, services.task_transition, _("Task updated."), "form")


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def task_assign(request, task_id: int):
    return _task_action(request, task_id, AssignInput, services.task_assign, _("Task assigned."), "assign_form")


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def task_new(request):
    if not can(request.user, WRITE):
        raise PermissionDenied(_("Your role may not create tasks."))
    form = PageForm(TaskInput, request, initial={"region": _home_region(request.user), "sla_class": SlaClass.URGENT,
                                                 "problem": request.GET.get("problem", "")[:12]})
    if form.is_valid():
        try:
            task = services.task_create(actor=request.user, request=request, **form.data)
        except ValidationError as exc:
            form.add_errors(exc)
        else:
            messages.success(request, _("Task created."))
            return redirect("worklists:task-detail", task_id=task.pk)
    return render(request, "worklists/task_new.html", {
        **_common(request, "new-task"), "form": form, "sla_classes": SlaClass.choices,
        "units": selectors.unit_list(user=request.user)[:500]}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def problem_new(request):
    if not can(request.user, WRITE):
        raise PermissionDenied(_("Your role may not raise problems."))
    form = PageForm(ProblemInput, request, initial={"region": _home_region(request.user),
                                                    "severity": Severity.MODERATE, "source_key": uuid.uuid4().hex})
    if form.is_valid():
        try:
            problem, created = services.problem_raise(actor=request.user, source=MANUAL, request=request,
                                                      **form.data)
        except ValidationError as exc:
            form.add_errors(exc)
        else:
            messages.success(request, _("Problem raised; a task was created for the region's command.") if created
                             else _("This problem was already raised."))
            return redirect("worklists:problems")
    return render(request, "worklists/problem_new.html", {
        **_common(request, "new-problem"), "form": form, "severities": Severity.choices}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@query_params(CalendarQuery)
@require_http_methods(["GET", "POST"])
def calendar(request):
    """The working calendar of deadlines: the year's holidays and weekend days worked, the working periods and
    the time each class allows; the provincial commander keeps it (``worklists.calendar``)."""
    may_keep = can(request.user, CALENDAR)
    if request.method == "POST" and not may_keep:
        raise PermissionDenied(_("Your role may not keep the working calendar."))
    year = params_of(request).get("year") or timezone.localdate().year
    form = PageForm(CalendarDayInput, request, initial={"counts_as": CalendarDayKind.HOLIDAY})
    if form.is_valid():
        try:
            services.calendar_day_set(actor=request.user, request=request, **form.data)
        except ValidationError as exc:
            form.add_errors(exc)
        else:
            messages.success(request, _("The working calendar was changed; deadlines already set stay as they were."))
            return redirect(f"{reverse('worklists:calendar')}?year={form.data['day'].year}")
    return render(request, "worklists/calendar.html", {
        **_common(request, "calendar"), "form": form, "may_keep": may_keep, "year": year,
        "days": selectors.calendar_days(year=year), "kinds": CalendarDayKind.choices, "periods": working_periods(),
        "classes": [(label, _hours(sla(value).allowed), sla(value).round_the_clock) for value, label in SlaClass.choices],
    }, status=form.status)


def _hours(span) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g}"
