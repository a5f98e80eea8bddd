"""The import of contacts (``contacts_import``): the checks of ``build_contact`` over every row, streamed to
COPY on PostgreSQL, one write transaction elsewhere (``fangkong.cases.imports``)."""


from __future__ import annotations

import datetime as dt
import json

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import memberships_of
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.bulk_copy import copy_available, copy_rows, copy_text, foreign_keys_checked_by_set
from fangkong.cases import rules
from fangkong.cases.imports.machinery import (
    CONTACT_COLUMNS,
    DAY,
    ELSEWHERE,
    ImportOutcome,
    RegionCheck,
    RowPersons,
    SchemaCells,
    check_columns,
    column_texts,
    elsewhere_error,
    existing_numbers,
    own_number,
    readable_cases_by_number,
    rejection,
    report_progress,
    retrying,
)
from fangkong.cases.inputs import ContactEnlistInput
from fangkong.cases.models import (
    Contact,
    ContactStatus,
)
from fangkong.cases.services import cases_found_under_management_mark
from fangkong.cases.summaries import tracing_summary_refresh
from fangkong.persons.models import Person
from fangkong.protocols.models import ProtocolVersion
from fangkong.regions.models import Region

CONTACT_FORM_COLUMNS = [name for name in CONTACT_COLUMNS if name not in ("contact_no", "sex", "birth_date")]


def contacts_import(*, actor, rows: list[dict], source: str = "", request=None, progress=None) -> ImportOutcome:
    """Import contact rows (``CONTACT_COLUMNS``); all or nothing; known contact numbers are skipped.

    PostgreSQL: one transaction in which the rows are checked while the checked ones stream to COPY (the
    server writes while Python checks), then the new persons are written, their foreign keys checked once
    per key rather than once per row when the role may (``fangkong.bulk_copy``), then the audit and the
    summary; any error rolls it all back. Elsewhere: every row checked first, then one write transaction.
    """
    check_columns(rows, "contacts")
    return retrying(lambda: _contacts_import(actor, rows, source, request, progress))


def _contacts_import(actor, rows, source, request, progress) -> ImportOutcome:
    if copy_available():
        with transaction.atomic():
            # Entered before the persons' ids are reserved: the check covers every row written here.
            with foreign_keys_checked_by_set(Contact, Person):
                check = _ContactCheck(actor=actor, rows=rows, progress=progress, reserve=True)
                copy_rows(Contact._meta.db_table, CONTACT_COPY_COLUMNS, check.copy_chunks())
                if check.errors:
                    raise rejection(check.errors)  # inside the transaction: the rows already sent are rolled back
                check.persons.insert()
            return _contacts_finish(check, source, request)
    check = _ContactCheck(actor=actor, rows=rows, progress=progress)
    checked = list(check)
    if check.errors:
        raise rejection(check.errors)
    with transaction.atomic():
        check.persons.insert()
        Contact.objects.bulk_create(_contact_objects(checked, check.persons, check.now), batch_size=2000)
        return _contacts_finish(check, source, request)


def _contacts_finish(check: _ContactCheck, source: str, request) -> ImportOutcome:
    """After the persons and contacts are written: the audit events, the tracing summary."""
    check.persons.audit(source=source, request=request)
    found = cases_found_under_management_mark(check.persons.known_used)  # new persons have no case yet
    audit_record(actor=check.actor, action=AuditEvent.Action.IMPORT, object_type="cases.contact",
                 object_id=source[:64], request=request,
                 detail={"created": check.created, "existing": check.existing,
                         "cases_now_found_under_management": len(found)})
    tracing_summary_refresh(check.keys | set(found.values()))
    return ImportOutcome(created=check.created, existing=check.existing, persons_created=len(check.persons.fresh))


class _ContactCheck:
    """The checks of ``build_contact`` over the rows of a file; iterating yields the checked rows (tuples)
    as long as no row has failed, ``errors`` collects every error of every row."""

    def __init__(self, *, actor, rows: list[dict], progress=None, reserve: bool = False):
        self.actor, self.rows, self.progress = actor, rows, progress
        self.now = timezone.now()
        self.numbers = column_texts(rows, "contact_no")
        existing = existing_numbers(Contact, "contact_no", self.numbers)
        self.pending = [i for i, number in enumerate(self.numbers) if not number or number not in existing]
        self.existing = len(rows) - len(self.pending)
        self.codes = set(Region.objects.values_list("code", flat=True))
        self.persons = RowPersons(actor=actor, rows=rows, pending=self.pending, codes=self.codes, reserve=reserve,
                                  residence_default="region", residence_errors_under_default=True)
        self.source_nos = column_texts(rows, "source_case_no")
        self.sources: dict[str, tuple[int, dt.datetime]] = {
            case_no: (pk, reported_at) for case_no, pk, reported_at
            in readable_cases_by_number(actor, {self.source_nos[i] for i in self.pending}, ("id", "reported_at"))}
        self.protocols = list(ProtocolVersion.objects.order_by("-effective_from"))
        memberships_of(actor)  # read now and kept on the user: no query may run while the rows stream to COPY
        self.errors: list[dict] = []
        self.created = 0
        self.keys: set[tuple[str, dt.date]] = set()  # (region, listing day) of the rows written

    def __iter__(self):
        rows, pending, numbers, progress = self.rows, self.pending, self.numbers, self.progress
        persons, sources, protocols, errors = self.persons, self.sources, self.protocols, self.errors
        protocol_on: dict[dt.date, ProtocolVersion | None] = {}
        schedules: dict[tuple, tuple[list, str, dt.date | None]] = {}
        region_errors = RegionCheck(self.actor, self.codes, Capability.CASE_WRITE,
                                     _("Your role may not register contacts."))
        cells = SchemaCells(ContactEnlistInput)
        column = {name: column_texts(rows, name) for name in CONTACT_FORM_COLUMNS}
        source_nos, keys = self.source_nos, self.keys
        duplicate = _("This contact number appears twice in the file.")
        seen: set[str] = set()
        for count, i in enumerate(pending, start=1):
            report_progress(progress, count, len(pending))
            own: list[tuple[str, str]] = []
            own_number(own, "contact_no", numbers[i], seen, duplicate)
            # The cells as the contact form's fields (ContactEnlistInput): a refused one refuses the row
            # with the form's errors alone, as the page does before any rule is tried.
            row_errors: list[tuple[str, str]] = []
            for name in ("citizen_id", "name", "phone", "address_region", "source_case_no"):
                cells.value(row_errors, name, column[name][i])
            category, region, exposure_type, place, exposure_start, exposure_end = (
                cells.value(row_errors, name, column[name][i])
                for name in ("category", "region", "exposure_type", "quarantine_place", "exposure_start",
                             "exposure_end"))
            listed = cells.moment(row_errors, "listed_at", column["listed_at"][i])
            quarantined = cells.moment(row_errors, "quarantined_at", column["quarantined_at"][i])
            if row_errors:
                errors.extend({"row": i + 2, "column": c, "message": str(m)} for c, m in own + row_errors)
                continue
            row_errors = own
            person = persons.resolve(i, row_errors)
            if person is ELSEWHERE:  # as the page: refused for that alone
                errors.extend({"row": i + 2, "column": c, "message": str(m)} for c, m in own + [elsewhere_error()])
                continue
            source_case = sources.get(source_nos[i])
            if source_case is None:
                row_errors.extend(rules.unknown_case("source_case_no"))
            row_errors.extend(("region", message) for message in region_errors(region))
            row_errors.extend(rules.one_of("category", category))
            row_errors.extend(rules.one_of("exposure_type", exposure_type))
            # The rules of build_contact (fangkong.cases.rules) on the typed values.
            row_errors.extend(rules.exposure_window(exposure_start, exposure_end, listed[1] if listed else None))
            row_errors.extend(rules.listing_times(listed[0] if listed else None,
                                                  quarantined[0] if quarantined else None, self.now))
            row_errors.extend(rules.at_most("quarantine_place", place, 200))
            protocol = None
            if listed is not None:
                day = listed[1]
                if day not in protocol_on:
                    protocol_on[day] = next((p for p in protocols if p.effective_from <= day), None)
                protocol = protocol_on[day]
                row_errors.extend(rules.contact_protocol(protocol, category))
            if row_errors:
                errors.extend({"row": i + 2, "column": c, "message": str(m)} for c, m in row_errors)
                continue
            if errors:
                continue  # the file is refused: nothing more to write
            key = (protocol.pk, category, exposure_end, listed[1])
            schedule = schedules.get(key)
            if schedule is None:  # counted from the last exposure, else the listing date
                plan, release_due = protocol.contact_plan(category, exposure_end=exposure_end, listed_date=listed[1])
                schedule = schedules[key] = (plan, copy_text(json.dumps(plan)), release_due)
            self.created += 1
            keys.add((region, listed[1]))
            yield (numbers[i], person, region, category, source_case[0], exposure_type, exposure_start,
                   exposure_end, listed, quarantined, place, protocol.pk, schedule,
                   listed[0] - source_case[1] <= DAY, (quarantined[0] - listed[0] <= DAY) if quarantined else None)

    def copy_chunks(self, chunk: int = 20000):
        """The checked rows as COPY text (PostgreSQL, the new persons' ids reserved), ``chunk`` rows at a time."""
        flag = {True: "t", False: "f", None: "\\N"}
        tail = f"\t1\t{self.now.isoformat()}\t{self.now.isoformat()}\n"
        lines: list[str] = []
        for (number, person, region, category, source_id, exposure_type, exposure_start, exposure_end, listed,
             quarantined, place, protocol_id, schedule, within_24h, quarantined_24h) in self:
            lines.append(
                f"{copy_text(number)}\t{person}\t{region}\t{category}\t{source_id}\t{exposure_type}\t"
                f"{copy_text(exposure_start)}\t{copy_text(exposure_end)}\t{listed[2]}\t{listed[1].isoformat()}\t"
                f"{quarantined[2] if quarantined else '\\N'}\t{copy_text(place)}\t{protocol_id}\t{schedule[1]}\t"
                f"{copy_text(schedule[2])}\t{_status(quarantined)}\t{flag[within_24h]}\t{flag[quarantined_24h]}"
                f"{tail}")
            if len(lines) >= chunk:
                yield "".join(lines)
                lines = []
        if lines:
            yield "".join(lines)


def _status(quarantined) -> str:
    return ContactStatus.QUARANTINED if quarantined else ContactStatus.LISTED


def _contact_objects(checked: list[tuple], persons: RowPersons, now: dt.datetime):
    for (number, person, region, category, source_id, exposure_type, exposure_start, exposure_end, listed,
         quarantined, place, protocol_id, schedule, within_24h, quarantined_24h) in checked:
        yield Contact(
            contact_no=number, person_id=persons.person_id(person), region_id=region, category=category,
            source_case_id=source_id, exposure_type=exposure_type, exposure_start=exposure_start,
            exposure_end=exposure_end, listed_at=listed[0], listed_date=listed[1],
            quarantined_at=quarantined[0] if quarantined else None, quarantine_place=place,
            protocol_id=protocol_id, test_schedule=schedule[0], release_due=schedule[2],
            status=_status(quarantined), listed_within_24h=within_24h, quarantined_within_24h=quarantined_24h,
            created_at=now, updated_at=now)


CONTACT_COPY_COLUMNS = ["contact_no", "person_id", "region_id", "category", "source_case_id", "exposure_type",
                        "exposure_start", "exposure_end", "listed_at", "listed_date", "quarantined_at",
                        "quarantine_place", "protocol_id", "test_schedule", "release_due", "status",
                        "listed_within_24h", "quarantined_within_24h", "version", "created_at", "updated_at"]
