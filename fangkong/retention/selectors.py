"""Reads of the retention module: the policies in force, the changes and purges awaiting a second
administrator, the legal holds, which records a policy makes due on a day (the dry run and the purge read
the same query), and the scheduled deletion date of one record — for the person page and for the pages and
API details of the records a policy covers (``scheduled_deletion(category, obj)``, shown by ``sections.py``).
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_

from django.apps import apps
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.utils import timezone

from fangkong.audit.chain import REDACTED
from fangkong.regions.codes import subtree_prefix

from .models import (
    AnonymisedRecord,
    Clock,
    DataCategory,
    DeletionCertificate,
    EpidemicEnd,
    LegalHold,
    PolicyChange,
    Purge,
    RetentionPolicy,
)
from .policies import COVERAGE, cutoff, effective_period


def policy_map() -> dict[str, RetentionPolicy]:
    return {p.category: p for p in RetentionPolicy.objects.all()}


def policy_list() -> list[RetentionPolicy]:
    return list(RetentionPolicy.objects.all())


def change_list(*, pending_only: bool = False) -> QuerySet[PolicyChange]:
    changes = PolicyChange.objects.select_related("proposed_by", "decided_by")
    return changes.filter(status=PolicyChange.Status.PENDING) if pending_only else changes


def hold_list(*, active_only: bool = True) -> QuerySet[LegalHold]:
    holds = LegalHold.objects.select_related("region", "placed_by")
    return holds.filter(released_at__isnull=True) if active_only else holds


def purge_list() -> QuerySet[Purge]:
    return Purge.objects.select_related("region", "requested_by", "approved_by")


def purge_get(purge_id: int) -> Purge:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(purge_list(), pk=purge_id)


def certificate_of(purge: Purge) -> DeletionCertificate | None:
    return DeletionCertificate.objects.filter(purge=purge).first()


def epidemic_end_list() -> QuerySet[EpidemicEnd]:
    return EpidemicEnd.objects.select_related("disease", "region")


def model_of(category: str) -> type[Model] | None:
    label = COVERAGE[category].model
    return apps.get_model(label) if label else None


def _active_holds() -> dict[str, list]:
    """Target → what an active legal hold names: the row ids (the region codes, for regions) — one query."""
    holds: dict[str, list] = {target: [] for target in LegalHold.Target.values}
    for target, object_id, region in LegalHold.objects.filter(released_at__isnull=True).values_list(
            "target", "object_id", "region_id"):
        holds[target].append(region if target == LegalHold.Target.REGION else object_id)
    return holds


def _region_path(attname: str) -> str:
    """The lookup path of a region foreign key's code (``report_region_id`` → ``report_region__pk``)."""
    return attname.removesuffix("_id") + "__pk" if attname.endswith("_id") else attname


def _held_region_q(field: str, regions: list[str]) -> Q | None:
    prefixes = [subtree_prefix(code) for code in regions]
    return reduce(or_, (Q(**{f"{_region_path(field)}__startswith": p}) for p in prefixes)) if prefixes else None


def _is_datetime(model, path: str) -> bool:
    from django.db.models import DateTimeField

    return isinstance(model._meta.get_field(path), DateTimeField)


def _before_end_of(model, path: str, day: dt.date) -> Q:
    """Rows whose ``path`` (a date or a datetime) falls on ``day`` or earlier (local days)."""
    if _is_datetime(model, path):
        midnight = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
        return Q(**{f"{path}__lt": midnight})
    return Q(**{f"{path}__lte": day})


def _epidemic_over_q(category: str, limit: dt.date) -> Q:
    """Rows of a disease in a region where its epidemic was declared over on ``limit`` or earlier."""
    coverage = COVERAGE[category]
    ends = EpidemicEnd.objects.filter(declared_over__lte=limit).values_list("disease_id", "region_id")
    parts = [Q(**{coverage.disease: disease, f"{_region_path(coverage.region)}__startswith": subtree_prefix(region)})
             for disease, region in ends]
    return reduce(or_, parts) if parts else Q(pk__in=[])


#: The audit trail's name (``object_type``) of the records a legal hold names.
HELD_LABELS = {LegalHold.Target.PERSON: "persons.person", LegalHold.Target.CASE: "cases.case",
               LegalHold.Target.CONTACT: "cases.contact", LegalHold.Target.TRAVELLER: "inbound.traveller"}


def _is_province(region_code: str) -> bool:
    from fangkong.regions.models import Region

    return not Region.objects.filter(code=region_code, parent__isnull=False).exists()


def not_held(category: str, rows: QuerySet) -> QuerySet:
    """``rows`` without those a legal hold suspends: the record itself, its person, its region — and for a
    case, one whose deletion would take a held contact or traveller with it."""
    coverage = COVERAGE[category]
    held = _active_holds()
    if coverage.hold_target:
        rows = rows.exclude(pk__in=held[coverage.hold_target])
    if coverage.person and coverage.person != "id":
        rows = rows.exclude(**{f"{coverage.person}__in": held[LegalHold.Target.PERSON]})
    if coverage.region and (region_q := _held_region_q(coverage.region, held[LegalHold.Target.REGION])) is not None:
        rows = rows.exclude(region_q)
    if category == DataCategory.AUDIT:  # the events about a held record keep their details
        for target, label in HELD_LABELS.items():
            if ids := [str(pk) for pk in held[target]]:
                rows = rows.exclude(object_type=label, object_id__in=ids)
    if category == DataCategory.CASES:
        from fangkong.cases.models import Contact
        from fangkong.inbound.models import Traveller

        held_contacts = Contact.objects.filter(Q(pk__in=held[LegalHold.Target.CONTACT])
                                               | Q(person_id__in=held[LegalHold.Target.PERSON]))
        rows = rows.exclude(pk__in=held_contacts.values("source_case_id"))
        rows = rows.exclude(pk__in=Traveller.objects.filter(pk__in=held[LegalHold.Target.TRAVELLER],
                                                            case__isnull=False).values("case_id"))
    return rows


def due_rows(category: str, policy: RetentionPolicy, *, as_of: dt.date, region_code: str) -> QuerySet | None:
    """The rows of ``category`` the policy makes due on ``as_of`` in ``region_code``'s subtree, holds
    excepted, not yet anonymised; ``None`` for a category without rows of its own (persons are swept by
    the purge, exports are not stored)."""
    coverage = COVERAGE[category]
    model = model_of(category)
    if model is None or category == DataCategory.PERSONS or policy.clock not in coverage.clocks:
        return None
    limit = cutoff(as_of, effective_period(category, policy.period_days))
    rows = model._base_manager.all()
    if coverage.region:
        in_region = Q(**{f"{_region_path(coverage.region)}__startswith": subtree_prefix(region_code)})
        if category == DataCategory.AUDIT and _is_province(region_code):
            in_region |= Q(region_code="")  # events of no region (sign-ins, the system's) go with the province
        rows = rows.filter(in_region)
    elif not _is_province(region_code):  # a category without regions is purged with the whole province
        return model._base_manager.none()
    if policy.clock == Clock.EPIDEMIC_OVER:
        rows = rows.filter(_epidemic_over_q(category, limit))
    else:
        rows = rows.filter(_before_end_of(model, coverage.clocks[policy.clock], limit))
    if category == DataCategory.CASES and policy.action != "anonymise":
        from fangkong.cases.models import Contact

        # a case is deleted only once its contacts have gone (they refer to it; anonymised ones too)
        rows = rows.exclude(Exists(Contact.objects.filter(source_case=OuterRef("pk"))))
    if category == DataCategory.JOB_PAYLOADS:
        rows = rows.filter(status__in=("done", "failed"))
    if category == DataCategory.AUDIT:
        # version 2 only (a version-1 event's hash covers its details); not those already redacted
        rows = rows.filter(chain_version__gte=2).exclude(detail__has_key=REDACTED, reason="")
    elif policy.action == "anonymise":
        rows = rows.exclude(pk__in=AnonymisedRecord.objects.filter(category=category).values("object_id"))
    return not_held(category, rows)


def audit_v1_kept(policy: RetentionPolicy, *, as_of: dt.date, region_code: str) -> int:
    """The version-1 audit events the audit policy makes due but no purge can redact (their hash covers their
    details: ``fangkong.audit.chain``); counted on the certificate instead of hidden."""
    from fangkong.audit.models import AuditEvent

    limit = cutoff(as_of, effective_period(DataCategory.AUDIT, policy.period_days))
    rows = AuditEvent.objects.filter(_before_end_of(AuditEvent, "occurred_at", limit), chain_version__lt=2)
    in_region = Q(region_code__startswith=subtree_prefix(region_code))
    if _is_province(region_code):
        in_region |= Q(region_code="")
    return rows.filter(in_region).count()


def _clock_date(obj, category: str, clock: str) -> dt.date | None:
    coverage = COVERAGE[category]
    if clock == Clock.EPIDEMIC_OVER:
        region = getattr(obj, coverage.region)
        disease = reduce(getattr, coverage.disease.replace("__", ".").split("."), obj)
        ends = [end.declared_over for end in EpidemicEnd.objects.filter(disease_id=disease)
                if region.startswith(subtree_prefix(end.region_id))]
        return min(ends) if ends else None
    value = getattr(obj, coverage.clocks.get(clock, "") or "pk", None)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date()
    return value if isinstance(value, dt.date) else None


def record_in_scope(user, category: str, pk: int) -> Model:
    """The row ``pk`` of ``category`` if it lies in ``user``'s regions (the region its purge goes by), or 404
    (audited, as any lookup out of scope); a row without a region (an import job) only for a user of a whole
    province (a region without parent): it is purged with the province only."""
    from django.shortcuts import get_object_or_404

    from fangkong.accounts.access import get_in_scope_or_404, memberships_of
    from fangkong.regions.models import Region

    coverage = COVERAGE[category]
    rows = model_of(category)._base_manager.all()
    if coverage.region:
        return get_in_scope_or_404(user, rows, _region_path(coverage.region), pk=pk)
    if Region.objects.filter(code__in=[code for code, _role in memberships_of(user)], parent__isnull=True).exists():
        return get_object_or_404(rows, pk=pk)
    return get_in_scope_or_404(user, rows, "pk", within=[], pk=pk)  # no region of theirs holds it: refused


def is_held(category: str, obj) -> bool:
    model = model_of(category)
    return model is not None and not not_held(category, model._base_manager.filter(pk=obj.pk)).exists()


def scheduled_deletion(category: str, obj) -> dict:
    """When ``obj`` (a row of ``category``) is due under the policy in force: ``{"date", "action", "held",
    "waiting", "policy"}``; ``date`` is None while its clock has not started (``waiting``: management not ended,
    epidemic not declared over) or a hold suspends it, and when no policy covers the category (``policy``
    None). The record pages and API details show it (``sections.py``), for records their reader may see."""
    policy = RetentionPolicy.objects.filter(category=category).first()
    if policy is None:
        return {"date": None, "action": "", "held": False, "waiting": False, "policy": None}
    held = is_held(category, obj)
    start = _clock_date(obj, category, policy.clock)
    date = None if (held or start is None) else start + dt.timedelta(
        days=effective_period(category, policy.period_days))
    return {"date": date, "action": policy.action, "held": held, "waiting": start is None, "policy": policy}


def person_schedule(person, *, user) -> list[dict]:
    """The scheduled deletion of each record of ``person`` a policy covers that ``user`` may see (their cases
    and contacts, through the cases module's selectors: a case reported in another city is not named)."""
    from fangkong.cases import selectors as cases

    rows = []
    for category, records, url_name in (
            (DataCategory.CASES, cases.case_list(user=user), "cases:case-detail"),
            (DataCategory.CONTACTS, cases.contact_list(user=user), "cases:contact-detail")):
        for record in records.filter(person=person).order_by("id"):
            label = getattr(record, "case_no", None) or getattr(record, "contact_no", "")
            rows.append({"category": category, "label": label, "url_name": url_name, "record": record,
                         **scheduled_deletion(category, record)})
    return rows
