"""Pages of the interop module: the outbound queue (what left or is leaving the platform, the receivers'
answers, refusals first) and the destinations (administrators configure them). Read through the selectors,
write through the services, input through the action's schema (``inputs.py``, the same one the API uses)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong.accounts.access import can, memberships_of, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.accounts.roles import Role
from fangkong.inputs import PageForm

from . import selectors, services
from .apps import CONFIGURE
from .inputs import DestinationEditInput, DestinationInput
from .models import Destination, MessageState

LIST_ROWS = 100


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def message_list(request):
    rows = selectors.message_list(user=request.user)
    return render(request, "interop/message_list.html", {
        "refused": list(rows.filter(state=MessageState.REFUSED)[:LIST_ROWS]),
        "messages_shown": list(rows[:LIST_ROWS]),
        "may_configure": can(request.user, CONFIGURE),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def message_detail(request, message_id: int):
    message = selectors.message_get(user=request.user, message_id=message_id)
    return render(request, "interop/message_detail.html", {
        "message": message, "may_retry": message.state == MessageState.REFUSED
        and can(request.user, CONFIGURE, message.destination.region_id)})


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def message_retry(request, message_id: int):
    message = selectors.message_get(user=request.user, message_id=message_id)
    services.message_retry(actor=request.user, message=message, request=request)
    messages.success(request, _("The message will be sent again."))
    return redirect("interop:message-detail", message_id=message.pk)


@region_scoped
@shows(Category.REFERENCE)
@require_GET
def destination_list(request):
    return render(request, "interop/destination_list.html", {
        "destinations": list(selectors.destination_list(user=request.user)[:LIST_ROWS]),
        "may_configure": can(request.user, CONFIGURE)})


def _admin_region(user) -> str:
    return next((code for code, role in memberships_of(user) if role == Role.SYSTEM_ADMINISTRATOR), "")


@region_scoped
@shows(Category.REFERENCE)
@require_http_methods(["GET", "POST"])
def destination_new(request):
    if not can(request.user, CONFIGURE):
        raise PermissionDenied(_("Only administrators may configure destinations."))
    form = PageForm(DestinationInput, request, initial={
        "region": _admin_region(request.user), "auth": Destination.Auth.NONE, "active": "1",
        "identifiers_entitled": "0"})
    destination = form.submit(services.destination_create, actor=request.user, request=request)
    if destination is not None:
        messages.success(request, _("Destination saved."))
        return redirect("interop:destination-edit", destination_id=destination.pk)
    return render(request, "interop/destination_form.html", _form_context(form, None), status=form.status)


@region_scoped
@shows(Category.REFERENCE)
@require_http_methods(["GET", "POST"])
def destination_edit(request, destination_id: int):
    destination = selectors.destination_get(user=request.user, destination_id=destination_id)
    may_configure = can(request.user, CONFIGURE, destination.region_id)
    if request.method == "POST" and not may_configure:
        raise PermissionDenied(_("Only administrators may configure destinations."))
    form = PageForm(DestinationEditInput, request, initial={
        "name": destination.name, "kind": destination.kind, "base_url": destination.base_url,
        "auth": destination.auth, "username": destination.username, "regions": " ".join(destination.regions),
        "identifiers_entitled": "1" if destination.identifiers_entitled else "0",
        "dhis2_data_set": destination.dhis2_data_set, "dhis2_period": destination.dhis2_period,
        "active": "1" if destination.active else "0"})
    if may_configure and form.submit(services.destination_update, actor=request.user, destination=destination,
                                     request=request) is not None:
        messages.success(request, _("Destination saved."))
        return redirect("interop:destination-edit", destination_id=destination.pk)
    return render(request, "interop/destination_form.html", _form_context(form, destination, may_configure),
                  status=form.status)


def _form_context(form, destination, may_configure: bool = True) -> dict:
    return {"form": form, "destination": destination, "may_configure": may_configure,
            "kinds": Destination.Kind.choices, "auths": Destination.Auth.choices,
            "periods": [("", "—"), ("daily", _("Daily")), ("weekly", _("Weekly"))],
            "yes_no": [("1", _("Yes")), ("0", _("No"))]}
