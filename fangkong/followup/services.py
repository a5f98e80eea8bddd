"""Writes of the follow-up module: each checks the capability, runs in one transaction and is audited.

- ``subjects_sync``: copies who is under management from the sources (``sources.py``) into ``Subject``
  and their test days into ``ScheduledTest``; a moved period moves the tests not yet taken; a person no
  longer under management at the source ends. Run by the periodic job (and by the demo).
- ``self_report_record``: the same check entered by the person through the personal link (``selfreport``).
- ``health_check_record``: one daily check; refused with field errors for a temperature outside
  34–43 °C, a day or time in the future, a day outside the period, a person not under management. A
  second check for the same day and slot is a correction: with a reason the earlier version is kept
  (``CheckVersion``) and the change audited with the reason; without one it is refused, asking for it. Fever (≥ 37.3 °C) or a symptom marks the person symptomatic.
- ``health_checks_import``: a file's checks (a day's, a million rows) checked by set and written by set —
  the same refusals as ``health_check_record`` against each row, a row already recorded with the same values
  left as it is, a different one a correction (its reason required, the earlier version kept); all rows or
  none, audited once.
- ``sample_record``: a scheduled test's sample and result; a positive result marks the person too.
- ``result_record``: a result by person and day (an import, the laboratory); refused for a day with
  no scheduled test. ``sample_not_taken``: a test not taken, with the reason.
- ``laboratory_results_receive``: the results the laboratory module records (``fangkong.modules.
  person_results_hand_over``) reach the tests of their persons scheduled on the sampling day, by set.
- ``subject_to_suspected``: a person with fever or symptoms becomes a suspected case through the
  source's module (for contacts: ``fangkong.cases.services.contact_convert_to_case``), never here.
- ``self_report_refused``: a personal link that opened nothing, audited (bounded per address).
- ``followups_sweep``: the end of a day: every slot without a check is recorded missed, every test due
  in the week up to then and not taken is overdue; each region's missed checks of the day raise one problem.
- Fever or symptoms and a positive test raise their problem at once, in the write's transaction
  (``problems``: the three lists, to the managing region).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, Max, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.accounts.access import can
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record, audit_record_bounded, client_ip
from fangkong.bulk_copy import copy_available, copy_rows, copy_text, foreign_keys_checked_by_set
from fangkong.data_generation import bump_data_generation

from . import problems
from .apps import RECORD
from .models import (
    FEVER_FROM,
    SLOTS,
    TEMPERATURE_MAX,
    TEMPERATURE_MIN,
    CheckVersion,
    HealthCheck,
    ScheduledTest,
    Subject,
)
from .selectors import may_record, record_q
from .sources import Managed, source_of, sources

SELF_REPORT_OBJECT = "followup.selfreport"  # the audit trail's name of the personal link's refusals
REFUSALS_AUDITED = 20  # per hour and address
OVERDUE_LOOK_BACK = dt.timedelta(days=7)  # the sweep makes overdue the tests due in the week up to its day
LATE = dt.timedelta(minutes=5)  # clock skew allowed on a time entered as "now"
COPIED = ("label", "person_id", "region_id", "category", "protocol_id", "counted_from", "first_day", "last_day",
          "centralised_until")


def _require(actor, subject: Subject) -> None:
    """The actor records for this person: in its region, its quarantine sites or its area at home
    (``selectors.may_record``)."""
    if not may_record(actor, subject):
        raise PermissionDenied(_("You may not record follow-ups of this person."))


def _values(item: Managed) -> dict:
    return {"label": item.label, "person_id": item.person_id, "region_id": item.region_code,
            "category": item.category, "protocol_id": item.protocol_id, "counted_from": item.counted_from,
            "first_day": item.first_day, "last_day": item.last_day, "centralised_until": item.centralised_until}


def _tests_for(subject: Subject, item: Managed) -> list[ScheduledTest]:
    return [ScheduledTest(subject=subject, region_id=item.region_code, due_date=due, phase=phase, day=day)
            for due, phase, day in item.tests]


@transaction.atomic
def subjects_sync(*, day: dt.date | None = None, kinds: tuple[str, ...] | None = None) -> dict[str, int]:
    """Bring ``Subject`` and ``ScheduledTest`` in step with the sources (module docstring); idempotent.
    Returns the counts of subjects created, changed and ended."""
    day = day or timezone.localdate()
    now = timezone.now()
    counts = {"created": 0, "changed": 0, "ended": 0}
    for kind, source in sources().items():
        if kinds is not None and kind not in kinds:
            continue
        items = {item.source_id: item for item in source.under_management(day)}
        active = {s.source_id: s for s in Subject.objects.filter(kind=kind, status=Subject.Status.ACTIVE)}
        known = set(Subject.objects.filter(kind=kind, source_id__in=list(items)).values_list("source_id", flat=True))
        new = [Subject(kind=kind, source_id=pk, synced_at=now, **_values(item))
               for pk, item in items.items() if pk not in known]
        Subject.objects.bulk_create(new, batch_size=2000)
        new = list(Subject.objects.filter(kind=kind, source_id__in=[s.source_id for s in new]))
        ScheduledTest.objects.bulk_create([t for s in new for t in _tests_for(s, items[s.source_id])], batch_size=5000)
        counts["created"] += len(new)
        for pk, subject in active.items():
            item = items.get(pk)
            if item is None:
                subject.status = Subject.Status.ENDED
                subject.ended_on = min(subject.last_day, day - dt.timedelta(days=1))
                subject.save(update_fields=["status", "ended_on"])
                counts["ended"] += 1
                continue
            values = _values(item)
            if all(getattr(subject, name) == values[name] for name in COPIED):
                continue
            for name, value in values.items():
                setattr(subject, name, value)
            subject.synced_at = now
            subject.save(update_fields=[*COPIED, "synced_at"])
            wanted = {(phase, d): due for due, phase, d in item.tests}
            open_tests = subject.tests.exclude(status=ScheduledTest.Status.TAKEN)
            open_tests.exclude(region_id=item.region_code).update(region_id=item.region_code)
            for test in open_tests:
                if wanted.get((test.phase, test.day)) != test.due_date:
                    test.delete()
            have = set(subject.tests.values_list("phase", "day"))
            ScheduledTest.objects.bulk_create([t for t in _tests_for(subject, item) if (t.phase, t.day) not in have])
            counts["changed"] += 1
    if any(counts.values()):
        bump_data_generation()
        audit_record(actor=None, action=AuditEvent.Action.UPDATE, object_type="followup.subject",
                     detail={"sync": counts, "day": day.isoformat()})
    return counts


def health_check_record(*, actor, subject: Subject, day: dt.date, slot: str, temperature=None, symptoms=(),
                        not_possible: bool = False, note: str = "", checked_at: dt.datetime | None = None,
                        reason: str = "", request=None) -> HealthCheck:
    """Record one daily health check (input validated by ``inputs.CheckInput``). A check already recorded for
    the person, day and slot is corrected when ``reason`` says why — the earlier version kept
    (``CheckVersion``) —, and refused with a request for the reason otherwise."""
    _require(actor, subject)
    return _check_record(actor=actor, channel=HealthCheck.Channel.STAFF, subject=subject, day=day, slot=slot,
                         temperature=temperature, symptoms=symptoms, not_possible=not_possible, note=note,
                         checked_at=checked_at, reason=reason, request=request)


def self_report_record(*, subject: Subject, day: dt.date, slot: str, temperature, symptoms=(), note: str = "",
                       request=None) -> HealthCheck:
    """The person's own check through the personal link (input validated by ``inputs.SelfReportInput``). No
    actor: the signed token (``selfreport.token_open``) named the person and the day; the same refusals as a
    staff check, audited with the channel. The person corrects nothing: a slot recorded is the staff's to
    correct."""
    return _check_record(actor=None, channel=HealthCheck.Channel.SELF, subject=subject, day=day, slot=slot,
                         temperature=temperature, symptoms=symptoms, note=note, request=request)


ALREADY = gettext_lazy("A check is already recorded for this person, day and slot.")
GIVE_REASON = gettext_lazy("A check is already recorded for this person, day and slot: to correct it, say why.")


def check_outcome(temperature: Decimal | None, symptoms, not_possible: bool) -> tuple[str, Decimal | None, list]:
    """A check's outcome from what was measured: not possible (nothing kept but the note), with fever
    (≥ ``FEVER_FROM``) or a symptom, or well; with the temperature and the symptoms (sorted) kept."""
    symptoms = sorted(set(symptoms or ()))
    if not_possible:
        return HealthCheck.Outcome.NOT_POSSIBLE, None, []
    if symptoms or (temperature is not None and temperature >= FEVER_FROM):
        return HealthCheck.Outcome.SYMPTOMATIC, temperature, symptoms
    return HealthCheck.Outcome.OK, temperature, symptoms


def _check_record(*, actor, channel: str, subject: Subject, day: dt.date, slot: str, temperature=None, symptoms=(),
                  not_possible: bool = False, note: str = "", checked_at: dt.datetime | None = None,
                  reason: str = "", request=None) -> HealthCheck:
    now = timezone.now()
    checked_at = checked_at or now
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if subject.status != Subject.Status.ACTIVE:
        errors["subject"] = [_("This person is no longer under management.")]
    if day > timezone.localdate():
        errors.setdefault("day", []).append(_("A check cannot be recorded for a day still to come."))
    elif not subject.covers(day):
        errors.setdefault("day", []).append(
            _("This day lies outside the management period (%(first)s to %(last)s).")
            % {"first": subject.first_day.isoformat(), "last": subject.last_day.isoformat()})
    if checked_at > now + LATE:
        errors.setdefault("checked_at", []).append(_("The time of the check is in the future."))
    elif timezone.localtime(checked_at).date() < day:
        errors.setdefault("checked_at", []).append(_("A check cannot be made before its day."))
    temperature = None if temperature in (None, "") else Decimal(str(temperature))
    if temperature is not None and not TEMPERATURE_MIN <= temperature <= TEMPERATURE_MAX:
        errors["temperature"] = [_("A body temperature lies between 34.0 and 43.0 °C.")]
    elif temperature is None and not not_possible:
        errors["temperature"] = [_("Enter the temperature measured.")]
    if slot not in SLOTS:
        errors.setdefault("slot", []).append(_("Choose morning or evening."))
    elif HealthCheck.objects.filter(subject=subject, day=day, slot=slot).exists():
        if channel == HealthCheck.Channel.SELF:
            errors.setdefault("slot", []).append(str(ALREADY))
        elif not reason:
            errors.setdefault("reason", []).append(str(GIVE_REASON))
    if errors:
        raise ValidationError(errors)
    outcome, temperature, symptoms = check_outcome(temperature, symptoms, not_possible)
    values = {"outcome": outcome, "temperature": temperature, "symptoms": symptoms, "note": note.strip(),
              "checked_at": checked_at, "checked_by": actor, "channel": channel}
    check = HealthCheck(subject=subject, region_id=subject.region_id, day=day, slot=slot, **values)
    check.full_clean(exclude=["subject", "region", "checked_by"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            earlier = HealthCheck.objects.select_for_update().filter(subject=subject, day=day, slot=slot).first()
            if earlier is not None:
                if not reason or channel == HealthCheck.Channel.SELF:  # recorded by somebody else meanwhile
                    raise IntegrityError("recorded meanwhile")
                return _check_correct(actor=actor, check=earlier, values=values, reason=reason, request=request)
            check.save()
            if outcome == HealthCheck.Outcome.SYMPTOMATIC and (subject.symptomatic_since is None
                                                               or day < subject.symptomatic_since):
                Subject.objects.filter(pk=subject.pk).update(symptomatic_since=day)
                subject.symptomatic_since = day
            if outcome == HealthCheck.Outcome.SYMPTOMATIC:
                problems.sick_raise(subject, day)  # to the epidemiologist at once (once per person)
            bump_data_generation()
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=check, region_code=subject.region_id,
                         request=request, detail={"subject": subject.label, "day": day.isoformat(), "slot": slot,
                                                  "outcome": outcome, "channel": channel})
    except IntegrityError as exc:  # recorded by somebody else since the check above
        field = "slot" if channel == HealthCheck.Channel.SELF else "reason"
        raise ValidationError({field: [str(ALREADY if field == "slot" else GIVE_REASON)]}) from exc
    return check


#: The staging table of an import (temporary: gone with the transaction) and its columns, in the order of the
#: rows ``health_checks_import`` takes.
STAGE = "followup_check_import"
STAGE_COLUMNS = ("row_no", "subject_id", "day", "slot", "outcome", "temperature", "symptoms", "note", "checked_at",
                 "reason")
STAGE_TYPES = ("integer", "bigint", "date", "varchar(8)", "varchar(16)", "numeric(3,1)", "{json}", "varchar(200)",
               "timestamp with time zone", "varchar(200)")
EMPTY_JSON = {True: "'[]'::jsonb", False: "'[]'"}  # no symptoms, as PostgreSQL and SQLite store it
FAULTS_SHOWN = 1000  # refused rows named per kind of fault (a file of a million wrong rows is not listed whole)
#: A staged row says what the check recorded for its person, day and slot says (not when nor by whom).
SAME = ("h.outcome = s.outcome AND h.temperature IS NOT DISTINCT FROM s.temperature AND h.symptoms = s.symptoms "
        "AND h.note = s.note")
MATCH = "h.subject_id = s.subject_id AND h.day = s.day AND h.slot = s.slot"


@dataclass
class ChecksImported:
    """What ``health_checks_import`` did: checks created, corrected and left as they were (the same values
    already recorded), or the rows refused ({"row", "column", "message"}, the header being row 1)."""

    created: int = 0
    corrected: int = 0
    existing: int = 0
    errors: list[dict] = field(default_factory=list)


class _Refused(Exception):
    """Rolls an import back when a row is refused by set."""


def health_checks_import(*, actor, rows: list[tuple], errors: list[dict] | None = None, source: str = "",
                         file_type: str = "", request=None) -> ChecksImported:
    """A file's checks, each row (``STAGE_COLUMNS``: the row's number, the values ``inputs.CheckFields`` and
    ``inputs.check_complete`` read, the outcome from ``check_outcome``; ``checked_at`` given) checked against
    the database by set: the person unknown or not one the actor records for, no longer under management, the
    day outside the period, the same person, day and slot twice in the file, a different check already
    recorded and no reason given — each a row's error, and then nothing is stored (nor for ``errors``, the
    rows the file's reading refused). Otherwise, in one transaction: a row equal to the check recorded is left
    as it is (a file imported twice changes nothing), a different one corrects it (the earlier version kept as
    a ``CheckVersion`` with the row's reason), the others are inserted; the first day of fever or symptoms is
    set and the problems raised as a single check does; audited once."""
    if not can(actor, RECORD):
        raise PermissionDenied(_("Your role may not record follow-ups."))
    result = ChecksImported(errors=list(errors or []))
    if not rows and not result.errors:
        result.errors.append({"row": 0, "column": "", "message": _("The file has no data rows.")})
    if result.errors and not rows:
        return result
    now = timezone.now()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _stage(cursor, rows)
            overlap = _overlap(cursor)
            result.errors.extend(_faults(cursor, actor, overlap))
            if result.errors:
                raise _Refused
            sick, healed = _changed_subjects(cursor, overlap)
            with foreign_keys_checked_by_set(HealthCheck, CheckVersion):
                result.corrected, result.created = _write(cursor, actor, now, overlap)
            cursor.execute(f"DROP TABLE {STAGE}")
            _statistics_refresh(cursor, result.created)
            result.existing = len(rows) - result.corrected - result.created
            for subject in Subject.objects.filter(pk__in=[pk for pk, _day in sick]).order_by("pk"):
                day = dict(sick)[subject.pk]
                if subject.symptomatic_since is None or day < subject.symptomatic_since:
                    Subject.objects.filter(pk=subject.pk).update(symptomatic_since=day)
                    subject.symptomatic_since = day
                problems.sick_raise(subject, day)  # to the epidemiologist at once (once per person)
            for subject in Subject.objects.filter(pk__in=healed):
                symptomatic_refresh(subject)
            if result.created or result.corrected:
                bump_data_generation()
            audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type=HealthCheck._meta.label_lower,
                         request=request, detail={"file_type": file_type, "source": source, "rows": len(rows),
                                                  "created": result.created, "corrected": result.corrected,
                                                  "existing": result.existing})
    except _Refused:
        result.errors.sort(key=lambda e: (e["row"], e["column"]))
        result.created = result.corrected = result.existing = 0
    except IntegrityError:  # a check of one of these persons recorded meanwhile: nothing stored, run it again
        result.errors = [{"row": 0, "column": "", "message": _(
            "A check of a person of this file was recorded while it was imported; nothing was stored. Import "
            "the file again.")}]
        result.created = result.corrected = result.existing = 0
    return result


ANALYZED_FROM = 10_000  # rows written by set, from which the planner's statistics of the checks are refreshed


def _statistics_refresh(cursor, written: int) -> None:
    """After a write of many checks by set (an import, the sweep), PostgreSQL's statistics of the checks are
    read again at once (``ANALYZE``, a sample: well under a second): until autovacuum comes round, the planner
    would believe a day just written empty, and a per-site count would loop over a day's million checks."""
    if written >= ANALYZED_FROM and copy_available():
        cursor.execute(f"ANALYZE {HealthCheck._meta.db_table}")


def _stage(cursor, rows: list[tuple]) -> None:
    postgres = copy_available()
    types = [t.format(json="jsonb" if postgres else "text") for t in STAGE_TYPES]
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE} ("  # noqa: S608 - the module's constants
                   + ", ".join(f"{c} {t}" for c, t in zip(STAGE_COLUMNS, types, strict=True)) + ")")
    if postgres:
        # column by column, each distinct value put in COPY's text once (a day's million rows repeat their days,
        # slots, temperatures, times), then each row joined
        columns = [list(map(str, column)) if position < 2 else _copy_texts(column)
                   for position, column in enumerate(zip(*rows, strict=True))]
        lines = list(map("\t".join, zip(*columns, strict=True)))
        del columns

        def chunks(size=50_000):
            for start in range(0, len(lines), size):
                yield "\n".join(lines[start:start + size]) + "\n"
        copy_rows(STAGE, list(STAGE_COLUMNS), chunks())
        cursor.execute(f"ANALYZE {STAGE}")
    else:
        ops = connection.ops
        cursor.executemany(
            f"INSERT INTO {STAGE} VALUES ({', '.join(['%s'] * len(STAGE_COLUMNS))})",  # noqa: S608
            [(n, pk, ops.adapt_datefield_value(day), slot, outcome, ops.adapt_decimalfield_value(t, 3, 1), symptoms,
              note, ops.adapt_datetimefield_value(at), reason)
             for n, pk, day, slot, outcome, t, symptoms, note, at, reason in rows])


def _copy_texts(column) -> list[str]:
    texts = {value: copy_text(value) for value in set(column)}
    return [texts[value] for value in column]


def _overlap(cursor) -> bool:
    """Whether a staged row names a person, day and slot already checked. A day's first file does not: its rows
    are then compared with no recorded check (``_faults``, ``_changed_subjects``, ``_write`` skip those joins of
    a million staged rows with the day's checks); a check recorded meanwhile still meets the unique constraint."""
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {STAGE} s JOIN {HealthCheck._meta.db_table} h ON {MATCH})")  # noqa: S608
    return bool(cursor.fetchone()[0])


def _faults(cursor, actor, overlap: bool = True) -> list[dict]:
    """The staged rows refused by set (``health_checks_import``), each with its column and message."""
    allowed, params = Subject.objects.filter(record_q(actor)).order_by().values("id").query.sql_with_params()
    faults: list[dict] = []
    # the persons the actor records for joined (not ``NOT IN``: a million ids outgrow a hashed subplan's memory
    # and PostgreSQL would then scan them once per row)
    cursor.execute(
        "SELECT s.row_no, CASE WHEN subj.id IS NULL OR mine.id IS NULL THEN 'unknown' "  # noqa: S608
        "WHEN subj.status <> %s THEN 'ended' ELSE 'period' END, subj.first_day, subj.last_day "
        f"FROM {STAGE} s LEFT JOIN {Subject._meta.db_table} subj ON subj.id = s.subject_id "
        f"LEFT JOIN ({allowed}) mine ON mine.id = s.subject_id "
        f"WHERE subj.id IS NULL OR mine.id IS NULL OR subj.status <> %s OR s.day < subj.first_day "
        f"OR s.day > subj.last_day ORDER BY s.row_no LIMIT {FAULTS_SHOWN}",
        [Subject.Status.ACTIVE, *params, Subject.Status.ACTIVE])
    for number, fault, first, last in cursor.fetchall():
        if fault == "unknown":  # a person of another area is not told apart from one who does not exist
            faults.append({"row": number, "column": "subject", "message": _(
                "No person under management with this number whose follow-up you record.")})
        elif fault == "ended":
            faults.append({"row": number, "column": "subject", "message": _("This person is no longer under management.")})
        else:
            first, last = (d if isinstance(d, dt.date) else dt.date.fromisoformat(d) for d in (first, last))
            faults.append({"row": number, "column": "day", "message": _(
                "This day lies outside the management period (%(first)s to %(last)s).")
                % {"first": first.isoformat(), "last": last.isoformat()}})
    cursor.execute(
        f"SELECT s.row_no, d.first FROM {STAGE} s JOIN (SELECT subject_id, day, slot, MIN(row_no) AS first "  # noqa: S608
        f"FROM {STAGE} GROUP BY subject_id, day, slot HAVING COUNT(*) > 1) d ON d.subject_id = s.subject_id "
        f"AND d.day = s.day AND d.slot = s.slot WHERE s.row_no > d.first ORDER BY s.row_no LIMIT {FAULTS_SHOWN}")
    faults.extend({"row": number, "column": "slot", "message": _(
        "Row %(row)s of this file holds a check of the same person, day and slot.") % {"row": first}}
        for number, first in cursor.fetchall())
    if not overlap:
        return faults
    cursor.execute(
        f"SELECT s.row_no FROM {STAGE} s JOIN {HealthCheck._meta.db_table} h ON {MATCH} "  # noqa: S608
        f"WHERE s.reason = '' AND NOT ({SAME}) ORDER BY s.row_no LIMIT {FAULTS_SHOWN}")
    faults.extend({"row": number, "column": "reason", "message": str(GIVE_REASON)} for (number,) in cursor.fetchall())
    return faults


def _changed_subjects(cursor, overlap: bool = True) -> tuple[list[tuple[int, dt.date]], list[int]]:
    """Before the write: the persons with fever or symptoms in a check the import adds or changes (with the
    first such day), and those whose check with fever or symptoms it corrects to one without."""
    if not overlap:  # every row is a new check
        cursor.execute(f"SELECT subject_id, MIN(day) FROM {STAGE} WHERE outcome = %s GROUP BY subject_id",  # noqa: S608
                       [HealthCheck.Outcome.SYMPTOMATIC])
        return [(pk, day if isinstance(day, dt.date) else dt.date.fromisoformat(day))
                for pk, day in cursor.fetchall()], []
    cursor.execute(
        f"SELECT s.subject_id, MIN(s.day) FROM {STAGE} s LEFT JOIN {HealthCheck._meta.db_table} h ON {MATCH} "  # noqa: S608
        f"WHERE s.outcome = %s AND (h.id IS NULL OR NOT ({SAME})) GROUP BY s.subject_id",
        [HealthCheck.Outcome.SYMPTOMATIC])
    sick = [(pk, day if isinstance(day, dt.date) else dt.date.fromisoformat(day)) for pk, day in cursor.fetchall()]
    cursor.execute(
        f"SELECT DISTINCT s.subject_id FROM {STAGE} s JOIN {HealthCheck._meta.db_table} h ON {MATCH} "  # noqa: S608
        "WHERE h.outcome = %s AND s.outcome <> %s",
        [HealthCheck.Outcome.SYMPTOMATIC, HealthCheck.Outcome.SYMPTOMATIC])
    return sick, [pk for (pk,) in cursor.fetchall()]


def _write(cursor, actor, now, overlap: bool = True) -> tuple[int, int]:
    """The staged rows written by set: the corrections (earlier versions kept), then the new checks. Returns
    the numbers corrected and created."""
    checks, versions = HealthCheck._meta.db_table, CheckVersion._meta.db_table
    at = connection.ops.adapt_datetimefield_value(now)
    # a day's first file (no staged row names a recorded check): only new checks, no join with the recorded ones
    fresh = f"WHERE NOT EXISTS (SELECT 1 FROM {checks} h WHERE {MATCH})" if overlap else ""  # noqa: S608
    corrected = 0
    if overlap:
        cursor.execute(
            f"INSERT INTO {versions} (check_id, region_id, outcome, temperature, symptoms, note, checked_at, "  # noqa: S608
            "checked_by_id, channel, replaced_at, replaced_by_id, reason) SELECT h.id, h.region_id, h.outcome, "
            "h.temperature, h.symptoms, h.note, h.checked_at, h.checked_by_id, h.channel, %s, %s, s.reason "
            f"FROM {STAGE} s JOIN {checks} h ON {MATCH} WHERE NOT ({SAME})", [at, actor.pk])
        corrected = cursor.rowcount
    if corrected:
        cursor.execute(
            f"UPDATE {checks} AS h SET outcome = s.outcome, temperature = s.temperature, symptoms = s.symptoms, "  # noqa: S608
            "note = s.note, checked_at = s.checked_at, checked_by_id = %s, channel = %s, recorded_at = %s "
            f"FROM {STAGE} s WHERE {MATCH} AND NOT ({SAME})", [actor.pk, HealthCheck.Channel.STAFF, at])
    cursor.execute(
        f"INSERT INTO {checks} (subject_id, region_id, day, slot, outcome, temperature, symptoms, note, "  # noqa: S608
        "checked_at, checked_by_id, channel, recorded_at) SELECT s.subject_id, subj.region_id, s.day, s.slot, "
        "s.outcome, s.temperature, s.symptoms, s.note, s.checked_at, %s, %s, %s "
        f"FROM {STAGE} s JOIN {Subject._meta.db_table} subj ON subj.id = s.subject_id {fresh}",
        [actor.pk, HealthCheck.Channel.STAFF, at])
    return corrected, cursor.rowcount


def _shown(check) -> dict:
    return {"outcome": check.outcome, "temperature": None if check.temperature is None else str(check.temperature),
            "symptoms": list(check.symptoms), "note": check.note, "channel": check.channel,
            "checked_by": check.checked_by_id}


def _check_correct(*, actor, check: HealthCheck, values: dict, reason: str, request=None) -> HealthCheck:
    """Replace a check's values, the earlier ones kept as a ``CheckVersion``; the person's first day with fever
    or symptoms read again from what is now recorded. Audited with the reason, before and after."""
    before = _shown(check)
    CheckVersion.objects.create(check_row=check, region_id=check.region_id, outcome=check.outcome,
                                temperature=check.temperature, symptoms=check.symptoms, note=check.note,
                                checked_at=check.checked_at, checked_by_id=check.checked_by_id, channel=check.channel,
                                replaced_by=actor, reason=reason)
    for name, value in values.items():
        setattr(check, name, value)
    check.recorded_at = timezone.now()
    check.save(update_fields=[*values, "recorded_at"])
    subject = check.subject
    symptomatic_refresh(subject)
    if check.outcome == HealthCheck.Outcome.SYMPTOMATIC:
        problems.sick_raise(subject, check.day)
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=check, region_code=check.region_id,
                 request=request, reason=reason,
                 detail={"subject": subject.label, "day": check.day.isoformat(), "slot": check.slot,
                         "correction": True, "before": before, "after": _shown(check)})
    return check


def symptomatic_refresh(subject: Subject) -> None:
    """The first day of fever or symptoms (or of a positive sample) from what is recorded now."""
    sick = HealthCheck.objects.filter(subject=subject, outcome=HealthCheck.Outcome.SYMPTOMATIC).aggregate(
        first=Min("day"))["first"]
    positive = ScheduledTest.objects.filter(subject=subject, result=ScheduledTest.Result.POSITIVE).aggregate(
        first=Min("taken_on"))["first"]
    since = min((d for d in (sick, positive) if d is not None), default=None)
    if since != subject.symptomatic_since:
        Subject.objects.filter(pk=subject.pk).update(symptomatic_since=since)
        subject.symptomatic_since = since


@transaction.atomic
def sample_record(*, actor, test: ScheduledTest, taken_on: dt.date, result: str = "",
                       request=None) -> ScheduledTest:
    """Record a scheduled test's sample (and result when known; input validated by ``inputs.SampleInput``)."""
    subject = test.subject
    _require(actor, subject)
    errors: dict[str, list[str]] = {}
    if taken_on > timezone.localdate():
        errors["taken_on"] = [_("A sample cannot be taken on a day still to come.")]
    elif taken_on < subject.first_day:
        errors["taken_on"] = [_("This day lies before the management period.")]
    if result not in ScheduledTest.Result.values:
        errors["result"] = [_("Choose negative, positive or awaiting result.")]
    if test.result and result != test.result:
        errors["result"] = [_("The result of this test is already recorded.")]
    if errors:
        raise ValidationError(errors)
    before = {"status": test.status, "taken_on": test.taken_on.isoformat() if test.taken_on else None,
              "result": test.result}
    test.status, test.taken_on, test.result = ScheduledTest.Status.TAKEN, taken_on, result
    test.recorded_by, test.recorded_at = actor, timezone.now()
    test.save(update_fields=["status", "taken_on", "result", "recorded_by", "recorded_at"])
    if result == ScheduledTest.Result.POSITIVE and subject.symptomatic_since is None:
        Subject.objects.filter(pk=subject.pk).update(symptomatic_since=taken_on)
        subject.symptomatic_since = taken_on
    if result == ScheduledTest.Result.POSITIVE:
        problems.positive_raise(test, subject)
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=test, region_code=subject.region_id,
                 request=request, detail={"subject": subject.label, "before": before,
                                          "after": {"status": test.status, "taken_on": taken_on.isoformat(),
                                                    "result": result}})
    return test


@transaction.atomic
def result_record(*, actor, subject: Subject, due_date: dt.date, taken_on: dt.date, result: str = "",
                       request=None) -> ScheduledTest:
    """A result (or a sample) for the person's test scheduled on ``due_date`` — as an import or a laboratory
    reports it, by person and day (input validated by ``inputs.ResultInput``). A day without a scheduled
    test is refused, naming the days that are scheduled: nothing is recorded against a test nobody planned."""
    _require(actor, subject)
    test = ScheduledTest.objects.select_for_update().filter(subject=subject, due_date=due_date).order_by("id").first()
    if test is None:
        days = ", ".join(d.isoformat() for d in subject.tests.order_by("due_date").values_list("due_date", flat=True))
        raise ValidationError({"due_date": [
            _("No test is scheduled for this person on %(day)s (scheduled: %(days)s).")
            % {"day": due_date.isoformat(), "days": days or _("none")}]})
    test.subject = subject
    return sample_record(actor=actor, test=test, taken_on=taken_on, result=result, request=request)


LABORATORY_OUTCOMES = {"negative": ScheduledTest.Result.NEGATIVE, "positive": ScheduledTest.Result.POSITIVE}


def laboratory_results_receive(rows, *, actor) -> dict[str, int]:
    """Persons' results as the laboratory module records them (``ModuleConfig.result_receivers``; ``rows``:
    querysets of ``person_id``, ``sampled_on``, ``outcome``), in the recording's transaction: the test of a
    person under management scheduled on the sampling day, not yet resulted (due, overdue, or its sample taken
    and the result awaited), becomes taken on that day with the result — by set, however many the file held. A
    sample of another day is not a scheduled test's (the protocol's days are the days sampled; an inconclusive
    result answers nothing: the re-sample will). A positive marks the person and raises its critical problem
    at once, as a result entered here does. The laboratory's user records it: audited once, with the counts
    (nothing when nothing matched)."""
    now = timezone.now()
    awaited = (Q(status__in=(ScheduledTest.Status.DUE, ScheduledTest.Status.OVERDUE))
               | Q(status=ScheduledTest.Status.TAKEN, result=ScheduledTest.Result.PENDING))
    counts = {"negative": 0, "positive": 0}
    positives: list[int] = []
    for found in rows:
        found = found.order_by()
        span = found.aggregate(first=Min("sampled_on"), last=Max("sampled_on"))
        if span["first"] is None:
            continue
        for outcome, result in LABORATORY_OUTCOMES.items():
            match = found.filter(outcome=outcome, person_id=OuterRef("subject__person_id"),
                                 sampled_on=OuterRef("due_date"))
            tests = ScheduledTest.objects.filter(
                awaited, Exists(match), due_date__gte=span["first"], due_date__lte=span["last"],
                subject__status=Subject.Status.ACTIVE)
            if outcome == "positive":
                positives.extend(tests.values_list("pk", flat=True))
            counts[outcome] += tests.update(status=ScheduledTest.Status.TAKEN, taken_on=F("due_date"), result=result,
                                            recorded_by=actor, recorded_at=now)
    for test in ScheduledTest.objects.filter(pk__in=positives).select_related("subject").order_by("pk"):
        subject = test.subject
        if subject.symptomatic_since is None or test.taken_on < subject.symptomatic_since:
            Subject.objects.filter(pk=subject.pk).update(symptomatic_since=test.taken_on)
            subject.symptomatic_since = test.taken_on
        problems.positive_raise(test, subject)
    if any(counts.values()):
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, object_type=ScheduledTest._meta.label_lower,
                     detail={"laboratory_results": True, **counts})
    return counts


@transaction.atomic
def sample_not_taken(*, actor, test: ScheduledTest, reason: str, request=None) -> ScheduledTest:
    """A scheduled test that was not taken, with the reason (refused, in hospital, released early …): no
    longer due nor overdue (input validated by ``inputs.NotTakenInput``)."""
    subject = test.subject
    _require(actor, subject)
    errors: dict[str, list[str]] = {}
    if test.status == ScheduledTest.Status.TAKEN:
        errors["status"] = [_("The sample of this test is recorded as taken.")]
    if test.due_date > timezone.localdate():
        errors["status"] = [_("This test is not due yet.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the test was not taken.")]
    if errors:
        raise ValidationError(errors)
    before = test.status
    test.status, test.not_taken_reason = ScheduledTest.Status.NOT_TAKEN, reason.strip()
    test.recorded_by, test.recorded_at = actor, timezone.now()
    test.save(update_fields=["status", "not_taken_reason", "recorded_by", "recorded_at"])
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=test, region_code=subject.region_id,
                 request=request, reason=test.not_taken_reason,
                 detail={"subject": subject.label, "before": {"status": before}, "after": {"status": test.status}})
    return test


@transaction.atomic
def subject_to_suspected(*, actor, subject: Subject, onset_date: dt.date | None = None, request=None) -> str:
    """A person with fever, symptoms or a positive test becomes a suspected case through the source's module
    (the cases service for a contact); the follow-up ends as converted. Returns the case number."""
    _require(actor, subject)
    errors: dict[str, list[str]] = {}
    if subject.status != Subject.Status.ACTIVE:
        errors["subject"] = [_("This person is no longer under management.")]
    elif subject.symptomatic_since is None:
        errors["subject"] = [_("No fever, symptom or positive test is recorded for this person.")]
    if onset_date is not None and subject.symptomatic_since and onset_date > timezone.localdate():
        errors["onset_date"] = [_("This date cannot lie in the future.")]
    if errors:
        raise ValidationError(errors)
    case_no = source_of(subject.kind).to_suspected(actor=actor, source_id=subject.source_id,
                                                   onset_date=onset_date or subject.symptomatic_since,
                                                   request=request)
    subject.status, subject.outcome_ref = Subject.Status.CONVERTED, case_no
    subject.ended_on = min(subject.last_day, timezone.localdate() - dt.timedelta(days=1))
    subject.save(update_fields=["status", "outcome_ref", "ended_on"])
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=subject, region_code=subject.region_id,
                 request=request, detail={"became_suspected_case": case_no})
    return case_no


@transaction.atomic
def followups_sweep(*, day: dt.date) -> dict[str, int]:
    """The end of ``day``: a slot of an active subject without a check is recorded missed, a test due by
    ``day`` and not taken becomes overdue — each one statement over the table, whatever the number of persons
    (a million under management: two million slots). Idempotent; audited once with the counts."""
    ops = connection.ops
    on_day, now = ops.adapt_datefield_value(day), ops.adapt_datetimefield_value(timezone.now())
    slots = " UNION ALL ".join(["SELECT %s AS slot"] * len(SLOTS))
    with connection.cursor() as cursor, foreign_keys_checked_by_set(HealthCheck):
        cursor.execute(
            f"INSERT INTO {HealthCheck._meta.db_table} (subject_id, region_id, day, slot, outcome, temperature, "  # noqa: S608 - the module's constants
            "symptoms, note, checked_at, checked_by_id, channel, recorded_at) "
            f"SELECT subj.id, subj.region_id, %s, slots.slot, %s, NULL, {EMPTY_JSON[copy_available()]}, '', NULL, "
            f"NULL, %s, %s FROM {Subject._meta.db_table} subj CROSS JOIN ({slots}) slots "
            "WHERE (subj.ended_on IS NULL OR subj.ended_on >= %s) AND subj.first_day <= %s AND subj.last_day >= %s "
            f"AND NOT EXISTS (SELECT 1 FROM {HealthCheck._meta.db_table} h WHERE h.subject_id = subj.id "
            "AND h.day = %s AND h.slot = slots.slot) ON CONFLICT DO NOTHING",
            [on_day, HealthCheck.Outcome.MISSED, HealthCheck.Channel.STAFF, now, *SLOTS, on_day, on_day, on_day,
             on_day])
        missed = cursor.rowcount
        _statistics_refresh(cursor, missed)
    # the tests due in the week up to ``day``: a test becomes overdue once, by the sweep of its day (or of a later
    # day of that week when a sweep did not run); the index range read is that week's, not every test ever due
    overdue = ScheduledTest.objects.filter(
        Q(subject__ended_on__isnull=True) | Q(subject__ended_on__gte=F("due_date")),
        status=ScheduledTest.Status.DUE, due_date__lte=day, due_date__gt=day - OVERDUE_LOOK_BACK).update(
        status=ScheduledTest.Status.OVERDUE)
    counts = {"missed_checks": missed, "overdue_tests": overdue}
    counts["problems"] = sum(problems.missed_raise(region, day, n) for region, n in problems.missed_counts(day))
    if any(counts.values()):
        bump_data_generation()
    audit_record(actor=None, action=AuditEvent.Action.UPDATE,
                 object_type=HealthCheck._meta.label_lower,  # the trail labels it as the model it wrote
                 detail={"sweep": True, "day": day.isoformat(), **counts})
    return counts


def self_report_refused(*, reason: str, request=None) -> None:
    """A personal link that opened nothing (forged, altered, expired, rate-limited): audited as a refusal, at
    most ``REFUSALS_AUDITED`` an hour from one address (a flood fills nothing)."""
    audit_record_bounded(limits=[(REFUSALS_AUDITED, dt.timedelta(hours=1),
                                  {"object_type": SELF_REPORT_OBJECT, "source_ip": client_ip(request)})],
                         actor=None, action=AuditEvent.Action.ACCESS_REFUSED, object_type=SELF_REPORT_OBJECT,
                         request=request, detail={"reason": reason})
