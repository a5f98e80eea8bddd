"""Pages of the enterprises module: read through the selectors, write through the services, input through the
action's schema (``inputs.py``, the same one the API and the import use).

The enterprise pages show contact persons (named data): officials read their regions', an enterprise
contact its own enterprises' only (``Reach.OWN_ENTERPRISES``). The lockdown and resumption tables are
aggregates of the reader's regions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong.accounts.access import can, memberships_of, region_scoped
from fangkong.accounts.need_to_know import Category, Reach, shows
from fangkong.inputs import PageForm
from fangkong.request_params import params_of, query_params
from fangkong.web.day import chosen_day
from fangkong.worklists.models import Unit

from . import selectors, services
from .apps import PLAN_APPROVE, PLAN_SUBMIT, REGISTER, TICKET_ANSWER, TICKET_SUBMIT
from .inputs import (
    EnterpriseInput,
    LinkInput,
    PlanDecisionInput,
    PlanInput,
    StatusInput,
    TicketActionInput,
    TicketInput,
)
from .models import OperatingState, Sector, Size, TicketKind
from .params import DayQuery, EnterpriseQuery, LockdownQuery, TicketQuery

OWN = (Reach.REGION, Reach.OWN_ENTERPRISES)  # officials in their regions, a contact for its own enterprises


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@query_params(EnterpriseQuery)
@require_GET
def enterprise_list(request):
    params = params_of(request)
    rows = selectors.enterprise_list(user=request.user, sector=params.get("sector") or "", q=params.get("q") or "")
    return render(request, "enterprises/enterprise_list.html",
                  {"enterprises": rows[:200], "may_register": can(request.user, REGISTER), "sectors": Sector.choices,
                   "filters": {"sector": params.get("sector") or "", "q": params.get("q") or ""}})


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def enterprise_new(request):
    if not can(request.user, REGISTER):
        raise PermissionDenied(_("Your role may not register enterprises."))
    form = PageForm(EnterpriseInput, request, initial={"region": next(iter(memberships_of(request.user)), ("",))[0]})
    enterprise = form.submit(services.enterprise_register, actor=request.user, request=request)
    if enterprise is not None:
        messages.success(request, _("Enterprise registered."))
        return redirect("enterprises:enterprise-detail", enterprise_id=enterprise.pk)
    return render(request, "enterprises/enterprise_new.html",
                  {"form": form, "sectors": Sector.choices, "sizes": Size.choices}, status=form.status)


def _units_for(enterprise):
    """The departments a ticket of ``enterprise`` may be routed to: its region's and above."""
    from fangkong.regions.codes import ancestor_codes

    return Unit.objects.filter(region_id__in={*ancestor_codes(enterprise.region_id), enterprise.region_id},
                               active=True).order_by("region_id", "name")


def _detail(request, enterprise, *, plan_form=None, ticket_form=None, status_form=None, status=200):
    user = request.user
    suppliers, customers = selectors.link_list(user=user, enterprise=enterprise)
    return render(request, "enterprises/enterprise_detail.html", {
        "enterprise": enterprise, "contacts": enterprise.contacts.all(),
        "places": enterprise.places.all(), "in_force": selectors.plan_in_force(enterprise),
        "plans": enterprise.plans.select_related("submitted_by", "decided_by"),
        "tickets": enterprise.tickets.select_related("unit")[:50], "suppliers": suppliers, "customers": customers,
        "statuses": enterprise.statuses.all()[:14],
        "may_submit": can(user, PLAN_SUBMIT, enterprise.region_id),
        "may_ask": can(user, TICKET_SUBMIT, enterprise.region_id),
        "may_approve": services.is_county_approver(user, enterprise.county_id),
        "units": _units_for(enterprise), "kinds": TicketKind.choices, "states": OperatingState.choices,
        "plan_form": plan_form or PageForm(PlanInput, request, initial={"enterprise": enterprise.pk}),
        "ticket_form": ticket_form or PageForm(TicketInput, request, initial={"enterprise": enterprise.pk}),
        "status_form": status_form or PageForm(StatusInput, request, initial={
            "enterprise": enterprise.pk, "day": timezone.localdate()}),
    }, status=status)


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_GET
def enterprise_detail(request, enterprise_id: int):
    return _detail(request, selectors.enterprise_get(user=request.user, enterprise_id=enterprise_id))


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_POST
def plan_new(request, enterprise_id: int):
    return _enterprise_action(request, enterprise_id, PlanInput, services.plan_submit, "plan_form",
                              lambda plan: _("Plan version %(version)s submitted for approval.")
                              % {"version": plan.version})


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_POST
def plan_decide(request, plan_id: int):
    plan = selectors.plan_get(user=request.user, plan_id=plan_id)
    if not can(request.user, PLAN_APPROVE):
        raise PermissionDenied(_("Only an official of the enterprise's county approves its plans."))
    form = PageForm(PlanDecisionInput, request)
    decided = form.submit(services.plan_decide, actor=request.user, request=request, plan_id=plan.pk)
    if decided is not None:
        messages.success(request, _("Plan version %(version)s: %(state)s.")
                         % {"version": decided.version, "state": decided.get_state_display()})
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect("enterprises:enterprise-detail", enterprise_id=plan.enterprise_id)


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_POST
def ticket_new(request, enterprise_id: int):
    return _enterprise_action(request, enterprise_id, TicketInput, services.ticket_submit, "ticket_form",
                              lambda _ticket: _("Support ticket submitted."),
                              lambda ticket: redirect("enterprises:ticket-detail", ticket_id=ticket.pk))


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_POST
def status_new(request, enterprise_id: int):
    return _enterprise_action(request, enterprise_id, StatusInput, services.status_record, "status_form",
                              lambda _row: _("Operating status recorded."))


def _enterprise_action(request, enterprise_id: int, schema, service, form_name: str, done, to=None):
    """A form posted on an enterprise's page: the enterprise read in scope (404 outside), the action's schema
    then its service; done → the message ``done(result)`` and ``to(result)`` (the enterprise's page by
    default), refused → the page again with this form's errors."""
    enterprise = selectors.enterprise_get(user=request.user, enterprise_id=enterprise_id)
    form = PageForm(schema, request)
    result = form.submit(service, actor=request.user, request=request, enterprise=enterprise.pk)
    if result is None:
        return _detail(request, enterprise, status=form.status, **{form_name: form})
    messages.success(request, done(result))
    return to(result) if to else redirect("enterprises:enterprise-detail", enterprise_id=enterprise.pk)


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@query_params(TicketQuery)
@require_GET
def ticket_list(request):
    params = params_of(request)
    return render(request, "enterprises/ticket_list.html", {
        "tickets": selectors.ticket_list(user=request.user, state=params.get("state") or "",
                                         unit=params.get("unit"))[:200],
        "departments": selectors.answer_times(user=request.user), "now": timezone.now()})


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_http_methods(["GET", "POST"])
def ticket_detail(request, ticket_id: int):
    ticket = selectors.ticket_get(user=request.user, ticket_id=ticket_id)
    form = PageForm(TicketActionInput, request)
    done = form.submit(services.ticket_step, actor=request.user, request=request, ticket_id=ticket.pk)
    if done is not None:
        messages.success(request, _("Ticket updated."))
        return redirect("enterprises:ticket-detail", ticket_id=ticket.pk)
    return render(request, "enterprises/ticket_detail.html", {
        "ticket": ticket, "form": form, "may_answer": can(request.user, TICKET_ANSWER, ticket.unit.region_id),
        "may_close": can(request.user, TICKET_SUBMIT, ticket.enterprise.region_id)}, status=form.status)


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def link_new(request):
    if not can(request.user, REGISTER):
        raise PermissionDenied(_("Your role may not record supply links."))
    form = PageForm(LinkInput, request)
    link = form.submit(services.link_add, actor=request.user, request=request)
    if link is not None:
        messages.success(request, _("Supply link recorded."))
        return redirect("enterprises:enterprise-detail", enterprise_id=link.supplier_id)
    return render(request, "enterprises/link_new.html", {"form": form}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@query_params(LockdownQuery)
@require_GET
def lockdown(request):
    params = params_of(request)
    hit = None
    if params.get("region") or params.get("place"):
        hit = selectors.lockdown_hit(user=request.user, region=params.get("region"), place=params.get("place"))
    return render(request, "enterprises/lockdown.html",
                  {"hit": hit, "filters": {"region": params.get("region") or "", "place": params.get("place") or ""}})


@region_scoped
@shows(Category.AGGREGATES)
@query_params(DayQuery)
@require_GET
def resumption(request):
    """The resumption table on the day asked, else on the user's day (``fangkong.web.day``), as the panel."""
    day = params_of(request).get("day") or chosen_day(request)
    return render(request, "enterprises/resumption.html",
                  {"day": day, "rows": selectors.resumption_table(user=request.user, day=day),
                   "states": OperatingState.choices, "sectors": dict(Sector.choices)})
