"""Results reported by another system: a person's single specimens and their results as a hospital's case report
carries them (``fangkong.interop``: the Observations of a FHIR case-report Bundle), recorded by whoever registers
the case — not by the laboratory's staff, who record their own through ``services``.

Each result is recorded as a specimen of the person and its result at the performing **laboratory, found by
name** among the laboratories whose service area covers the person (a laboratory the platform does not know is
refused: laboratories are reference data, registered by a manager). The result's fields are read with the
result form's own schema (``inputs.ResultInput``: outcome, Ct values above 0 and at most 45, times), the
specimen's with its type's choices; a positive gives its Ct values; a sample is received after it is taken.

**Once**: a specimen code the laboratory already has, with the same result, is skipped (the same report
imported again); with another result, or of another person, it is refused. All of a person's results or none.
The sampler and sampling point of such a specimen read "reported" (the report does not say); one audit event per
person names how many results came and from where.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.inputs import validate_row
from fangkong.persons.models import Person
from fangkong.regions.codes import covers

from .inputs import ResultInput
from .models import Laboratory, Result, Specimen
from .services import same_result

REPORTED = "reported"  # the sampler and sampling point of a specimen known only from a report


def reported_results_record(*, actor, person: Person, results: list[dict], source: str,
                            request=None, now: dt.datetime | None = None) -> int:
    """Record ``results`` of ``person`` (module docstring): dicts of ``laboratory`` (its name), ``code``,
    ``kind``, ``sampled_at`` (aware) and ``ResultInput``'s fields (``outcome``, ``ct_values`` by gene target,
    ``received_at``, ``resulted_at``). ``ValidationError`` keyed ``"<n>.<field>"`` (``n``: the result's index),
    nothing recorded; ``PermissionDenied`` for a caller who may not register cases in the person's region.
    Returns how many were recorded (the rest were there already)."""
    if not results:
        return 0
    if not can(actor, Capability.CASE_WRITE, person.address_region_id):
        raise PermissionDenied(_("Your role may not register cases."))
    now = now or timezone.now()
    laboratories = {lab.name: lab for lab in Laboratory.objects.all() if covers(lab.region_id, person.address_region_id)}
    errors: dict[str, list[str]] = {}
    fresh: list[tuple[Laboratory, dict, dict]] = []
    seen: set[tuple[int, str]] = set()
    for n, reported in enumerate(results):
        def refuse(field: str, message: str, n=n) -> None:
            errors.setdefault(f"{n}.{field}", []).append(message)

        laboratory = laboratories.get(reported.get("laboratory", ""))
        if laboratory is None:
            refuse("laboratory", _("No laboratory of this name serves the person's region."))
        if reported.get("kind") not in Specimen.Kind.values:
            refuse("kind", _("Unknown specimen type."))
        sampled_at = reported.get("sampled_at")
        if sampled_at is None:
            refuse("sampled_at", _("The sampling time is required."))
        values, field_errors = validate_row(ResultInput, {name: reported.get(name) for name in ResultInput().fields})
        for field, messages in field_errors.items():
            for message in messages:
                refuse(field, message)
        if values is None or laboratory is None or sampled_at is None:
            continue
        if values["outcome"] == "positive" and not values["ct_values"]:
            refuse("ct_values", _("A positive result gives its Ct values."))
        if values["received_at"] < sampled_at:
            refuse("received_at", _("A sample cannot be received before it was taken."))
        if values["resulted_at"] < values["received_at"]:
            refuse("resulted_at", _("A result cannot come before the sample was received."))
        if max(sampled_at, values["resulted_at"]) > now + dt.timedelta(minutes=5):
            refuse("resulted_at", _("A result cannot be in the future."))
        if (laboratory.pk, values["code"]) in seen:
            refuse("code", _("This specimen appears twice in the report."))
        seen.add((laboratory.pk, values["code"]))
        fresh.append((laboratory, reported, values))
    if errors:
        raise ValidationError(errors)
    recorded = 0
    with transaction.atomic():
        for n, (laboratory, reported, values) in enumerate(fresh):
            known = (Specimen.objects.select_related("result").filter(laboratory=laboratory, code=values["code"])
                     .first())
            if known is not None:
                result = getattr(known, "result", None)
                if known.person_id == person.pk and result is not None \
                        and same_result(result, values["outcome"], values["ct_values"]):
                    continue
                errors[f"{n}.code"] = [_("The laboratory has another sample with this code.")]
                continue
            specimen = Specimen.objects.create(
                laboratory=laboratory, region_id=person.address_region_id, code=values["code"],
                subject=Specimen.Subject.PERSON, person=person, kind=reported["kind"],
                sampled_at=reported["sampled_at"], sampling_point=REPORTED, sampler=REPORTED, created_by=actor)
            Result.objects.create(laboratory=laboratory, specimen=specimen, outcome=values["outcome"],
                                  ct_values=values["ct_values"], received_at=values["received_at"],
                                  resulted_at=values["resulted_at"], recorded_at=now, recorded_by=actor)
            recorded += 1
        if errors:
            raise ValidationError(errors)
        if recorded:
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=person,
                         region_code=person.address_region_id, request=request,
                         detail={"reported_results": recorded, "source": source[:64]})
            bump_data_generation()
    return recorded
