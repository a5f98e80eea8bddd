"""Pages of protocol versions: the table of every edition's rules; administrators edit one version."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods

from fangkong.accounts.access import can, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.accounts.roles import Capability
from fangkong.protocols import selectors
from fangkong.protocols.models import RISK_LEVEL_LABELS
from fangkong.protocols.services import EDITABLE_FIELDS, StaleEditError, protocol_update

LIST_FIELDS = {"close_contact_test_days", "close_contact_home_test_days", "secondary_contact_test_days",
               "risk_levels"}
BOOL_FIELDS = {"secondary_contacts_traced", "secondary_contact_centralised", "risk_area_lift_needs_screen",
               "lookback_from_last_negative"}
TEXT_FIELDS = {"name_zh", "name_en", "notes", "effective_from"}


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
    errors: dict = {}
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("Only administrators may edit protocol versions."))
        changes, errors = _changes_from(request.POST, protocol)
        if not errors:
            try:
                protocol_update(actor=request.user, protocol=protocol, changes=changes, request=request,
                                expected_version=int(request.POST.get("version") or 0))
            except StaleEditError as exc:
                errors = {"__all__": [str(exc)]}
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                messages.success(request, _("Protocol version saved."))
                return redirect("protocols:detail", code=protocol.code)
    fields = [(protocol._meta.get_field(name), _display(getattr(protocol, name)), _shown(name, getattr(protocol, name)),
               "en" if name == "name_en" else "") for name in EDITABLE_FIELDS]
    return render(request, "protocols/protocol_detail.html", {
        "protocol": protocol, "fields": fields, "can_edit": can_edit, "errors": errors,
        "non_field_errors": errors.pop("__all__", []) if errors else [],
    }, status=400 if errors else 200)


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


def _changes_from(post, protocol) -> tuple[dict, dict]:
    changes, errors = {}, {}
    for name in EDITABLE_FIELDS:
        if name not in post and name not in BOOL_FIELDS:
            continue
        raw = post.get(name, "").strip()
        try:
            if name in LIST_FIELDS:
                items = [s.strip() for s in raw.replace("，", ",").split(",") if s.strip()]
                value = items if name == "risk_levels" else [int(s) for s in items]
            elif name in BOOL_FIELDS:
                value = name in post
            elif name in TEXT_FIELDS:
                value = raw
                if name == "effective_from":
                    import datetime as dt

                    value = dt.date.fromisoformat(raw)
            else:
                value = int(raw)
        except ValueError:
            errors[name] = [_("Enter a valid value.")]
            continue
        if value != getattr(protocol, name):
            changes[name] = value
    return changes, errors



