"""Reads of the command dashboard: the situation of one region on one day, from the scoped line lists.

Every figure is computed from the querysets the line lists themselves use — ``cases.selectors.case_list``
with the filters the figure links to, ``surveillance.selectors.alert_list``, and
``cases.selectors.tracing_timeliness`` — so a number on the dashboard equals the length of the list it
links to. ``situation()`` returns plain JSON-able data: the page renders it, the charts draw it and the
daily report (``fangkong.bulletins``) snapshots it, so the report's figures are the dashboard's.

Definitions (shown on the page too):

- an *infection* is a case classified confirmed or asymptomatic (suspected and excluded cases are not
  counted); *new* means reported on the day (``report_date``), *cumulative* reported up to the day;
- the epidemic curve counts infections by report date and, where known, by onset date, over
  ``CURVE_DAYS`` days to the day, stacked by detection route;
- Rt: Cori et al. (2013) over weekly sliding windows on daily local and imported infections by report
  date (imported ones add infectivity but are nobody's offspring), serial interval gamma with mean
  ``SERIAL_INTERVAL_MEAN`` and sd ``SERIAL_INTERVAL_SD`` days; shown only when the window carries enough
  infectivity (``RT_MIN_INFECTIVITY``), otherwise the prior would dominate;
- incidence per 100,000: local infections reported in the 7 days to the day, per 100,000 residents;
- open signals: alerts whose first alarming day is on or before the day and which, at the end of the day,
  were neither closed nor dismissed as false alarms (from the lifecycle's timestamps: ``alerts_open_on``).

Speed: contact figures (tracing, contacts of close contacts) come from the daily
tracing summary (``fangkong.cases.summaries``: one row per leaf region and day, recomputed by every case and
contact write), not from the million contact rows; contacts in quarantine on the day are counted from the
contacts' own dates (``contacts_in_quarantine_on``: the summary holds only their status now). ``situation`` keeps its result in Django's cache per
region, day, *scope* (the user's region prefixes: users who see the same rows share it, nobody sees another
scope's figures) and *data generation* (``fangkong.data_generation``: bumped when any write that can change
a figure commits — cases, contacts and their imports, alerts and the detection run, sentinel reports and
their corrections). A cached result is therefore used only while nothing it was computed from has changed:
twenty people watching the province page — and the big screens polling it — cost one computation per
change of the data, and a write shows on the next request. The daily report computes afresh anyway
(``fresh=True``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time

import numpy as np
from django.core.cache import cache
from django.db.models import Case as CaseWhen
from django.db.models import CharField, Count, F, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from fangkong.accounts.access import in_scope, scope_prefixes
from fangkong.accounts.need_to_know import Category, read_prefixes, readable
from fangkong.cases import selectors as case_selectors
from fangkong.cases.models import Classification, DetectionRoute
from fangkong.data_generation import current_data_generation
from fangkong.epi import projection as epi_projection
from fangkong.epi import rt as epi_rt
from fangkong.protocols.selectors import NoProtocolInForce, protocol_in_force
from fangkong.regions import selectors as region_selectors
from fangkong.regions.codes import subtree_prefix
from fangkong.regions.models import Region
from fangkong.surveillance import selectors as surveillance_selectors
from fangkong.surveillance.earlies import earlies as surveillance_earlies
from fangkong.surveillance.models import AlertStatus

COUNTED = (Classification.CONFIRMED, Classification.ASYMPTOMATIC)
CURVE_DAYS = 60
INCIDENCE_DAYS = 7
SERIAL_INTERVAL_MEAN = 3.5
SERIAL_INTERVAL_SD = 2.0
RT_MIN_INFECTIVITY = 5.0
RT_BAND = (0.025, 0.975)
OUTLOOK_DAYS = 14
OUTLOOK_PATHS = 400
ROUTES = [r.value for r in DetectionRoute]
OPEN_STATUSES = [AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, AlertStatus.INVESTIGATING, AlertStatus.CONFIRMED]
#: How long a computed situation is kept at most. Not a staleness bound: an entry is keyed on the data
#: generation and never served after a write; the timeout only frees the memory of superseded entries.
SITUATION_CACHE_SECONDS = 3600
#: How long a request waits for a concurrent request computing the same figures before computing itself.
COMPUTE_WAIT_SECONDS = 10
FIGURES = ("confirmed_local", "confirmed_imported", "asymptomatic_local", "asymptomatic_imported")


def figure_filters(region_code: str, day: dt.date, figure: str, *, cumulative: bool = False) -> dict:
    """The case line-list filters that give the rows behind a figure ("confirmed_local", ...)."""
    classification, origin = figure.split("_")
    filters = {"region": region_code, "classification": classification,
               "imported": "1" if origin == "imported" else "0", "date_to": day.isoformat()}
    if not cumulative:
        filters["date_from"] = day.isoformat()
    return filters


def case_list_url(filters: dict) -> str:
    return f"{reverse('cases:case-list')}?{urlencode(filters)}"


def busiest_day(*, user, region: Region) -> dt.date | None:
    """The report date with the most infections in the region (the demo's "busiest day")."""
    row = case_selectors.case_list(user=user, filters={"region": region.code}, category=Category.AGGREGATES) \
        .filter(classification__in=COUNTED).order_by().values("report_date") \
        .annotate(n=Count("id")).order_by("-n", "report_date").first()
    return row["report_date"] if row else None


def _region_dict(region: Region) -> dict:
    """A region as the figures carry it. ``population_estimated``: the population (and so every rate per
    100,000 of the region) is an apportioned estimate, not an official count; ``geometry_synthetic``: no
    source has its boundary (the map does not draw it)."""
    return {"code": region.code, "name_zh": region.name_zh, "name_en": region.name_en, "level": region.level,
            "population": region.population, "population_estimated": region.population_estimated,
            "geometry_synthetic": region.geometry_synthetic}


def _child_of(code: str, prefixes: list[tuple[str, str]]) -> str | None:
    for child, prefix in prefixes:
        if code.startswith(prefix):
            return child
    return None


def situation_cache_key(*, user, region: Region, day: dt.date) -> str:
    """The cache key of ``situation``: region, day, the user's scope and the current data generation."""
    scope = ",".join(read_prefixes(user, Category.AGGREGATES))
    identity = f"{region.code}|{day.isoformat()}|{scope}|{current_data_generation()}"
    return "dashboard:situation:" + hashlib.sha256(identity.encode()).hexdigest()


def situation(*, user, region: Region, day: dt.date, fresh: bool = False) -> dict:
    """Everything the dashboard and the daily report show for ``region`` (in the user's scope) on ``day``:
    from the cache while no figure-changing write has committed since it was computed, unless ``fresh``.

    After a write, the first request computes and the concurrent requests for the same key wait for its
    result (up to ``COMPUTE_WAIT_SECONDS``) instead of all computing the same figures at once.
    """
    return keyed_situation(user=user, region=region, day=day, fresh=fresh)[1]


def keyed_situation(*, user, region: Region, day: dt.date, fresh: bool = False) -> tuple[str, dict]:
    """``situation`` with the cache key its figures belong to (for caches of what is rendered from them)."""
    # The key is read before computing: a write committing during the computation bumps the generation,
    # so the result is stored under the old one and the next request computes again.
    key = situation_cache_key(user=user, region=region, day=day)
    return key, _situation(key, user=user, region=region, day=day, fresh=fresh)


def _situation(key: str, *, user, region: Region, day: dt.date, fresh: bool) -> dict:
    if fresh:
        return _compute_and_keep(key, user=user, region=region, day=day)
    cached = cache.get(key)
    if cached is not None:
        return cached
    computing = key + ":computing"
    if cache.add(computing, 1, COMPUTE_WAIT_SECONDS):
        try:
            return _compute_and_keep(key, user=user, region=region, day=day)
        finally:
            cache.delete(computing)
    deadline = time.monotonic() + COMPUTE_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.05)
        cached = cache.get(key)
        if cached is not None:
            return cached
        if cache.get(computing) is None:  # the other computation failed or was abandoned
            break
    return _compute_and_keep(key, user=user, region=region, day=day)


def _compute_and_keep(key: str, *, user, region: Region, day: dt.date) -> dict:
    data = compute_situation(user=user, region=region, day=day)
    cache.set(key, data, SITUATION_CACHE_SECONDS)
    return data


def compute_situation(*, user, region: Region, day: dt.date) -> dict:
    """``situation`` computed from the rows now."""
    children = list(region_selectors.region_list(user=user, parent=region.code).order_by("code"))
    prefixes = [(c.code, subtree_prefix(c.code)) for c in children]
    units = [region.code] + [c.code for c in children]
    cases = case_selectors.case_list(user=user, filters={"region": region.code}, category=Category.AGGREGATES) \
        .order_by()

    # --- new and cumulative, by classification and origin -------------------------------------------------
    first = day - dt.timedelta(days=CURVE_DAYS - 1)
    new = {f: 0 for f in FIGURES}
    cumulative = {f: 0 for f in FIGURES}
    suspected_new = 0
    per_unit = {u: {"new": dict.fromkeys(FIGURES, 0), "cumulative": dict.fromkeys(FIGURES, 0),
                    "local_7d": 0} for u in units}
    # one grouped read up to the day: region x report date x classification x origin x route
    grouped = cases.filter(report_date__lte=day).values_list(
        "report_region_id", "report_date", "classification", "imported", "detection_route").annotate(n=Count("id"))
    n_days = None
    earliest = None
    rows = list(grouped)
    for _code, report_date, classification, _imported, _route, _n in rows:
        if classification in COUNTED and (earliest is None or report_date < earliest):
            earliest = report_date
    if earliest is not None:
        n_days = (day - earliest).days + 1
    local = np.zeros((n_days or 0, len(units)))
    imported = np.zeros_like(local)
    curve_report = {r: [0] * CURVE_DAYS for r in ROUTES}
    for code, report_date, classification, is_imported, route, n in rows:
        if classification == Classification.SUSPECTED and report_date == day:
            suspected_new += n
        if classification not in COUNTED:
            continue
        figure = f"{classification}_{'imported' if is_imported else 'local'}"
        child = _child_of(code, prefixes)
        targets = [region.code] + ([child] if child else [])
        cumulative[figure] += n
        for u in targets:
            per_unit[u]["cumulative"][figure] += n
        if report_date == day:
            new[figure] += n
            for u in targets:
                per_unit[u]["new"][figure] += n
        if not is_imported and (day - report_date).days < INCIDENCE_DAYS:
            for u in targets:
                per_unit[u]["local_7d"] += n
        t = (report_date - earliest).days
        for u in targets:
            (imported if is_imported else local)[t, units.index(u)] += n
        if report_date >= first:
            curve_report[route][(report_date - first).days] += n

    # --- curve by onset (infections reported by the day whose onset falls in the window) --------------------
    curve_onset = {r: [0] * CURVE_DAYS for r in ROUTES}
    for onset, route, n in cases.filter(report_date__lte=day, classification__in=COUNTED,
                                        onset_date__gte=first, onset_date__lte=day) \
            .values_list("onset_date", "detection_route").annotate(n=Count("id")):
        curve_onset[route][(onset - first).days] += n

    rt = _rt(local, imported, earliest, first, day)
    open_alerts = alerts_open_on(user=user, region=region, day=day)
    signals = _signals(user, region, day, open_alerts, prefixes, per_unit)
    tracing = case_selectors.tracing_timeliness(user=user, region=region, date_from=day - dt.timedelta(days=6),
                                                date_to=day)["total"].as_dict()

    def unit_row(u: str, r: Region) -> dict:
        data = per_unit[u]
        return {**_region_dict(r), "new": data["new"], "cumulative": data["cumulative"],
                "new_total": sum(data["new"].values()), "cumulative_total": sum(data["cumulative"].values()),
                "local_7d": data["local_7d"],
                "incidence_7d": round(data["local_7d"] / r.population * 100_000, 2) if r.population else None,
                "rt": rt["latest"][units.index(u)], "open_signals": data.get("open_signals", 0)}

    return {
        "region": _region_dict(region),
        "date": day.isoformat(),
        "computed_at": timezone.localtime().isoformat(timespec="seconds"),
        "new": new, "cumulative": cumulative,
        "new_total": sum(new.values()), "cumulative_total": sum(cumulative.values()),
        "suspected_new": suspected_new,
        "totals": unit_row(region.code, region),
        "children": [unit_row(c.code, c) for c in children],
        "curve": {"dates": [(first + dt.timedelta(days=i)).isoformat() for i in range(CURVE_DAYS)],
                  "routes": ROUTES, "by_report": curve_report, "by_onset": curve_onset},
        "rt": {"dates": rt["dates"], "mean": rt["mean"], "lower": rt["lower"], "upper": rt["upper"]},
        "signals": signals,
        "tracing": tracing,
        "earlies": _earlies(user, region, day),
        "outlook": _outlook(user, region, day, local[:, :1], imported[:, :1], rt["latest"][0], tracing),
        "definitions": {"incidence_days": INCIDENCE_DAYS, "curve_days": CURVE_DAYS,
                        "serial_interval": [SERIAL_INTERVAL_MEAN, SERIAL_INTERVAL_SD]},
    }


def _rt(local: np.ndarray, imported: np.ndarray, earliest: dt.date | None, first: dt.date, day: dt.date) -> dict:
    """Rt per unit (column 0 the region itself): the series of the region over the curve window, and the
    latest window of every unit, as {mean, lower, upper} or None."""
    n_days, n_units = local.shape
    empty = {"dates": [], "mean": [], "lower": [], "upper": [], "latest": [None] * n_units}
    if n_days < 8:
        return empty
    est = epi_rt.estimate_r(local, imported=imported, mean_si=SERIAL_INTERVAL_MEAN, std_si=SERIAL_INTERVAL_SD)
    lam = epi_rt.total_infectivity(local + imported, est.si_distr)
    cum = np.vstack([np.zeros((1, n_units)), np.cumsum(lam, axis=0)])
    window_lam = cum[est.t_end] - cum[est.t_start - 1]  # 1-based inclusive windows
    mean, lower, upper = est.mean, est.quantile(RT_BAND[0]), est.quantile(RT_BAND[1])
    ok = np.isfinite(mean) & (window_lam >= RT_MIN_INFECTIVITY)

    def value(i: int, u: int) -> float | None:
        return round(float(mean[i, u]), 2) if ok[i, u] else None

    latest = []
    for u in range(n_units):
        i = len(est.t_end) - 1
        latest.append({"mean": value(i, u), "lower": round(float(lower[i, u]), 2),
                       "upper": round(float(upper[i, u]), 2)} if ok[i, u] else None)
    dates, means, lows, highs = [], [], [], []
    for i, t_end in enumerate(est.t_end):
        end_day = earliest + dt.timedelta(days=int(t_end) - 1)
        if end_day < first:
            continue
        dates.append(end_day.isoformat())
        means.append(value(i, 0))
        lows.append(round(float(lower[i, 0]), 2) if ok[i, 0] else None)
        highs.append(round(float(upper[i, 0]), 2) if ok[i, 0] else None)
    return {"dates": dates, "mean": means, "lower": lows, "upper": highs, "latest": latest}


def contacts_in_quarantine_on(*, user, region: Region, day: dt.date) -> int:
    """Contacts (any category) managed in ``region`` and in scope whose management period covers ``day``, by
    their own dates: they had entered quarantine by the end of the day (``quarantined_at``), their release was
    not yet due (``release_due``, the day after the last day of management, is after the day), they had not
    been released early or lost to follow-up by the end of the day (``released_at``), and they had not
    become a case (a converted contact leaves on its case's report date). The figure follows the chosen
    day; the contacts' current status says only where they are now."""
    rows = case_selectors.contacts_managed_on(day).filter(region__code__startswith=subtree_prefix(region.code))
    return readable(user, Category.AGGREGATES, rows, case_selectors.CONTACT_SCOPE).count()


def _outlook(user, region: Region, day: dt.date, local: np.ndarray, imported: np.ndarray, latest_rt,
             tracing: dict) -> dict:
    """Where the next ``OUTLOOK_DAYS`` days lead under the current Rt (its posterior, one draw per path):
    projected reported infections and the quarantine rooms and isolation beds they will need under the
    protocol in force (``fangkong.epi.projection``), against what is in use today and — where the resources
    module records rooms or beds in the region — the first day of shortage and its probability
    (``_shortage``; ``capacity_known``). Contacts per case are
    the region's own over the last 7 days (close contacts listed per new case, contacts of close contacts per
    close contact), the defaults of ``DemandParameters`` where there were none; contacts' periods are counted
    from their last exposure, the median number of days before their source case's report over the same
    days (from entering quarantine when no close contact of those days has a known last exposure)."""
    in_quarantine = contacts_in_quarantine_on(user=user, region=region, day=day)
    secondary = tracing["secondary_contacts"]
    out = {"days": OUTLOOK_DAYS, "contacts_in_quarantine": in_quarantine, "projected": None,
           "capacity_known": False}
    if latest_rt is None or local.shape[0] < 8:
        return out
    est = epi_rt.estimate_r(local[:, 0], imported=imported[:, 0], mean_si=SERIAL_INTERVAL_MEAN,
                            std_si=SERIAL_INTERVAL_SD)
    try:
        protocol = protocol_in_force(day)
    except NoProtocolInForce:
        return out
    projection = epi_projection.project_cases(
        local[:, 0], imported=imported[:, 0], horizon=OUTLOOK_DAYS,
        scenario=epi_projection.scenario_from_estimate(est), mean_si=SERIAL_INTERVAL_MEAN,
        std_si=SERIAL_INTERVAL_SD, n_paths=OUTLOOK_PATHS, seed=day.toordinal())
    defaults = epi_projection.DemandParameters()
    close, new_cases = tracing["close_contacts"], tracing["new_cases"]
    # the protocols count a contact's period from the last exposure, days before the source case's report
    lead = case_selectors.exposure_to_report_days(user=user, region=region, date_from=day - dt.timedelta(days=6),
                                                  date_to=day)
    parameters = epi_projection.DemandParameters(
        close_contacts_per_case=close / new_cases if new_cases else defaults.close_contacts_per_case,
        secondary_contacts_per_close_contact=secondary / close if close else defaults.secondary_contacts_per_close_contact,
        exposure_to_report_days=lead)
    demand = epi_projection.resource_demand(projection, protocol.as_quarantine_protocol(), parameters)
    total = projection.reported.sum(axis=0)
    low, mid, high = np.quantile(total, [0.025, 0.5, 0.975])

    def last_day(name: str) -> dict:
        values = demand.demand[name][-1]
        return {"median": round(float(np.median(values))), "upper": round(float(np.quantile(values, 0.975)))}

    shortage = _shortage(user, region, day, demand)
    if shortage is not None:
        out["capacity_known"], out["capacity"] = True, shortage.pop("capacity")
    out["projected"] = {"shortage": shortage or {},
                        "infections": {"median": round(float(mid)), "lower": round(float(low)),
                                       "upper": round(float(high))},
                        "daily_median": [round(float(v), 1) for v in np.median(projection.reported, axis=1)],
                        "quarantine_rooms": last_day("quarantine_rooms"),
                        "isolation_beds": last_day("isolation_beds"), "protocol": protocol.code,
                        "close_contacts_per_case": round(parameters.close_contacts_per_case, 2),
                        "secondary_per_close_contact": round(parameters.secondary_contacts_per_close_contact, 2),
                        "exposure_to_report_days": lead}
    return out


def _shortage(user, region: Region, day: dt.date, demand) -> dict | None:
    """Against the rooms and isolation beds recorded in the region (the resources module, when installed):
    per resource the probability of a shortage within the outlook, its first day (median over paths, when
    most paths run short) and the probability of occupancy above 90 %; None when nothing is recorded."""
    from django.apps import apps

    if not apps.is_installed("fangkong.resources"):
        return None
    from fangkong.resources.forecast import capacity_today

    capacity = capacity_today(user=user, region=region, day=day)
    if capacity is None:
        return None
    short = epi_projection.shortage_days(demand, capacity)
    above = epi_projection.occupancy_above(demand, capacity)
    out: dict = {"capacity": {k: round(v) for k, v in capacity.items()}}
    for name, s in short.items():
        first = int(s.median_day) if np.isfinite(s.median_day) else None
        out[name] = {"probability": round(s.probability, 3), "first_day": first,
                     "first_date": (day + dt.timedelta(days=first)).isoformat() if first else None,
                     "above_90": round(above[name], 3)}
    return out


def _earlies(user, region: Region, day: dt.date) -> dict:
    """The four earlies of the cases reported in the 7 days to the day (the earlies
    page's figures for the same region and period): per interval, cases measured, median hours, share
    within target."""
    result = surveillance_earlies(user, region, day - dt.timedelta(days=INCIDENCE_DAYS - 1), day)
    total = result["total"]
    return {"cases": total["cases"], "date_from": result["date_from"], "date_to": result["date_to"],
            "intervals": [{"key": i["key"], "target_hours": i["target_hours"], **total[i["key"]]}
                          for i in result["intervals"]]}  # labels in the page's language, by key


def alerts_open_on(*, user, region: Region, day: dt.date):
    """Alerts in ``region`` (in scope) open at the end of ``day``: their first alarming day on or before it, and
    by then neither closed nor judged a false alarm — from the lifecycle's timestamps, so a past day shows
    what was open then (the alerts' status now says only where they are now). Each carries ``status_on_day``,
    its step at the end of the day."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timezone.get_current_timezone())
    status_on_day = CaseWhen(
        When(closed_at__lt=end, then=Value(AlertStatus.CLOSED.value)),
        When(verified_at__lt=end, then=F("outcome")),
        When(investigating_at__lt=end, then=Value(AlertStatus.INVESTIGATING.value)),
        When(acknowledged_at__lt=end, then=Value(AlertStatus.ACKNOWLEDGED.value)),
        default=Value(AlertStatus.NEW.value), output_field=CharField())
    return surveillance_selectors.alert_list(user=user, region=region.code, last=day) \
        .annotate(status_on_day=status_on_day) \
        .filter(status_on_day__in=[s.value for s in OPEN_STATUSES])


def _signals(user, region: Region, day: dt.date, open_alerts, prefixes, per_unit) -> dict:
    by_status = dict.fromkeys((s.value for s in OPEN_STATUSES), 0)
    for code, status, n in open_alerts.order_by().values_list("region_id", "status_on_day").annotate(n=Count("id")):
        by_status[status] = by_status.get(status, 0) + n
        child = _child_of(code, prefixes)
        for u in [region.code] + ([child] if child else []):
            per_unit[u]["open_signals"] = per_unit[u].get("open_signals", 0) + n
    recent = [{"id": a.pk, "region": a.region.name_zh, "region_en": a.region.name_en,
               "indicator": a.indicator.name_zh, "indicator_en": a.indicator.name_en,
               "first_day": a.first_day.isoformat(), "last_day": a.last_day.isoformat(), "status": a.status_on_day,
               "peak": a.peak_observed}
              for a in open_alerts[:8]]
    week = surveillance_selectors.timeliness(user=user, region=region, first=day - dt.timedelta(days=6), last=day)
    total = week.total
    return {"open": sum(by_status.values()), "by_status": by_status, "recent": recent,
            "week": {"alerts": total.alerts, "acknowledged": total.acknowledged,
                     "response_rate": total.response_rate,
                     "median_acknowledge_hours": total.median_acknowledge_hours,
                     "median_verify_hours": total.median_verify_hours, "confirmed": total.confirmed,
                     "target": week.target}}


def region_geometry(*, user, region: Region) -> dict:
    """GeoJSON of the map of ``region``: its children in scope, or the region alone when it has none.

    Nothing outside the user's scope: a county user's map is the county itself, without neighbours.
    Kept an hour per region and scope (boundaries change only with a new region tree).
    """
    key = "dashboard:geometry:" + hashlib.sha256(f"{region.code}|{','.join(scope_prefixes(user))}".encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        cached = _region_geometry(user, region)
        cache.set(key, cached, 3600)
    return cached


def _region_geometry(user, region: Region) -> dict:
    """Real boundaries only: a schematic shape (``geometry_synthetic``: no source has the boundary) is never
    drawn as if it were one; when no child has a real boundary the map is the region's own outline."""
    children = [c for c in region_selectors.region_list(user=user, parent=region.code).defer(None).order_by("code")
                if c.geometry and not c.geometry_synthetic]
    shapes = children or ([region] if region.geometry and not region.geometry_synthetic
                          and in_scope(user, region.code) else [])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": r.code, "properties": {"code": r.code, "name": r.name},
         "geometry": r.geometry} for r in shapes]}


def alert_status_breakdown(signals: dict) -> list[tuple[str, str, int]]:
    """(status, label, count) of the open signals, in lifecycle order."""
    labels = dict(AlertStatus.choices)
    return [(s, labels[s], signals["by_status"].get(s, 0)) for s in signals["by_status"]]

