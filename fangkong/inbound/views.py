"""Pages of the inbound module: the port officer's arrival screen (phone and desk), the receiver's inbox with
one-click acknowledgement, one traveller's loop, a hand-off's reconciliation and the break list. Reads go
through the selectors, writes through the services, input through the action's schema (``inputs.py``,
the same one the API and the manifest import use). Every page names persons, so it shows named data."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong import paging
from fangkong.accounts.access import can, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.inputs import NON_FIELD, PageForm, error_messages
from fangkong.locking import StaleEditError
from fangkong.request_params import PageQuery, query_params
from fangkong.table_files import TableLimits, TableRejected, read_table

from . import selectors, services
from .apps import MANAGE
from .inputs import (
    AnswerInput,
    ArrivalInput,
    BreakCloseInput,
    HandoffInput,
    ManifestInput,
    StepInput,
    traveller_rows,
)
from .models import Status

MANIFEST_LIMITS = TableLimits(max_bytes=20 * 1024 * 1024, max_rows=20_000, max_columns=16)
#: Column headers of a manifest file, Chinese or code.
MANIFEST_COLUMNS = {"姓名": "name", "证件类型": "id_kind", "证件号码": "id_number", "目的地": "destination",
                    "性别": "sex", "出生日期": "birth_date", "国籍": "nationality", "地址": "address_text"}


def _shown(user, traveller, *also: str, levels: dict | None = None):
    return selectors.traveller_shown(user, traveller, *also, levels=levels)


def _capped(rows) -> str:
    """How many rows, counted up to ``paging.COUNT_CAP`` ("1000+" beyond: a province's list is not counted)."""
    n, capped = paging.capped_count(rows)
    return f"{n}+" if capped else str(n)


def _require_manage(user):
    if not can(user, MANAGE):
        raise PermissionDenied(_("Your role may not manage inbound travellers."))


def _ids(objects_of, user, ids: list[int]):
    rows = list(objects_of(user=user).filter(pk__in=ids))
    if len(rows) != len(set(ids)):
        raise Http404("not found")
    return rows


@region_scoped
@shows(Category.NAMED)
@require_GET
def arrivals(request, slug: str | None = None):
    """The port officer's screen: pick a port, see who is declared and who arrived, confirm, hand over."""
    ports = list(selectors.port_list(user=request.user))
    slug = slug or request.GET.get("port", "")[:32]  # the port picker's form (no script: the CSP forbids inline)
    chosen = selectors.port_get(user=request.user, code=slug) if slug else selectors.default_port(user=request.user,
                                                                                                  ports=ports)
    rows = list(selectors.arrivals(user=request.user, port=chosen)[:200]) if chosen else []
    levels: dict = {}
    return render(request, "inbound/arrivals.html", {
        "ports": ports, "port": chosen, "may_manage": can(request.user, MANAGE),
        "rows": [(t, _shown(request.user, t, levels=levels)) for t in rows], "now": timezone.localtime(),
        "handoff": PageForm(HandoffInput, request), "arrival": PageForm(ArrivalInput, request),
        "breaks_open": _capped(selectors.break_list(user=request.user)),
        "inbox_count": _capped(selectors.inbox(user=request.user)),
    })


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def manifest_import_page(request):
    """Import a manifest file (CSV or XLSX): every row through ``TravellerRow``, all or nothing."""
    _require_manage(request.user)
    form = PageForm(ManifestInput, request)
    result, row_errors = None, []
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            form.errors.setdefault("file", []).append(_("Choose a CSV or XLSX file."))
        if form.is_valid() and upload is not None:
            try:
                table = read_table(upload, upload.name, MANIFEST_LIMITS)
            except TableRejected as exc:
                form.errors.setdefault("file", []).append(str(exc))
            else:
                rows, row_errors = manifest_rows(table)
                try:
                    result = services.manifest_import(actor=request.user, request=request, rows=rows,
                                                      row_errors=row_errors, **form.data)
                except ValidationError as exc:
                    form.add_errors(exc)
                else:
                    row_errors = result.errors
                    if result.manifest is not None:
                        messages.success(request, _("%(created)d travellers added, %(already)d already on the "
                                                    "manifest.") % {"created": result.created,
                                                                    "already": result.already})
                        return redirect("inbound:port-arrivals", slug=result.manifest.port.code)
    status = 400 if form.errors or row_errors else 200
    return render(request, "inbound/manifest_import.html",
                  {"form": form, "row_errors": row_errors[:200], "ports": selectors.port_list(user=request.user),
                   "columns": MANIFEST_COLUMNS}, status=status)


def manifest_rows(table) -> tuple[list[dict], list[dict]]:
    """The rows of a manifest file (headers in Chinese or as codes) through ``TravellerRow``
    (``inputs.traveller_rows``, as the API's travellers): the valid rows and the errors by row and column."""
    return traveller_rows(({MANIFEST_COLUMNS.get(key, key): value for key, value in row.items()} for row in table),
                          first=2)


@region_scoped
@shows(Category.NAMED)
@require_POST
def arrive(request):
    _require_manage(request.user)
    form = PageForm(ArrivalInput, request)
    port = request.POST.get("port", "")
    travellers: list = []

    def arrive(**data):
        travellers.extend(_ids(selectors.traveller_list, request.user, data["travellers"]))
        return services.travellers_arrive(actor=request.user, travellers=travellers, at=data["arrived_at"],
                                          request=request)

    count = form.submit(arrive)
    if count is not None:
        messages.success(request, _("Arrival confirmed for %(count)d travellers.") % {"count": count})
        return redirect("inbound:port-arrivals", slug=travellers[0].port.code)
    for field, errors in form.errors.items():
        for message in errors:
            messages.error(request, f"{field}: {message}" if field != "__all__" else message)
    return redirect("inbound:port-arrivals", slug=port) if port else redirect("inbound:arrivals")


@region_scoped
@shows(Category.NAMED)
@require_POST
def handoff_new(request):
    _require_manage(request.user)
    form = PageForm(HandoffInput, request)
    batch = form.submit(lambda travellers, **data: services.handoff_send(
        actor=request.user, travellers=_ids(selectors.traveller_list, request.user, travellers), request=request,
        **data))
    if batch is not None:
        messages.success(request, _("Hand-off sent; the receiver has been asked to acknowledge."))
        return redirect("inbound:batch-detail", pk=batch.pk)
    for field, errors in form.errors.items():
        for message in errors:
            messages.error(request, f"{field}: {message}" if field != "__all__" else message)
    return redirect("inbound:arrivals")


@region_scoped
@shows(Category.NAMED)
@query_params(PageQuery)
@require_GET
def inbox(request):
    """The receiver's inbox: incoming hand-offs by batch, each acknowledged with one click; a page at a time."""
    page = selectors.inbox_page(user=request.user, cursor=request.params["cursor"])
    batches: dict[int, dict] = {}
    may_of: dict[tuple[str, str], bool] = {}  # by sender and receiver: the same answer for every row
    levels: dict = {}
    for handoff in page.rows:
        entry = batches.setdefault(handoff.batch_id, {"batch": handoff.batch, "rows": [], "may": False})
        pair = (handoff.sender_region_id, handoff.receiver_region_id)
        if pair not in may_of:
            may_of[pair] = services.may_answer(request.user, handoff)
        shown = _shown(request.user, handoff.traveller, handoff.receiver_region_id, levels=levels)
        entry["rows"].append((handoff, shown, may_of[pair]))
        entry["may"] = entry["may"] or may_of[pair]
    return render(request, "inbound/inbox.html", {"batches": list(batches.values()), "now": timezone.now(),
                                                  "page": page})


@region_scoped
@shows(Category.NAMED)
@require_POST
def answer(request):
    _require_manage(request.user)
    form = PageForm(AnswerInput, request)
    count = form.submit(lambda handoffs, accept, reason="", **_rest: services.handoffs_answer(
        actor=request.user, handoffs=_ids(selectors.handoff_list, request.user, handoffs), accept=accept,
        reason=reason, request=request))
    if count is not None:
        messages.success(request, _("%(count)d hand-offs answered.") % {"count": count})
        return redirect("inbound:inbox")
    for field, errors in form.errors.items():
        for message in errors:
            messages.error(request, f"{field}: {message}" if field != "__all__" else message)
    return redirect("inbound:inbox")


@region_scoped
@shows(Category.NAMED)
@require_GET
def batch_detail(request, pk: int):
    batch = selectors.batch_get(user=request.user, batch_id=pk)
    handoffs = [(h, _shown(request.user, h.traveller, h.receiver_region_id, h.sender_region_id))
                for h in batch.handoffs.select_related("traveller")]
    return render(request, "inbound/batch_detail.html", {"batch": batch, "handoffs": handoffs,
                                                         "figures": selectors.batch_reconciliation(batch)})


@region_scoped
@shows(Category.NAMED)
@require_GET
def traveller_detail(request, pk: int):
    """One traveller's loop: each step with who and when, the period and the days remaining."""
    traveller = selectors.traveller_get(user=request.user, traveller_id=pk)
    today = timezone.localdate()
    remaining = (traveller.release_due - today).days if traveller.release_due else None
    central_left = (traveller.centralised_until - today).days + 1 if traveller.centralised_until else None
    return render(request, "inbound/traveller_detail.html", {
        "t": traveller, "shown": _shown(request.user, traveller), "steps": selectors.traveller_steps(traveller),
        "handoffs": traveller.handoffs.select_related("batch", "sender_region", "receiver_region"),
        "breaks": traveller.breaks.all(), "remaining": remaining, "central_left": central_left,
        "may_step": can(request.user, MANAGE, traveller.holder_id) and traveller.status in (
            Status.HANDED_OVER, Status.CENTRAL_QUARANTINE, Status.HOME_MONITORING, Status.ARRIVED, Status.DECLARED),
        "step": PageForm(StepInput, request), "Status": Status, "followed_up": services.FOLLOWED_UP})


@region_scoped
@shows(Category.NAMED)
@require_POST
def traveller_step_page(request, pk: int):
    traveller = selectors.traveller_get(user=request.user, traveller_id=pk)
    form = PageForm(StepInput, request)
    if form.submit(lambda status, at=None, note="", expected_version=None, **_rest: services.traveller_step(
            actor=request.user, traveller=traveller, request=request, status=status, at=at, note=note,
            expected_version=expected_version), refusals={StaleEditError: NON_FIELD}) is not None:
        messages.success(request, _("Step recorded."))
        return redirect("inbound:traveller-detail", pk=traveller.pk)
    for field, errors in form.errors.items():
        for message in errors:
            messages.error(request, f"{field}: {message}" if field != "__all__" else message)
    return redirect("inbound:traveller-detail", pk=traveller.pk)


@region_scoped
@shows(Category.NAMED)
@query_params(PageQuery)
@require_GET
def break_list(request):
    """Open breaks of both sides, the oldest first; each closed with what was done."""
    page = selectors.break_page(user=request.user, cursor=request.params["cursor"])
    levels: dict = {}
    return render(request, "inbound/break_list.html", {
        "rows": [(b, _shown(request.user, b.traveller, b.receiver_region_id, b.sender_region_id, levels=levels))
                 for b in page.rows],
        "page": page, "may_manage": can(request.user, MANAGE)})


@region_scoped
@shows(Category.NAMED)
@require_POST
def break_close_page(request, pk: int):
    loop_break = selectors.break_get(user=request.user, break_id=pk)
    form = PageForm(BreakCloseInput, request)
    if form.submit(services.break_close, actor=request.user, loop_break=loop_break, request=request) is not None:
        messages.success(request, _("Break closed."))
        return redirect("inbound:break-list")
    for message in error_messages(form.errors).get("resolution", []) + form.non_field_errors:
        messages.error(request, message)
    return redirect("inbound:break-list")

