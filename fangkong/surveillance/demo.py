"""The demo's sentinel network: the simulator's sites and daily reports, detection over its history, and
a plausible response history for the older alerts.

Sites and reports come from the scenario (``scenario.places``, ``sentinel_series``, ``sentinel_counts``,
``sentinel_denominators``); reports are bulk-created with a report time on the morning after the day
(a few late), so that the late-report view has something to show. Detection then runs over every day
with enough history, each alert raised on the morning after its day. Alerts that ended more than a week
before the last day get a response (acknowledged within hours, verified, closed) from the provincial
commander, confirmed where the simulator's truth has an outbreak — so the timeliness page has figures;
the recent ones, and those of the Shenzhen and Dongguan wave, stay new for a demo user to answer. ``sentinel_futian`` reports for two Futian sites.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import numpy as np
from django.conf import settings
from django.db import connection, transaction

from fangkong.accounts.models import User
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.epi.simulate.params import INDICATORS, PLACE_KINDS
from fangkong.epi.simulate.places import place_codes, place_names
from fangkong.surveillance.models import Alert, AlertStatus, AlertTransition, SentinelReport, SentinelSite
from fangkong.surveillance.services import detection_run, indicators_ensure
from fangkong.surveillance.summaries import reporting_summary_rebuild, site_indicator_counts_refresh

SITE_KINDS = ("fever_clinic", "primary_care", "pharmacy", "school")
DEMO_REPORTER = "sentinel_futian"
FUTIAN = "440304"
WAVE_CITIES = ("4403", "4419")  # Shenzhen, Dongguan
WAVE_LEFT_OPEN_DAYS = 45


def _tz():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def morning_after(day: dt.date, hours: float = 8.0) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=_tz()) + dt.timedelta(hours=hours)


@transaction.atomic
def load_sites_and_reports(scenario, tree, actor) -> tuple[int, int]:
    """Sites and reports of the scenario; nothing is added when the sites are already there."""
    indicators = indicators_ensure()
    if SentinelSite.objects.exists():
        return 0, 0
    places = scenario.places
    series = scenario.sentinel_series
    codes, names = place_codes(places), place_names(tree, places)
    site_places = np.unique(series.site)
    sites = [
        SentinelSite(code=str(codes[p]), name=str(names[p]), kind=PLACE_KINDS[places.kind[p]],
                     region_id=str(tree.codes[places.region[p]]))
        for p in site_places
    ]
    SentinelSite.objects.bulk_create(sites, batch_size=2000)
    site_pk = dict(SentinelSite.objects.values_list("code", "pk"))
    pk_of_place = np.array([site_pk[str(codes[p])] for p in site_places])
    place_index = np.searchsorted(site_places, series.site)
    series_site_pk = pk_of_place[place_index]
    indicator_pk = np.array([indicators[name].pk for name in INDICATORS])
    series_indicator_pk = indicator_pk[series.indicator]
    through = SentinelSite.indicators.through
    through.objects.bulk_create(
        [through(sentinelsite_id=int(s), indicator_id=int(i)) for s, i in
         {(int(s), int(i)) for s, i in zip(series_site_pk, series_indicator_pk, strict=True)}],
        batch_size=5000)
    site_indicator_counts_refresh(site_pk.values())
    region_of_series = np.array([str(tree.codes[r]) for r in places.region[series.site]])
    counts, denominators = scenario.sentinel_counts, scenario.sentinel_denominators
    rng = np.random.default_rng(20220317)
    dates = scenario.dates
    s_idx, d_idx = np.nonzero(counts >= 0)
    # Report times: the morning after, mostly between 07:00 and 11:00; 3% late by a day or more.
    hours = rng.uniform(7, 11, size=len(s_idx)) + (rng.random(len(s_idx)) < 0.03) * rng.uniform(24, 60, len(s_idx))
    base = np.array([morning_after(d, 0).timestamp() for d in dates])
    stamps = base[d_idx] + hours * 3600
    has_denominator = np.array([indicators[name].has_denominator for name in INDICATORS])[series.indicator]
    count_values = counts[s_idx, d_idx].astype(np.int64)
    denominator_values = np.where(has_denominator[s_idx] & (denominators[s_idx, d_idx] >= 0),
                                  np.maximum(denominators[s_idx, d_idx], count_values), -1)
    ops = connection.ops
    day_values = [ops.adapt_datefield_value(d) for d in dates]
    utc = dt.UTC
    stamp_values = [ops.adapt_datetimefield_value(dt.datetime.fromtimestamp(float(x), tz=utc)) for x in stamps]
    rows = [
        (int(site), int(ind), day_values[d], int(c), None if den < 0 else int(den), stamp, region)
        for site, ind, d, c, den, stamp, region in zip(
            series_site_pk[s_idx].tolist(), series_indicator_pk[s_idx].tolist(), d_idx.tolist(),
            count_values.tolist(), denominator_values.tolist(), stamp_values, region_of_series[s_idx].tolist(),
            strict=True)
    ]
    table = connection.ops.quote_name(SentinelReport._meta.db_table)
    columns = "site_id, indicator_id, date, count, denominator, reported_at, region_id"
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s)"  # noqa: S608 - names from the model
    with connection.cursor() as cursor:  # the demo's 280,000 rows: executemany, not 280,000 model objects
        for start in range(0, len(rows), 20000):
            cursor.executemany(sql, rows[start:start + 20000])
    reports = rows
    reporting_summary_rebuild()  # written around the services
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="surveillance.sentinelreport",
                 object_id="demo scenario", detail={"sites": len(sites), "created": len(reports)})
    reporter = User.objects.filter(username=DEMO_REPORTER).first()
    if reporter is not None:
        for kind in ("fever_clinic", "pharmacy"):
            site = SentinelSite.objects.filter(region_id=FUTIAN, kind=kind).order_by("code").first()
            if site is not None:
                site.reporters.add(reporter)
    return len(sites), len(reports)


def _respond(scenario, tree, actor, last_day: dt.date) -> int:
    """Answer the alerts that ended a week or more before ``last_day``, with plausible delays.

    Written in bulk (alert fields and transition rows, one audit event): this is demo history, and
    stepping a thousand alerts through ``alert_transition`` one query at a time would slow the demo.
    """
    rng = np.random.default_rng(7)
    outbreak = scenario.truth.outbreak  # regions × indicators × days
    start = scenario.params.start_date
    index_of = {str(c): i for i, c in enumerate(tree.codes)}
    alerts, steps = [], []
    wave = last_day - dt.timedelta(days=WAVE_LEFT_OPEN_DAYS)
    for alert in Alert.objects.filter(status=AlertStatus.NEW, last_day__lt=last_day - dt.timedelta(days=7)) \
            .select_related("indicator").order_by("raised_at"):
        if alert.region_id[:4] in WAVE_CITIES and alert.last_day >= wave:
            continue  # the Shenzhen and Dongguan wave stays open for the demo users to answer
        if rng.random() < 0.02:  # a few never answered: the response rate is not 100%
            continue
        region = index_of.get(alert.region_id)
        indicator = INDICATORS.index(alert.indicator.code) if alert.indicator.code in INDICATORS else None
        days = slice((alert.first_day - start).days, (alert.last_day - start).days + 1)
        true = region is not None and indicator is not None and bool(outbreak[region, indicator, days].any())
        acknowledged = alert.raised_at + dt.timedelta(hours=float(rng.gamma(1.5, 0.8)))
        investigating = acknowledged + dt.timedelta(hours=float(rng.gamma(2, 2)))
        verified = investigating + dt.timedelta(hours=float(rng.gamma(2, 6)))
        closed = verified + dt.timedelta(days=3)
        verdict = AlertStatus.CONFIRMED if true else AlertStatus.FALSE_ALARM
        alert.status, alert.outcome = AlertStatus.CLOSED, verdict
        alert.acknowledged_at, alert.investigating_at, alert.verified_at, alert.closed_at = (
            acknowledged, investigating, verified, closed)
        alert.acknowledged_by = alert.investigating_by = alert.verified_by = alert.closed_by = actor
        alert.version = 4
        alerts.append(alert)
        note = "演示：按模拟真值核实为暴发" if true else "演示：核实为误报"
        for before, after, at, text in ((AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, acknowledged, ""),
                                        (AlertStatus.ACKNOWLEDGED, AlertStatus.INVESTIGATING, investigating, ""),
                                        (AlertStatus.INVESTIGATING, verdict, verified, note),
                                        (verdict, AlertStatus.CLOSED, closed, "")):
            steps.append(AlertTransition(alert=alert, from_status=before, to_status=after, at=at, by=actor,
                                         note=text))
    Alert.objects.bulk_update(alerts, ["status", "outcome", "acknowledged_at", "investigating_at", "verified_at", "closed_at",
                                       "acknowledged_by", "investigating_by", "verified_by", "closed_by", "version"],
                              batch_size=1000)
    AlertTransition.objects.bulk_create(steps, batch_size=2000)
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, object_type="surveillance.alert",
                 object_id="demo responses", detail={"alerts": len(alerts)})
    return len(alerts)


def load_demo_surveillance(scenario, tree, actor) -> str:
    sites, reports = load_sites_and_reports(scenario, tree, actor)
    dates = scenario.dates
    first, last = dates[30], dates[-1]
    summary = detection_run(first=first, last=last, actor=actor,
                            raised_at=lambda day: morning_after(day, 8.5))
    answered = _respond(scenario, tree, actor, last)
    return (f"demo surveillance: {sites} sites, {reports} reports; detection {first}..{last}: "
            f"{summary.signals} signals in {summary.alerts} alerts, {answered} answered")


def demo_load(actor) -> str:
    """This module's demo loader (declared on its ``AppConfig``): its part of the demo scenario."""
    from fangkong.demo import demo_scenario

    scenario, tree = demo_scenario()
    return load_demo_surveillance(scenario, tree, actor)
