"""Pages of protocol versions: the table of every edition's rules; administrators edit one version."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from fangkong.accounts.access import can, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.accounts.roles import Capability
from fangkong.inputs import NON_FIELD, PageForm
from fangkong.protocols import selectors
from fangkong.protocols.inputs import ProtocolEditInput
from fangkong.protocols.models import RISK_LEVEL_LABELS
from fangkong.protocols.services import EDITABLE_FIELDS, StaleEditError, protocol_update


@region_scoped
@shows(Category.REFERENCE)
@require_GET
def protocol_list(request):
    return render(request, "protocols/protocol_list.html", {
        "protocols": list(selectors.protocol_list(user=request.user)),
        "can_edit": can(request.user, Capability.PROTOCOL_EDIT),
    })


@region_scoped
@shows(Category.REFERENCE)
@require_http_methods(["GET", "POST"])
def protocol_detail(request, code: str):
    protocol = selectors.protocol_get(user=request.user, code=code)
    can_edit = can(request.user, Capability.PROTOCOL_EDIT)
    form = PageForm(ProtocolEditInput, request)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only administrators may edit protocol versions."))
        if form.submit(protocol_update, refusals={StaleEditError: NON_FIELD}, actor=request.user,
                       protocol=protocol, request=request) is not None:
            messages.success(request, _("Protocol version saved."))
            return redirect("protocols:detail", code=protocol.code)
    fields = [(protocol._meta.get_field(name), _display(getattr(protocol, name)), _shown(name, getattr(protocol, name)),
               "en" if name == "name_en" else "") for name in EDITABLE_FIELDS]
    errors = {name: texts for name, texts in form.errors.items() if name != NON_FIELD}
    return render(request, "protocols/protocol_detail.html", {
        "protocol": protocol, "fields": fields, "can_edit": can_edit, "errors": errors,
        "non_field_errors": form.non_field_errors}, status=form.status)


def _shown(name: str, value):
    """A value as the page shows it: risk levels by their names, day lists with the enumeration comma."""
    if name == "risk_levels":
        return pgettext("enumeration", ", ").join(str(RISK_LEVEL_LABELS.get(level, level)) for level in value)
    if isinstance(value, list):
        return pgettext("enumeration", ", ").join(str(v) for v in value) or "—"
    return _display(value)


def _display(value):
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
