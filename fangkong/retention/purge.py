"""The purge: the dry run's counts and the run itself, in batches, resumable after a crash.

How a run goes (``purge_execute``), category by category in ``policies.PURGE_ORDER`` (what refers to
others first), then the persons:

1. A batch is the next ``batch_size`` due rows by id after the last batch's (``selectors.due_rows``: the
   same query as the dry run, on the purge's day and region, holds excepted; the cursor is kept in
   ``progress`` with the batch, so no batch scans again the dead rows of earlier ones). Each batch is one transaction: the rows are deleted
   (with every row that refers to them, found through the models' relations: ``_delete_rows``), aggregated
   then deleted, or anonymised; their pseudonymous references are kept (``PurgedReference``), the persons
   they were about are remembered (``PurgeCandidate``), the audit events about them are redacted
   (``fangkong.audit.services.audit_redact``), the figures' cache generation is bumped and the purge's
   counts are updated — all or nothing. A run killed in a batch loses that batch only; run again, it
   recomputes the due rows (the deleted ones are gone, the anonymised ones are recorded) and goes on.
2. The persons: a candidate no row refers to any more is deleted (or anonymised, as the persons policy
   says); one whose remaining records are all anonymised is anonymised; one with a record still kept stays.
   Held persons stay. Then the keyring rotates (``_keys_shred``): a dump taken before the purge no longer opens
   the purged persons' identifiers.
3. On SQLite, ``PRAGMA secure_delete`` zeroes what is deleted or overwritten, and the write-ahead log is
   truncated at the end, so the file's bytes hold nothing of what was purged; on PostgreSQL the deleted
   rows are gone from every table read as text (``COPY``); the dead tuples are reclaimed by (auto)vacuum.

Deleting with one DELETE per table and batch (the batch's ids as one array parameter on PostgreSQL), not
through Django's collector: the
collector would load every row, and most of the platform's foreign keys are PROTECT — the walk here
decides itself, from the relation's kind, what follows a deleted row (PROTECT and CASCADE: deleted with
it; SET_NULL: set to null; the rows of many-to-many tables: deleted, like any row referring to them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Max, Min
from django.utils import timezone

from fangkong.audit.services import audit_redact
from fangkong.data_generation import bump_data_generation
from fangkong.persons.protection import keyed_hash
from fangkong.regions.codes import county_code

from . import selectors
from .models import (
    Action,
    AnonymisedRecord,
    DataCategory,
    LegalHold,
    Purge,
    PurgeCandidate,
    PurgedReference,
    RetainedFigure,
)
from .policies import COVERAGE, PURGE_ORDER, effective_period

BATCH_SIZE = 5000
ANONYMOUS_NAME = "（已匿名）"
REFERENCE_PURPOSE = "retention-reference"
#: Records whose audit events name them by row id (``object_type``), redacted when they are purged.
AUDITED_LABELS = ("persons.person", "cases.case", "cases.contact", "inbound.traveller", "places.scan",
                  "laboratory.specimen", "laboratory.result", "followup.subject")
#: Summaries counting rows the purge may delete, kept in step with the rows left: the label of the rows → the
#: columns of their summary key and the refresh that recomputes those keys (in the batch's transaction). Rows
#: anonymised keep their region and dates: their figures stay as they were.
SUMMARIES = {
    "cases.contact": (("region_id", "listed_date"), "fangkong.cases.summaries.tracing_summary_refresh"),
    "cases.case": (("report_region_id", "report_date"), "fangkong.cases.summaries.tracing_summary_refresh"),
    "surveillance.sentinelreport": (("site_id", "date"), "fangkong.surveillance.summaries.reporting_summary_refresh"),
}


def reference(label: str, pk) -> str:
    """The pseudonymous reference of a purged record: a keyed hash of its row id (nothing links it back)."""
    return keyed_hash(f"{label}:{pk}", REFERENCE_PURPOSE)


def _keys_shred(purge: Purge) -> None:
    """Crypto-shredding (``fangkong.persons.shredding``, ``docs/crypto-shredding.md``) once the purge's persons
    are gone: their data keys went with their rows, but a dump taken before the purge still holds them, wrapped
    under the keyring's epoch, and their look-up hashes under its hash key. The rotation rekeys the persons
    kept and destroys that epoch, so the earlier dump opens nothing of the purged. Run when the purge deleted or
    anonymised somebody (over all its runs: a purge resumed after a crash rotates too). A rotation runs
    outside any transaction (each batch commits on its own; ``RuntimeError`` inside one, before any change), as
    the purge does (``services.purge_run``, the job). A rotation killed half-way finishes when the purge is run
    again."""
    from fangkong.persons.shredding import rotate

    persons = purge.progress.get("counts", {}).get(DataCategory.PERSONS, {})
    if not (persons.get("deleted") or persons.get("anonymised")):
        return
    rotate()


# --- the dry run -------------------------------------------------------------------------------------------

def plan_counts(*, policies: dict, as_of: dt.date, region_code: str) -> dict:
    """Per category: how many rows the policies make due, what happens to them and since when they are due."""
    plan = {}
    for category in DataCategory.values:
        policy = policies.get(category)
        coverage = COVERAGE[category]
        entry = {"count": 0, "action": policy.action if policy else "", "first_due": None, "last_due": None}
        rows = selectors.due_rows(category, policy, as_of=as_of, region_code=region_code) if policy else None
        if rows is not None:
            entry["count"] = rows.count()
            field = coverage.clocks.get(policy.clock)
            if entry["count"] and field and policy.clock != "epidemic_over":
                span = rows.aggregate(first=Min(field), last=Max(field))
                period = dt.timedelta(days=effective_period(category, policy.period_days))
                entry["first_due"], entry["last_due"] = ((_day(span["first"]) + period).isoformat(),
                                                         (_day(span["last"]) + period).isoformat())
        plan[category] = entry
    plan[DataCategory.PERSONS]["count"] = _persons_estimate(policies, as_of=as_of, region_code=region_code)
    return plan


def _day(value) -> dt.date:
    return timezone.localtime(value).date() if isinstance(value, dt.datetime) else value


def _persons_estimate(policies: dict, *, as_of: dt.date, region_code: str) -> int:
    """At most this many persons go: those of due records (whether another record keeps them is known
    only when the run reaches them)."""
    person_ids = set()
    for category in PURGE_ORDER:
        policy = policies.get(category)
        coverage = COVERAGE[category]
        if policy is None or not coverage.person or policy.action == Action.ANONYMISE:
            continue
        rows = selectors.due_rows(category, policy, as_of=as_of, region_code=region_code)
        if rows is not None:
            person_ids.update(rows.values_list(coverage.person, flat=True).distinct())
    person_ids.discard(None)
    held = set(LegalHold.objects.filter(target=LegalHold.Target.PERSON, released_at__isnull=True)
               .values_list("object_id", flat=True))
    return len(person_ids - held)


# --- the run -----------------------------------------------------------------------------------------------

def _policies_of(purge: Purge) -> dict:
    """The policies as they were when the purge was planned (a change approved since waits for the next)."""
    from .models import RetentionPolicy

    return {category: RetentionPolicy(category=category, **values) for category, values in purge.policies.items()}


def _secure_storage() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def _truncate_sqlite_log() -> None:
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def purge_execute(purge: Purge, *, batch_size: int = BATCH_SIZE) -> Purge:
    """Run an approved (or interrupted) purge to its end; safe to call again after a crash."""
    _secure_storage()
    policies = _policies_of(purge)
    for category in PURGE_ORDER:
        if category in purge.progress.get("done", []) or category not in policies:
            continue
        while _category_batch(purge.pk, category, policies[category], batch_size):
            pass
        _mark_done(purge.pk, category)
    while _persons_batch(purge.pk, policies.get(DataCategory.PERSONS), batch_size) is not None:
        pass
    if DataCategory.AUDIT in policies:
        while _audit_batch(purge.pk, policies[DataCategory.AUDIT], batch_size):
            pass
    purge.refresh_from_db()
    _keys_shred(purge)
    _truncate_sqlite_log()
    return purge


def _mark_done(purge_id: int, category: str) -> None:
    with transaction.atomic():
        purge = Purge.objects.select_for_update().get(pk=purge_id)
        purge.progress.setdefault("done", []).append(category)
        purge.save(update_fields=["progress"])


def _count(purge: Purge, category: str, what: str, number: int) -> None:
    if number:
        counts = purge.progress.setdefault("counts", {}).setdefault(category, {})
        counts[what] = counts.get(what, 0) + number


def _relaxed_commit() -> None:
    """A batch's commit need not wait for the disk (PostgreSQL ``synchronous_commit``): a batch lost in a
    crash is done again by the next run, like one rolled back — durability of each batch buys nothing."""
    if connection.vendor == "postgresql":
        _execute("SET LOCAL synchronous_commit TO OFF", [])


def _category_batch(purge_id: int, category: str, policy, batch_size: int) -> bool:
    """One batch of one category in one transaction; False when nothing is left."""
    with transaction.atomic():
        _relaxed_commit()
        purge = Purge.objects.select_for_update().get(pk=purge_id)
        rows = selectors.due_rows(category, policy, as_of=purge.as_of, region_code=purge.region_id)
        if rows is None:
            return False
        cursors = purge.progress.setdefault("cursors", {})
        after = cursors.get(category, 0)  # keyset: never scans again what earlier batches passed
        ids = list(rows.filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return False
        cursors[category] = ids[-1]
        model = selectors.model_of(category)
        coverage = COVERAGE[category]
        _insert_many(PurgedReference, ["purge_id", "category", "reference"], [purge.pk, category],
                     [reference(model._meta.label_lower, pk) for pk in ids])
        if policy.action == Action.ANONYMISE:
            gone = _anonymise_records(purge, category, model, ids)
            _count(purge, category, "anonymised", len(ids))
        else:
            if policy.action == Action.AGGREGATE:
                _aggregate(category, model, ids, policy)
                _count(purge, category, "aggregated", len(ids))
            gone = _delete_with_links(purge, category, model, ids)
            _count(purge, category, "deleted", len(ids))
        _count(purge, DataCategory.AUDIT, "redacted", _redact(gone))
        _summaries_refresh(gone)
        if coverage.person:
            bump_data_generation()
        bump_data_generation()
        purge.save(update_fields=["progress"])
    return True


def _delete_with_links(purge: Purge, category: str, model, ids: list[int]) -> dict[str, list]:
    """Delete rows and what refers to them; the persons of every deleted row become candidates."""
    gone: dict[str, list] = defaultdict(list)
    if category in FOLLOWED_UP:
        _delete_followup_subjects(category, ids, gone)
    exposures = _exposures_of(ids) if category == DataCategory.CASES else []
    _delete_rows(model, ids, gone)
    if exposures:  # an exposure (a place and time) goes with the last case exposed there
        Exposure = apps.get_model("cases", "Exposure")
        _delete_rows(Exposure, list(Exposure.objects.filter(pk__in=exposures, cases__isnull=True)
                                    .values_list("pk", flat=True)), gone)
    _remember_persons(purge, gone)
    return gone


def _exposures_of(case_ids: list[int]) -> list[int]:
    Exposure = apps.get_model("cases", "Exposure")
    return sorted({row[0] for row in _select(Exposure.cases.through, ["exposure_id"], "case_id", case_ids)})


#: The follow-up's kind of the rows of a category (``followup.Subject.kind``: no foreign key to the source row).
FOLLOWED_UP = {DataCategory.CONTACTS: "contact", DataCategory.TRAVELLERS: "inbound"}


def _delete_followup_subjects(category: str, source_ids: list[int], gone: dict) -> None:
    """The follow-up rows of contacts or inbound travellers (``followup.Subject`` of the category's kind): with
    them gone, nothing but the source's own row keeps its person."""
    Subject = apps.get_model("followup", "Subject")
    clause, params = _where_in("source_id", source_ids)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT id FROM "{Subject._meta.db_table}" WHERE kind = %s AND {clause}',  # noqa: S608
                       [FOLLOWED_UP[category], *params])
        subject_ids = [row[0] for row in cursor.fetchall()]
    _delete_rows(Subject, subject_ids, gone)


def _person_fields(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields
            if f.is_relation and f.related_model is not None and f.related_model._meta.label_lower == "persons.person"]


def reverse_relations(model) -> list:
    """Every foreign key and one-to-one pointing at ``model``, those declared ``related_name="+"`` included
    (hidden from ``_meta.related_objects``), the links of many-to-many tables too (a table's own rows)."""
    return [f for f in model._meta.get_fields(include_hidden=True)
            if f.auto_created and not f.concrete and (f.one_to_many or f.one_to_one)]


_ARRAY_SAFE = re.compile(r"[0-9a-f,]*")


def _array(values) -> str:
    """A PostgreSQL array literal of row ids or hex references (nothing to quote), far cheaper to send than
    an adapted list of thousands of parameters."""
    text = ",".join(map(str, values))
    if not _ARRAY_SAFE.fullmatch(text):
        raise ValueError("only row ids and references go in an id array")
    return "{" + text + "}"


def _where_in(column: str, ids) -> tuple[str, list]:
    """``column`` among ``ids``: one array parameter on PostgreSQL (a batch of thousands of ids costs one
    parameter to send, not thousands to build and parse), a list of parameters on SQLite."""
    ids = list(ids)
    if connection.vendor == "postgresql":  # the array written by hand: ids are numbers (or their text)
        kind = "bigint" if all(isinstance(pk, int) for pk in ids) else "text"
        return f'"{column}" = ANY(%s::{kind}[])', [_array(ids)]
    return f'"{column}" IN ({", ".join(["%s"] * len(ids)) or "NULL"})', ids


def _select(model, columns: list[str], where_column: str, ids) -> list[tuple]:
    clause, params = _where_in(where_column, ids)
    names = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT {names} FROM "{model._meta.db_table}" WHERE {clause}', params)  # noqa: S608
        return cursor.fetchall()


def _execute(sql: str, params: list) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _delete_rows(model, ids: list, gone: dict, *, known_unreferenced=()) -> None:
    """Delete ``model`` rows ``ids`` and, first, every row that refers to them (recursively), one statement
    per table (by id lists of the batch, never row by row); ``known_unreferenced``: relations the caller has
    just found empty for these ids (not read again)."""
    label = model._meta.label_lower
    already = set(gone.get(label, ()))
    ids = [pk for pk in ids if pk not in already]
    if not ids:
        return
    pk_column = model._meta.pk.column
    if label in SUMMARIES:
        columns, refresh = SUMMARIES[label]
        gone.setdefault("__summaries__", {}).setdefault(refresh, set()).update(
            model._base_manager.filter(pk__in=ids).values_list(*columns))
    fields = _person_fields(model)
    if fields:
        persons = gone.setdefault("__persons__", [])
        for values in _select(model, fields, pk_column, ids):
            persons.extend(v for v in values if v is not None)
    gone[label].extend(ids)
    for rel in reverse_relations(model):
        related, column = rel.related_model, rel.field.column
        if rel in known_unreferenced:
            continue
        if rel.on_delete is models.SET_NULL:
            clause, params = _where_in(column, ids)
            _execute(f'UPDATE "{related._meta.db_table}" SET "{column}" = NULL WHERE {clause}', params)  # noqa: S608
        elif rel.on_delete is not models.DO_NOTHING:  # CASCADE, PROTECT, RESTRICT: it cannot outlive them
            child_ids = [row[0] for row in _select(related, [related._meta.pk.column], column, ids)]
            if related is model:
                child_ids = [pk for pk in child_ids if pk not in set(ids)]
            _delete_rows(related, child_ids, gone)
    clause, params = _where_in(pk_column, ids)
    _execute(f'DELETE FROM "{model._meta.db_table}" WHERE {clause}', params)  # noqa: S608


def _summaries_refresh(gone: dict) -> None:
    """Recompute the summaries' keys the deleted rows counted in (``SUMMARIES``): the daily tracing figures of the
    days and regions of the contacts and cases deleted, the reporting of the site-days of the sentinel reports."""
    from django.utils.module_loading import import_string

    for refresh, keys in gone.pop("__summaries__", {}).items():
        import_string(refresh)(sorted(keys, key=str))


def _insert_many(model, columns: list[str], fixed: list, values: list) -> None:
    """Rows ``fixed + [value]`` for each of ``values``, duplicates skipped: one statement on PostgreSQL
    (``unnest`` of an array parameter), ``bulk_create`` elsewhere."""
    if not values:
        return
    if connection.vendor == "postgresql":
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join(["%s"] * len(fixed))
        kind = "bigint" if isinstance(values[0], int) else "text"
        array = _array(values)
        _execute(f'INSERT INTO "{model._meta.db_table}" ({names}) SELECT {marks}, unnest(%s::{kind}[]) '  # noqa: S608
                 f"{'' if model is PurgedReference else 'ON CONFLICT DO NOTHING'}", [*fixed, array])
        return
    by_column = {f.column: f.attname for f in model._meta.concrete_fields}
    attnames = [by_column[c] for c in columns]
    model.objects.bulk_create([model(**dict(zip(attnames, [*fixed, value], strict=True))) for value in values],
                              ignore_conflicts=True)


def _remember_persons(purge: Purge, gone: dict) -> None:
    deleted = set(gone.get("persons.person", ()))
    persons = sorted(set(gone.pop("__persons__", ())) - deleted)
    _insert_many(PurgeCandidate, ["purge_id", "person_id"], [purge.pk], persons)


def _redact(gone: dict) -> int:
    """Redact the audit events about deleted or anonymised records (version 2 of the chain)."""
    from fangkong.audit.models import AuditEvent

    done = 0
    for label in AUDITED_LABELS:
        ids = [str(pk) for pk in gone.get(label, ())]
        if not ids:
            continue
        clause, params = _where_in("object_id", ids)
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT "id", "object_id" FROM "{AuditEvent._meta.db_table}" '  # noqa: S608
                           f"WHERE object_type = %s AND chain_version >= 2 AND {clause}", [label, *params])
            rows = cursor.fetchall()
        by_reference: dict[str, list[int]] = defaultdict(list)
        for event_id, object_id in rows:
            by_reference[reference(label, object_id)].append(event_id)
        if by_reference:
            done += audit_redact(events_by_reference=by_reference)
    return done


# --- the audit trail -------------------------------------------------------------------------------------------

def _audit_batch(purge_id: int, policy, batch_size: int) -> bool:
    """One batch of the audit events the audit policy makes due (older than its period, never under six months:
    ``policies.effective_period``): their details dropped (``audit_redact``: ``detail`` becomes
    ``{"redacted": <pseudonymous reference of the event's object>}``, ``reason`` empty), their action, time,
    actor, object, region and hash kept — the chain still verifies (version 2). Version-1 events cannot be
    redacted: counted (``v1_kept``) instead. False when nothing is left."""
    with transaction.atomic():
        _relaxed_commit()
        purge = Purge.objects.select_for_update().get(pk=purge_id)
        rows = selectors.due_rows(DataCategory.AUDIT, policy, as_of=purge.as_of, region_code=purge.region_id)
        if rows is None:  # a clock that does not apply to the trail: nothing is due
            return False
        cursors = purge.progress.setdefault("cursors", {})
        events = list(rows.filter(pk__gt=cursors.get(DataCategory.AUDIT, 0)).order_by("pk")
                      .values_list("pk", "object_type", "object_id")[:batch_size])
        counts = purge.progress.setdefault("counts", {}).setdefault(DataCategory.AUDIT, {})
        if not events:
            counts["v1_kept"] = selectors.audit_v1_kept(policy, as_of=purge.as_of, region_code=purge.region_id)
            purge.save(update_fields=["progress"])
            return False
        cursors[DataCategory.AUDIT] = events[-1][0]
        by_reference: dict[str, list[int]] = defaultdict(list)
        for pk, object_type, object_id in events:
            label, key = (object_type, object_id) if object_type and object_id else ("audit.auditevent", pk)
            by_reference[reference(label, key)].append(pk)
        _count(purge, DataCategory.AUDIT, "expired", audit_redact(events_by_reference=by_reference))
        purge.save(update_fields=["progress"])
    return True


# --- anonymising and aggregating ---------------------------------------------------------------------------

def _age_band(birth: dt.date | None, on: dt.date) -> str:
    if birth is None:
        return ""
    age = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    low = max(0, age // 10 * 10)
    return f"{low}-{low + 9}"


def _decade_start(birth: dt.date | None) -> dt.date | None:
    return None if birth is None else dt.date(birth.year // 10 * 10, 1, 1)


def _aggregate(category: str, model, ids: list[int], policy) -> None:
    """Add the rows to ``RetainedFigure``: counts by county, ISO week of the clock, sex and age band."""
    coverage = COVERAGE[category]
    clock_field = coverage.clocks.get(policy.clock) or next(iter(coverage.clocks.values()))
    fields = [coverage.region, clock_field, coverage.sex or "pk", coverage.birth or "pk"]
    counts: Counter = Counter()
    for region, clock, sex, birth in model._base_manager.filter(pk__in=ids).values_list(*fields):
        day = _day(clock) if clock is not None else None
        week = f"{day.isocalendar().year}-W{day.isocalendar().week:02d}" if day else ""
        counts[(county_code(region or ""), week, sex if coverage.sex else "",
                _age_band(birth, day) if coverage.birth and day else "")] += 1
    for (county, week, sex, band), number in counts.items():
        figure, _created = RetainedFigure.objects.select_for_update().get_or_create(
            category=category, county=county, week=week, sex=sex, age_band=band)
        RetainedFigure.objects.filter(pk=figure.pk).update(count=models.F("count") + number)


def _anonymise_records(purge: Purge, category: str, model, ids: list[int]) -> dict[str, list]:
    """Keep the rows without what identifies anyone: their own free text cleared, the copies of identities
    and follow-up rows dropped; their persons become candidates (anonymised when nothing else keeps them)."""
    gone: dict[str, list] = defaultdict(list)
    AnonymisedRecord.objects.bulk_create([AnonymisedRecord(category=category, object_id=pk) for pk in ids],
                                         ignore_conflicts=True)
    if category == DataCategory.CONTACTS:
        model._base_manager.filter(pk__in=ids).update(quarantine_place="")
        RequestedPerson = apps.get_model("crossregion", "RequestedPerson")
        _delete_rows(RequestedPerson, list(RequestedPerson.objects.filter(contact_id__in=ids)
                                          .values_list("pk", flat=True)), gone)
        _delete_followup_subjects(category, ids, gone)
    elif category == DataCategory.TRAVELLERS:
        _anonymise_travellers(ids)
        _delete_followup_subjects(category, ids, gone)
    coverage = COVERAGE[category]
    if coverage.person:
        persons = gone.setdefault("__persons__", [])
        persons.extend(model._base_manager.filter(pk__in=ids, **{f"{coverage.person}__isnull": False})
                       .values_list(coverage.person, flat=True))
    _remember_persons(purge, gone)
    gone[model._meta.label_lower].extend(ids)
    return gone


def _anonymise_travellers(ids: list[int]) -> None:
    Traveller = apps.get_model("inbound", "Traveller")
    travellers = list(Traveller.objects.filter(pk__in=ids).only("pk", "birth_date"))
    for traveller in travellers:
        traveller.name, traveller.id_sealed, traveller.id_masked, traveller.address_text = ANONYMOUS_NAME, "", "", ""
        traveller.id_hash = reference("inbound.traveller", traveller.pk)
        traveller.birth_date = _decade_start(traveller.birth_date)
    Traveller.objects.bulk_update(travellers, ["name", "id_sealed", "id_masked", "address_text", "id_hash",
                                               "birth_date"])


def _anonymise_persons(person_ids: list[int]) -> None:
    Person = apps.get_model("persons", "Person")
    persons = list(Person.objects.filter(pk__in=person_ids).only("pk", "birth_date", "address_region_id"))
    for person in persons:
        person.name, person.address_text = ANONYMOUS_NAME, ""
        person.citizen_id_hash, person.citizen_id_sealed, person.citizen_id_masked = None, "", ""
        person.phone_hash, person.phone_sealed, person.phone_masked = "", "", ""
        person.birth_date = _decade_start(person.birth_date)
        person.address_region_id = county_code(person.address_region_id)
    Person.objects.bulk_update(persons, ["name", "address_text", "citizen_id_hash", "citizen_id_sealed",
                                         "citizen_id_masked", "phone_hash", "phone_sealed", "phone_masked",
                                         "birth_date", "address_region_id"])


# --- the persons -------------------------------------------------------------------------------------------

def _keeping_relations():
    """The relations through which a row keeps its person (not those deleted with the person: CASCADE)."""
    Person = apps.get_model("persons", "Person")
    return [rel for rel in reverse_relations(Person) if rel.on_delete is not models.CASCADE]


def _persons_batch(purge_id: int, policy, batch_size: int) -> list[int] | None:
    """Decide one batch of candidate persons; None when none is left, else the ids of those deleted."""
    Person = apps.get_model("persons", "Person")
    covered = {COVERAGE[c].model.lower(): c for c in PURGE_ORDER if COVERAGE[c].person}
    with transaction.atomic():
        _relaxed_commit()
        purge = Purge.objects.select_for_update().get(pk=purge_id)
        after = purge.progress.get("cursors", {}).get(DataCategory.PERSONS, 0)
        candidates = list(PurgeCandidate.objects.filter(purge=purge, person_id__gt=after).order_by("person_id")
                          .values_list("person_id", flat=True)[:batch_size])
        if not candidates:
            return None
        purge.progress.setdefault("cursors", {})[DataCategory.PERSONS] = candidates[-1]
        held = set(LegalHold.objects.filter(target=LegalHold.Target.PERSON, released_at__isnull=True)
                   .values_list("object_id", flat=True)) & set(candidates)
        pending = [pk for pk in candidates if pk not in held]
        kept, anonymised_only = set(), set()
        for rel in _keeping_relations():
            related = rel.related_model
            rows = _select(related, [rel.field.column, related._meta.pk.column], rel.field.column, pending)
            category = covered.get(related._meta.label_lower)
            done = set()
            if category is not None and rows:
                done = {object_id for found, object_id in _select(AnonymisedRecord, ["category", "object_id"],
                                                                  "object_id", [pk for _p, pk in rows])
                        if found == category}
            anonymised_only.update(person for person, pk in rows if pk in done)
            kept.update(person for person, pk in rows if pk not in done)
        orphans = [pk for pk in pending if pk not in kept and pk not in anonymised_only]
        to_anonymise = [pk for pk in pending if pk not in kept and pk in anonymised_only]
        deleted: list[int] = []
        gone: dict[str, list] = defaultdict(list)
        if policy is not None and policy.action == Action.ANONYMISE:
            to_anonymise += orphans
        elif policy is not None:
            deleted = orphans  # candidates are dropped in the transaction that deletes them: all still there
            _delete_rows(Person, deleted, gone, known_unreferenced=_keeping_relations())
            gone.pop("__persons__", None)
        to_anonymise = list(Person.objects.filter(pk__in=to_anonymise).exclude(name=ANONYMOUS_NAME)
                            .values_list("pk", flat=True))
        _anonymise_persons(to_anonymise)
        gone["persons.person"] = sorted(set(gone.get("persons.person", [])) | set(to_anonymise))
        _insert_many(PurgedReference, ["purge_id", "category", "reference"], [purge.pk, DataCategory.PERSONS],
                     [reference("persons.person", pk) for pk in gone["persons.person"]])
        _count(purge, DataCategory.PERSONS, "deleted", len(deleted))
        _count(purge, DataCategory.PERSONS, "anonymised", len(to_anonymise))
        _count(purge, DataCategory.PERSONS, "kept", len(kept & set(pending)) + len(held))
        _count(purge, DataCategory.AUDIT, "redacted", _redact(gone))
        _summaries_refresh(gone)
        clause, params = _where_in("person_id", candidates)
        _execute(f'DELETE FROM "{PurgeCandidate._meta.db_table}" WHERE purge_id = %s AND {clause}',  # noqa: S608
                 [purge.pk, *params])
        bump_data_generation()
        purge.save(update_fields=["progress"])
    return deleted
