"""Writes of sentinel surveillance: reports (one, or many from a file), detection configuration, the
detection run, alert transitions and response targets. Each validates first and changes nothing when
the input is wrong (``ValidationError`` with messages per field, or per row for an import), runs in a
transaction and writes an audit event.

- ``report_submit``: one count for a site × indicator × day by a reporter of that site. The same key
  again is a correction: the value is replaced and the previous one kept as a revision.
- ``reports_import``: many rows, all valid or nothing saved; a row equal to what is stored changes
  nothing (importing the same file twice is harmless); a different value is a correction.
- ``detection_run``: aggregate to each configured level and run its detector for every day from
  ``first`` to ``last``; one ``Signal`` per unit × indicator × alarming day (a second run adds none),
  consecutive days grouped into one ``Alert``.
- ``alert_transition``: one lifecycle step, only along ``TRANSITIONS``, with who and when.
- ``alert_open_cluster`` / ``alert_open_case``: from a confirmed alert, a cluster or a suspected case
  (``fangkong.cases``), linked to the alert.
- ``response_target_set`` / ``earlies_target_set``: the targets of a region and below.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong import table_files
from fangkong.accounts.access import can, in_scope
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.locking import check_version
from fangkong.regions.models import Region
from fangkong.surveillance import detectors
from fangkong.surveillance.models import (
    Alert,
    AlertStatus,
    AlertTransition,
    DetectionConfig,
    EarliesTarget,
    Indicator,
    Level,
    ResponseTarget,
    SentinelReport,
    SentinelReportRevision,
    SentinelSite,
    Signal,
)
from fangkong.surveillance.series import aggregate, day_of, load_site_series
from fangkong.surveillance.summaries import reporting_summary_refresh
from fangkong.table_files import Row, TableLimits

logger = logging.getLogger(__name__)
MAX_COUNT = 10_000_000
# A day of a province's whole network is 30,000 sites × 6 indicators = 180,000 rows, about 7 MB of CSV.
IMPORT_LIMITS = TableLimits(max_bytes=16 * 1024 * 1024, max_rows=250_000, max_columns=16)
IMPORT_MAX_ROWS = IMPORT_LIMITS.max_rows
#: An import naming more sites than this reads every active site instead of looking its codes up.
BULK_LOOKUP = 2_000


# ---------------------------------------------------------------------------------------------- reports


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


# ------------------------------------------------------------------------------------ configuration


def detection_configs_ensure() -> int:
    """Create the default configuration of every indicator × level that has none; returns how many."""
    have = set(DetectionConfig.objects.values_list("indicator_id", "level"))
    new = []
    for indicator in Indicator.objects.all():
        for level in Level.values:
            if (indicator.pk, level) not in have:
                method, params, enabled = detectors.default_config(indicator.code, level)
                new.append(DetectionConfig(indicator=indicator, level=level, method=method, parameters=params,
                                           enabled=enabled))
    DetectionConfig.objects.bulk_create(new)
    return len(new)


def _province_code() -> str:
    root = Region.objects.filter(parent__isnull=True).order_by("code").values_list("code", flat=True).first()
    return root or ""


@transaction.atomic
def detection_config_update(*, actor, config: DetectionConfig, method: str | None = None,
                            parameters: dict | None = None, enabled: bool | None = None,
                            request=None) -> DetectionConfig:
    """Change the method, parameters or switch of a configuration (province-level configurers only)."""
    if not can(actor, Capability.DETECTION_CONFIGURE, _province_code()):
        raise PermissionDenied(_("Only provincial epidemiologists and commanders may configure detection."))
    method = config.method if method is None else method
    parameters = config.parameters if parameters is None else parameters
    problems = detectors.check_parameters(method, parameters)
    if not problems and detectors.is_rate(parameters) and not config.indicator.has_denominator:
        problems = [_("This indicator is reported without a denominator: detect on its counts.")]
    if problems:
        raise ValidationError({"parameters" if method in detectors.METHODS else "method": problems})
    before = {"method": config.method, "parameters": config.parameters, "enabled": config.enabled}
    config.method, config.parameters = method, parameters
    if enabled is not None:
        config.enabled = enabled
    config.updated_by = actor
    config.save()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=config, request=request,
                 detail={"before": before, "after": {"method": config.method, "parameters": config.parameters,
                                                     "enabled": config.enabled}})
    return config


@transaction.atomic
def response_target_set(*, actor, region: Region, acknowledge_hours: float, verify_hours: float,
                        response_rate: float, request=None) -> ResponseTarget:
    if not (in_scope(actor, region.code) and can(actor, Capability.DETECTION_CONFIGURE, region.code)):
        raise PermissionDenied(_("You may not set response targets for this region."))
    errors = {}
    if not 0 < acknowledge_hours <= 24 * 30:
        errors["acknowledge_hours"] = [_("Between 0 and 720 hours.")]
    if not 0 < verify_hours <= 24 * 30:
        errors["verify_hours"] = [_("Between 0 and 720 hours.")]
    if not 0 < response_rate <= 1:
        errors["response_rate"] = [_("A share between 0 and 1.")]
    if errors:
        raise ValidationError(errors)
    target, _created = ResponseTarget.objects.update_or_create(
        region=region, defaults={"acknowledge_hours": acknowledge_hours, "verify_hours": verify_hours,
                                 "response_rate": response_rate, "updated_by": actor})
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=target, region_code=region.code,
                 request=request, detail={"acknowledge_hours": acknowledge_hours, "verify_hours": verify_hours,
                                          "response_rate": response_rate})
    return target


def earlies_target_set(*, actor, region: Region, request=None, **hours) -> EarliesTarget:
    """Set the four earlies' targets (hours per interval, as the fields of ``EarliesTarget``) of a region
    and below; ``surveillance.configure`` in that region."""
    from fangkong.surveillance.earlies import DEFAULT_TARGETS

    if not (in_scope(actor, region.code) and can(actor, Capability.DETECTION_CONFIGURE, region.code)):
        raise PermissionDenied(_("You may not set the earlies' targets for this region."))
    errors = {name: [_("Unknown target.")] for name in hours if name not in DEFAULT_TARGETS}
    values = {}
    for name in DEFAULT_TARGETS:
        value = hours.get(name)
        if value is None:
            errors[name] = [_("This value is required.")]
        elif isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 24 * 30:
            errors[name] = [_("Between 0 and 720 hours.")]
        else:
            values[name] = float(value)
    if errors:
        raise ValidationError(errors)
    target, _created = EarliesTarget.objects.update_or_create(region=region, defaults={**values, "updated_by": actor})
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=target, region_code=region.code,
                 request=request, detail=values)
    return target


# ------------------------------------------------------------------------------------ detection run


@dataclass(frozen=True)
class DetectionSummary:
    first: dt.date
    last: dt.date
    configs: int
    signals: int
    alerts: int


OPEN_STATUSES = (AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, AlertStatus.INVESTIGATING, AlertStatus.CONFIRMED)


def _run_indicator(configs: list[DetectionConfig], first: dt.date, last: dt.date) -> dict[int, list[tuple]]:
    """Alarms of each configuration of one indicator in the period, reading the reports once:
    config id -> [(unit key, region, site, day, observed, threshold)]."""
    found: dict[int, list[tuple]] = {config.pk: [] for config in configs}
    histories = {}
    for config in configs:
        try:
            histories[config.pk] = detectors.history_needed(config.method, config.parameters)
        except ValueError:  # one unusable configuration must not stop the others
            logger.exception("detection %s/%s (%s): unusable parameters", config.indicator_id, config.level,
                             config.method)
    if not histories:
        return found
    window_first = first - dt.timedelta(days=max(histories.values()))
    sites = load_site_series(indicator_id=configs[0].indicator_id, first=window_first, last=last,
                             denominators=any(detectors.is_rate(c.parameters) for c in configs))
    for config in configs:
        series = aggregate(sites, config.level)
        if series is None or config.pk not in histories:
            continue
        timepoints = np.arange((first - window_first).days, series.n_time)
        try:
            flagged = detectors.run_method(config.method, config.parameters, series, timepoints)
        except ValueError:  # one unusable configuration must not stop the others
            logger.exception("detection %s/%s (%s) failed for %s..%s", config.indicator_id, config.level,
                             config.method, first, last)
            continue
        values = detectors.measured(flagged, config.parameters)
        rows, cols = np.nonzero(flagged.alarm)
        found[config.pk] = [
            (flagged.units[u].key, flagged.units[u].region, flagged.units[u].site, day_of(flagged, r),
             round(float(values[r, u]), 3),
             None if np.isnan(flagged.upperbound[r, u]) else float(flagged.upperbound[r, u]))
            for r, u in zip(rows.tolist(), cols.tolist(), strict=True)
        ]
    return found


def _group_into_alerts(config: DetectionConfig, alarms: list[tuple], *, raised_at) -> tuple[int, int]:
    """Store new signals (skipping unit-days already signalled) and attach each to an alert episode."""
    if not alarms:
        return 0, 0
    days = [a[3] for a in alarms]
    known = set(Signal.objects.filter(indicator_id=config.indicator_id, level=config.level,
                                      day__gte=min(days), day__lte=max(days))
                .values_list("unit_key", "day"))
    alarms = sorted((a for a in alarms if (a[0], a[3]) not in known), key=lambda a: (a[0], a[3]))
    if not alarms:
        return 0, 0
    unit_keys = {a[0] for a in alarms}
    open_alerts: dict[str, list[Alert]] = {}
    for alert in Alert.objects.filter(indicator_id=config.indicator_id, unit_key__in=unit_keys,
                                      last_day__gte=min(days) - dt.timedelta(days=1),
                                      first_day__lte=max(days) + dt.timedelta(days=1),
                                      status__in=OPEN_STATUSES).order_by("first_day"):
        open_alerts.setdefault(alert.unit_key, []).append(alert)
    touched: dict[int, Alert] = {}
    fresh: list[Alert] = []
    signals = []
    for unit_key, region_code, site_id, day, observed, threshold in alarms:
        alert = next((a for a in open_alerts.get(unit_key, ())
                      if a.first_day - dt.timedelta(days=1) <= day <= a.last_day + dt.timedelta(days=1)), None)
        if alert is None:
            alert = Alert(level=config.level, region_id=region_code, site_id=site_id, unit_key=unit_key,
                          indicator_id=config.indicator_id, method=config.method, first_day=day, last_day=day,
                          days=0, peak_observed=observed, raised_at=raised_at(day))
            fresh.append(alert)
            open_alerts.setdefault(unit_key, []).append(alert)
        elif alert.pk is not None:
            touched[alert.pk] = alert
        alert.first_day, alert.last_day = min(alert.first_day, day), max(alert.last_day, day)
        alert.days += 1
        alert.peak_observed = max(alert.peak_observed, observed)
        signals.append(Signal(alert=alert, level=config.level, region_id=region_code, unit_key=unit_key,
                              indicator_id=config.indicator_id, day=day, observed=observed, threshold=threshold,
                              method=config.method))
    Alert.objects.bulk_create(fresh, batch_size=2000)  # primary keys come back (PostgreSQL, SQLite >= 3.35)
    Signal.objects.bulk_create(signals, batch_size=2000)
    Alert.objects.bulk_update(list(touched.values()), ["first_day", "last_day", "days", "peak_observed"],
                              batch_size=1000)
    bump_data_generation()
    return len(signals), len(fresh)


def _raised_now(_day):
    return timezone.now()


def detection_run(*, first: dt.date, last: dt.date | None = None, actor=None, levels=None, indicators=None,
                  raised_at=None) -> DetectionSummary:
    """Run every enabled configuration for the days ``first`` .. ``last`` (one day when ``last`` is None).

    Idempotent: a unit × indicator × day already signalled is skipped, so running a day twice, or a
    backfill over days already run, creates no second signal. Each configuration commits on its own.
    The reports of each indicator are read once and aggregated to every configured level.
    ``raised_at(day)`` gives the time an alert is raised (default: now; a backfill of the past may say
    when the alert would have been raised).
    """
    last = last or first
    if last < first:
        raise ValidationError({"last": [_("The end of the period is before its start.")]})
    detection_configs_ensure()
    configs = DetectionConfig.objects.filter(enabled=True).select_related("indicator")
    if levels:
        configs = configs.filter(level__in=levels)
    if indicators:
        configs = configs.filter(indicator__code__in=indicators)
    total_signals = total_alerts = n_configs = 0
    by_indicator: dict[int, list[DetectionConfig]] = {}
    for config in configs:
        by_indicator.setdefault(config.indicator_id, []).append(config)
    for group in by_indicator.values():
        alarms = _run_indicator(group, first, last)
        for config in group:
            with transaction.atomic():
                signals, alerts = _group_into_alerts(config, alarms[config.pk], raised_at=raised_at or _raised_now)
            total_signals += signals
            total_alerts += alerts
            n_configs += 1
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, object_type="surveillance.detectionrun",
                 object_id=f"{first}..{last}", detail={"configs": n_configs, "signals": total_signals,
                                                       "alerts": total_alerts,
                                                       "username": "" if actor else "system"})
    return DetectionSummary(first, last, n_configs, total_signals, total_alerts)


# ------------------------------------------------------------------------------------ lifecycle

TRANSITIONS: dict[str, tuple[str, ...]] = {
    AlertStatus.NEW: (AlertStatus.ACKNOWLEDGED,),
    AlertStatus.ACKNOWLEDGED: (AlertStatus.INVESTIGATING, AlertStatus.FALSE_ALARM),
    AlertStatus.INVESTIGATING: (AlertStatus.CONFIRMED, AlertStatus.FALSE_ALARM),
    AlertStatus.CONFIRMED: (AlertStatus.CLOSED,),
    AlertStatus.FALSE_ALARM: (AlertStatus.CLOSED,),
    AlertStatus.CLOSED: (),
}
_STAMP = {
    AlertStatus.ACKNOWLEDGED: ("acknowledged_at", "acknowledged_by"),
    AlertStatus.INVESTIGATING: ("investigating_at", "investigating_by"),
    AlertStatus.CONFIRMED: ("verified_at", "verified_by"),
    AlertStatus.FALSE_ALARM: ("verified_at", "verified_by"),
    AlertStatus.CLOSED: ("closed_at", "closed_by"),
}


@transaction.atomic
def alert_transition(*, actor, alert: Alert, to_status: str, note: str = "", version: int | None = None,
                     request=None, at=None) -> Alert:
    """Move ``alert`` one step along its lifecycle, recording who and when."""
    if not can(actor, Capability.SIGNAL_RESPOND, alert.region_id):
        raise PermissionDenied(_("Your role may not respond to signals."))
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    check_version(locked.version, version, _("Someone else has changed this alert; reload it and try again."))
    if to_status not in TRANSITIONS.get(locked.status, ()):
        raise ValidationError({"status": [_("An alert that is “%(from)s” cannot become “%(to)s”.") % {
            "from": AlertStatus(locked.status).label,
            "to": AlertStatus(to_status).label if to_status in AlertStatus.values else to_status}]})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": [_("At most %(limit)d characters.") % {"limit": 500}]})
    now = at or timezone.now()
    at_field, by_field = _STAMP[to_status]
    from_status = locked.status
    changes = {"status": to_status, at_field: now, by_field: actor, "version": F("version") + 1}
    if to_status in (AlertStatus.CONFIRMED, AlertStatus.FALSE_ALARM):
        changes["outcome"] = to_status
    Alert.objects.filter(pk=locked.pk).update(**changes)
    bump_data_generation()
    AlertTransition.objects.create(alert=locked, from_status=from_status, to_status=to_status, at=now, by=actor,
                                   note=note)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, region_code=locked.region_id,
                 request=request, detail={"from": from_status, "to": to_status, "note": note})
    locked.refresh_from_db()
    return locked


@transaction.atomic
def alert_open_cluster(*, actor, alert: Alert, request=None):
    """Open a cluster investigation (``fangkong.cases``) for a confirmed alert; the same one when asked again."""
    from fangkong.cases.services import cluster_create

    locked = Alert.objects.select_for_update().select_related("region", "indicator").get(pk=alert.pk)
    if locked.outcome != AlertStatus.CONFIRMED:
        raise ValidationError({"status": [_("Only a confirmed outbreak opens a cluster investigation.")]})
    if locked.cluster_id:
        return locked.cluster
    name = f"{locked.region.name_zh}{locked.indicator.name_zh}哨点预警 {locked.first_day:%Y-%m-%d}"
    cluster = cluster_create(actor=actor, name=name, region=locked.region_id, request=request)
    Alert.objects.filter(pk=locked.pk).update(cluster=cluster, version=F("version") + 1)
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, region_code=locked.region_id,
                 request=request, detail={"cluster": cluster.pk})
    return cluster


@transaction.atomic
def alert_open_case(*, actor, alert: Alert, citizen_id: str, name: str = "", disease: str = "covid-19",
                    onset_date=None, address_region: str = "", request=None):
    """Open a case investigation for a confirmed alert: register a suspected case (``fangkong.cases``)
    linked to the alert. The person is the one registered with ``citizen_id`` (it must be in the user's
    area), or, if none is, a new registration with ``name`` in ``address_region`` (default: the alert's
    region). Asked again, the same case. ``case.write`` in the alert's region."""
    from fangkong.cases.models import Classification, DetectionRoute, Disease
    from fangkong.cases.services import case_register
    from fangkong.persons import protection
    from fangkong.persons.citizen_id import CitizenIdError, parse_citizen_id
    from fangkong.persons.models import Person
    from fangkong.persons.services import CITIZEN_ID, person_register

    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if not (in_scope(actor, locked.region_id) and can(actor, Capability.CASE_WRITE, locked.region_id)):
        raise PermissionDenied(_("You may not register a case for this alert."))
    if locked.outcome != AlertStatus.CONFIRMED:
        raise ValidationError({"status": [_("Only a confirmed outbreak opens a case investigation.")]})
    if locked.case_id:
        return locked.case
    errors: dict[str, list[str]] = {}
    number = ""
    try:
        number = parse_citizen_id(citizen_id or "").number
    except CitizenIdError as exc:
        errors["citizen_id"] = [str(exc)]
    disease_row = Disease.objects.filter(code=disease or "").first()
    if disease_row is None:
        errors["disease"] = [_("Choose a disease.")]
    if isinstance(onset_date, str) and onset_date:
        try:
            onset_date = dt.date.fromisoformat(onset_date)
        except ValueError:
            errors["onset_date"] = [_("Enter a date as YYYY-MM-DD.")]
    onset_date = onset_date or None
    person = Person.objects.filter(citizen_id_hash=protection.keyed_hash(number, CITIZEN_ID)).first() \
        if number else None
    if number and person is None and not (name or "").strip():
        errors["name"] = [_("This citizen ID is not registered: give the person's name to register them.")]
    if errors:
        raise ValidationError(errors)
    if person is None:
        person = person_register(actor=actor, request=request, name=name, citizen_id=number,
                                 address_region=address_region or locked.region_id).person
    case = case_register(actor=actor, request=request, person=person, disease=disease_row,
                         classification=Classification.SUSPECTED, diagnosed_at=timezone.now(),
                         report_region=locked.region_id, onset_date=onset_date,
                         detection_route=DetectionRoute.OTHER)
    Alert.objects.filter(pk=locked.pk).update(case=case, version=F("version") + 1)
    bump_data_generation()
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, region_code=locked.region_id,
                 request=request, detail={"case": case.pk})
    return case


# ------------------------------------------------------------------------------------ catalogue

#: The standard indicators (code, name zh, name en, unit zh, unit en, denominator zh, denominator en).
STANDARD_INDICATORS = (
    ("fever_clinic_visits", "发热门诊就诊人次", "Fever-clinic visits", "人次", "visits", "", ""),
    ("ili_consultations", "流感样病例数", "Influenza-like illness cases", "例", "cases",
     "门急诊就诊人次", "consultations"),
    ("antipyretic_sales", "退热药销售量", "Antipyretic sales", "盒", "packs", "", ""),
    ("cough_medicine_sales", "止咳药销售量", "Cough-medicine sales", "盒", "packs", "", ""),
    ("school_absences", "因病缺课人数", "Absences due to illness", "人", "pupils", "在校学生数", "enrolment"),
    ("notifiable_cases", "法定传染病报告病例数", "Notifiable-disease cases", "例", "cases", "", ""),
)


def indicators_ensure() -> dict[str, Indicator]:
    """Create the standard indicators that do not exist yet; return all indicators by code."""
    have = {i.code: i for i in Indicator.objects.all()}
    new = [
        Indicator(code=code, name_zh=zh, name_en=en, unit_zh=uzh, unit_en=uen, has_denominator=bool(dzh),
                  denominator_label_zh=dzh, denominator_label_en=den, position=position)
        for position, (code, zh, en, uzh, uen, dzh, den) in enumerate(STANDARD_INDICATORS)
        if code not in have
    ]
    Indicator.objects.bulk_create(new)
    detection_configs_ensure()
    return {i.code: i for i in Indicator.objects.all()}
