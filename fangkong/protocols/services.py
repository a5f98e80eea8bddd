"""Writes to protocol versions: administrators edit a version's rules, optimistically locked and audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.locking import StaleEditError, check_version
from fangkong.protocols.models import ProtocolVersion

__all__ = ["EDITABLE_FIELDS", "StaleEditError", "protocol_update"]  # StaleEditError: fangkong.locking

EDITABLE_FIELDS = (
    "name_zh", "name_en", "effective_from",
    "close_contact_centralised_days", "close_contact_home_days", "close_contact_test_days",
    "close_contact_home_test_days", "secondary_contacts_traced", "secondary_contact_days",
    "secondary_contact_centralised", "secondary_contact_test_days", "inbound_centralised_days",
    "inbound_home_days", "risk_levels", "risk_area_lift_days", "risk_area_lift_needs_screen",
    "lookback_days", "lookback_from_last_negative", "notes",
)


@transaction.atomic
def protocol_update(*, actor, protocol: ProtocolVersion, changes: dict, expected_version: int,
                    request=None) -> ProtocolVersion:
    """Change rules of one version. Only protocol editors (administrators); the caller's version must be
    the stored one; invalid values change nothing; values equal to the stored ones are no change (an edit
    changing nothing makes no new version); the audit event records the old and new values."""
    if not can(actor, Capability.PROTOCOL_EDIT):
        raise PermissionDenied(_("Only administrators may edit protocol versions."))
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be edited.")] for name in unknown})
    current = ProtocolVersion.objects.select_for_update().get(pk=protocol.pk)
    check_version(current.version, expected_version,
                  _("This protocol version was changed by someone else since you opened it; "
                    "reload it and apply your change again."))
    changes = {name: value for name, value in changes.items() if value != getattr(current, name)}
    if not changes:  # nothing differs from the stored rules: no new version, no event
        return current
    before = {name: _jsonable(getattr(current, name)) for name in changes}
    for name, value in changes.items():
        setattr(current, name, value)
    current.full_clean()
    current.version += 1
    current.save(update_fields=[*changes, "version", "updated_at"])
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=current, request=request,
                 detail={"before": before, "after": {n: _jsonable(getattr(current, n)) for n in changes}})
    return current


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
