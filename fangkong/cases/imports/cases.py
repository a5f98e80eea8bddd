"""The import of cases (``cases_import``): the checks of ``build_case`` over every row, then one write
transaction; an infector may be named by another row of the file (``fangkong.cases.imports``)."""


from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.bulk_copy import copy_available, ids_reserve
from fangkong.cases import rules
from fangkong.cases.case_earlies import case_earlies_refresh
from fangkong.cases.imports.machinery import (
    CASE_COLUMNS,
    EARLIES_COLUMNS,
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
    rows_by,
)
from fangkong.cases.inputs import CaseEnlistInput
from fangkong.cases.models import (
    Case,
    ClassificationChange,
    Contact,
    Disease,
    DiseaseStatus,
)
from fangkong.cases.summaries import tracing_summary_refresh
from fangkong.regions.models import Region


def cases_import(*, actor, rows: list[dict], source: str = "", request=None, progress=None) -> ImportOutcome:
    """Import case rows (``CASE_COLUMNS``); all or nothing; rows with a known case number are skipped."""
    check_columns(rows, "cases")
    return retrying(lambda: _cases_import(actor, rows, source, request, progress))


def _cases_import(actor, rows, source, request, progress) -> ImportOutcome:
    now = timezone.now()
    numbers = column_texts(rows, "case_no")
    existing = existing_numbers(Case, "case_no", numbers)
    pending = [i for i, number in enumerate(numbers) if not number or number not in existing]
    codes = set(Region.objects.values_list("code", flat=True))
    persons = RowPersons(actor=actor, rows=rows, pending=pending, codes=codes,
                         residence_default="report_region")
    diseases = {d.code: d for d in Disease.objects.all()}
    disease_code = {name: d.code for d in diseases.values() for name in (d.name_zh, d.name_en)}
    statuses: dict[int, list[tuple[dt.date, int]]] = {}
    for status in DiseaseStatus.objects.order_by("-effective_from"):
        statuses.setdefault(status.disease_id, []).append((status.effective_from, status.reporting_hours))
    infector_col = column_texts(rows, "infector_case_no")
    file_nos = {numbers[i]: i for i in pending if numbers[i]}
    infectors: dict[str, tuple[int, int]] = {
        case_no: (pk, person_id) for case_no, pk, person_id
        in readable_cases_by_number(actor, {infector_col[i] for i in pending}, ("id", "person"))}
    region_errors = RegionCheck(actor, codes, Capability.CASE_WRITE, _("Your role may not register cases."))
    cells = SchemaCells(CaseEnlistInput)
    column = {name: column_texts(rows, name) for name in CASE_COLUMNS if name != "case_no"}
    duplicate = _("This case number appears twice in the file.")
    errors: list[dict] = []
    checked: list[dict] = []
    person_of_row: dict[int, int] = {}
    seen: set[str] = set()
    for count, i in enumerate(pending, start=1):
        report_progress(progress, count, len(pending))
        number = numbers[i]
        own: list[tuple[str, str]] = []
        own_number(own, "case_no", number, seen, duplicate)
        # The cells as the case form's fields (CaseEnlistInput): a refused one refuses the row with the
        # form's errors alone, as the page does before any rule is tried.
        row_errors: list[tuple[str, str]] = []
        for name in ("citizen_id", "name", "phone", "address_region"):
            cells.value(row_errors, name, column[name][i])
        disease_text = column["disease"][i]
        disease = diseases.get(cells.value(row_errors, "disease", disease_code.get(disease_text, disease_text)))
        classification, route, severity, outcome, imported, origin, report_region, infector_no = (
            cells.value(row_errors, name, column[name][i])
            for name in ("classification", "detection_route", "severity", "outcome", "imported", "origin",
                         "report_region", "infector_case_no"))
        onset = cells.value(row_errors, "onset_date", column["onset_date"][i])
        sampling = cells.value(row_errors, "sampling_date", column["sampling_date"][i])
        diagnosed = cells.moment(row_errors, "diagnosed_at", column["diagnosed_at"][i])
        reported = cells.moment(row_errors, "reported_at", column["reported_at"][i])
        earlies = {name: cells.moment(row_errors, name, column[name][i]) for name in EARLIES_COLUMNS}
        if row_errors:
            errors.extend({"row": i + 2, "column": c, "message": str(m)} for c, m in own + row_errors)
            continue
        row_errors = own
        person = persons.resolve(i, row_errors)
        if person is ELSEWHERE:  # as the page: refused for that alone
            errors.extend({"row": i + 2, "column": c, "message": str(m)} for c, m in own + [elsewhere_error()])
            continue
        if disease is None:
            row_errors.extend(rules.unknown_disease())
        if infector_no and infector_no == number:
            row_errors.append(("infector_case_no", _("A case cannot be its own infector.")))
        elif infector_no and infector_no not in infectors and infector_no not in file_nos:
            row_errors.extend(rules.unknown_case("infector_case_no"))
        row_errors.extend(("report_region", message) for message in region_errors(report_region))
        for field, value in (("classification", classification), ("detection_route", route),
                             ("severity", severity), ("outcome", outcome)):
            row_errors.extend(rules.one_of(field, value))
        reported_at = reported[0] if reported else now
        # The rules of build_case (fangkong.cases.rules) on the typed values.
        row_errors.extend(rules.diagnosis_and_report(
            diagnosed[0] if diagnosed else None, reported_at, now, onset_date=onset, sampling_date=sampling,
            diagnosed_day=diagnosed[1] if diagnosed else None))
        deadline = None
        if diagnosed is not None:
            if disease is not None:
                hours = next((h for since, h in statuses.get(disease.pk, ()) if since <= diagnosed[1]), None)
                if hours is None:
                    row_errors.append(("disease", _("This disease was not notifiable on that date.")))
                else:
                    deadline = diagnosed[0] + dt.timedelta(hours=hours)
        row_errors.extend(rules.origin(imported, origin))
        row_errors.extend(rules.earlies({name: value[0] if value else None for name, value in earlies.items()},
                                        now, onset_date=onset, reported_at=reported_at))
        if person is not None and infector_no in infectors and infectors[infector_no][1] == person:
            row_errors.append(("infector_case_no", _("A case cannot be its own infector.")))
        if row_errors:
            errors.extend({"row": i + 2, "column": c, "message": str(m)} for c, m in row_errors)
            continue
        person_of_row[i] = person
        if errors:
            continue
        checked.append({
            "case_no": number, "person": person, "disease": disease, "classification": classification,
            "onset_date": onset, "sampling_date": sampling, "diagnosed_at": diagnosed[0], "reported_at": reported_at,
            "report_date": reported_at.astimezone(cells.zone).date(), "report_deadline": deadline,
            "reported_late": reported_at > deadline, "detection_route": route, "imported": imported,
            "origin": origin, "severity": severity, "outcome": outcome, "report_region_id": report_region,
            "infector_no": infector_no, **{name: value[0] if value else None for name, value in earlies.items()},
        })
    for i, person in person_of_row.items():  # an infector named by a row of the same file: not the same person
        infector_row = file_nos.get(column["infector_case_no"][i])
        if infector_row is not None and person_of_row.get(infector_row, 0) == person:
            errors.append({"row": i + 2, "column": "infector_case_no",
                           "message": str(_("A case cannot be its own infector."))})
    if errors:
        raise rejection(errors)
    with transaction.atomic():
        persons.write(source=source, request=request)
        built = _case_objects(checked, persons, infectors, actor)
        # An infector named by another row of the file: on PostgreSQL the ids are drawn first and the link
        # written with the row; elsewhere it is set once the rows have ids (bulk_update's CASE WHEN per
        # batch took 18 s of a 44 s import of 100,000 cases on PostgreSQL).
        ids_first = copy_available()
        if ids_first:
            for case, pk in zip(built, ids_reserve(Case, len(built)), strict=True):
                case.pk = pk
        by_no = {case.case_no: case for case in built}
        in_file = [(case, by_no[row["infector_no"]]) for case, row in zip(built, checked, strict=True)
                   if row["infector_no"] and case.infector_id is None]
        if ids_first:
            for case, infector in in_file:
                case.infector_id = infector.pk
        Case.objects.bulk_create(built, batch_size=1000)
        if in_file and not ids_first:
            for case, infector in in_file:
                case.infector_id = infector.pk
            Case.objects.bulk_update([case for case, _infector in in_file], ["infector"], batch_size=1000)
        ClassificationChange.objects.bulk_create(
            [ClassificationChange(case=c, classification=c.classification, changed_at=c.reported_at, changed_by=actor)
             for c in built], batch_size=1000)
        audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="cases.case", object_id=source[:64],
                     request=request, detail={"created": len(built), "existing": len(rows) - len(pending)})
        tracing_summary_refresh({(c.report_region_id, c.report_date) for c in built})
        case_earlies_refresh([c.pk for c in built])
    return ImportOutcome(created=len(built), existing=len(rows) - len(pending), persons_created=len(persons.fresh))


def _case_objects(checked: list[dict], persons: RowPersons, infectors: dict, actor) -> list[Case]:
    """The cases to write; each is "found under management" when its (registered) person was already on a
    contact list at the report time."""
    first_listed: dict[int, dt.datetime] = {}
    for person_id, listed in rows_by(Contact, "person", {row["person"] for row in checked if row["person"] > 0},
                                      ("listed_at",)):
        first_listed[person_id] = min(listed, first_listed.get(person_id, listed))
    built = []
    for row in checked:
        fields = dict(row)
        reference, infector_no = fields.pop("person"), fields.pop("infector_no")
        listed = first_listed.get(reference) if reference > 0 else None
        built.append(Case(
            **fields, person_id=persons.person_id(reference), residence_region_id=persons.region_of[reference],
            infector_id=infectors[infector_no][0] if infector_no in infectors else None,
            found_under_management=listed is not None and listed <= row["reported_at"], created_by=actor))
    return built
