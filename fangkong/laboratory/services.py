"""Writes of the laboratory module: each checks the capability, runs in a transaction, is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.regions.models import Region

from .apps import WRITE
from .models import Entry


def entry_create(*, actor, region: str, title: str, request=None) -> Entry:
    """Record an entry (input validated by ``inputs.EntryInput``); refused outside the actor's regions."""
    if not can(actor, WRITE, region):
        raise PermissionDenied(_("You may not record entries in this region."))
    place = Region.objects.filter(code=region).first()
    if place is None:
        raise ValidationError({"region": [_("No region with this code.")]})
    with transaction.atomic():
        entry = Entry(region=place, title=title, created_by=actor)
        entry.full_clean()
        entry.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=entry, region_code=region,
                     request=request)
    return entry
