"""Writes of the laboratory module: each checks the capability, runs in a transaction, is audited.

Pools (混管) and their resolution — the rule, whatever order the results arrive in:

1. A pool's result is recorded once. A **positive or inconclusive** pool at once puts every member under
   temporary control (``PoolMember.controlled_at``), gives each a single re-sampling deadline
   (``resample_due``, ``RESAMPLE_WITHIN``) and raises one problem with a 24-hour task in the three lists for
   the pool's region (``problems``: "混管阳性 … 人待单采单检"). A negative pool clears its members.
2. A member's **verdict** is computed from the set of its single results (单采单检), never from their order:
   positive if any single is positive; else negative if any is negative; else inconclusive (a single that
   could not decide: the member stays under control and needs another single). A member re-sampled twice
   thus keeps a positive once found, and an inconclusive single followed (or preceded) by a negative one is
   negative.
3. A member is released (``released_at``) when its verdict is negative; a positive member stays under control
   (its case: ``case_from_result``).
4. The pool **resolves** when every member has a decisive verdict (positive or negative): ``confirmed`` when
   at least one is positive, ``not_confirmed`` when every single contradicts the pool (all negative — the
   pool's result is kept as it was, the contradiction is the resolution). An inconclusive pool resolves the
   same way. A single result arriving after the pool resolved recomputes it (a late positive single turns a
   ``not_confirmed`` pool into ``confirmed``; a ``confirmed`` pool stays so).

Bad input is refused with the field it concerns and nothing written: a result for an unknown or
already-resulted sample, a Ct value out of 0 < Ct ≤ 45 (``inputs``), a member in two pools of one round, a
pool size the round does not allow, a person outside the laboratory's service area. A result file is read
once (its SHA-256 per laboratory); a row identical to the result already recorded is counted unchanged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from operator import itemgetter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can, memberships_of
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.modules import person_results_hand_over
from fangkong.persons import protection, rules
from fangkong.persons.models import Person
from fangkong.regions.codes import covers
from fangkong.regions.models import Region

from .apps import MANAGE, TEST
from .models import (
    GoodsLot,
    Investigation,
    Laboratory,
    LotStop,
    Outcome,
    Pool,
    PoolMember,
    Result,
    ResultImport,
    ScreeningRound,
    Specimen,
)
from .selectors import person_results_of

#: Time allowed for the single re-sampling of the members of a positive or inconclusive pool.
RESAMPLE_WITHIN = dt.timedelta(hours=24)
FLAGGED = (Outcome.POSITIVE, Outcome.INCONCLUSIVE)


def _region(code: str, field: str = "region") -> Region:
    place = Region.objects.filter(code=code or "").first()
    if place is None:
        raise ValidationError({field: [_("No region with this code.")]})
    return place


def _require(actor, capability: str, region_code: str, message: str) -> None:
    if not can(actor, capability, region_code):
        raise PermissionDenied(message)


def may_test(actor, laboratory: Laboratory) -> bool:
    """Whether the actor records samples and results of ``laboratory``: the capability in its region, and —
    for a laboratory's own staff role — being one of its staff."""
    if not can(actor, TEST, laboratory.region_id):
        return False
    if any(role != Role.LABORATORY and covers(code, laboratory.region_id) and can(actor, TEST, code)
           for code, role in memberships_of(actor)):
        return True
    return laboratory.staff.filter(pk=actor.pk).exists()


def _require_test(actor, laboratory: Laboratory) -> None:
    if not may_test(actor, laboratory):
        raise PermissionDenied(_("You may not record samples or results of this laboratory."))


# --- laboratories, goods lots, rounds -------------------------------------------------------------------------


@transaction.atomic
def laboratory_create(*, actor, name: str, region: str, daily_capacity: int, tests: str = "", staff=(),
                      request=None) -> Laboratory:
    """Record a laboratory serving ``region``'s subtree; ``staff``: users (their laboratory role sees its samples)."""
    _require(actor, MANAGE, region, _("You may not record laboratories in this region."))
    place = _region(region)
    lab = Laboratory(name=name, region=place, daily_capacity=daily_capacity, tests=tests, created_by=actor)
    lab.full_clean()
    lab.save()
    if staff:
        lab.staff.set(staff)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=lab, region_code=region, request=request)
    return lab


@transaction.atomic
def goods_lot_create(*, actor, region: str, request=None, **fields) -> GoodsLot:
    """Record a goods lot (fields of ``inputs.GoodsLotInput``); a lot number is once per owner enterprise."""
    _require(actor, TEST, region, _("You may not record goods lots in this region."))
    place = _region(region)
    if GoodsLot.objects.filter(owner_credit_code=fields.get("owner_credit_code"), lot_no=fields.get("lot_no")).exists():
        raise ValidationError({"lot_no": [_("This enterprise already has a lot with this number.")]})
    lot = GoodsLot(region=place, created_by=actor, **fields)
    lot.full_clean()
    lot.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=lot, region_code=region, request=request)
    return lot


@transaction.atomic
def round_create(*, actor, county: str, name: str, starts_on: dt.date, population: int,
                 expected_prevalence: float, pool_sizes: list[int], days: int = 1, request=None) -> ScreeningRound:
    """Open a mass-screening round (全员核酸) of one county over ``days`` sampling days from ``starts_on``: its
    test kits and samplers feed the resources forecast of its city while it is open (``demands``)."""
    _require(actor, MANAGE, county, _("You may not open screening rounds in this region."))
    place = _region(county, "county")
    if place.level != Region.Level.COUNTY:
        raise ValidationError({"county": [_("A screening round is for one county (district).")]})
    screening = ScreeningRound(county=place, name=name, starts_on=starts_on, days=days, population=population,
                               expected_prevalence=expected_prevalence, pool_sizes=sorted(set(pool_sizes)),
                               created_by=actor)
    screening.full_clean()
    screening.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=screening, region_code=county, request=request,
                 detail={"days": days, "population": population})
    bump_data_generation()
    return screening


@transaction.atomic
def round_close(*, actor, round: ScreeningRound, status: str, request=None) -> ScreeningRound:
    """Finish a round (its sampling done) or cancel it (before any pool was sampled): either way its kits and
    samplers leave the resources forecast and it takes no new pool; results of its pools are still recorded.
    Refused when it is closed already, and a cancellation once pools are recorded (finish it instead)."""
    _require(actor, MANAGE, round.county_id, _("You may not close screening rounds in this region."))
    locked = ScreeningRound.objects.select_for_update().get(pk=round.pk)
    if status not in (ScreeningRound.Status.FINISHED, ScreeningRound.Status.CANCELLED):
        raise ValidationError({"status": [_("Choose whether the round is finished or cancelled.")]})
    if locked.status != ScreeningRound.Status.OPEN:
        raise ValidationError({"status": [_("This round is closed already.")]})
    if status == ScreeningRound.Status.CANCELLED and locked.pools_sampled:
        raise ValidationError({"status": [_("Pools of this round are recorded: finish it rather than cancel it.")]})
    locked.status, locked.closed_at = status, timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, region_code=locked.county_id,
                 request=request, detail={"status": status})
    bump_data_generation()
    return locked


# --- persons of samples ---------------------------------------------------------------------------------------


def persons_by_citizen_id(laboratory: Laboratory, numbers: list[str], field: str) -> list[Person]:
    """The registered persons with these citizen IDs (keyed-hash look-up: the numbers are never stored), in
    order; refused by ``field`` when a number is invalid or repeated, or not registered in the laboratory's
    service area (one message for a person registered elsewhere and for one registered nowhere)."""
    errors, valid = [], []
    for raw in numbers:
        parsed = rules.citizen_id_verdict(raw)
        if isinstance(parsed, str):
            errors.append(f"{raw[:6]}…: {parsed}")
            continue
        valid.append(parsed.number)
    lookup = protection.identifier_lookup(valid, "citizen_id")
    hashes = lookup.current
    if len(set(hashes)) != len(hashes):
        errors.append(_("The same person is listed twice."))
    # a person registered elsewhere is answered like one not registered at all: the laboratory learns nothing
    # of a citizen ID outside its service area (not even that the registry holds it)
    found = {lookup.canonical(p.citizen_id_hash): p for p in Person.objects.filter(citizen_id_hash__in=lookup.hashes)
             if covers(laboratory.region_id, p.address_region_id)}
    unknown = sum(1 for h in hashes if h not in found)
    if unknown:
        errors.append(_("%(n)d citizen ID(s) not registered in the laboratory's service area.") % {"n": unknown})
    if errors:
        raise ValidationError({field: errors})
    return [found[h] for h in hashes]


# --- pools and specimens --------------------------------------------------------------------------------------


def _code_free(laboratory: Laboratory, code: str) -> None:
    if Pool.objects.filter(laboratory=laboratory, code=code).exists() or \
            Specimen.objects.filter(laboratory=laboratory, code=code).exists():
        raise ValidationError({"code": [_("This laboratory already has a sample with this code.")]})


@transaction.atomic
def pool_record(*, actor, round: ScreeningRound, laboratory: Laboratory, code: str, size: int,
                sampled_at: dt.datetime, sampling_point: str, sampler: str, citizen_ids: list[str],
                request=None) -> Pool:
    """Record a mixed tube of ``round`` and its members (by citizen ID): refused when the size is not one the
    round allows, when it holds more members than its size, when a member is already in a pool of the round
    or outside the laboratory's service area."""
    _require_test(actor, laboratory)
    errors: dict[str, list[str]] = {}
    if not ScreeningRound.objects.filter(pk=round.pk, status=ScreeningRound.Status.OPEN).exists():
        errors["round"] = [_("This round is finished or cancelled: it takes no new pool.")]
    if size not in round.pool_sizes:
        errors["size"] = [_("This round allows pools of %(sizes)s only.")
                          % {"sizes": ", ".join(str(s) for s in round.pool_sizes)}]
    if not citizen_ids:
        errors["citizen_ids"] = [_("A pool needs its members.")]
    elif len(citizen_ids) > size:
        errors["citizen_ids"] = [_("More members than the pool size.")]
    if not covers(laboratory.region_id, round.county_id) and not covers(round.county_id, laboratory.region_id):
        errors["laboratory"] = [_("The laboratory does not serve this round's county.")]
    try:
        _code_free(laboratory, code)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    persons = []
    if "citizen_ids" not in errors:
        try:
            persons = persons_by_citizen_id(laboratory, citizen_ids, "citizen_ids")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if persons:
        taken = PoolMember.objects.filter(round=round, person__in=persons).count()
        if taken:
            errors.setdefault("citizen_ids", []).append(
                _("%(n)d member(s) already in another pool of this round.") % {"n": taken})
    if errors:
        raise ValidationError(errors)
    pool = Pool(round=round, laboratory=laboratory, region_id=round.county_id, code=code, size=size,
                sampled_at=sampled_at, sampling_point=sampling_point, sampler=sampler, created_by=actor)
    pool.full_clean(validate_constraints=False)
    pool.save()
    PoolMember.objects.bulk_create([PoolMember(pool=pool, round=round, person=p) for p in persons])
    ScreeningRound.objects.filter(pk=round.pk).update(pools_sampled=F("pools_sampled") + 1,
                                                      persons_sampled=F("persons_sampled") + len(persons))
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=pool, region_code=pool.region_id,
                 request=request, detail={"members": len(persons)})
    bump_data_generation()
    return pool


@transaction.atomic
def specimen_record(*, actor, laboratory: Laboratory, code: str, subject: str, kind: str,
                    sampled_at: dt.datetime, sampling_point: str, sampler: str, condition: str = "good",
                    citizen_id: str = "", goods_lot: GoodsLot | None = None, place=None, region: str = "",
                    pool_member: PoolMember | None = None, request=None) -> Specimen:
    """Record one specimen of a person (by citizen ID, within the laboratory's service area), a goods lot or an
    environment site; a single of a pool member under control names the member (``pool_member``)."""
    _require_test(actor, laboratory)
    errors: dict[str, list[str]] = {}
    try:
        _code_free(laboratory, code)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    person = None
    if subject == Specimen.Subject.PERSON:
        if pool_member is not None:
            person = pool_member.person
            if pool_member.controlled_at is None:
                errors["pool_member"] = [_("This member's pool did not call for a single re-sample.")]
        elif not citizen_id:
            errors["citizen_id"] = [_("A person's specimen needs the person's citizen ID.")]
        else:
            try:
                person = persons_by_citizen_id(laboratory, [citizen_id], "citizen_id")[0]
            except ValidationError as exc:
                errors.update(exc.message_dict)
        region_code = person.address_region_id if person else ""
        goods_lot = place = None
    elif subject == Specimen.Subject.GOODS:
        if goods_lot is None:
            errors["goods_lot"] = [_("Choose the goods lot.")]
        region_code = goods_lot.region_id if goods_lot else ""
        place = None
    else:
        if place is None:
            errors["place"] = [_("Choose the place sampled.")]
        region_code = place.region_id if place else ""
        goods_lot = None
    if region_code and not covers(laboratory.region_id, region_code):
        errors.setdefault("__all__", []).append(_("The subject lies outside the laboratory's service area."))
    if errors:
        raise ValidationError(errors)
    specimen = Specimen(laboratory=laboratory, region_id=region_code, code=code, subject=subject, person=person,
                        goods_lot=goods_lot, place=place, kind=kind, sampled_at=sampled_at,
                        sampling_point=sampling_point, sampler=sampler, condition=condition,
                        pool_member=pool_member, created_by=actor)
    specimen.full_clean(validate_constraints=False)
    specimen.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=specimen, region_code=region_code,
                 request=request, detail={"subject": subject})
    return specimen


# --- results --------------------------------------------------------------------------------------------------


def _sample(laboratory: Laboratory, code: str):
    pool = Pool.objects.select_for_update().filter(laboratory=laboratory, code=code).first()
    if pool is not None:
        return pool
    specimen = Specimen.objects.select_for_update().filter(laboratory=laboratory, code=code).first()
    if specimen is None:
        raise ValidationError({"code": [_("No sample with this code in this laboratory.")]})
    return specimen


def _times(received_at: dt.datetime, resulted_at: dt.datetime, sampled_at: dt.datetime, now: dt.datetime) -> None:
    errors = {}
    if received_at < sampled_at:
        errors["received_at"] = [_("A sample cannot be received before it was taken.")]
    if resulted_at < received_at:
        errors["resulted_at"] = [_("A result cannot come before the sample was received.")]
    if resulted_at > now + dt.timedelta(minutes=5):
        errors.setdefault("resulted_at", []).append(_("A result cannot be in the future."))
    if errors:
        raise ValidationError(errors)


def same_result(result: Result, outcome: str, ct_values: dict) -> bool:
    return result.outcome == outcome and {k: float(v) for k, v in result.ct_values.items()} == \
        {k: float(v) for k, v in (ct_values or {}).items()}


def result_record(*, actor, laboratory: Laboratory, code: str, outcome: str, received_at: dt.datetime,
                  resulted_at: dt.datetime, ct_values: dict | None = None, source: ResultImport | None = None,
                  request=None, now: dt.datetime | None = None) -> Result:
    """Record the result of the pool or specimen ``code`` of ``laboratory`` (once); a pool's result flags or
    clears its members, a single's resolves its member and pool (module docstring)."""
    _require_test(actor, laboratory)
    now = now or timezone.now()
    if outcome == Outcome.POSITIVE and not ct_values:
        raise ValidationError({"ct_values": [_("A positive result gives its Ct values.")]})
    with transaction.atomic():
        sample = _sample(laboratory, code)
        if Result.objects.filter(**{"pool" if isinstance(sample, Pool) else "specimen": sample}).exists():
            raise ValidationError({"code": [_("This sample already has a result.")]})
        _times(received_at, resulted_at, sample.sampled_at, now)
        result = Result(laboratory=laboratory, outcome=outcome, ct_values=ct_values or {}, received_at=received_at,
                        resulted_at=resulted_at, source=source, recorded_at=now, recorded_by=actor)
        if isinstance(sample, Pool):
            result.pool = sample
        else:
            result.specimen = sample
        result.full_clean(validate_constraints=False)
        result.save()
        if isinstance(sample, Pool):
            _pool_resulted(sample, outcome, resulted_at, now)
        elif sample.pool_member_id:
            member_resolve(sample.pool_member_id, now)
        elif outcome == Outcome.POSITIVE and sample.subject != Specimen.Subject.PERSON:
            investigation_open(actor=actor, specimen=sample, now=now, request=request)
        person_results_hand_over(person_results_of(Result.objects.filter(pk=result.pk)), actor=actor)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=result, region_code=sample.region_id,
                     request=request, detail={"code": code, "outcome": outcome, "import": getattr(source, "pk", None)})
        bump_data_generation()
    return result


def _pool_resulted(pool: Pool, outcome: str, resulted_at: dt.datetime, now: dt.datetime) -> None:
    tally = {"pools_tested": F("pools_tested") + 1}
    if outcome == Outcome.POSITIVE:
        tally["pools_positive"] = F("pools_positive") + 1
    elif outcome == Outcome.INCONCLUSIVE:
        tally["pools_inconclusive"] = F("pools_inconclusive") + 1
    ScreeningRound.objects.filter(pk=pool.round_id).update(**tally)
    if outcome in FLAGGED:
        pools_flag(Pool.objects.filter(pk=pool.pk), now)


def pools_flag(pools, now: dt.datetime) -> int:
    """Put the members of the positive or inconclusive ``pools`` (a queryset) not flagged yet under control
    with their re-sampling deadline (one UPDATE), mark the pools flagged, and raise the re-sampling problem in
    the three lists — one per round and county for the pools flagged together (a result: its pool; a city's
    result file: its positive tubes), each with its urgent task; the number of members flagged. Pools already
    flagged are left as they are (run twice, nothing changes)."""
    from .problems import pools_problem_raise

    fresh = list(pools.filter(result__outcome__in=FLAGGED, flagged_at__isnull=True)
                 .values_list("pk", "round_id", "region_id"))
    if not fresh:
        return 0
    ids = [pk for pk, _round, _region in fresh]
    flagged = PoolMember.objects.filter(pool_id__in=ids, controlled_at__isnull=True) \
        .update(controlled_at=now, resample_due=now + RESAMPLE_WITHIN)
    Pool.objects.filter(pk__in=ids).update(flagged_at=now)
    groups: dict[tuple[int, str], list[int]] = {}
    for pk, round_id, region_id in fresh:
        groups.setdefault((round_id, region_id), []).append(pk)
    for (round_id, region_id), pool_ids in groups.items():
        pools_problem_raise(round_id, region_id, pool_ids, now)
    return flagged


def member_verdict(outcomes) -> str:
    """The verdict of a member from the set of its single results (module docstring, rule 2)."""
    found = set(outcomes)
    for outcome in (Outcome.POSITIVE, Outcome.NEGATIVE, Outcome.INCONCLUSIVE):
        if outcome in found:
            return outcome
    return ""


def member_resolve(member_id: int, now: dt.datetime) -> None:
    """Recompute a member's verdict from its singles, release it when negative, and resolve its pool."""
    member = PoolMember.objects.select_for_update().get(pk=member_id)
    verdict = member_verdict(Result.objects.filter(specimen__pool_member=member).values_list("outcome", flat=True))
    member.verdict = verdict
    member.released_at = (member.released_at or now) if verdict == Outcome.NEGATIVE else None
    member.save(update_fields=["verdict", "released_at"])
    pool_resolve(member.pool_id, now)


def pool_resolve(pool_id: int, now: dt.datetime) -> None:
    """The pool's resolution from its members' verdicts (module docstring, rule 4)."""
    pool = Pool.objects.select_for_update().get(pk=pool_id)
    verdicts = list(PoolMember.objects.filter(pool=pool).values_list("verdict", flat=True))
    if verdicts and all(v in (Outcome.POSITIVE, Outcome.NEGATIVE) for v in verdicts):
        resolution = Pool.Resolution.CONFIRMED if Outcome.POSITIVE in verdicts else Pool.Resolution.NOT_CONFIRMED
    else:
        resolution = ""
    if resolution != pool.resolution:
        was_resolved = bool(pool.resolution)
        pool.resolution = resolution
        pool.resolved_at = now if resolution else None
        pool.save(update_fields=["resolution", "resolved_at"])
        if was_resolved != bool(resolution):
            ScreeningRound.objects.filter(pk=pool.round_id).update(
                pools_resolved=F("pools_resolved") + (1 if resolution else -1))


def specimen_record_by_ids(*, actor, laboratory: Laboratory, goods_lot: int | None = None, place: int | None = None,
                           pool_member: int | None = None, **fields) -> Specimen:
    """``specimen_record`` from what the form and the API give: the lot, place and pool member by number,
    each found among the laboratory's (the lot and place within its service area, the member in its pools)."""
    from fangkong.places.models import Place
    from fangkong.regions.codes import subtree_prefix

    prefix = subtree_prefix(laboratory.region_id)
    errors = {}
    lot = member = where = None
    if goods_lot is not None:
        lot = GoodsLot.objects.filter(pk=goods_lot, region__code__startswith=prefix).first()
        if lot is None:
            errors["goods_lot"] = [_("No goods lot with this number in the laboratory's service area.")]
    if place is not None:
        where = Place.objects.filter(pk=place, region__code__startswith=prefix).first()
        if where is None:
            errors["place"] = [_("No place with this number in the laboratory's service area.")]
    if pool_member is not None:
        member = PoolMember.objects.select_related("person").filter(pk=pool_member,
                                                                    pool__laboratory=laboratory).first()
        if member is None:
            errors["pool_member"] = [_("No member with this number in this laboratory's pools.")]
    if errors:
        raise ValidationError(errors)
    return specimen_record(actor=actor, laboratory=laboratory, goods_lot=lot, place=where, pool_member=member,
                           **fields)


def case_from_result(*, actor, specimen: Specimen, classification: str, reported_at=None, request=None):
    """The case of a positive single result of a person: the person's case of COVID-19 found, or registered
    through the cases service (``cases.services.case_register``: its checks, number and audit), detected by
    screening, diagnosed at the result time, reported now (or at ``reported_at``, which the cases service
    checks: not before the diagnosis, not in the future). Audited here too (which result made it)."""
    from fangkong.cases.models import Case, DetectionRoute, Disease
    from fangkong.cases.services import case_register

    result = getattr(specimen, "result", None)
    if specimen.person_id is None or result is None or result.outcome != Outcome.POSITIVE:
        raise ValidationError({"__all__": [_("Only a positive result of a person becomes a case.")]})
    disease = Disease.objects.filter(code="covid-19").first()
    with transaction.atomic():
        case = Case.objects.filter(person_id=specimen.person_id, disease=disease).order_by("id").first()
        found = case is not None
        if case is None:
            case = case_register(actor=actor, request=request, person=specimen.person, disease=disease,
                                 classification=classification, diagnosed_at=result.resulted_at,
                                 reported_at=reported_at,
                                 report_region=specimen.person.address_region_id,
                                 sampling_date=timezone.localtime(specimen.sampled_at).date(),
                                 detection_route=DetectionRoute.SCREENING)
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE if found else AuditEvent.Action.CREATE, obj=result,
                     region_code=specimen.region_id, request=request,
                     detail={"case": case.case_no, "found": found})
    return case


# --- result files: a city's round at once ---------------------------------------------------------------------

#: The columns of a result file read through the schema each distinct text once (a city's file holds millions
#: of tube codes but a handful of outcomes, Ct values and times).
SHORT_COLUMNS = ("outcome", "ct_values", "received_at", "resulted_at")
SHOWN_ERRORS = 20


class FileRefused(ValidationError):
    """A result file refused by its rows: the ``ValidationError`` on ``file`` the page and the API show, with
    the rows themselves (``rows``: the first ``SHOWN_ERRORS`` faults as ``(row, column, message)``; ``total``:
    how many rows were refused) for an import job's list of refused rows (``imports.results_run``)."""

    def __init__(self, rows: list[tuple[int, str, str]], total: int, messages: list[str]):
        super().__init__({"file": messages})
        self.rows, self.total = rows, total


def results_import(*, actor, laboratory: Laboratory, content: bytes, request=None, now: dt.datetime | None = None,
                   flag: bool = True, progress=None) -> ResultImport:
    """Import a laboratory's result file (CSV: code, outcome, ct_values as ``ORF1ab:31.2;N:30``, received_at,
    resulted_at) — up to a city's round, millions of tubes — all rows or none, in one transaction, audited once.

    Every row is read with the result form's schema (``inputs.ResultInput``, column by column: ``_file_read``)
    and the service's rules across its fields; then, by set in the database (``_file_write``), the sample of
    each code (a pool or a specimen of the laboratory), its receipt not before its sampling, a result already
    recorded, a code listed twice. A refused row is named with its column (the header is row 1) and nothing is
    stored. The same file again returns the first import; a row identical to the result already recorded is
    counted unchanged (a file re-saved with other line ends is not doubled); a different one is refused. The
    pools' results are written by one INSERT … SELECT from a staging table (COPY on PostgreSQL), the rounds'
    tallies added up from what was written, and the positive or inconclusive pools' members put under control
    with their re-sampling problem (``pools_flag``; ``flag=False`` leaves it to the caller: the benchmark times
    it apart). Single specimens (re-samples of pool members: few) are recorded one by one by ``result_record``,
    which resolves their member and pool. ``progress(done, total)``, if given, hears of the rows read and
    checked (an import job's progress, ``imports.results_run``)."""
    _require_test(actor, laboratory)
    now = now or timezone.now()
    digest = hashlib.sha256(content).hexdigest()
    done = ResultImport.objects.filter(laboratory=laboratory, sha256=digest).first()
    if done is not None:
        return done
    rows, errors, total = _file_read(content, now)
    if errors:
        raise _file_refused(errors, total)
    if progress is not None:  # read by the schema; the database's checks and the writes are one statement each
        progress(len(rows) // 2, len(rows))
    try:
        with transaction.atomic():
            batch = _file_import(laboratory, digest, rows, actor, now, request, flag)
    except IntegrityError as exc:  # another import or entry recorded one of these samples meanwhile
        raise ValidationError({"file": [_("Some of these samples were given a result meanwhile by another entry "
                                          "or file: nothing of this file was stored. Import it again.")]}) from exc
    return batch


def _file_import(laboratory, digest, rows, actor, now, request, flag) -> ResultImport:
    """The import's writes, in the caller's transaction (``results_import``)."""
    batch = ResultImport.objects.create(laboratory=laboratory, sha256=digest, rows=len(rows),
                                        created_by=actor, created_at=now)
    recorded = _file_write(laboratory, batch, rows, actor, now, request)
    batch.recorded = recorded
    batch.unchanged = len(rows) - recorded
    batch.save(update_fields=["recorded", "unchanged"])
    flagged = pools_flag(Pool.objects.filter(result__source=batch), now) if flag else 0
    # the singles of the file were handed over one by one (``result_record``); the pools by set here
    person_results_hand_over(person_results_of(Result.objects.filter(source=batch, pool__isnull=False)), actor=actor)
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, obj=batch, region_code=laboratory.region_id,
                 request=request, detail={"rows": batch.rows, "recorded": batch.recorded,
                                          "unchanged": batch.unchanged, "members_flagged": flagged})
    bump_data_generation()
    return batch


def _file_refused(errors: list[tuple[int, str, str]], total: int) -> FileRefused:
    """The refusal of a file: its first ``SHOWN_ERRORS`` faults by row and column, and how many rows more."""
    shown = [_("row %(n)d: %(m)s") % {"n": n, "m": f"{column}: {message}"} for n, column, message in errors]
    more = total - len({n for n, _c, _m in errors})
    if more > 0:
        shown.append(_("%(n)d more row(s) refused.") % {"n": more})
    return FileRefused(errors, total, shown)


def _code_plain(texts: list[str], max_length: int) -> bool:
    """Whether every code is read by the schema's ``CharField`` as itself: printable ASCII without a space or
    a backslash (nothing to strip, nothing COPY would escape), 1 to ``max_length`` characters. Checked over the
    whole column at once (C loops, not a Python call per code); a column that is not gets each code read by
    the field (``test_a_plain_code_reads_as_the_schema_reads_it`` holds the two together)."""
    if not texts:
        return True
    joined = "".join(texts)
    return (joined.isascii() and joined.isprintable() and " " not in joined and "\\" not in joined
            and min(map(len, texts)) >= 1 and max(map(len, texts)) <= max_length)


def _file_read(content: bytes, now: dt.datetime):
    """The file's rows read with ``ResultInput``: ``(rows, errors, refused rows)`` — each row staged as
    ``(number, code, staged)``, ``staged`` being the outcome, the Ct values as JSON and the two times as the
    database takes them (on PostgreSQL one text in COPY's format, the same for every row of the combination),
    the first ``SHOWN_ERRORS`` faults as ``(row, column, message)``. The short columns are read each distinct
    text once, the rule across the fields once per distinct combination of them (``decide``); the codes are
    read by the field unless the whole column is plain (``_code_plain``)."""
    from django.db import connection

    from fangkong.bulk_copy import copy_available, copy_text
    from fangkong.inputs import ABSENT, ColumnReader

    from .inputs import ResultInput, read_result_columns

    numbers, columns = read_result_columns(content)
    reader = ColumnReader(ResultInput)
    connection.ensure_connection()
    postgres = copy_available()
    stamp = (lambda value: value.isoformat()) if postgres else connection.ops.adapt_datetimefield_value
    verdicts = {name: {text: reader.read(name, text.strip()) for text in set(columns[name])} for name in SHORT_COLUMNS}

    def decide(key):
        faults, values = [], {}
        for name, text in zip(SHORT_COLUMNS, key, strict=True):
            value, messages = verdicts[name][text]
            faults.extend((name, str(m)) for m in messages)
            values[name] = {} if value is ABSENT and name == "ct_values" else value
        if faults:
            return faults, None
        if values["outcome"] == Outcome.POSITIVE and not values["ct_values"]:
            return [("ct_values", _("A positive result gives its Ct values."))], None
        if values["resulted_at"] < values["received_at"]:
            return [("resulted_at", _("A result cannot come before the sample was received."))], None
        if values["resulted_at"] > now + dt.timedelta(minutes=5):
            return [("resulted_at", _("A result cannot be in the future."))], None
        staged = (values["outcome"], json.dumps(values["ct_values"]), stamp(values["received_at"]),
                  stamp(values["resulted_at"]))
        return [], "\t".join(map(copy_text, staged)) if postgres else staged

    keys = list(zip(*(columns[name] for name in SHORT_COLUMNS), strict=True))
    decided = {key: decide(key) for key in set(keys)}
    tails = list(map(decided.__getitem__, keys))
    del keys
    codes = columns["code"]
    if not _code_plain(codes, reader.fields["code"].max_length):
        read = [reader.read("code", text.strip()) for text in codes]
        codes = [value if not messages else None for value, messages in read]
        tails = [([("code", str(m)) for m in messages] + tail[0], None) if messages else tail
                 for (_value, messages), tail in zip(read, tails, strict=True)]
    if len(set(codes)) != len(codes):  # a code listed twice: its later rows refused
        seen: set[str] = set()
        twice = _("This sample is listed twice in the file.")
        for i, code in enumerate(codes):
            if code in seen and code is not None:
                tails[i] = (tails[i][0] + [("code", twice)], None)
            seen.add(code)
    if any(map(itemgetter(0), tails)):
        refused = [(number, faults) for number, (faults, _staged) in zip(numbers, tails, strict=True) if faults]
        shown = [(number, column, message) for number, faults in refused[:SHOWN_ERRORS] for column, message in faults]
        return [], shown, len(refused)
    return list(zip(numbers, codes, map(itemgetter(1), tails), strict=True)), [], 0


#: Why the results' pools need no check of their own after the ingest's INSERT … SELECT.
PROVEN_POOL = ("each pool id was read from laboratory_pool in this transaction (the staging join), and a pool "
               "cannot be deleted meanwhile: every pool has members (pool_record), whose foreign key protects it")


def _staged_faults():
    """What the database rules out of a staged row: (the condition on ``lab_staged``, its column, message)."""
    return (
        ("pool_id IS NULL AND specimen_id IS NULL", "code", _("No sample with this code in this laboratory.")),
        ("result_id IS NOT NULL AND NOT same", "code", _("This sample already has another result.")),
        ("received_at < sampled_at", "received_at", _("A sample cannot be received before it was taken.")),
    )


def _file_write(laboratory: Laboratory, batch: ResultImport, rows, actor, now, request) -> int:
    """Stage the rows, refuse those the database rules out (by row and column), write the pools' new results by
    set and the specimens' one by one; how many results were recorded."""
    from django.db import connection

    from fangkong.bulk_copy import copy_available, copy_rows, copy_text, foreign_keys_checked_by_set

    postgres = copy_available()
    same = ("COALESCE(r.outcome, rs.outcome) = s.outcome AND COALESCE(r.ct_values, rs.ct_values) = s.ct::jsonb"
            if postgres else
            "COALESCE(r.outcome, rs.outcome) = s.outcome AND json(COALESCE(r.ct_values, rs.ct_values)) = json(s.ct)")
    with connection.cursor() as cursor:
        if postgres:  # the joins and counts of a city's file in memory, not spilled to disk (this transaction only)
            cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("CREATE TEMPORARY TABLE lab_ingest (n integer, code varchar(32), outcome varchar(12), ct text, "
                       "received_at timestamp with time zone, resulted_at timestamp with time zone)")
        if postgres:
            def chunks(size=50_000):
                for start in range(0, len(rows), size):
                    yield "".join(f"{n}\t{copy_text(code) if '\\' in code else code}\t{staged}\n"
                                  for n, code, staged in rows[start:start + size])
            copy_rows("lab_ingest", ["n", "code", "outcome", "ct", "received_at", "resulted_at"], chunks())
            cursor.execute("ANALYZE lab_ingest")
        else:
            cursor.executemany("INSERT INTO lab_ingest VALUES (%s, %s, %s, %s, %s, %s)",
                               [(n, code, *staged) for n, code, staged in rows])
        # one pass over the laboratory's samples: each row with its pool or specimen and the result it has
        cursor.execute(
            "CREATE TEMPORARY TABLE lab_staged AS SELECT s.n, s.code, s.outcome, s.ct, s.received_at, "  # noqa: S608 (constants of this module)
            "s.resulted_at, p.id AS pool_id, p.round_id, sp.id AS specimen_id, "
            "COALESCE(p.sampled_at, sp.sampled_at) AS sampled_at, COALESCE(r.id, rs.id) AS result_id, "
            f"({same}) AS same FROM lab_ingest s "
            "LEFT JOIN laboratory_pool p ON p.laboratory_id = %s AND p.code = s.code "
            "LEFT JOIN laboratory_specimen sp ON sp.laboratory_id = %s AND sp.code = s.code "
            "LEFT JOIN laboratory_result r ON r.pool_id = p.id "
            "LEFT JOIN laboratory_result rs ON rs.specimen_id = sp.id", [laboratory.pk, laboratory.pk])
        cursor.execute("DROP TABLE lab_ingest")
        if postgres:
            cursor.execute("ANALYZE lab_staged")
        _staged_check(cursor)
        cursor.execute("SELECT round_id, outcome, count(*) FROM lab_staged WHERE pool_id IS NOT NULL "
                       "AND result_id IS NULL GROUP BY round_id, outcome")
        by_round: dict[int, dict[str, int]] = {}
        for round_id, outcome, n in cursor.fetchall():
            by_round.setdefault(round_id, {})[outcome] = n
        insert = (
            "INSERT INTO laboratory_result (laboratory_id, pool_id, specimen_id, outcome, ct_values, received_at, "  # noqa: S608 (constants of this module)
            "resulted_at, source_id, recorded_at, recorded_by_id) SELECT %s, pool_id, NULL, outcome, "
            f"{'ct::jsonb' if postgres else 'ct'}, received_at, resulted_at, %s, %s, %s FROM lab_staged "
            "WHERE pool_id IS NOT NULL AND result_id IS NULL")
        # the foreign keys of a million results checked by one statement per key, not a trigger per row and
        # key at commit (``bulk_copy.foreign_keys_checked_by_set``)
        with foreign_keys_checked_by_set(Result, proven={"laboratory.result.pool": PROVEN_POOL}):
            cursor.execute(insert, [laboratory.pk, batch.pk, now, actor.pk])
        cursor.execute("SELECT code, outcome, ct, received_at, resulted_at FROM lab_staged "
                       "WHERE specimen_id IS NOT NULL AND result_id IS NULL ORDER BY n")
        singles = cursor.fetchall()
        # on an error the caller's transaction is rolled back, and the staging tables with it
        cursor.execute("DROP TABLE lab_staged")
    for round_id, tally in by_round.items():
        ScreeningRound.objects.filter(pk=round_id).update(
            pools_tested=F("pools_tested") + sum(tally.values()),
            pools_positive=F("pools_positive") + tally.get(Outcome.POSITIVE, 0),
            pools_inconclusive=F("pools_inconclusive") + tally.get(Outcome.INCONCLUSIVE, 0))
    for code, outcome, ct, received_at, resulted_at in singles:
        result_record(actor=actor, laboratory=laboratory, code=code, outcome=outcome, ct_values=json.loads(ct),
                      received_at=_as_time(received_at), resulted_at=_as_time(resulted_at), source=batch,
                      request=request, now=now)
    return sum(sum(tally.values()) for tally in by_round.values()) + len(singles)


def _as_time(value) -> dt.datetime:
    """A time read back from the staging table (SQLite gives its text)."""
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)
    return timezone.make_aware(dt.datetime.fromisoformat(value), dt.UTC)


def _staged_check(cursor) -> None:
    """Refuse the file when a staged row names no sample of the laboratory, a sample with another result, a
    receipt before the sampling or a code already listed: the first rows by row and column, and how many."""
    faults = _staged_faults()
    wrong = " OR ".join(f"({condition})" for condition, _column, _message in faults)
    cursor.execute("SELECT count(*) FROM lab_staged WHERE " + wrong)  # noqa: S608 (constants of this module)
    total = cursor.fetchone()[0]
    if not total:
        return
    cursor.execute("SELECT n, " + ", ".join(f"COALESCE({c}, FALSE)" for c, _column, _m in faults)  # noqa: S608
                   + " FROM lab_staged WHERE " + wrong + " ORDER BY n LIMIT %s", [SHOWN_ERRORS])
    errors = [(row[0], column, message) for row in cursor.fetchall()
              for hit, (_c, column, message) in zip(row[1:], faults, strict=True) if hit]
    raise _file_refused(errors, total)


# --- goods traceability and investigations ------------------------------------------------------------------


def _lot_writable(actor, lot: GoodsLot) -> None:
    _require(actor, TEST, lot.region_id, _("You may not record the path of this goods lot."))


@transaction.atomic
def lot_stop_add(*, actor, lot: GoodsLot, kind: str, arrived_at: dt.datetime, left_at: dt.datetime | None = None,
                 place: int | None = None, enterprise: int | None = None, upstream: int | None = None,
                 request=None) -> LotStop:
    """Add a stop to a goods lot's path: a place and/or an enterprise the recorder may read (through the places
    and enterprises modules' selectors: one outside their area is answered like one that does not exist), the
    stop it came from (a stop of the same lot, which it cannot reach before it left there) — the first stop
    only has none and is the port of entry. Refused by field, nothing written."""
    from django.http import Http404

    from fangkong.enterprises.selectors import enterprise_get
    from fangkong.places.selectors import place_get

    _lot_writable(actor, lot)
    errors: dict[str, list[str]] = {}
    where = firm = came_from = None
    if place is None and enterprise is None:
        errors["place"] = [_("Name the place or the enterprise (or both).")]
    if place is not None:
        try:
            where = place_get(user=actor, place_id=place)
        except Http404:
            errors["place"] = [_("No place with this number that you may read.")]
    if enterprise is not None:
        try:
            firm = enterprise_get(user=actor, enterprise_id=enterprise)
        except Http404:
            errors["enterprise"] = [_("No enterprise with this number that you may read.")]
    first = not lot.stops.exists()
    if upstream is not None:
        came_from = lot.stops.filter(pk=upstream).first()
        if came_from is None:
            errors["upstream"] = [_("No stop with this number on this lot's path.")]
        elif arrived_at < came_from.arrived_at or (came_from.left_at and arrived_at < came_from.left_at):
            errors["arrived_at"] = [_("The lot cannot arrive here before it left the stop it came from.")]
    elif not first:
        errors["upstream"] = [_("Name the stop the lot came from (only the first stop has none).")]
    if first and kind != LotStop.Kind.PORT:
        errors["kind"] = [_("A lot's path begins at its port of entry.")]
    if not first and kind == LotStop.Kind.PORT:
        errors["kind"] = [_("A lot enters by one port: its path has begun there.")]
    if left_at is not None and left_at < arrived_at:
        errors["left_at"] = [_("The lot cannot leave before it arrived.")]
    if errors:
        raise ValidationError(errors)
    stop = LotStop(lot=lot, upstream=came_from, kind=kind, place=where, enterprise=firm,
                   region_id=where.region_id if where else firm.region_id, arrived_at=arrived_at, left_at=left_at,
                   created_by=actor)
    stop.full_clean(validate_constraints=False)
    stop.save()
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=stop, region_code=stop.region_id,
                 request=request, detail={"lot": lot.pk, "kind": kind})
    bump_data_generation()
    return stop


def investigation_open(*, actor, specimen: Specimen, now: dt.datetime, request=None) -> Investigation:
    """Open the investigation of a positive goods lot or environment specimen (once; in the result's
    transaction), audited, with a problem and its urgent task in the three lists of the specimen's region."""
    from .problems import investigation_problem_raise

    investigation, created = Investigation.objects.get_or_create(
        specimen=specimen, defaults={"region_id": specimen.region_id, "opened_at": now})
    if created:
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=investigation, region_code=specimen.region_id,
                     request=request, detail={"specimen": specimen.code, "subject": specimen.subject})
        investigation_problem_raise(investigation, now)
    return investigation


@transaction.atomic
def investigation_close(*, actor, investigation: Investigation, note: str, request=None) -> Investigation:
    """Close an investigation with its conclusion (the epidemiologist of its region)."""
    from fangkong.accounts.roles import Capability

    if not can(actor, Capability.CASE_WRITE, investigation.region_id):
        raise PermissionDenied(_("You may not close this investigation."))
    if investigation.status == Investigation.Status.CLOSED:
        raise ValidationError({"__all__": [_("This investigation is closed already.")]})
    if not note.strip():
        raise ValidationError({"note": [_("Write the conclusion.")]})
    investigation.status = Investigation.Status.CLOSED
    investigation.closed_at = timezone.now()
    investigation.note = note.strip()
    investigation.save(update_fields=["status", "closed_at", "note"])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=investigation, region_code=investigation.region_id,
                 request=request, detail={"status": "closed"})
    return investigation
