"""Line-list exports (CSV and XLSX): scoped, masked unless the role may reveal, formula-safe, audited.

- Only rows the user's selector returns are written (the caller passes a scoped queryset).
- Personal data: citizen IDs and phones are written masked, and names too unless the user holds
  ``person.reveal`` for the row's region. An export *in clear* is asked for separately, with a reason
  (``fangkong.audit.services.reason_clean``), and needs ``person.export_clear``: then the rows of the
  regions where the user holds it carry the name and the decrypted identifiers, and the export's audit
  event keeps the reason and the ids of the persons revealed.
- Every file starts with a watermark row: who exported it and when, with the filters
  (``export_watermark``), and, for an export in clear, a line saying so.
- A reader of pseudonymised line lists gets the three person columns empty (``fangkong.persons.shown``).
- Cross-region links (infector, source case) are written as the other case's number and city only.
- Every text cell starting with ``= + - @``, a tab or a carriage return gets a leading apostrophe, so a
  spreadsheet never evaluates it as a formula.
"""

from __future__ import annotations

import csv
import io

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record, export_watermark, reason_clean
from fangkong.cases.selectors import _city_names
from fangkong.persons import protection
from fangkong.persons.services import CITIZEN_ID, PHONE
from fangkong.persons.shown import person_shown
from fangkong.regions.codes import city_code

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")


def formula_safe(value):
    """A cell value a spreadsheet will not evaluate: text starting like a formula gets an apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def mask_name(name: str) -> str:
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


class _PersonColumns:
    """Name, citizen ID and phone of a row: masked, or in clear for an export in clear (``clear``) in the
    regions where the user may export in clear; ``revealed`` collects the ids of the persons written in
    clear."""

    def __init__(self, user, clear: bool = False):
        self.user = user
        self.clear = clear
        self.revealed: set[int] = set()

    def values(self, person, region_code: str) -> list:
        if self.clear and can(self.user, Capability.PERSON_EXPORT_CLEAR, region_code):
            self.revealed.add(person.pk)
            return [person.name, *protection.identifiers_open(person, (person.citizen_id_sealed, CITIZEN_ID),
                                                              (person.phone_sealed, PHONE))]
        shown = person_shown(self.user, person, region_code)  # the reader's category decides (need to know)
        if shown is None or not shown.named:
            return ["", "", ""]
        name = shown.name if can(self.user, Capability.PERSON_REVEAL, region_code) else mask_name(shown.name)
        return [name, shown.citizen_id, shown.phone]


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _date(value):
    return value.isoformat() if value else ""


def case_rows(user, cases, clear: bool = False):
    people = _PersonColumns(user, clear)
    header = [_("Case number"), _("Name"), _("Citizen ID"), _("Phone"), _("Disease"), _("Classification"),
              _("Onset"), _("Sampling"), _("Diagnosed"), _("Reported"), _("Reported late"), _("Detection route"),
              _("Imported"), _("Origin"), _("Severity"), _("Outcome"), _("Region of residence"),
              _("Region of report"), _("Infector"), _("Infector's city"), _("Cluster"),
              _("First medical visit"), _("Isolated"), _("Admitted for treatment")]
    cases = list(cases.select_related("infector", "cluster"))
    cities = _city_names(c.infector.report_region_id for c in cases if c.infector_id)
    rows = []
    for c in cases:
        infector_city = city_code(c.infector.report_region_id) if c.infector_id else ""
        rows.append([c.case_no, *people.values(c.person, c.report_region_id), c.disease.name,
                     c.get_classification_display(), _date(c.onset_date), _date(c.sampling_date),
                     _local(c.diagnosed_at), _local(c.reported_at), _("yes") if c.reported_late else "",
                     c.get_detection_route_display(), _("yes") if c.imported else "", c.origin,
                     c.get_severity_display(), c.get_outcome_display(), c.residence_region_id,
                     c.report_region_id, c.infector.case_no if c.infector_id else "",
                     cities.get(infector_city, infector_city), c.cluster.name if c.cluster_id else "",
                     _local(c.first_visit_at), _local(c.isolated_at), _local(c.treatment_at)])
    return header, rows, people.revealed


def contact_rows(user, contacts, clear: bool = False):
    people = _PersonColumns(user, clear)
    header = [_("Contact number"), _("Name"), _("Citizen ID"), _("Phone"), _("Category"), _("Source case"),
              _("Source case's city"), _("Exposure type"), _("Exposure from"), _("Exposure to"), _("Listed"),
              _("Quarantined"), _("Quarantine place"), _("Status"), _("Protocol version"), _("Test days"),
              _("Managing region")]
    contacts = list(contacts)
    cities = _city_names(k.source_case.report_region_id for k in contacts)
    rows = []
    for k in contacts:
        city = city_code(k.source_case.report_region_id)
        rows.append([k.contact_no, *people.values(k.person, k.region_id), k.get_category_display(),
                     k.source_case.case_no, cities.get(city, city), k.get_exposure_type_display(),
                     _date(k.exposure_start), _date(k.exposure_end), _local(k.listed_at), _local(k.quarantined_at),
                     k.quarantine_place, k.get_status_display(), k.protocol.code,
                     " ".join(s["date"] for s in k.test_schedule), k.region_id])
    return header, rows, people.revealed


def render(header: list, rows: list, fmt: str, watermark: tuple[str, ...] = ()) -> bytes:
    """The file: the watermark lines (one cell each), the header, the rows (formula-safe)."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        for line in watermark:
            sheet.append([formula_safe(line)])
        sheet.append([str(h) for h in header])
        for row in rows:
            sheet.append([formula_safe(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out = io.StringIO()
    writer = csv.writer(out)
    for line in watermark:
        writer.writerow([formula_safe(line)])
    writer.writerow([str(h) for h in header])
    for row in rows:
        writer.writerow([formula_safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def export_line_list(*, user, kind: str, queryset, fmt: str, filters: dict | None = None, request=None,
                     reason: str | None = None) -> tuple[bytes, str, str]:
    """(body, content type, file name) of the cases or contacts in ``queryset``; one audit event.

    ``reason`` given (even empty) asks for an export in clear: ``PermissionDenied`` when the user may
    export in clear nowhere, ``ValidationError`` on ``reason`` when it is not a short sentence; nothing is
    decrypted or written then."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    clear = reason is not None
    if clear:
        if not can(user, Capability.PERSON_EXPORT_CLEAR):
            raise PermissionDenied(_("Your role may not export personal data in clear."))
        reason = reason_clean(reason)
    header, rows, revealed = (case_rows if kind == "cases" else contact_rows)(user, queryset, clear)
    exported_at = timezone.now()
    watermark = (export_watermark(user=user, exported_at=exported_at, filters=filters),)
    if clear:
        watermark += (_("Personal data in clear, exported for: %(reason)s. Keep it safe; do not pass it on.")
                      % {"reason": reason},)
    body = render(header, rows, fmt, watermark)
    detail = {"format": fmt, "rows": len(rows), "clear": clear, "revealed_rows": len(revealed),
              "filters": {k: v for k, v in (filters or {}).items() if v}}
    if clear:
        detail["revealed_persons"] = sorted(revealed)
    audit_record(actor=user, action=AuditEvent.Action.EXPORT, object_type=f"cases.{kind}", request=request,
                 detail=detail, reason=reason or "")
    content_type = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx"
                    else "text/csv; charset=utf-8")
    stamp = timezone.localtime(exported_at).strftime("%Y%m%d-%H%M")
    return body, content_type, f"{kind}-{stamp}.{fmt}"
