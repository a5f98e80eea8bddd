"""The response to an alert: one lifecycle step at a time (``alert_transition``, only along
``TRANSITIONS``, with who and when, under the alert's version), and from a confirmed alert a cluster or a
suspected case (``alert_open_cluster`` / ``alert_open_case``, through ``fangkong.cases``), linked to it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, in_scope
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.locking import check_version
from fangkong.surveillance.models import (
    Alert,
    AlertStatus,
    AlertTransition,
)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    AlertStatus.NEW: (AlertStatus.ACKNOWLEDGED,),
    AlertStatus.ACKNOWLEDGED: (AlertStatus.INVESTIGATING, AlertStatus.FALSE_ALARM),
    AlertStatus.INVESTIGATING: (AlertStatus.CONFIRMED, AlertStatus.FALSE_ALARM),
    AlertStatus.CONFIRMED: (AlertStatus.CLOSED,),
    AlertStatus.FALSE_ALARM: (AlertStatus.CLOSED,),
    AlertStatus.CLOSED: (),
}
_STAMP = {
    AlertStatus.ACKNOWLEDGED: ("acknowledged_at", "acknowledged_by"),
    AlertStatus.INVESTIGATING: ("investigating_at", "investigating_by"),
    AlertStatus.CONFIRMED: ("verified_at", "verified_by"),
    AlertStatus.FALSE_ALARM: ("verified_at", "verified_by"),
    AlertStatus.CLOSED: ("closed_at", "closed_by"),
}


@transaction.atomic
def alert_transition(*, actor, alert: Alert, to_status: str, note: str = "", version: int | None = None,
                     request=None, at=None) -> Alert:
    """Move ``alert`` one step along its lifecycle, recording who and when."""
    if not can(actor, Capability.SIGNAL_RESPOND, alert.region_id):
        raise PermissionDenied(_("Your role may not respond to signals."))
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    check_version(locked.version, version, _("Someone else has changed this alert; reload it and try again."))
    if to_status not in TRANSITIONS.get(locked.status, ()):
        raise ValidationError({"status": [_("An alert that is “%(from)s” cannot become “%(to)s”.") % {
            "from": AlertStatus(locked.status).label,
            "to": AlertStatus(to_status).label if to_status in AlertStatus.values else to_status}]})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": [_("At most %(limit)d characters.") % {"limit": 500}]})
    now = at or timezone.now()
    at_field, by_field = _STAMP[to_status]
    from_status = locked.status
    changes = {"status": to_status, at_field: now, by_field: actor, "version": F("version") + 1}
    if to_status in (AlertStatus.CONFIRMED, AlertStatus.FALSE_ALARM):
        changes["outcome"] = to_status
    Alert.objects.filter(pk=locked.pk).update(**changes)
    bump_data_generation()
    AlertTransition.objects.create(alert=locked, from_status=from_status, to_status=to_status, at=now, by=actor,
                                   note=note)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, region_code=locked.region_id,
                 request=request, detail={"from": from_status, "to": to_status, "note": note})
    locked.refresh_from_db()
    return locked


@transaction.atomic
def alert_open_cluster(*, actor, alert: Alert, request=None):
    """Open a cluster investigation (``fangkong.cases``) for a confirmed alert; the same one when asked again."""
    from fangkong.cases.services import cluster_create

    locked = Alert.objects.select_for_update().select_related("region", "indicator").get(pk=alert.pk)
    if locked.outcome != AlertStatus.CONFIRMED:
        raise ValidationError({"status": [_("Only a confirmed outbreak opens a cluster investigation.")]})
    if locked.cluster_id:
        return locked.cluster
    name = f"{locked.region.name_zh}{locked.indicator.name_zh}哨点预警 {locked.first_day:%Y-%m-%d}"
    cluster = cluster_create(actor=actor, name=name, region=locked.region_id, request=request)
    Alert.objects.filter(pk=locked.pk).update(cluster=cluster, version=F("version") + 1)
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, region_code=locked.region_id,
                 request=request, detail={"cluster": cluster.pk})
    return cluster


@transaction.atomic
def alert_open_case(*, actor, alert: Alert, citizen_id: str, name: str = "", disease: str = "covid-19",
                    onset_date=None, address_region: str = "", request=None):
    """Open a case investigation for a confirmed alert: register a suspected case (``fangkong.cases``)
    linked to the alert. The person is the one registered with ``citizen_id`` (it must be in the user's
    area), or, if none is, a new registration with ``name`` in ``address_region`` (default: the alert's
    region). Asked again, the same case. ``case.write`` in the alert's region."""
    from fangkong.cases.models import Classification, DetectionRoute, Disease
    from fangkong.cases.services import case_register
    from fangkong.persons import protection
    from fangkong.persons.citizen_id import CitizenIdError, parse_citizen_id
    from fangkong.persons.models import Person
    from fangkong.persons.services import CITIZEN_ID, person_register

    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if not (in_scope(actor, locked.region_id) and can(actor, Capability.CASE_WRITE, locked.region_id)):
        raise PermissionDenied(_("You may not register a case for this alert."))
    if locked.outcome != AlertStatus.CONFIRMED:
        raise ValidationError({"status": [_("Only a confirmed outbreak opens a case investigation.")]})
    if locked.case_id:
        return locked.case
    errors: dict[str, list[str]] = {}
    number = ""
    try:
        number = parse_citizen_id(citizen_id or "").number
    except CitizenIdError as exc:
        errors["citizen_id"] = [str(exc)]
    disease_row = Disease.objects.filter(code=disease or "").first()
    if disease_row is None:
        errors["disease"] = [_("Choose a disease.")]
    if isinstance(onset_date, str) and onset_date:
        try:
            onset_date = dt.date.fromisoformat(onset_date)
        except ValueError:
            errors["onset_date"] = [_("Enter a date as YYYY-MM-DD.")]
    onset_date = onset_date or None
    person = Person.objects.filter(citizen_id_hash__in=protection.lookup_hashes(number, CITIZEN_ID)).first() \
        if number else None
    if number and person is None and not (name or "").strip():
        errors["name"] = [_("This citizen ID is not registered: give the person's name to register them.")]
    if errors:
        raise ValidationError(errors)
    if person is None:
        person = person_register(actor=actor, request=request, name=name, citizen_id=number,
                                 address_region=address_region or locked.region_id).person
    case = case_register(actor=actor, request=request, person=person, disease=disease_row,
                         classification=Classification.SUSPECTED, diagnosed_at=timezone.now(),
                         report_region=locked.region_id, onset_date=onset_date,
                         detection_route=DetectionRoute.OTHER)
    Alert.objects.filter(pk=locked.pk).update(case=case, version=F("version") + 1)
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, region_code=locked.region_id,
                 request=request, detail={"case": case.pk})
    return case
