"""Reads of the audit trail: system administrators only, within their regions' events and their own.

``audit_filters_parse`` turns query parameters into checked filters (a bad date is a field error, never
silently ignored); ``audit_event_list`` applies them; ``audit_labels`` gives the words a person reads
(the action, and the object's type in the active language, e.g. "Create · case 41404").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.accounts.access import can, scope_prefixes
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent

FILTER_NAMES = ("action", "user", "object_type", "object_id", "region", "date_from", "date_to")


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    user: str = ""
    object_type: str = ""
    object_id: str = ""
    region: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_text(self) -> dict[str, str]:
        return {name: str(getattr(self, name) or "") for name in FILTER_NAMES if getattr(self, name)}


def audit_filters_parse(params) -> AuditFilters:
    """Checked filters from query parameters; ``ValidationError`` naming each bad field."""
    values = {name: str(params.get(name, "")).strip() for name in FILTER_NAMES}
    errors: dict[str, list[str]] = {}
    dates = {}
    for name in ("date_from", "date_to"):
        try:
            dates[name] = dt.date.fromisoformat(values[name]) if values[name] else None
        except ValueError:
            errors[name] = [_("Enter a date as YYYY-MM-DD.")]
    if values["action"] and values["action"] not in AuditEvent.Action.values:
        errors["action"] = [_("Unknown action.")]
    if values["region"] and not values["region"].isdigit():
        errors["region"] = [_("Enter a region code (digits).")]
    if not errors and dates["date_from"] and dates["date_to"] and dates["date_from"] > dates["date_to"]:
        errors["date_to"] = [_("The end date is before the start date.")]
    if errors:
        raise ValidationError(errors)
    return AuditFilters(**{**values, **dates})


def audit_event_list(*, user, action: str = "", username: str = "", object_type: str = "",
                     filters: AuditFilters | None = None) -> QuerySet[AuditEvent]:
    if not can(user, Capability.AUDIT_BROWSE):
        return AuditEvent.objects.none()
    filters = filters or AuditFilters(action=action, user=username, object_type=object_type)
    prefixes = scope_prefixes(user)
    # Events without a region (sign-in, imports) are visible to province-wide administrators only.
    condition = Q()
    for prefix in prefixes:
        condition |= Q(region_code__startswith=prefix)
    if any(len(p) == 2 for p in prefixes):
        condition |= Q(region_code="")
    qs = AuditEvent.objects.filter(condition).select_related(None)
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.user:
        qs = qs.filter(actor_username=filters.user)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.region:
        qs = qs.filter(region_code__startswith=filters.region)
    zone = timezone.get_current_timezone()
    if filters.date_from:
        qs = qs.filter(occurred_at__gte=dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=zone))
    if filters.date_to:
        qs = qs.filter(occurred_at__lt=dt.datetime.combine(filters.date_to + dt.timedelta(days=1), dt.time.min,
                                                           tzinfo=zone))
    return qs


#: Object types recorded in the audit that are not models: a detection run writes alerts over a date range.
NON_MODEL_TYPES = {"surveillance.detectionrun": gettext_lazy("detection run")}


def object_type_label(object_type: str) -> str:
    """The model's name in the active language (``cases.case`` → 病例), or the stored text."""
    if object_type in NON_MODEL_TYPES:
        return str(NON_MODEL_TYPES[object_type])
    if "." not in object_type:
        return object_type
    try:
        return str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return object_type


def object_names(events) -> dict[tuple[str, str], str]:
    """The readable names of the objects of ``events`` (a case's number instead of its row id), for the models
    that declare ``AUDIT_NAME_FIELD`` — never persons: their names are personal data. One query per model."""
    wanted: dict[str, set[str]] = {}
    for event in events:
        if event.object_type and event.object_id.isdigit():
            wanted.setdefault(event.object_type, set()).add(event.object_id)
    names = {}
    for object_type, ids in wanted.items():
        try:
            model = apps.get_model(object_type)
        except (LookupError, ValueError):
            continue
        field = getattr(model, "AUDIT_NAME_FIELD", None)
        if field:
            for pk, name in model.objects.filter(pk__in=[int(i) for i in ids]).values_list("pk", field):
                names[(object_type, str(pk))] = str(name)
    return names


def audit_labels(event: AuditEvent, names: dict[tuple[str, str], str] | None = None) -> dict[str, str]:
    """What a person reads for one event: action, object (its name where ``names``, from ``object_names``,
    has it; else its id), reason."""
    type_label = object_type_label(event.object_type) if event.object_type else ""
    name = (names or {}).get((event.object_type, event.object_id), event.object_id)
    obj = f"{type_label} {name}".strip()
    reason = event.reason or str((event.detail or {}).get("reason", ""))
    return {"action": event.get_action_display(), "object": obj, "object_type": type_label, "name": name,
            "reason": reason}
