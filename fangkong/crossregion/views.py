"""Pages of the cross-region requests: the sender's outgoing list, the receiver's inbox, the overdue list, a
request with its persons (acknowledge, outcome per person), and the form to send one. Reads through the selectors, writes through the services, input through each action's schema (``inputs.py``,
the same the API uses)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong import paging
from fangkong.accounts.access import can, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.inputs import PageForm
from fangkong.request_params import PageQuery, query_params

from . import selectors, services
from .apps import WRITE
from .inputs import LINE_FIELDS, OutcomeInput, RequestInput
from .models import OutcomeKind, PersonCategory, Urgency

PAGE_SIZE = 50


def _page(request, queryset, order) -> paging.Page:
    """A page of a list, read from the requests alone, then the regions of its rows."""
    page = paging.page_of(queryset, order=order, size=PAGE_SIZE, cursor=request.params.get("cursor"))
    selectors.with_regions(page.rows)
    return page


def _list(request, box: str, queryset, order=selectors.LIST_ORDER, **extra):
    return render(request, "crossregion/request_list.html", {
        "box": box, "page": _page(request, queryset, order), "may_write": can(request.user, WRITE), **extra})


@region_scoped
@shows(Category.PSEUDONYMISED)
@query_params(PageQuery)
@require_GET
def outgoing(request):
    return _list(request, "out", selectors.request_outgoing(user=request.user))


@region_scoped
@shows(Category.PSEUDONYMISED)
@query_params(PageQuery)
@require_GET
def inbox(request):
    return _list(request, "in", selectors.request_inbox(user=request.user))


@region_scoped
@shows(Category.PSEUDONYMISED)
@query_params(PageQuery)
@require_GET
def overdue(request):
    # The figures per city are the API's (``crossregion-figures``) and the dashboard panel's: reading the times
    # to quarantine of every person would cost the list its speed (docs/benchmarks.md).
    return _list(request, "overdue", selectors.request_overdue(user=request.user), selectors.OVERDUE_ORDER)


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def request_new(request):
    if not can(request.user, WRITE):
        raise PermissionDenied(_("Your role may not send investigation requests."))
    form = PageForm(RequestInput, request, initial={"sender_region": services.sending_region_of(request.user),
                                                    "urgency": Urgency.URGENT, "idempotency_key": uuid.uuid4().hex,
                                                    "source_case": request.GET.get("case_no", "")[:40]})
    sent = form.submit(services.request_send, actor=request.user, request=request)
    if sent is not None:
        req, created = sent
        messages.success(request, _("Request sent.") if created else _("This request was already sent."))
        return redirect("crossregion:detail", request_id=req.pk)
    return render(request, "crossregion/request_new.html", {
        "form": form, "urgencies": Urgency.choices, "categories": PersonCategory.choices,
        "line_fields": LINE_FIELDS}, status=form.status)


def _detail(request, req, *, outcome_form=None, outcome_person=None, status=200):
    return render(request, "crossregion/request_detail.html", {
        "req": req, "persons": selectors.request_persons(user=request.user, req=req),
        "may_respond": can(request.user, WRITE, req.receiver_region_id),
        "ack_overdue": req.ack_overdue(), "report_overdue": req.report_overdue(),
        "outcomes": [c for c in OutcomeKind.choices if c[0] != OutcomeKind.PENDING],
        "outcome_form": outcome_form, "outcome_person": outcome_person}, status=status)


@region_scoped
@shows(Category.PSEUDONYMISED)
@require_GET
def request_detail(request, request_id: int):
    return _detail(request, selectors.request_get(user=request.user, request_id=request_id))


@region_scoped
@shows(Category.NAMED)
@require_POST
def request_acknowledge(request, request_id: int):
    req = selectors.request_get(user=request.user, request_id=request_id)
    services.request_acknowledge(actor=request.user, req=req, request=request)
    messages.success(request, _("Request acknowledged."))
    return redirect("crossregion:detail", request_id=req.pk)


@region_scoped
@shows(Category.NAMED)
@require_POST
def person_outcome(request, request_id: int, person_id: int):
    req = selectors.request_get(user=request.user, request_id=request_id)
    if not can(request.user, WRITE, req.receiver_region_id):
        raise PermissionDenied(_("Only the receiving region may report on this request."))
    form = PageForm(OutcomeInput, request)
    if form.submit(services.person_outcome_record, actor=request.user, req=req, person_id=person_id,
                   request=request) is not None:
        messages.success(request, _("Outcome recorded."))
        return redirect("crossregion:detail", request_id=req.pk)
    return _detail(request, req, outcome_form=form, outcome_person=person_id, status=form.status)
