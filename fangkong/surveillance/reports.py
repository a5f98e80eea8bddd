"""Sentinel reports written: one count by a reporter, a site's day at once, many rows from a file.

Each validates first and changes nothing when the input is wrong (``ValidationError`` with messages per
field, or per row for an import), runs in a transaction, refreshes the daily reporting summary of the
site-days it wrote (``summaries.reporting_summary_refresh``), bumps the data generation and writes an
audit event.

- ``report_submit``: one count for a site × indicator × day by a reporter of that site. The same key
  again is a correction: the value is replaced and the previous one kept as a revision.
- ``site_day_report``: a site's day at once (the daily report page), each count through ``report_submit``.
- ``reports_import``: many rows, all valid or nothing saved; a row equal to what is stored changes
  nothing (importing the same file twice is harmless); a different value is a correction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong import table_files
from fangkong.accounts.access import can, in_scope
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.surveillance.models import (
    Indicator,
    SentinelReport,
    SentinelReportRevision,
    SentinelSite,
)
from fangkong.surveillance.summaries import reporting_summary_refresh
from fangkong.table_files import Row, TableLimits

MAX_COUNT = 10_000_000
# A day of a province's whole network is 30,000 sites × 6 indicators = 180,000 rows, about 7 MB of CSV.
IMPORT_LIMITS = TableLimits(max_bytes=16 * 1024 * 1024, max_rows=250_000, max_columns=16)
IMPORT_MAX_ROWS = IMPORT_LIMITS.max_rows
#: An import naming more sites than this reads every active site instead of looking its codes up.
BULK_LOOKUP = 2_000


@dataclass(frozen=True)
class ReportResult:
    report: SentinelReport
    created: bool
    corrected: bool


def _parse_int(value, field: str, errors: dict, *, required: bool = True) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.setdefault(field, []).append(_("This value is required."))
        return None
    try:
        number = float(value) if isinstance(value, str) else value
        if isinstance(number, bool) or number != int(number):
            raise ValueError
        number = int(number)
    except (TypeError, ValueError, OverflowError):
        errors.setdefault(field, []).append(_("Enter a whole number."))
        return None
    if number < 0:
        errors.setdefault(field, []).append(_("A count cannot be negative."))
        return None
    if number > MAX_COUNT:
        errors.setdefault(field, []).append(_("This number is implausibly large."))
        return None
    return number


def _parse_date(value, errors: dict, today: dt.date) -> dt.date | None:
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value or "").strip())
        except ValueError:
            errors.setdefault("date", []).append(_("Enter a date as YYYY-MM-DD."))
            return None
    if value > today:
        errors.setdefault("date", []).append(_("The date is in the future."))
        return None
    return value


def report_day(value, today: dt.date) -> dt.date | None:
    """The day a report is for, read as ``report_submit`` reads it; ``None`` when it would be refused."""
    return _parse_date(value, {}, today)


def _check_values(*, indicator: Indicator | None, site: SentinelSite | None, site_indicators: set[int] | None,
                  count, denominator, day, errors: dict, today: dt.date):
    count = _parse_int(count, "count", errors)
    denominator = _parse_int(denominator, "denominator", errors, required=False)
    day = _parse_date(day, errors, today)
    if indicator is not None and site is not None and site_indicators is not None \
            and indicator.pk not in site_indicators:
        errors.setdefault("indicator", []).append(_("This site does not report this indicator."))
    if indicator is not None and denominator is not None and not indicator.has_denominator:
        errors.setdefault("denominator", []).append(_("This indicator has no denominator."))
    if count is not None and denominator is not None and count > denominator:
        errors.setdefault("denominator", []).append(_("The denominator cannot be smaller than the count."))
    return count, denominator, day


def _correct(report: SentinelReport, *, actor, count: int, denominator: int | None, now) -> SentinelReportRevision:
    revision = SentinelReportRevision(
        report=report, count=report.count, denominator=report.denominator, reported_at=report.reported_at,
        reported_by_id=report.reported_by_id, replaced_by=actor,
    )
    report.count, report.denominator, report.reported_at, report.reported_by = count, denominator, now, actor
    return revision


@transaction.atomic
def report_submit(*, actor, site_id, indicator_code: str, date, count, denominator=None,
                  request=None) -> ReportResult:
    """Record one daily count by a reporter of the site; a second report of the same day corrects it."""
    errors: dict[str, list[str]] = {}
    site = SentinelSite.objects.filter(pk=site_id, active=True).first() if str(site_id or "").isdigit() else None
    if site is None or not in_scope(actor, site.region_id):
        errors.setdefault("site", []).append(_("No such sentinel site."))
        site = None
    elif not (can(actor, Capability.SENTINEL_REPORT, site.region_id)
              and site.reporters.filter(pk=actor.pk).exists()):
        raise PermissionDenied(_("You may report only for your own sentinel site."))
    indicator = Indicator.objects.filter(code=indicator_code or "").first()
    if indicator is None:
        errors.setdefault("indicator", []).append(_("No such indicator."))
    site_indicators = set(site.indicators.values_list("pk", flat=True)) if site else None
    count, denominator, day = _check_values(
        indicator=indicator, site=site, site_indicators=site_indicators, count=count, denominator=denominator,
        day=date, errors=errors, today=timezone.localdate(),
    )
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    report = SentinelReport.objects.select_for_update().filter(site=site, indicator=indicator, date=day).first()
    if report is None:
        report = SentinelReport(site=site, indicator=indicator, date=day, count=count, denominator=denominator,
                                reported_at=now, reported_by=actor, region_id=site.region_id)
        report.full_clean(validate_constraints=False)
        report.save()
        reporting_summary_refresh([(site.pk, day)])
        bump_data_generation()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=report, region_code=site.region_id,
                     request=request, detail={"count": count, "denominator": denominator, "date": str(day)})
        return ReportResult(report, created=True, corrected=False)
    if report.count == count and report.denominator == denominator:
        return ReportResult(report, created=False, corrected=False)
    previous = {"count": report.count, "denominator": report.denominator}
    _correct(report, actor=actor, count=count, denominator=denominator, now=now).save()
    report.save(update_fields=["count", "denominator", "reported_at", "reported_by"])
    reporting_summary_refresh([(site.pk, day)])
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=report, region_code=site.region_id,
                 request=request, detail={"previous": previous, "count": count, "denominator": denominator,
                                          "date": str(day), "correction": True})
    return ReportResult(report, created=False, corrected=True)


@dataclass(frozen=True)
class DayReportResult:
    created: int
    corrected: int


@transaction.atomic
def site_day_report(*, actor, site_id, date, counts: Mapping[str, tuple[object, object]],
                    request=None) -> DayReportResult:
    """Record a site's day at once (the daily report page): ``counts`` maps each indicator code to its
    ``(count, denominator)`` as entered; an indicator left without a count is not reported. Each count is
    recorded (or corrected) by ``report_submit``; all or nothing: ``ValidationError`` with the errors under
    the indicator's code (or ``date``, ``site``), and "Enter at least one count." for a day with none;
    ``PermissionDenied`` for someone who does not report for the site."""
    errors: dict[str, list[str]] = {}
    _parse_date(date, errors, timezone.localdate())  # the day is judged even when no count is entered
    created = corrected = 0
    entered = {code: (count, denominator) for code, (count, denominator) in counts.items()
               if not (count is None or (isinstance(count, str) and not count.strip()))}
    for code, (count, denominator) in entered.items():
        if isinstance(denominator, str) and not denominator.strip():
            denominator = None
        try:
            result = report_submit(actor=actor, request=request, site_id=site_id, indicator_code=code, date=date,
                                   count=count, denominator=denominator)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                mine = errors.setdefault(field if field in ("date", "site") else code, [])
                mine.extend(m for m in messages if m not in mine)
            continue
        created += result.created
        corrected += result.corrected
    if not entered:
        errors.setdefault(NON_FIELD_ERRORS, []).append(_("Enter at least one count."))
    if errors:
        raise ValidationError(errors)
    return DayReportResult(created=created, corrected=corrected)


@dataclass(frozen=True)
class ImportResult:
    created: int
    corrected: int
    unchanged: int


IMPORT_COLUMNS = ("site", "indicator", "date", "count", "denominator")


def reports_import_allowed_check(actor) -> None:
    """``PermissionDenied`` for a role that may import reports nowhere: checked before an upload is read
    (``reports_import`` checks each row's site against the regions where the actor may)."""
    if not can(actor, Capability.SENTINEL_IMPORT):
        raise PermissionDenied(_("Your role may not import sentinel reports."))


def parse_report_file(name: str, content) -> list[Row]:
    """Rows of a CSV (UTF-8, with or without BOM) or XLSX upload (bytes or the uploaded file) keyed by the
    header row, read within ``IMPORT_LIMITS`` (``fangkong.table_files``: kind and size before anything is
    read); ``ValidationError`` on ``file`` naming the cap or the fault otherwise."""
    try:
        return table_files.read_table(content, name, IMPORT_LIMITS)
    except table_files.TableRejected as exc:
        raise ValidationError({"file": [exc.message]}) from exc


@transaction.atomic
def reports_import(*, actor, rows: list[dict], source: str = "", request=None,
                   reported_at=None) -> ImportResult:
    """Import many reports: all rows valid or nothing saved; errors per row as ``{"row 3": [...]}``.

    A row is ``{"site": code, "indicator": code, "date", "count", "denominator"}``. Sites must lie where
    the actor may import (``surveillance.import``); unknown and out-of-scope sites get the same error.
    """
    if len(rows) > IMPORT_MAX_ROWS:
        raise ValidationError({"file": [_("At most %(n)d rows per import.") % {"n": IMPORT_MAX_ROWS}]})
    if rows and not {"site", "indicator", "date", "count"} <= set(rows[0]):
        raise ValidationError({"file": [_("The columns must be: site, indicator, date, count, denominator.")]})
    today = timezone.localdate()
    now = reported_at or timezone.now()
    indicators = {i.code: i for i in Indicator.objects.all()}
    codes = {str(r.get("site") or "").strip() for r in rows}
    # A network's whole day names most sites: then read them all rather than through an IN list of
    # tens of thousands of codes (and their indicators likewise).
    many = len(codes) > BULK_LOOKUP
    active = SentinelSite.objects.filter(active=True)
    sites = {s.code: s for s in (active if many else active.filter(code__in=codes)) if s.code in codes}
    allowed = {code: in_scope(actor, s.region_id) and can(actor, Capability.SENTINEL_IMPORT, s.region_id)
               for code, s in sites.items()}
    site_pks = {code: s.pk for code, s in sites.items()}
    site_indicators: dict[int, set[int]] = {}
    through = SentinelSite.indicators.through.objects
    if not many:
        through = through.filter(sentinelsite_id__in=list(site_pks.values()))
    for site_pk, ind_pk in through.values_list("sentinelsite_id", "indicator_id"):
        site_indicators.setdefault(site_pk, set()).add(ind_pk)
    dates: dict[str, dt.date] = {}  # each distinct date text parsed once
    parsed, errors, seen = [], {}, {}
    for number, row in enumerate(rows, start=1):
        row_errors: dict[str, list[str]] = {}
        code = str(row.get("site") or "").strip()
        site = sites.get(code)
        if site is None or not allowed.get(code):
            row_errors.setdefault("site", []).append(_("No such sentinel site."))
            site = None
        indicator = indicators.get(str(row.get("indicator") or "").strip())
        if indicator is None:
            row_errors.setdefault("indicator", []).append(_("No such indicator."))
        raw_day = row.get("date")
        if isinstance(raw_day, str) and raw_day in dates:
            raw_day = dates[raw_day]
        count, denominator, day = _check_values(
            indicator=indicator, site=site,
            site_indicators=site_indicators.get(site_pks[code], set()) if site else None,
            count=row.get("count"), denominator=row.get("denominator"), day=raw_day, errors=row_errors,
            today=today,
        )
        if isinstance(row.get("date"), str) and day is not None:
            dates[row["date"]] = day
        if not row_errors:
            key = (site_pks[code], indicator.pk, day)  # the key of the row, as stored
            if key in seen:
                row_errors.setdefault("date", []).append(
                    _("The same site, indicator and day as row %(row)d.") % {"row": seen[key]})
            seen[key] = number
        if row_errors:
            errors[f"row {number}"] = [f"{field}: {m}" for field, ms in row_errors.items() for m in ms]
            if len(errors) >= 100:
                break
        else:
            parsed.append((key, count, denominator, site.region_id))
    if errors:
        raise ValidationError(errors)
    existing: dict[tuple, tuple] = {}
    if parsed:
        dates = sorted({p[0][2] for p in parsed})
        site_pks = {p[0][0] for p in parsed}
        query = SentinelReport.objects.filter(date__gte=dates[0], date__lte=dates[-1])
        if len(site_pks) < 5000:
            query = query.filter(site_id__in=site_pks)
        for row in query.values_list("site_id", "indicator_id", "date", "id", "count", "denominator") \
                .iterator(chunk_size=20000):
            existing[row[:3]] = row[3:]
    fresh, changed, unchanged = [], {}, 0
    for key, count, denominator, region in parsed:
        stored = existing.get(key)
        if stored is None:
            fresh.append((*key, count, denominator, region))
        elif stored[1] == count and stored[2] == denominator:
            unchanged += 1
        else:
            changed[stored[0]] = (count, denominator)
    _insert_reports(fresh, actor=actor, now=now)
    written = {(site, day) for site, _indicator, day, *_rest in fresh}
    if changed:
        reports = list(SentinelReport.objects.filter(pk__in=list(changed)))
        revisions = [_correct(r, actor=actor, count=changed[r.pk][0], denominator=changed[r.pk][1], now=now)
                     for r in reports]
        SentinelReportRevision.objects.bulk_create(revisions, batch_size=5000)
        SentinelReport.objects.bulk_update(reports, ["count", "denominator", "reported_at", "reported_by"],
                                           batch_size=2000)
        written |= {(r.site_id, r.date) for r in reports}
    reporting_summary_refresh(written)
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="surveillance.sentinelreport",
                 object_id=source[:64], request=request,
                 detail={"created": len(fresh), "corrected": len(changed), "unchanged": unchanged})
    return ImportResult(created=len(fresh), corrected=len(changed), unchanged=unchanged)


def _insert_reports(rows: list[tuple], *, actor, now) -> None:
    """Insert validated new reports (site, indicator, date, count, denominator, region).

    PostgreSQL-only fast path: COPY (a day of 180,000 reports in about a second); other databases
    (SQLite, and the fallback for PostgreSQL-compatible ones) use ``bulk_create``.
    """
    if not rows:
        return
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    if connection.vendor == "postgresql" and hasattr(connection.connection, "cursor"):
        columns = "site_id, indicator_id, date, count, denominator, reported_at, reported_by_id, region_id"
        tail = f"\t{now.isoformat()}\t{actor_id if actor_id is not None else '\\N'}\t"
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY surveillance_sentinelreport ({columns}) FROM STDIN") as copy:
            for start in range(0, len(rows), 20000):  # every value is an int, a date or a region code
                copy.write("".join(
                    f"{site}\t{indicator}\t{day.isoformat()}\t{count}\t"
                    f"{denominator if denominator is not None else '\\N'}{tail}{region}\n"
                    for site, indicator, day, count, denominator, region in rows[start:start + 20000]))
        return
    SentinelReport.objects.bulk_create(
        [SentinelReport(site_id=site, indicator_id=indicator, date=day, count=count, denominator=denominator,
                        reported_at=now, reported_by_id=actor_id, region_id=region)
         for site, indicator, day, count, denominator, region in rows], batch_size=5000)
