"""Writes of the key-populations module: each checks the capability, runs in a transaction, is audited.

- ``group_create`` and ``frequency_set``: a group's frequency must be one the protocol rule in force allows
  (``selectors.rule_in_force``, ``rules.py``) on the day it takes effect; the row cites the rule.
- ``member_add`` (and ``roster_import``, the same per row): the person found or registered in the registry
  (``person_register``: identifiers sealed and masked), then the membership — the same membership again is
  the one already there (an import run twice adds nothing); a new end day closes it.
- ``result_record`` (and ``results_import``): one result per person and day, a positive replacing a negative;
  a positive result asks for a case (``positive_follow_up``).
- ``compliance_refresh``: the due days of the persons a membership or a frequency concerns, recomputed
  (``compliance.refresh``, set-based SQL); ``results_apply``: those of the persons tested, brought up to date
  with their new tests (``compliance.tests_applied``: one ``UPDATE``, a day's million at once). Nothing is
  recomputed because a day passed: the morning job (``overdue_run``) only counts and raises the day's
  overdue.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.inputs import error_messages, validate_row
from fangkong.persons import protection
from fangkong.persons.models import Person
from fangkong.persons.services import CITIZEN_ID, person_register
from fangkong.regions.models import Region
from fangkong.table_files import TableLimits, TableRejected, read_table

from . import compliance, selectors
from .apps import MANAGE, ROSTER_OWN, TEST_RECORD
from .models import (
    Compliance,
    EmployerAccess,
    GroupFrequency,
    KeyGroup,
    KeyTest,
    Population,
    Result,
    RosterEntry,
    WorkplaceFlag,
)

IMPORT_LIMITS = TableLimits(max_bytes=20 * 1024 * 1024, max_rows=100_000)


def _group_for(actor, group_id: int, capability: str) -> KeyGroup:
    """The group, if the actor may read its named data (else refused as unknown: a number outside one's
    reach says nothing of whether it exists) and holds ``capability`` there."""
    group = KeyGroup.objects.select_related("region").filter(selectors.named_groups_q(actor), pk=group_id).first()
    if group is None:
        raise ValidationError({"group": [_("No key-population group with this number.")]})
    if not may_keep(actor, group, capability):
        raise PermissionDenied(_("Your role may not change this group."))
    return group


#: What ``may_keep`` is asked for a roster: ``MANAGE`` in the group's region, or ``ROSTER_OWN`` for a group of
#: one of the actor's own employers (an enterprise contact: ``EmployerAccess``).
ROSTER = "roster"


def may_keep(actor, group: KeyGroup, capability: str) -> bool:
    """Whether ``actor`` holds ``capability`` (or ``ROSTER``) for ``group``."""
    if capability != ROSTER:
        return can(actor, capability, group.region_id)
    if can(actor, MANAGE, group.region_id):
        return True
    return (bool(group.employer_code) and can(actor, ROSTER_OWN, group.region_id)
            and group.employer_code in selectors.employer_codes(actor))


def _allowed(population: str, region_code: str, days: int | None, day: dt.date):
    """(rule, days): the rule in force and the frequency checked against it (its default when None)."""
    rule = selectors.rule_in_force(population, region_code, day)
    if rule is None:
        raise ValidationError({"frequency_days": [
            _("No protocol rule sets periodic testing of this population on %(day)s.") % {"day": day.isoformat()}]})
    if days is None:
        return rule, rule.default_days
    if days not in rule.allowed_days:
        allowed = "、".join(str(d) for d in rule.allowed_days)
        raise ValidationError({"frequency_days": [
            _("The rule in force on %(day)s (%(rule)s) allows testing every %(allowed)s days, not every %(days)s.")
            % {"day": day.isoformat(), "rule": rule.code, "allowed": allowed, "days": days}]})
    return rule, days


def group_create(*, actor, name: str, population: str, region: str, place: int | None = None,
                 employer_name: str = "", employer_code: str = "", frequency_days: int | None = None,
                 effective_from: dt.date | None = None, request=None) -> KeyGroup:
    """Create a group (input ``inputs.GroupInput``) with its first frequency, allowed by the rule in force."""
    if not can(actor, MANAGE, region):
        raise PermissionDenied(_("You may not create key-population groups in this region."))
    area = Region.objects.filter(code=region).first()
    if area is None:
        raise ValidationError({"region": [_("No region with this code.")]})
    if population not in Population.values:
        raise ValidationError({"population": [_("Unknown population.")]})
    site = None
    if place:
        from fangkong.places.models import Place

        site = Place.objects.filter(pk=place).first()
        if site is None or not can(actor, MANAGE, site.region_id):
            raise ValidationError({"place": [_("No key place with this number in your regions.")]})
    day = effective_from or timezone.localdate()
    rule, days = _allowed(population, region, frequency_days, day)
    with transaction.atomic():
        group = KeyGroup(name=name, population=population, region=area, place=site, employer_name=employer_name,
                         employer_code=employer_code, created_by=actor)
        group.full_clean()
        group.save()
        GroupFrequency.objects.create(group=group, effective_from=day, days=days, rule=rule, created_by=actor)
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=group, region_code=region, request=request,
                     detail={"frequency_days": days, "from": day.isoformat(), "rule": rule.code})
    return group


def frequency_set(*, actor, group: int, days: int, effective_from: dt.date, request=None) -> GroupFrequency:
    """Set the group's frequency from a day on (input ``inputs.FrequencyInput``); members' due days follow."""
    found = _group_for(actor, group, MANAGE)
    rule, days = _allowed(found.population, found.region_id, days, effective_from)
    with transaction.atomic():
        row, _created = GroupFrequency.objects.update_or_create(
            group=found, effective_from=effective_from, defaults={"days": days, "rule": rule, "created_by": actor})
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=found, region_code=found.region_id,
                     request=request, detail={"frequency_days": days, "from": effective_from.isoformat(),
                                              "rule": rule.code})
        compliance_refresh(group=found.pk)
    return row


def employer_access_grant(*, actor, user, employer_code: str, request=None) -> EmployerAccess:
    """Let ``user`` act for the employer of ``employer_code`` (its contact reads and keeps that employer's
    staff only: ``Reach.OWN_ENTERPRISES``); granted by a manager of users in the user's regions. Granting it
    again changes nothing."""
    from fangkong.accounts.access import memberships_of
    from fangkong.places.credit_code import CreditCodeError, parse_credit_code

    regions = [code for code, _role in memberships_of(user)]
    if not regions or not all(can(actor, Capability.USER_MANAGE, code) for code in regions):
        raise PermissionDenied(_("You may not manage this user's access."))
    try:
        employer_code = parse_credit_code(employer_code)
    except CreditCodeError as exc:
        raise ValidationError({"employer_code": [_("This is not a valid unified social credit code.")]}) from exc
    with transaction.atomic():
        access, created = EmployerAccess.objects.get_or_create(user=user, employer_code=employer_code)
        if created:
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=access, region_code=regions[0],
                         request=request, detail={"user": user.pk})
    return access


# --- rosters ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Added:
    entry: RosterEntry
    outcome: str  # "created", "existing" or "updated" (a new end day)


def _membership(actor, group: KeyGroup, person: Person, start: dt.date, end: dt.date | None) -> Added:
    if end is not None and end < start:
        raise ValidationError({"end": [_("The end of membership lies before its start.")]})
    entry = RosterEntry.objects.filter(group=group, person=person, start=start).first()
    if entry is not None:
        if end is None or entry.end == end:
            return Added(entry, "existing")
        entry.end = end
        entry.save(update_fields=["end"])
        bump_data_generation()
        return Added(entry, "updated")
    entry = RosterEntry.objects.create(group=group, person=person, start=start, end=end, created_by=actor)
    bump_data_generation()
    return Added(entry, "created")


def member_add(*, actor, group: int, start: dt.date, end: dt.date | None = None, request=None,
               **person_fields) -> Added:
    """Put a person on a group's roster (input ``inputs.MemberInput``): the person found by citizen ID or
    registered; the same membership again changes nothing, with an end day it closes the membership."""
    found = _group_for(actor, group, ROSTER)
    if end is not None and end < start:
        raise ValidationError({"end": [_("The end of membership lies before its start.")]})
    own_staff = not can(actor, MANAGE, found.region_id)  # an enterprise contact, for its own employer
    with transaction.atomic():
        registered = person_register(actor=actor, request=request, capability=ROSTER_OWN if own_staff
                                     else Capability.PERSON_REGISTER, **person_fields)
        person = registered.person
        if own_staff and not registered.created and person.name != person_fields.get("name", "").strip():
            # the registry's record of someone else's number is not the employer's to read
            raise ValidationError({"name": [_("This name does not match the person registered with this "
                                              "citizen ID; ask the health authority to check the record.")]})
        added = _membership(actor, found, person, start, end)
        if added.outcome != "existing":
            audit_record(actor=actor, action=AuditEvent.Action.CREATE if added.outcome == "created"
                         else AuditEvent.Action.UPDATE, obj=added.entry, region_code=found.region_id,
                         request=request, detail={"group": found.pk, "outcome": added.outcome})
            compliance_refresh([person.pk])
    return added


@dataclass
class ImportResult:
    counts: dict = field(default_factory=lambda: defaultdict(int))
    errors: list[dict] = field(default_factory=list)  # {"row", "column", "message"}

    @property
    def ok(self) -> bool:
        return not self.errors


def _rows(data: bytes, name: str, result: ImportResult) -> list:
    try:
        return read_table(data, name, IMPORT_LIMITS)
    except TableRejected as exc:
        result.errors.append({"row": exc.row, "column": "", "message": exc.message})
        return []


def _import(actor, rows, schema, apply, result: ImportResult, object_type: str, name: str, request,
            source: str = "", progress=None) -> ImportResult:
    """Every row through ``schema`` (``validate_row``), then all applied in one transaction by ``apply``;
    any refused row and nothing is kept, every error reported against its row (the header is row 1).
    ``progress(done, total)`` is told as the rows are checked (the import job's page, ``cases.jobs``)."""
    valid_rows = []
    total = len(rows)
    for number, row in enumerate(rows, start=2):
        valid, errors = validate_row(schema, row)
        result.errors.extend({"row": number, "column": column, "message": message}
                             for column, messages in errors.items() for message in messages)
        valid_rows.append((number, valid))
        if progress is not None and ((number - 1) % 1000 == 0 or number - 1 == total):
            progress(number - 1, total)
    if not rows:
        result.errors.append({"row": 0, "column": "", "message": _("The file has no data rows.")})
    if result.errors:
        return result
    try:
        with transaction.atomic():
            for number, valid in valid_rows:
                try:
                    with transaction.atomic():
                        result.counts[apply(valid)] += 1
                except (ValidationError, PermissionDenied) as exc:
                    messages = error_messages(exc if isinstance(exc, ValidationError) else ValidationError(str(exc)))
                    result.errors.extend({"row": number, "column": column if column != "__all__" else "",
                                          "message": message}
                                         for column, texts in messages.items() for message in texts)
            if result.errors:
                raise _Refused
            audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type=object_type, request=request,
                         detail={"file_type": name.rpartition(".")[2][:8], "source": source, **result.counts})
    except _Refused:
        result.counts.clear()
    return result


class _Refused(Exception):
    """Rolls an import back when a row was refused by the service."""


def roster_import(*, actor, data: bytes, name: str, request=None, source: str = "", progress=None) -> ImportResult:
    """Put the persons of a CSV or XLSX file on rosters (columns of ``inputs.MemberInput``): all or nothing;
    a file imported twice adds nothing the second time (every row ``existing``). Run as an import job
    (``imports.roster_run``)."""
    from .inputs import MemberInput

    result = ImportResult()
    rows = _rows(data, name, result)
    if result.errors:
        return result
    return _import(actor, rows, MemberInput, lambda valid: member_add(actor=actor, **valid).outcome, result,
                   "keypopulations.rosterentry", name, request, source, progress)


def group_import_row(*, actor, name: str, population: str, region: str, employer_code: str = "",
                     frequency_days: int | None = None, effective_from: dt.date | None = None, **fields) -> str:
    """One row of a groups file: the group of this name, population, region and employer when it exists
    (``existing``: a file imported twice creates no second group; its frequency is changed on the group's
    page), else created with its frequency (``group_create``: one the protocol rule in force allows)."""
    if not can(actor, MANAGE, region):
        raise PermissionDenied(_("You may not create key-population groups in this region."))
    if KeyGroup.objects.filter(name=name, population=population, region_id=region,
                               employer_code=employer_code).exists():
        return "existing"
    group_create(actor=actor, name=name, population=population, region=region, employer_code=employer_code,
                 frequency_days=frequency_days, effective_from=effective_from, **fields)
    return "created"


def groups_import(*, actor, data: bytes, name: str, request=None, source: str = "", progress=None) -> ImportResult:
    """Create the groups of a CSV or XLSX file (columns of ``inputs.GroupInput``): all or nothing, idempotent;
    a frequency the rule in force does not allow is refused against its row. Run as an import job
    (``imports.groups_run``)."""
    from .inputs import GroupInput

    result = ImportResult()
    rows = _rows(data, name, result)
    if result.errors:
        return result
    return _import(actor, rows, GroupInput, lambda valid: group_import_row(actor=actor, **valid), result,
                   "keypopulations.keygroup", name, request, source, progress)


# --- tests --------------------------------------------------------------------------------------------------


def person_on_roster(group: KeyGroup, citizen_id: str) -> Person:
    """The person of ``citizen_id`` (already checked) on the group's roster, by keyed hash; else refused."""
    entry = RosterEntry.objects.filter(group=group, person__citizen_id_hash__in=protection.lookup_hashes(
        citizen_id, CITIZEN_ID)).select_related("person").first()
    if entry is None:
        raise ValidationError({"citizen_id": [_("No person with this citizen ID is on the group's roster.")]})
    return entry.person


def result_record(*, actor, group: int, citizen_id: str, sampled_on: dt.date, result: str, request=None) -> tuple[KeyTest, str]:
    """Record a test of a rostered person (input ``inputs.ResultInput``); (test, outcome): ``created``,
    ``existing`` (the same result again) or ``updated`` (a positive replacing a negative of that day)."""
    found = _group_for(actor, group, TEST_RECORD)
    if result not in Result.values:
        raise ValidationError({"result": [_("Unknown result.")]})
    with transaction.atomic():
        person = person_on_roster(found, citizen_id)
        test = KeyTest.objects.select_for_update().filter(person=person, sampled_on=sampled_on).first()
        if test is not None and (test.result == result or result == Result.NEGATIVE):
            return test, "existing"
        if test is None:
            test = KeyTest.objects.create(person=person, group=found, sampled_on=sampled_on, result=result,
                                          created_by=actor)
            outcome = "created"
        else:
            test.result, test.group = result, found
            test.save(update_fields=["result", "group"])
            outcome = "updated"
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE if outcome == "created" else AuditEvent.Action.UPDATE,
                     obj=test, region_code=found.region_id, request=request,
                     detail={"group": found.pk, "result": result})
        results_apply([test.pk])
        if result == Result.POSITIVE:
            positive_follow_up(actor=actor, test=test, request=request)
    return test, outcome


def results_import(*, actor, data: bytes, name: str, request=None, source: str = "", progress=None) -> ImportResult:
    """Record the tests of a CSV or XLSX file (columns of ``inputs.ResultInput``): all or nothing, idempotent.
    Run as an import job (``imports.results_run``)."""
    from .inputs import ResultInput

    result = ImportResult()
    rows = _rows(data, name, result)
    if result.errors:
        return result
    return _import(actor, rows, ResultInput, lambda valid: result_record(actor=actor, **valid)[1], result,
                   "keypopulations.keytest", name, request, source, progress)


def positive_to_case(*, actor, test: int, diagnosed_at: dt.datetime, classification: str = "confirmed",
                     request=None) -> KeyTest:
    """A positive test becomes a case through the cases service (``case_register``: the same rules, number,
    audit and tracing summary as any case), detected by screening, reported in the group's region; the test
    keeps its case. Once only: asked again, the test with its case is returned unchanged."""
    from fangkong.cases.models import DetectionRoute, Disease
    from fangkong.cases.services import case_register

    found = KeyTest.objects.select_related("group", "person").filter(
        selectors.named_groups_q(actor, "group__"), pk=test, result=Result.POSITIVE).first()
    if found is None:
        raise ValidationError({"test": [_("No positive test with this number in your regions.")]})
    if not can(actor, Capability.CASE_WRITE, found.group.region_id):
        raise PermissionDenied(_("Your role may not register cases."))
    with transaction.atomic():
        locked = KeyTest.objects.select_for_update().get(pk=found.pk)
        if locked.case_id is not None:
            return locked
        case = case_register(actor=actor, request=request, person=found.person,
                             disease=Disease.objects.get(code="covid-19"), classification=classification,
                             diagnosed_at=diagnosed_at, sampling_date=found.sampled_on,
                             report_region=found.group.region_id, detection_route=DetectionRoute.SCREENING,
                             residence_region=found.person.address_region_id)
        locked.case = case
        locked.save(update_fields=["case"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, region_code=found.group.region_id,
                     request=request, detail={"case": case.case_no})
    return locked


def positive_follow_up(*, actor, test: KeyTest, request=None) -> list[WorkplaceFlag]:
    """A positive test flags the person's workplaces for the co-visit search and inspection: the key place or
    the employer of each group they were on the day of the test (and of the test's own group) — a
    ``WorkplaceFlag`` each, once per test and group — raised in the problem list for the group's region
    (``problems.raise_workplaces``: a task for its command, where inspectors and epidemiologists take it
    up), shown on the group's pages; the key places also become due for inspection today
    (``Place.next_due_on``: the places module's inspectors' list). A group of neither place nor employer is
    no workplace. The case is registered from the group's page through ``positive_to_case``. Returns the
    flags."""
    from django.db.models import Q

    from fangkong.places.services import places_make_due

    today = timezone.localdate()
    on_the_day = RosterEntry.objects.filter(selectors.active_on(test.sampled_on), person=test.person)
    groups = list(KeyGroup.objects.filter(Q(pk=test.group_id) | Q(pk__in=on_the_day.values("group_id")))
                  .filter(Q(place__isnull=False) | ~Q(employer_code="")).order_by("id"))
    flags = [WorkplaceFlag.objects.get_or_create(test=test, group=group, defaults={
        "place_id": group.place_id, "employer_code": group.employer_code, "flagged_on": today})[0]
        for group in groups]
    places = sorted({group.place_id for group in groups if group.place_id})
    places_make_due(place_ids=places, day=today)  # the places' coverage tally moves with them
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=test, region_code=test.group.region_id,
                 request=request, detail={"positive": True, "places_due_for_inspection": places,
                                          "workplaces_flagged": [flag.pk for flag in flags]})
    _raise(lambda module: module.raise_workplaces(flags))
    return flags


# --- compliance ---------------------------------------------------------------------------------------------


def compliance_refresh(person_ids=None, *, group: int | None = None) -> int:
    """Recompute the compliance of these persons, of a group's members (``group``) or of everyone on a
    roster (neither: a rebuild): set-based SQL (``compliance.refresh``); returns how many rows were
    written. Called when memberships or frequencies change; tests go through ``results_apply``."""
    return compliance.refresh(persons=person_ids, group=group)


def results_apply(test_ids=None, *, after_id: int | None = None) -> int:
    """Bring the compliance of the persons tested up to date with these tests (or every test recorded after
    ``after_id``: a laboratory's load of a day): ``compliance.tests_applied``; how many rows changed."""
    return compliance.tests_applied(ids=test_ids, after_id=after_id)


def overdue_run(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The morning job: the persons overdue on ``today`` — the local day (``TIME_ZONE``) of ``now`` when not
    given: at 00:01 Beijing time (16:01 UTC the day before) it is already the new day — counted from the
    stored compliance (nothing recomputed: it does not change because the day did) and raised as problems
    (``problems_raise``). Running it twice changes nothing more."""
    today = today or timezone.localdate(now)
    overdue = Compliance.objects.filter(selectors.holds_on(today), next_due_on__lt=today).count()
    return {"overdue": overdue, **problems_raise(today=today)}


def problems_raise(*, today: dt.date) -> dict:
    """The overdue of ``today`` raised in the problem list, once per region, employer and day
    (``problems.raise_overdue``); while the worklists module is not installed, nothing (``None``)."""
    return {"problems_raised": _raise(lambda module: module.raise_overdue(today=today))}


def _raise(how):
    """``how(problems)`` with this module's ``problems`` (which writes through the worklists module); while
    the worklists module is not installed, nothing (``None``)."""
    from django.apps import apps

    if not apps.is_installed("fangkong.worklists"):
        return None
    from . import problems

    return how(problems)
