"""Writes of the retention module: each checks the capability, runs in a transaction, is audited.

Four eyes: a policy change proposed by one administrator is in force only when a second one approves it
(``policy_change_propose`` / ``policy_change_decide``); a purge planned (dry run) by one is run only when
a second one approves it (``purge_plan`` / ``purge_decide``). Nobody decides their own proposal.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.jobs import enqueue_on_commit
from fangkong.regions.models import Region

from . import purge as purging
from . import selectors
from .apps import MANAGE
from .models import (
    DeletionCertificate,
    EpidemicEnd,
    LegalHold,
    PolicyChange,
    Purge,
    PurgedReference,
    RetentionPolicy,
)
from .policies import AUDIT_MINIMUM_DAYS, COVERAGE, DEFAULTS, allowed_actions, allowed_clocks

POLICY_FIELDS = ("clock", "period_days", "action", "legal_basis")


def _require(actor, region_code: str | None = None) -> None:
    if not can(actor, MANAGE, region_code):
        raise PermissionDenied(_("Only an administrator may manage retention."))


def policies_seed() -> int:
    """Create the default policy of every category that has none (idempotent; migration 0002 does it on
    a new installation, the demo and the tests call it again)."""
    created = 0
    for category, values in DEFAULTS.items():
        _policy, made = RetentionPolicy.objects.get_or_create(category=category, defaults=values)
        created += made
    return created


def _check_policy(category: str, clock: str, period_days: int, action: str) -> None:
    errors: dict[str, list[str]] = {}
    if category not in COVERAGE:
        raise ValidationError({"category": [_("Unknown data category.")]})
    if clock not in allowed_clocks(category):
        errors["clock"] = [_("This clock does not apply to this data category.")]
    if action not in allowed_actions(category):
        errors["action"] = [_("This action does not apply to this data category.")]
    if category == "audit" and period_days < AUDIT_MINIMUM_DAYS:
        errors["period_days"] = [_("The Cybersecurity Law keeps network logs at least six months (%(days)d days).")
                                 % {"days": AUDIT_MINIMUM_DAYS}]
    if category == "persons" and period_days != 0:
        errors["period_days"] = [_("A person goes with their last record: the period is 0.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def policy_change_propose(*, actor, category: str, clock: str, period_days: int, action: str, legal_basis: str,
                          reason: str, request=None) -> PolicyChange:
    """Propose a change of a category's policy; in force once a second administrator approves it."""
    _require(actor)
    _check_policy(category, clock, period_days, action)
    if PolicyChange.objects.filter(category=category, status=PolicyChange.Status.PENDING).exists():
        raise ValidationError({"category": [_("A change of this policy already awaits a decision.")]})
    current = RetentionPolicy.objects.filter(category=category).first()
    change = PolicyChange(category=category, clock=clock, period_days=period_days, action=action,
                          legal_basis=legal_basis.strip(), reason=reason.strip(), proposed_by=actor,
                          base_version=current.version if current else 0)
    change.full_clean()
    change.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=change, request=request,
                 detail={"category": category, "clock": clock, "period_days": period_days, "action": action})
    return change


@transaction.atomic
def policy_change_decide(*, actor, change: PolicyChange, approve: bool, request=None) -> PolicyChange:
    """The second administrator's decision: an approved change replaces the policy in force."""
    _require(actor)
    change = PolicyChange.objects.select_for_update().get(pk=change.pk)
    if change.status != PolicyChange.Status.PENDING:
        raise ValidationError(_("This change was already decided."))
    if change.proposed_by_id == actor.pk:
        raise PermissionDenied(_("A second administrator must decide a change you proposed."))
    policy = RetentionPolicy.objects.select_for_update().filter(category=change.category).first()
    if approve:  # the rules again: a change proposed before a rule was tightened is refused, not applied
        _check_policy(change.category, change.clock, change.period_days, change.action)
    if approve and (policy.version if policy else 0) != change.base_version:
        raise ValidationError(_("The policy changed since this was proposed; propose the change again."))
    change.status = PolicyChange.Status.APPROVED if approve else PolicyChange.Status.REJECTED
    change.decided_by, change.decided_at = actor, timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        values = {field: getattr(change, field) for field in POLICY_FIELDS}
        if policy is None:
            RetentionPolicy.objects.create(category=change.category, **values)
        else:
            for field, value in values.items():
                setattr(policy, field, value)
            policy.version += 1
            policy.updated_at = timezone.now()
            policy.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=change, request=request,
                 detail={"category": change.category, "decision": change.status,
                         "proposed_by": change.proposed_by_id})
    return change


@transaction.atomic
def hold_place(*, actor, target: str, reason: str, object_id: int | None = None, region: str = "",
               request=None) -> LegalHold:
    """Suspend every policy for one record or a region (a court order, an investigation, a complaint)."""
    _require(actor)
    if target == LegalHold.Target.REGION:
        place = Region.objects.filter(code=region).first()
        if place is None:
            raise ValidationError({"region": [_("No region with this code.")]})
        hold = LegalHold(target=target, region=place, reason=reason.strip(), placed_by=actor)
    else:
        if object_id is None:
            raise ValidationError({"object_id": [_("Name the record to hold.")]})
        hold = LegalHold(target=target, object_id=object_id, reason=reason.strip(), placed_by=actor)
    hold.full_clean()
    hold.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=hold, request=request,
                 region_code=region, detail={"target": target, "object_id": object_id})
    return hold


@transaction.atomic
def hold_release(*, actor, hold: LegalHold, request=None) -> LegalHold:
    _require(actor)
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.released_at is not None:
        raise ValidationError(_("This hold was already released."))
    hold.released_by, hold.released_at = actor, timezone.now()
    hold.save(update_fields=["released_by", "released_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=hold, request=request,
                 detail={"released": True})
    return hold


@transaction.atomic
def epidemic_end_record(*, actor, disease: str, region: str, declared_over: dt.date, request=None) -> EpidemicEnd:
    """Record the day an epidemic was declared over in a region: the clock of ``epidemic_over`` policies."""
    from fangkong.cases.models import Disease

    _require(actor)
    errors = {}
    found_disease = Disease.objects.filter(code=disease).first()
    place = Region.objects.filter(code=region).first()
    if found_disease is None:
        errors["disease"] = [_("Unknown disease.")]
    if place is None:
        errors["region"] = [_("No region with this code.")]
    if declared_over > timezone.localdate():
        errors["declared_over"] = [_("This day has not come yet.")]
    if errors:
        raise ValidationError(errors)
    end, _created = EpidemicEnd.objects.update_or_create(
        disease=found_disease, region=place, defaults={"declared_over": declared_over, "recorded_by": actor})
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=end, region_code=region, request=request,
                 detail={"disease": disease, "declared_over": declared_over.isoformat()})
    return end


@transaction.atomic
def purge_plan(*, actor, region: str, as_of: dt.date | None = None, request=None) -> Purge:
    """The dry run: per category, how many records the policies in force make due and since when."""
    _require(actor, region)
    place = Region.objects.filter(code=region).first()
    if place is None:
        raise ValidationError({"region": [_("No region with this code.")]})
    as_of = as_of or timezone.localdate()
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": [_("A purge cannot run ahead of time.")]})
    policies = selectors.policy_map()
    plan = purging.plan_counts(policies=policies, as_of=as_of, region_code=region)
    purge = Purge.objects.create(
        as_of=as_of, region=place, plan=plan, requested_by=actor,
        policies={c: {f: getattr(p, f) for f in POLICY_FIELDS} for c, p in policies.items()})
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=purge, region_code=region, request=request,
                 detail={"as_of": as_of.isoformat(), "counts": {c: e["count"] for c, e in plan.items()}})
    return purge


@transaction.atomic
def purge_decide(*, actor, purge: Purge, approve: bool, request=None) -> Purge:
    """A second administrator approves (the run is queued) or rejects a planned purge."""
    _require(actor, purge.region_id)
    purge = Purge.objects.select_for_update().get(pk=purge.pk)
    if purge.status != Purge.Status.PLANNED:
        raise ValidationError(_("This purge was already decided."))
    if purge.requested_by_id == actor.pk:
        raise PermissionDenied(_("A second administrator must approve a purge you planned."))
    purge.status = Purge.Status.APPROVED if approve else Purge.Status.REJECTED
    purge.approved_by, purge.approved_at = actor, timezone.now()
    purge.save(update_fields=["status", "approved_by", "approved_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=purge, region_code=purge.region_id,
                 request=request, detail={"decision": purge.status})
    if approve:
        from .tasks import purge_run_task

        enqueue_on_commit(purge_run_task, purge.pk)
    return purge


def purge_run(*, purge_id: int, batch_size: int = purging.BATCH_SIZE) -> Purge:
    """Run an approved purge (or finish an interrupted one) and issue its certificate. Not a user action:
    the job queued by ``purge_decide`` calls it, and ``fangkong retention_purge`` after a crash."""
    with transaction.atomic():
        purge = Purge.objects.select_for_update().get(pk=purge_id)
        if purge.status == Purge.Status.DONE:
            return purge
        if purge.status not in (Purge.Status.APPROVED, Purge.Status.RUNNING):
            raise ValidationError(_("Only an approved purge runs."))
        if purge.status == Purge.Status.APPROVED:
            purge.status, purge.started_at = Purge.Status.RUNNING, timezone.now()
            purge.save(update_fields=["status", "started_at"])
            audit_record(actor=purge.approved_by, action=AuditEvent.Action.DELETE, obj=purge,
                         region_code=purge.region_id, detail={"started": True})
    purge = purging.purge_execute(purge, batch_size=batch_size)
    with transaction.atomic():
        purge = Purge.objects.select_for_update().get(pk=purge_id)
        purge.status, purge.finished_at = Purge.Status.DONE, timezone.now()
        purge.save(update_fields=["status", "finished_at"])
        certificate = certificate_issue(purge)
        audit_record(actor=purge.approved_by, action=AuditEvent.Action.DELETE, obj=purge,
                     region_code=purge.region_id,
                     detail={"finished": True, "counts": purge.progress.get("counts", {}),
                             "certificate": certificate.references_sha256})
    return purge


def references_digest(purge: Purge) -> tuple[str, int]:
    """SHA-256 of the sorted list of ``category:reference`` lines, one per purged record, and their number."""
    digest, number = hashlib.sha256(), 0
    rows = PurgedReference.objects.filter(purge=purge).order_by("category", "reference")
    for category, ref in rows.values_list("category", "reference").iterator(chunk_size=10000):
        digest.update(f"{category}:{ref}\n".encode())
        number += 1
    return digest.hexdigest(), number


def certificate_issue(purge: Purge) -> DeletionCertificate:
    """The purge's certificate (in the caller's transaction): what, by which policy, approved by whom, how many."""
    existing = selectors.certificate_of(purge)
    if existing is not None:
        return existing
    refs_hash, number = references_digest(purge)
    content = {
        "purge": purge.pk, "region": purge.region_id, "as_of": purge.as_of.isoformat(),
        "requested_by": purge.requested_by.get_username(), "approved_by": purge.approved_by.get_username(),
        "approved_at": purge.approved_at.isoformat(), "finished_at": purge.finished_at.isoformat(),
        "policies": purge.policies, "counts": purge.progress.get("counts", {}), "references": number,
        "references_sha256": refs_hash,
    }
    return DeletionCertificate.objects.create(purge=purge, content=content, references_sha256=refs_hash)


@transaction.atomic
def certificate_pdf(*, actor, certificate: DeletionCertificate, document_html: str, request=None) -> bytes:
    """The certificate's PDF (``fangkong.bulletins.report.render_pdf``): made once, then kept and served."""
    from fangkong.bulletins.report import render_pdf

    _require(actor)
    certificate = DeletionCertificate.objects.select_for_update().get(pk=certificate.pk)
    if not certificate.pdf:
        pdf = render_pdf(document_html)
        certificate.pdf, certificate.pdf_sha256 = pdf, hashlib.sha256(pdf).hexdigest()
        certificate.save(update_fields=["pdf", "pdf_sha256"])
    audit_record(actor=actor, action=AuditEvent.Action.EXPORT, obj=certificate, request=request,
                 detail={"pdf_sha256": certificate.pdf_sha256})
    return bytes(certificate.pdf)
