"""The detection run: aggregate the reports to each configured level and run its detector for every day
from ``first`` to ``last``; one ``Signal`` per unit × indicator × alarming day (a second run adds none),
consecutive days grouped into one ``Alert``. Each configuration commits on its own and bumps the data
generation.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.surveillance import detectors
from fangkong.surveillance.configuration import detection_configs_ensure
from fangkong.surveillance.models import (
    Alert,
    AlertStatus,
    DetectionConfig,
    Signal,
)
from fangkong.surveillance.series import aggregate, day_of, load_site_series

logger = logging.getLogger(__name__)


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
