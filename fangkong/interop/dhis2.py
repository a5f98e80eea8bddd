"""DHIS2 aggregate export (``/api/dataValueSets``): fangkong's figures as DHIS2 data value sets, through the
outbound queue.

**Figures.** New cases by classification (confirmed, asymptomatic infections, suspected) for a region and a
period, counted exactly as the command dashboard counts its "new" figures (``fangkong.dashboard.selectors``):
the cases read through ``cases.selectors.case_list`` as aggregates, by report date and report region
(the region's subtree), grouped by classification; excluded cases are not counted. Beside them, the figures the
modules count (``ModuleConfig.aggregate_figures``): nucleic-acid tests resulted and positive
(``fangkong.laboratory.figures``), open and occupied beds of designated hospitals on the period's last day
(``fangkong.resources.figures``), each sentinel indicator's reported counts (``fangkong.surveillance.figures``).

**Mapping.** Per destination, each figure goes to a data element and category option combo
(``Dhis2Mapping``), each region to an organisation unit (``Dhis2OrgUnit``), the data set and period type are
the destination's. Administrators edit them (``dhis2_mapping_set``, ``dhis2_org_unit_set``).

**Shape.** One data value set per organisation unit and period, exactly in DHIS2's JSON shape (the
documented example is committed in ``tests/data/`` with its source): ``dataSet``, ``period`` (``20220317``
daily, ``2022W11`` ISO week), ``orgUnit``, ``completeDate``, ``dataValues`` of ``dataElement``,
``categoryOptionCombo`` and ``value`` — a string, as DHIS2 writes it.

**Dry run first.** Each set is queued first to ``/api/dataValueSets?dryRun=true``; when that is delivered, its
import summary is reconciled with what was sent (``reconcile``: every value counted as imported, updated or
ignored — deleted counts too — and no conflict); only a reconciled dry run queues the real import, whose
summary is reconciled in turn. A dry run that does not reconcile stops there, its reconciliation on the
message page and a problem in the three lists (``problems.feed``).
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from fangkong import modules
from fangkong.accounts.access import can
from fangkong.accounts.need_to_know import Category
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.cases import selectors as case_selectors
from fangkong.cases.models import Classification
from fangkong.regions.codes import covers
from fangkong.regions.models import Region

from .apps import CONFIGURE, SEND_AGGREGATES
from .models import Destination, Dhis2Mapping, Dhis2OrgUnit, OutboundMessage
from .services import message_enqueue, payload_hash

PATH = "/api/dataValueSets"
DRY_RUN_PATH = f"{PATH}?dryRun=true&importStrategy=CREATE_AND_UPDATE"
REAL_PATH = f"{PATH}?importStrategy=CREATE_AND_UPDATE"
FIGURE_CLASSIFICATION = {
    Dhis2Mapping.Figure.NEW_CONFIRMED: Classification.CONFIRMED,
    Dhis2Mapping.Figure.NEW_ASYMPTOMATIC: Classification.ASYMPTOMATIC,
    Dhis2Mapping.Figure.NEW_SUSPECTED: Classification.SUSPECTED,
}


def period_of(day: dt.date, period_type: str) -> tuple[str, dt.date, dt.date]:
    """DHIS2's ISO period for ``day`` (``20220317``; ``2022W11``: ISO week, year of the week, no zero padding)
    and the first and last day it covers."""
    if period_type == "weekly":
        year, week, weekday = day.isocalendar()
        first = day - dt.timedelta(days=weekday - 1)
        return f"{year}W{week}", first, first + dt.timedelta(days=6)
    if period_type == "daily":
        return day.strftime("%Y%m%d"), day, day
    raise ValueError(f"unknown period type {period_type!r}")


def new_cases(*, user, region: str, first: dt.date, last: dt.date) -> dict[str, int]:
    """New cases by classification reported in ``region``'s subtree from ``first`` to ``last`` (the dashboard's
    definition: report date and report region; the user's aggregate scope)."""
    rows = case_selectors.case_list(user=user, filters={"region": region, "date_from": first.isoformat(),
                                                        "date_to": last.isoformat()},
                                    category=Category.AGGREGATES).order_by()
    counts = dict.fromkeys(Classification.values, 0)
    for classification, n in rows.values_list("classification").annotate(n=Count("id")):
        counts[classification] = n
    return counts


def figure_choices() -> list[tuple[str, str]]:
    """Every figure a DHIS2 data element may receive: the new cases by classification, then each module's
    (``ModuleConfig.aggregate_figures``), as (code, label)."""
    found = [(code, str(label)) for code, label in Dhis2Mapping.Figure.choices]
    for declared in modules.aggregate_figures().values():
        found.extend(import_string(declared.choices)())
    return found


def figure_counts(*, user, region: str, first: dt.date, last: dt.date, figures) -> dict[str, int]:
    """The value of each of ``figures`` for ``region``'s subtree and the period, in ``user``'s aggregate scope:
    the new cases by classification at once (``new_cases``), a module's figure by its ``count``."""
    figures = list(figures)
    counts: dict[str, int] = {}
    if any(f in FIGURE_CLASSIFICATION for f in figures):
        new = new_cases(user=user, region=region, first=first, last=last)
        counts.update({f: new[c] for f, c in FIGURE_CLASSIFICATION.items()})
    declared = modules.aggregate_figures()
    for figure in figures:
        if figure not in counts:
            counts[figure] = import_string(declared[figure.split(".", 1)[0]].count)(user, figure, region, first, last)
    return counts


def data_value_set(destination: Destination, org_unit: str, period: str, counts: dict[str, int],
                   complete: dt.date) -> dict:
    """One data value set in DHIS2's JSON shape, a value per mapped figure (in the mapping's order)."""
    values = [{"dataElement": m.data_element, "categoryOptionCombo": m.category_option_combo,
               "value": str(counts[m.figure])}
              for m in destination.dhis2_mappings.order_by("figure")]
    return {"dataSet": destination.dhis2_data_set, "completeDate": complete.isoformat(), "period": period,
            "orgUnit": org_unit, "dataValues": values}


def dhis2_export(*, actor, destination: Destination, region: str, day: dt.date, request=None) -> list[OutboundMessage]:
    """Queue the dry runs of the data value sets of every mapped region within ``region`` for the period holding
    ``day``. Refused without ``interop.send_aggregates`` in ``region``, for a destination that is not DHIS2,
    has no mapping, or may not receive the region's data, and for a period that has not begun."""
    if not can(actor, SEND_AGGREGATES, region):
        raise PermissionDenied(_("You may not send these data out of the platform."))
    if destination.kind != Destination.Kind.DHIS2:
        raise ValidationError({"destination": [_("This destination is not a DHIS2 instance.")]})
    if day > timezone.localdate():
        raise ValidationError({"day": [_("This period has not begun.")]})
    mapped = list(destination.dhis2_mappings.values_list("figure", flat=True))
    if not mapped:
        raise ValidationError({"destination": [_("Map at least one figure to a DHIS2 data element first.")]})
    known = dict(figure_choices())
    gone = [figure for figure in mapped if figure not in known]
    if gone:
        raise ValidationError({"destination": [_("The mapping names figures the platform no longer counts: "
                                                 "%(figures)s. Remove them from the mapping first.")
                                               % {"figures": ", ".join(gone)}]})
    units = [u for u in destination.dhis2_org_units.select_related("region")
             if covers(region, u.region_id) and any(covers(c, u.region_id) for c in destination.regions)]
    if not units:
        raise ValidationError({"region": [_("No region within it is mapped to a DHIS2 organisation unit that "
                                            "this destination may receive.")]})
    period, first, last = period_of(day, destination.dhis2_period)
    complete = timezone.localdate()
    queued = []
    with transaction.atomic():
        for unit in units:
            counts = figure_counts(user=actor, region=unit.region_id, first=first, last=last, figures=mapped)
            payload = data_value_set(destination, unit.org_unit, period, counts, complete)
            key = f"dvs:{unit.org_unit}:{period}:{payload_hash(payload)[:16]}"
            queued.append(message_enqueue(actor=actor, destination=destination, kind="dhis2_dvs",
                                          region=unit.region_id, path=DRY_RUN_PATH, payload=payload,
                                          idempotency_key=f"{key}:dry", capability=SEND_AGGREGATES,
                                          request=request))
    return queued


def import_summary(text: str) -> dict | None:
    """The ImportSummary in an answer of ``/api/dataValueSets``: bare (up to 2.37) or as the ``response`` of a
    web message (2.38 and later); None when the answer is not one."""
    try:
        answer = json.loads(text)
    except ValueError:
        return None
    if isinstance(answer, dict) and isinstance(answer.get("response"), dict):
        answer = answer["response"]
    if not isinstance(answer, dict) or not isinstance(answer.get("importCount"), dict):
        return None
    return answer


def reconcile(sent: dict, summary: dict | None) -> dict:
    """What the receiver says it did with what was sent: ``ok`` when the summary's status is a success, every
    value sent is counted (imported + updated + ignored + deleted) and there is no conflict."""
    expected = len(sent.get("dataValues", []))
    if summary is None:
        return {"ok": False, "sent": expected, "problem": "the answer is not an import summary"}
    count = summary["importCount"]
    counted = sum(int(count.get(k) or 0) for k in ("imported", "updated", "ignored", "deleted"))
    conflicts = summary.get("conflicts") or []
    status = str(summary.get("status", ""))
    ok = status in ("SUCCESS", "OK", "WARNING") and counted == expected and not conflicts and \
        not int(count.get("ignored") or 0)
    return {"ok": ok, "status": status, "sent": expected, "imported": int(count.get("imported") or 0),
            "updated": int(count.get("updated") or 0), "ignored": int(count.get("ignored") or 0),
            "deleted": int(count.get("deleted") or 0),
            "conflicts": [{"object": str(c.get("object", "")), "value": str(c.get("value", ""))}
                          for c in conflicts if isinstance(c, dict)][:50]}


def after_delivery(message: OutboundMessage) -> None:
    """Reconcile a delivered data value set; a reconciled dry run queues the real import (called by the
    sending job, ``services._record``)."""
    if message.kind != OutboundMessage.Kind.DHIS2_DATA_VALUE_SET or message.path not in (DRY_RUN_PATH, REAL_PATH):
        return  # not a data value set queued by ``dhis2_export``
    result = reconcile(message.payload, import_summary(message.last_answer))
    OutboundMessage.objects.filter(pk=message.pk).update(reconciliation=result)
    message.reconciliation = result
    if result["ok"] and message.path == DRY_RUN_PATH:
        message_enqueue(actor=None, destination=message.destination, kind=message.kind, region=message.region_id,
                        path=REAL_PATH, payload=message.payload,
                        idempotency_key=message.idempotency_key.removesuffix(":dry"), capability=SEND_AGGREGATES,
                        follows=message)


def dhis2_mapping_set(*, actor, destination: Destination, figure: str, data_element: str,
                      category_option_combo: str, request=None) -> Dhis2Mapping:
    """Map a figure of a DHIS2 destination (administrators only); audited."""
    if not can(actor, CONFIGURE, destination.region_id):
        raise PermissionDenied(_("Only administrators may edit the DHIS2 mapping."))
    if destination.kind != Destination.Kind.DHIS2:
        raise ValidationError({"figure": [_("This destination is not a DHIS2 instance.")]})
    if figure not in dict(figure_choices()):
        raise ValidationError({"figure": [_("Unknown figure.")]})
    with transaction.atomic():
        mapping, _created = Dhis2Mapping.objects.update_or_create(
            destination=destination, figure=figure,
            defaults={"data_element": data_element, "category_option_combo": category_option_combo})
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=destination,
                     region_code=destination.region_id, request=request,
                     detail={"dhis2_mapping": {figure: [data_element, category_option_combo]}})
    return mapping


def dhis2_org_unit_set(*, actor, destination: Destination, region: str, org_unit: str,
                       request=None) -> Dhis2OrgUnit:
    """Map a region to a DHIS2 organisation unit of a destination (administrators only); audited. The region
    must be one whose data the destination may receive."""
    if not can(actor, CONFIGURE, destination.region_id):
        raise PermissionDenied(_("Only administrators may edit the DHIS2 mapping."))
    if destination.kind != Destination.Kind.DHIS2:
        raise ValidationError({"region": [_("This destination is not a DHIS2 instance.")]})
    if not Region.objects.filter(code=region).exists():
        raise ValidationError({"region": [_("No region with this code.")]})
    if not any(covers(code, region) for code in destination.regions):
        raise ValidationError({"region": [_("This destination may not receive data of this region.")]})
    with transaction.atomic():
        unit, _created = Dhis2OrgUnit.objects.update_or_create(destination=destination, region_id=region,
                                                               defaults={"org_unit": org_unit})
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=destination,
                     region_code=destination.region_id, request=request,
                     detail={"dhis2_org_unit": {region: org_unit}})
    return unit

