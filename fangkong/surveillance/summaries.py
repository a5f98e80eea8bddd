"""The daily reporting summary (``DailySiteReporting``): per site and day, reports received and received late.

The late and missing reports page compares what every active site should have sent (each of its
indicators every day) with what it sent. At province scale that is 180,000 reports a day; the page reads
one summary row per site-day instead (six times fewer rows, already counted and judged late or not).

A report is *late* when it was received after ``REPORT_DUE_HOUR`` o'clock (local time) of the day after
the day it reports on. A correction counts once, with its latest receipt time (a correction sent late
makes the report late).

Kept in step with the reports, explicitly (no model signal):

- every service writing reports calls ``reporting_summary_refresh`` with the site-days it wrote
  (``report_submit``, ``reports_import``), in its transaction;
- ``reporting_summary_rebuild`` recomputes everything (the demo loader, benchmarks; ``fangkong
  reporting_summary_rebuild`` on the command line after reports were written around the services);
- a writer of a site's set of indicators calls ``site_indicator_counts_refresh`` for those sites.

A refresh deletes the rows of its keys and recomputes them from the reports with one grouped
``INSERT … SELECT`` per day and batch of sites, in the caller's transaction; then the region-day rows
(``DailyRegionReporting``: the site-day rows summed per region, for the page's totals) of every region those
keys had or now have, once per day, from the site-day rows. On PostgreSQL it first takes
``SHARE ROW EXCLUSIVE`` on the summary (as the tracing summary does): concurrent refreshers wait for each
other, readers never wait.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from fangkong.surveillance.models import (
    DailyRegionReporting,
    DailySiteReporting,
    SentinelReport,
    SentinelSite,
)

#: A day's report is due by this hour (local time) of the next day.
REPORT_DUE_HOUR = 12
#: Sites recomputed per statement.
BATCH_SITES = 1000


def report_due(day: dt.date) -> dt.datetime:
    """The moment a report on ``day`` is due (local time)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(REPORT_DUE_HOUR),
                               tzinfo=timezone.get_current_timezone())


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {DailySiteReporting._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _in(column: str, values: list | None) -> tuple[str, list]:
    """`` AND column IN (%s, …)`` and its parameters; nothing when ``values`` is None (every row)."""
    if values is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _regions_of(cursor, day_value, sites_clause: str, site_params: list) -> set[str]:
    cursor.execute(f"SELECT DISTINCT region_id FROM {DailySiteReporting._meta.db_table} "  # noqa: S608
                   f"WHERE day = %s{sites_clause}", [day_value, *site_params])
    return {region for (region,) in cursor.fetchall()}


def _recompute(day: dt.date, site_ids: list[int] | None) -> set[str]:
    """Delete and recompute the rows of ``day`` (for ``site_ids``, or every site); returns the regions those
    rows had before or have now (whose region-day rows are then out of date)."""
    summary, reports = DailySiteReporting._meta.db_table, SentinelReport._meta.db_table
    day_value = connection.ops.adapt_datefield_value(day)
    due = connection.ops.adapt_datetimefield_value(report_due(day))
    sites_clause, site_params = _in("site_id", site_ids)
    with connection.cursor() as cursor:
        regions = _regions_of(cursor, day_value, sites_clause, site_params)
        cursor.execute(f"DELETE FROM {summary} WHERE day = %s{sites_clause}", [day_value, *site_params])  # noqa: S608
        # Only table names, the placeholders and fixed text go into the statement; values are parameters.
        cursor.execute(
            f"INSERT INTO {summary} (site_id, day, region_id, received, late) "  # noqa: S608
            f"SELECT site_id, date, MAX(region_id), COUNT(*), SUM(CASE WHEN reported_at > %s THEN 1 ELSE 0 END) "
            f"FROM {reports} WHERE date = %s{sites_clause} GROUP BY site_id, date",
            [due, day_value, *site_params])
        return regions | _regions_of(cursor, day_value, sites_clause, site_params)


def _recompute_regions(day: dt.date, regions: list[str] | None) -> None:
    """Delete and recompute the region-day rows of ``day`` (for ``regions``, or every region) from the
    site-day rows."""
    summary, by_region = DailySiteReporting._meta.db_table, DailyRegionReporting._meta.db_table
    day_value = connection.ops.adapt_datefield_value(day)
    regions_clause, region_params = _in("region_id", regions)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {by_region} WHERE day = %s{regions_clause}",  # noqa: S608
                       [day_value, *region_params])
        cursor.execute(
            f"INSERT INTO {by_region} (region_id, day, received, late) "  # noqa: S608
            f"SELECT region_id, day, SUM(received), SUM(late) FROM {summary} "
            f"WHERE day = %s{regions_clause} GROUP BY region_id, day", [day_value, *region_params])


@transaction.atomic
def reporting_summary_refresh(keys: Iterable[tuple[int, dt.date]]) -> int:
    """Recompute the summary rows of the given (site id, day) keys from the reports, in the caller's
    transaction, after the write, and the region-day rows they add up to. Returns the number of keys
    refreshed."""
    by_day: dict[dt.date, set[int]] = defaultdict(set)
    for site_id, day in keys:
        if site_id is not None and day is not None:
            by_day[day].add(int(site_id))
    if not by_day:
        return 0
    _lock()
    for day, sites in sorted(by_day.items()):
        ordered = sorted(sites)
        regions: set[str] = set()
        for start in range(0, len(ordered), BATCH_SITES):
            regions |= _recompute(day, ordered[start:start + BATCH_SITES])
        if regions:
            _recompute_regions(day, sorted(regions))
    return sum(len(sites) for sites in by_day.values())


@transaction.atomic
def reporting_summary_rebuild() -> int:
    """Recompute every summary row (site-day and region-day) from all reports (two statements per day);
    returns the number of site-day rows."""
    _lock()
    DailySiteReporting.objects.all().delete()
    DailyRegionReporting.objects.all().delete()
    for day in SentinelReport.objects.order_by("date").values_list("date", flat=True).distinct():
        _recompute(day, None)
        _recompute_regions(day, None)
    site_indicator_counts_refresh()  # the page's other input, in case the site-indicator table was written around
    return DailySiteReporting.objects.count()


def site_indicator_counts_refresh(site_ids: Iterable[int] | None = None) -> int:
    """Set ``SentinelSite.n_indicators`` from the sites' indicators (of ``site_ids``, or of every site);
    returns the number of sites updated. Every writer of the site-indicator table calls it."""
    through = SentinelSite.indicators.through.objects.filter(sentinelsite_id=OuterRef("pk")).order_by() \
        .values("sentinelsite_id").annotate(n=Count("*")).values("n")
    sites = SentinelSite.objects.all() if site_ids is None else SentinelSite.objects.filter(pk__in=list(site_ids))
    return sites.update(n_indicators=Coalesce(Subquery(through), 0))
