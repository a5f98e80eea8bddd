"""Pages of the resources module: read through the selectors, write through the services, input through the
action's schema (``inputs.py``, the same one the API uses).

The overview (sites, rooms per 10,000 residents, beds, stock, requisitions, the forecast) shows aggregates;
a site's page is the manager's screen (occupancy, arrivals and departures today, who is in) and names
persons only to a reader of them (``selectors.assignment_list``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong import paging
from fangkong.accounts.access import can, memberships_of, region_scoped
from fangkong.accounts.need_to_know import Category, Reach, shows
from fangkong.inputs import PageForm, error_summary
from fangkong.locking import StaleEditError
from fangkong.protocols.models import ProtocolVersion
from fangkong.request_params import params_of, query_params
from fangkong.web.day import chosen_day, day_asked

from . import forecast, selectors, services
from .apps import MANAGE
from .inputs import (
    ApproveInput,
    BedCensusInput,
    CheckInInput,
    CheckOutInput,
    ForecastQuery,
    HospitalInput,
    RequisitionInput,
    RequisitionStepChoice,
    RequisitionStepInput,
    RoomListQuery,
    RoomsInput,
    RoomStateInput,
    RosterInput,
    SiteInput,
    SiteManagerInput,
    SitePageQuery,
    StockMovementInput,
    StoreInput,
    TeamInput,
    TransferInput,
)
from .models import BedType, Item, QuarantineSite, Room, StaffSkill

STALE = {StaleEditError: "__all__"}
SITE_PAGE = (Reach.REGION, Reach.ASSIGNED_SITES)
#: Rows of a site's lists (who is in, the rooms) per page.
PAGE_SIZE = 100


def _home_region(user) -> str:
    return next(iter(memberships_of(user)), ("",))[0]


def _refused(request, form, target: str, **kwargs):
    messages.error(request, error_summary(form.errors))
    return redirect(target, **kwargs)


@region_scoped
@shows(Category.AGGREGATES)
@query_params(ForecastQuery)
@require_GET
def overview(request):
    user = request.user
    params = params_of(request)
    day = day_asked(request, "date")
    protocol = ProtocolVersion.objects.filter(code=params.get("protocol")).first() if params.get("protocol") else None
    rt = params.get("rt")
    lines = forecast.forecast_table(user=user, day=day, protocol=protocol, rt=rt)
    return render(request, "resources/overview.html", {
        "day": day, "protocol": protocol, "rt": rt, "protocols": ProtocolVersion.objects.all(),
        "horizon": forecast.HORIZON_DAYS, "warning_days": forecast.WARNING_DAYS,
        "standard": forecast.ROOMS_PER_10K_STANDARD,
        "sites": selectors.site_list(user=user)[:200],
        "norms": forecast.room_norms(user=user),
        "hospitals": forecast.bed_summary(user=user),
        "stock": selectors.stock_list(user=user).order_by("store__region_id", "store__name", "item")[:200],
        "stores": selectors.store_list(user=user)[:100],
        "requisitions": selectors.requisition_list(user=user)[:50],
        "forecast": lines, "warnings": [line for line in lines if line.warning],
        "planned": forecast.planned_table(user=user, day=day),
        "may_manage": can(user, MANAGE), "items": Item.choices, "kinds": QuarantineSite.Kind.choices,
        "home_region": _home_region(user),
    })


# --- sites -----------------------------------------------------------------------------------------------------


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def site_new(request):
    if not can(request.user, MANAGE):
        raise PermissionDenied(_("Your role may not record quarantine sites."))
    form = PageForm(SiteInput, request, initial={"region": _home_region(request.user), "kind": "hotel"})
    site = form.submit(services.site_create, actor=request.user, request=request)
    if site is not None:
        messages.success(request, _("Quarantine site recorded."))
        return redirect("resources:site", site_id=site.pk)
    return render(request, "resources/form.html", {"form": form, "title": _("Record a quarantine site"),
                                                   "fields": ("region", "name", "kind", "address"),
                                                   "choices": {"kind": QuarantineSite.Kind.choices}},
                  status=form.status)


@region_scoped
@shows(Category.AGGREGATES, reaches_served=SITE_PAGE)
@query_params(SitePageQuery)
@require_GET
def site_detail(request, site_id: int):
    """The manager's screen: the board, who is in (``PAGE_SIZE`` a page, by room) and the check-in; the rooms and
    their states on pages of their own (``room_list``)."""
    site = selectors.site_get(user=request.user, site_id=site_id)
    board = selectors.site_board(user=request.user, site=site, day=day_asked(request, "date"))
    present = paging.page_of(selectors.present_list(user=request.user, site=site), order=("room_number",),
                             size=PAGE_SIZE, cursor=request.params["cursor"])
    rooms = selectors.room_list(user=request.user, site=site)
    return render(request, "resources/site.html", {
        "site": site, "board": board, "present": present,
        "free_rooms": rooms.filter(state__in=(Room.State.AVAILABLE, Room.State.RESERVED)).order_by("number")[:1000],
        "may_assign": services.may_assign(request.user, site),
        "may_manage": can(request.user, MANAGE, site.region_id), "room_kinds": Room.Kind.choices,
    })


@region_scoped
@shows(Category.AGGREGATES, reaches_served=SITE_PAGE)
@query_params(RoomListQuery)
@require_GET
def room_list(request, site_id: int):
    """A site's rooms with their states, ``PAGE_SIZE`` a page by number, and the change of a room's state."""
    site = selectors.site_get(user=request.user, site_id=site_id)
    rooms = paging.page_of(selectors.room_list(user=request.user, site=site), order=("number",), size=PAGE_SIZE,
                           cursor=request.params["cursor"])
    return render(request, "resources/rooms.html", {
        "site": site, "rooms": rooms, "may_assign": services.may_assign(request.user, site),
        "states": services.MANUAL_STATES})


def _site_for_assign(request, site_id: int) -> QuarantineSite:
    site = selectors.site_get(user=request.user, site_id=site_id)
    if not services.may_assign(request.user, site):
        raise PermissionDenied(_("You may not check persons in or out at this site."))
    return site


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def site_manager_add(request, site_id: int):
    site = selectors.site_get(user=request.user, site_id=site_id)
    form = PageForm(SiteManagerInput, request)
    if form.submit(services.site_manager_add, actor=request.user, site=site, request=request) is None:
        return _refused(request, form, "resources:site", site_id=site.pk)
    messages.success(request, _("Manager added."))
    return redirect("resources:site", site_id=site.pk)


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def rooms_add(request, site_id: int):
    site = selectors.site_get(user=request.user, site_id=site_id)
    form = PageForm(RoomsInput, request)
    added = form.submit(services.rooms_add, actor=request.user, site=site, request=request)
    if added is None:
        return _refused(request, form, "resources:site", site_id=site.pk)
    messages.success(request, _("%(n)d rooms added.") % {"n": added})
    return redirect("resources:site", site_id=site.pk)


@region_scoped
@shows(Category.AGGREGATES, reaches_served=SITE_PAGE)
@require_POST
def room_state(request, room_id: int):
    room = selectors.room_get(user=request.user, room_id=room_id)
    form = PageForm(RoomStateInput, request)
    if form.submit(services.room_state_set, refusals=STALE, actor=request.user, room_id=room.pk,
                   request=request) is None:
        return _refused(request, form, "resources:room-list", site_id=room.site_id)
    return redirect("resources:room-list", site_id=room.site_id)


@region_scoped
@shows(Category.NAMED, reaches_served=SITE_PAGE)
@require_POST
def check_in(request, site_id: int):
    site = _site_for_assign(request, site_id)
    form = PageForm(CheckInInput, request)
    if form.is_valid() and not selectors.room_list(user=request.user, site=site).filter(
            pk=form.data["room_id"]).exists():
        raise PermissionDenied(_("This room is not at this site."))
    if form.submit(services.check_in, actor=request.user, request=request) is None:
        return _refused(request, form, "resources:site", site_id=site.pk)
    messages.success(request, _("Checked in."))
    return redirect("resources:site", site_id=site.pk)


@region_scoped
@shows(Category.NAMED, reaches_served=SITE_PAGE)
@require_POST
def check_out(request, assignment_id: int):
    assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    form = PageForm(CheckOutInput, request)
    if form.submit(services.check_out, refusals=STALE, actor=request.user, assignment_id=assignment.pk,
                   request=request) is None:
        return _refused(request, form, "resources:site", site_id=assignment.site_id)
    messages.success(request, _("Checked out."))
    return redirect("resources:site", site_id=assignment.site_id)


@region_scoped
@shows(Category.NAMED, reaches_served=SITE_PAGE)
@require_http_methods(["GET", "POST"])
def transfer(request, assignment_id: int):
    """A person's move to another room: the free rooms of the site to choose from (GET), the move (POST). Its
    own page: a choice of rooms on every row of the site's list made 1,000-room sites' pages megabytes long."""
    assignment = selectors.assignment_get(user=request.user, assignment_id=assignment_id)
    if request.method == "GET":
        if not services.may_assign(request.user, assignment.site):
            raise PermissionDenied(_("You may not check persons in or out at this site."))
        free = selectors.room_list(user=request.user, site=assignment.site).filter(
            state__in=(Room.State.AVAILABLE, Room.State.RESERVED))
        return render(request, "resources/transfer.html", {"assignment": assignment, "free_rooms": free[:1000]})
    form = PageForm(TransferInput, request)
    if form.is_valid() and not Room.objects.filter(selectors.site_q(request.user, "site_id"),
                                                   pk=form.data["room_id"]).exists():
        raise PermissionDenied(_("You may not move a person to this room."))
    if form.submit(services.transfer, refusals=STALE, actor=request.user, assignment_id=assignment.pk,
                   request=request) is None:
        return _refused(request, form, "resources:site", site_id=assignment.site_id)
    messages.success(request, _("Transferred."))
    return redirect("resources:site", site_id=assignment.site_id)


# --- staff -----------------------------------------------------------------------------------------------------


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def team_list(request):
    """The staff teams in view by skill and region, with the members available today, and the form to add one."""
    may_manage = can(request.user, MANAGE)
    if request.method == "POST" and not may_manage:
        raise PermissionDenied(_("Your role may not record staff teams."))
    form = PageForm(TeamInput, request, initial={"region": _home_region(request.user), "skill": StaffSkill.MEDICAL})
    team = form.submit(services.team_create, actor=request.user, request=request)
    if team is not None:
        messages.success(request, _("Staff team recorded."))
        return redirect("resources:team", team_id=team.pk)
    teams = list(selectors.team_list(user=request.user)[:500])
    today = chosen_day(request)  # the user's day, as every page (the last day with data unless chosen)
    available = selectors.available_on(user=request.user, teams=teams, day=today)
    return render(request, "resources/teams.html", {
        "teams": [(t, available[t.pk]) for t in teams], "form": form, "skills": StaffSkill.choices,
        "may_manage": may_manage, "today": today}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def team_detail(request, team_id: int):
    """A team's roster (how many are available each day, worked or planned) and the form to record a day."""
    team = selectors.team_get(user=request.user, team_id=team_id)
    form = PageForm(RosterInput, request, initial={"date": chosen_day(request), "available": team.size})
    if request.method == "POST":
        if form.submit(services.roster_record, actor=request.user, team=team, request=request) is not None:
            messages.success(request, _("Roster recorded."))
            return redirect("resources:team", team_id=team.pk)
    return render(request, "resources/team.html", {
        "team": team, "roster": selectors.roster_list(user=request.user, team=team)[:90], "form": form,
        "may_manage": can(request.user, MANAGE, team.region_id)}, status=form.status)


# --- hospitals -------------------------------------------------------------------------------------------------


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def hospital_new(request):
    if not can(request.user, MANAGE):
        raise PermissionDenied(_("Your role may not record hospitals."))
    form = PageForm(HospitalInput, request, initial={"region": _home_region(request.user)})
    hospital = form.submit(services.hospital_create, actor=request.user, request=request)
    if hospital is not None:
        return redirect("resources:hospital", hospital_id=hospital.pk)
    return render(request, "resources/form.html", {"form": form, "title": _("Record a designated hospital"),
                                                   "fields": ("region", "name"), "choices": {}}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def hospital_detail(request, hospital_id: int):
    hospital = selectors.hospital_get(user=request.user, hospital_id=hospital_id)
    form = PageForm(BedCensusInput, request, initial={"bed_type": BedType.ORDINARY})
    if request.method == "POST":
        if form.submit(services.bed_census_record, actor=request.user, hospital=hospital, request=request) is not None:
            messages.success(request, _("Beds recorded."))
            return redirect("resources:hospital", hospital_id=hospital.pk)
    return render(request, "resources/hospital.html", {
        "hospital": hospital, "census": selectors.bed_census_list(user=request.user, hospital=hospital)[:90],
        "form": form, "bed_types": BedType.choices, "may_manage": can(request.user, MANAGE, hospital.region_id)},
        status=form.status)


# --- supplies --------------------------------------------------------------------------------------------------


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def store_new(request):
    if not can(request.user, MANAGE):
        raise PermissionDenied(_("Your role may not record stores."))
    form = PageForm(StoreInput, request, initial={"region": _home_region(request.user)})
    store = form.submit(services.store_create, actor=request.user, request=request)
    if store is not None:
        return redirect("resources:store", store_id=store.pk)
    return render(request, "resources/form.html", {"form": form, "title": _("Record a supply store"),
                                                   "fields": ("region", "name"), "choices": {}}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def store_detail(request, store_id: int):
    store = selectors.store_get(user=request.user, store_id=store_id)
    form = PageForm(StockMovementInput, request, initial={"item": Item.MASKS})
    if request.method == "POST":
        if form.submit(_stock_move, actor=request.user, store=store, request=request) is not None:
            messages.success(request, _("Stock updated."))
            return redirect("resources:store", store_id=store.pk)
    return render(request, "resources/store.html", {
        "store": store, "stock": store.stock.all(), "movements": selectors.movement_list(user=request.user, store=store)[:100],
        "form": form, "items": Item.choices, "may_manage": can(request.user, MANAGE, store.region_id)},
        status=form.status)


def _stock_move(*, direction: str, **movement):
    """The store page's movement: a receipt or an issue, as the form's ``direction`` says."""
    return (services.stock_issue if direction == "issue" else services.stock_receive)(**movement)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def requisition_new(request):
    if not can(request.user, MANAGE):
        raise PermissionDenied(_("Your role may not request supplies."))
    form = PageForm(RequisitionInput, request, initial={"item": Item.MASKS})
    requisition = None
    if form.is_valid():
        store = selectors.store_get(user=request.user, store_id=form.data.pop("store"))
        try:
            requisition = services.requisition_create(actor=request.user, store=store, request=request, **form.data)
        except ValidationError as exc:
            form.add_errors(exc)
    if requisition is not None:
        messages.success(request, _("Requisition sent."))
        return redirect("resources:requisition", requisition_id=requisition.pk)
    return render(request, "resources/requisition_new.html", {
        "form": form, "stores": selectors.store_list(user=request.user), "items": Item.choices}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def requisition_detail(request, requisition_id: int):
    requisition = selectors.requisition_get(user=request.user, requisition_id=requisition_id)
    if request.method == "POST":
        chosen = PageForm(RequisitionStepChoice, request)
        if not chosen.is_valid():
            raise PermissionDenied(_("Unknown step."))
        step = chosen.data["step"]
        if step == "approve":
            form = PageForm(ApproveInput, request)
            if form.is_valid():
                source = selectors.store_get(user=request.user, store_id=form.data.pop("source_store"))
                try:
                    services.requisition_approve(actor=request.user, requisition_id=requisition.pk,
                                                 source_store=source, request=request, **form.data)
                except ValidationError as exc:
                    form.add_errors(exc)
                except StaleEditError as exc:
                    form.errors.setdefault("__all__", []).append(str(exc))
        else:
            action = {"ship": services.requisition_ship, "receive": services.requisition_receive}[step]
            form = PageForm(RequisitionStepInput, request)
            form.submit(action, refusals=STALE, actor=request.user, requisition_id=requisition.pk, request=request)
        if form.errors:
            messages.error(request, error_summary(form.errors))
        return redirect("resources:requisition", requisition_id=requisition.pk)
    supplying = can(request.user, MANAGE, requisition.supplying_region_id)
    return render(request, "resources/requisition.html", {
        "r": requisition, "movements": requisition.movements.all(),
        "may_supply": supplying, "may_receive": can(request.user, MANAGE, requisition.requesting_region_id),
        "source_stores": selectors.store_list(user=request.user).filter(
            region__code__startswith=requisition.supplying_region_id[:4]) if supplying else []})
