"""The resources forecast: for each city and resource, demand over the next days against what the city has.

Adapter between the database and ``fangkong.epi.projection`` (the math is there, no Django): per city, the
daily local and imported infections reported over ``HISTORY_DAYS`` give Rt (Cori et al., its posterior drawn
per path), the renewal equation projects reported cases ``HORIZON_DAYS`` ahead, and ``resource_demand`` turns
them into rooms (close contacts and contacts of close contacts for the centralised days of the protocol in
force, inbound travellers bound for the city as the inbound module's manifests and loops record them:
``inbound_in_rooms``), isolation and severe-care beds, tests and supplies. Against it:

- rooms: the city's rooms not out of service; beds: the latest count of each hospital's beds by type
  (ordinary → isolation beds, severe and ICU → severe-care beds);
- supplies: stock on hand in the city's stores plus what is in transit to them (shipped, not received),
  compared with cumulative use.

Plans of other modules add their needs (``ModuleConfig.resource_demands``, ``planned_by_city``): a
mass-screening round's test kits and samplers for each of its days are added to the demand of the city its
county lies in — kits to the projection's tests before the burn-rate floor (a round already issuing kits is
not counted twice), samplers to the staff — and listed by region on the page (``planned_table``).

Calibrated on each city's own records: contacts per case and their dispersion from the close contacts listed
for its recent cases (``contact_calibration``), the days from the last exposure to the source case's report,
the contacts already in centralised quarantine counted as their periods say (``quarantined_by_day``), and Rt
drifting as the city's estimate did over the last four weeks (``epi.projection.rt_drift_sd``). On the
simulator's ground truth the 80 % band of rooms held the true occupancy on 81–82 % of days (the backtest in
``fangkong/epi/tests/test_projection.py``), against 46 % with fixed ratios and a held Rt.

Per city × resource: the 80 % band of demand, the **first shortage day** (median over paths) with its
**probability** (share of paths short within the horizon), and the probability that occupancy exceeds
90 % of capacity within ``WARNING_DAYS``. Cities with too few local cases to estimate Rt get no projection.
"What if": the same under another protocol edition or a fixed Rt (``protocol``, ``rt``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from fangkong import modules
from fangkong.accounts.need_to_know import Category, prefixes_q, read_prefixes
from fangkong.cases import selectors as case_selectors
from fangkong.cases.models import Case, Classification, Contact
from fangkong.data_generation import current_data_generation
from fangkong.epi import projection as epi_projection
from fangkong.epi import rt as epi_rt
from fangkong.protocols.models import ProtocolVersion
from fangkong.protocols.selectors import NoProtocolInForce, protocol_in_force
from fangkong.regions.codes import city_code, subtree_prefix
from fangkong.regions.models import Region

from .models import BedCensus, BedType, Item, Requisition, Room, StaffRoster, StaffTeam, Stock, StockMovement

HISTORY_DAYS = 42
HORIZON_DAYS = 28
#: A shortage this close raises a problem in the three lists (``services.shortage_sweep``).
WARNING_DAYS = 14
PATHS = 400
BAND = 0.8
#: A shortage is announced when at least this share of paths runs short within the horizon.
ANNOUNCE_PROBABILITY = 0.5
#: Local cases over the last 14 days below which Rt is not estimated for a city.
MIN_LOCAL_CASES = 5
SERIAL_INTERVAL = (3.5, 1.5)
#: Contacts per case from the cases reported ``CALIBRATION_DAYS`` to ``CALIBRATION_LAG`` days before the day
#: (the last days' cases are still being traced); at least ``MIN_CALIBRATION_CASES`` of them, else the defaults.
CALIBRATION_DAYS = 14
CALIBRATION_LAG = 3
MIN_CALIBRATION_CASES = 5
#: Close contacts sampled per city for the days from their last exposure to their case's report.
EXPOSURE_LEAD_SAMPLE = 5000
#: How long a forecast stays in the cache at most (a new data generation replaces it sooner).
FORECAST_CACHE_SECONDS = 3600
#: Days of issues the burn rate of a supply is the mean of.
BURN_DAYS = 14
#: China's standard: at least 20 quarantine rooms per 10,000 residents.
ROOMS_PER_10K_STANDARD = 20
COUNTED = (Classification.CONFIRMED, Classification.ASYMPTOMATIC)

ROOMS, ISOLATION, SEVERE, STAFF = "quarantine_rooms", "isolation_beds", "severe_care_beds", "staff"
#: Supplies used per person-day in centralised quarantine and per patient-day in hospital (planning ratios of
#: the demo; a province sets its own), and tests → test kits and reagents one to one.
PER_QUARANTINE_DAY = {Item.MASKS.value: 3.0, Item.SUITS.value: 0.3, Item.DISINFECTANT.value: 0.2}
PER_PATIENT_DAY = {Item.MASKS.value: 12.0, Item.SUITS.value: 4.0, Item.DISINFECTANT.value: 0.5}
PER_TEST = (Item.TEST_KITS.value, Item.REAGENTS.value)
RESOURCE_LABELS = {ROOMS: "Quarantine rooms", ISOLATION: "Isolation beds (ordinary)",
                   SEVERE: "Severe-care beds (severe and ICU)"}


def cities_in_view(user) -> list[Region]:
    """The cities (prefectures) wholly within the regions where the user reads aggregates."""
    prefixes = read_prefixes(user, Category.AGGREGATES)
    if not prefixes:
        return []
    return list(Region.objects.filter(prefixes_q("code", prefixes), level=Region.Level.PREFECTURE)
                .defer("geometry").order_by("code"))


def _in_cities(field: str, cities: list[str]) -> Q:
    """Rows whose region code (``field``) lies in one of the cities."""
    return prefixes_q(field, [subtree_prefix(c) for c in cities])


def contact_calibration(cities: list[str], day: dt.date) -> dict[str, tuple[np.ndarray, int | None]]:
    """Per city: the close contacts listed by ``day`` for each case reported between ``CALIBRATION_DAYS`` and
    ``CALIBRATION_LAG`` days before it (zeros included), and the median days from those contacts' last exposure
    to their case's report (None when no last exposure is known)."""
    first, last = day - dt.timedelta(days=CALIBRATION_DAYS), day - dt.timedelta(days=CALIBRATION_LAG)
    cases = Case.objects.filter(_in_cities("report_region__code", cities), classification__in=COUNTED,
                                report_date__gte=first, report_date__lte=last).order_by()
    listed = Contact.objects.filter(source_case__in=cases.values("pk"), category="close", listed_date__lte=day)
    per_case = dict(listed.order_by().values("source_case_id").annotate(n=Count("id"))
                    .values_list("source_case_id", "n"))
    counts: dict[str, list[int]] = {c: [] for c in cities}
    for pk, region in cases.values_list("pk", "report_region_id"):
        counts.setdefault(city_code(region), []).append(per_case.get(pk, 0))
    leads: dict[str, list[int]] = {c: [] for c in cities}
    for region, exposed, reported in listed.filter(exposure_end__isnull=False).values_list(
            "source_case__report_region_id", "exposure_end", "source_case__report_date")[:EXPOSURE_LEAD_SAMPLE * len(cities)]:
        leads.setdefault(city_code(region), []).append((reported - exposed).days)
    return {c: (np.asarray(counts[c], dtype=float),
                max(0, round(float(np.median(leads[c])))) if leads[c] else None) for c in cities}


def quarantined_by_day(cities: list[str], day: dt.date, horizon: int) -> dict[str, np.ndarray]:
    """Per city: of the contacts managed in it and in centralised quarantine at the end of ``day``, how many
    are still in on each of the next ``horizon`` days, as their own periods say (the edition each is managed
    by, counted from its last exposure or its listing date: ``protocols.periods``)."""
    out = {c: np.zeros(horizon) for c in cities}
    rows = case_selectors.contacts_managed_on(day).filter(_in_cities("region__code", cities)).order_by() \
        .annotate(counted_from=Coalesce("exposure_end", "listed_date")) \
        .values_list("region_id", "protocol_id", "category", "counted_from").annotate(n=Count("id"))
    editions = ProtocolVersion.objects.in_bulk({row[1] for row in rows})
    last_day = np.array([day + dt.timedelta(days=h) for h in range(1, horizon + 1)])
    for region, protocol_id, category, counted_from, n in rows:
        # counted_from: the last exposure, else the listing date (``periods.contact_counted_from``, in SQL)
        edition = editions.get(protocol_id)
        period = edition.management_period(category, counted_from) if edition and counted_from else None
        if period is None or period.centralised_until is None or period.centralised_until <= day:
            continue
        out.setdefault(city_code(region), np.zeros(horizon))[:] += n * (last_day <= period.centralised_until)
    return out


#: The loop states in which an inbound traveller has yet to leave centralised quarantine.
INBOUND_BEFORE_HOME = ("declared", "arrived", "in_transfer", "handed_over", "central_quarantine")


def inbound_in_rooms(cities: list[str], day: dt.date, horizon: int, *,
                     protocol: ProtocolVersion | None = None) -> dict[str, np.ndarray]:
    """Per city: the inbound travellers bound for it (the inbound module's manifests; centralised quarantine is
    at the destination) in centralised quarantine on each of the next ``horizon`` days — those already in as
    their own periods say, and those declared or on their way from their day of entry (arrival, else the
    manifest's arrival date) for the inbound centralised days of the edition in force that day (or of
    ``protocol``, the "what if"). Zeros without the inbound module."""
    from django.apps import apps

    out = {c: np.zeros(horizon) for c in cities}
    if not apps.is_installed("fangkong.inbound"):
        return out
    from django.db.models.functions import TruncDate

    from fangkong.inbound.models import Traveller

    rows = (Traveller.objects.filter(_in_cities("destination__code", cities), status__in=INBOUND_BEFORE_HOME)
            .order_by().annotate(entry=Coalesce(TruncDate("arrived_at"), "manifest__arrival_date"))
            .values_list("destination_id", "entry", "centralised_until").annotate(n=Count("id")))
    horizon_days = np.array([day + dt.timedelta(days=h) for h in range(1, horizon + 1)])
    editions: dict[dt.date, ProtocolVersion | None] = {}
    for region, entry, until, n in rows:
        if until is None:
            if entry not in editions:
                try:
                    editions[entry] = protocol or protocol_in_force(entry)
                except NoProtocolInForce:
                    editions[entry] = None
            edition = editions[entry]
            until = edition.management_period("inbound", entry).centralised_until if edition else None
        if until is None or until <= day:
            continue
        out.setdefault(city_code(region), np.zeros(horizon))[:] += n * ((horizon_days >= entry) & (horizon_days <= until))
    return out


def planned_demands(prefixes: list[str], first: dt.date, last: dt.date) -> list[tuple[str, modules.PlannedDemand]]:
    """The plans of the modules (``modules.demand_sources``) in the regions under ``prefixes`` with days between
    ``first`` and ``last``: ``(source code, demand)``."""
    if not prefixes:
        return []
    return [(code, demand) for code, source in modules.demand_sources().items()
            for demand in import_string(source.demands)(prefixes, first, last)]


def planned_by_city(cities: list[str], day: dt.date, horizon: int) -> dict[str, dict[str, np.ndarray]]:
    """Per city and resource: the units the modules' plans use on each of the next ``horizon`` days."""
    out: dict[str, dict[str, np.ndarray]] = {c: {} for c in cities}
    days = np.array([day + dt.timedelta(days=h) for h in range(1, horizon + 1)])
    for _code, demand in planned_demands([subtree_prefix(c) for c in cities], days[0], days[-1]):
        row = out.get(city_code(demand.region))
        if row is None:
            continue
        series = row.setdefault(demand.resource, np.zeros(horizon))
        series += demand.per_day * ((days >= demand.first) & (days <= demand.last))
    return out


def planned_table(*, user, day: dt.date, horizon: int = HORIZON_DAYS) -> list[dict]:
    """The modules' plans that use resources over the next ``horizon`` days in the regions where the user reads
    aggregates (a county's own rounds for its commander): each with its source's label, the region, the
    resource, its days within the horizon, the units a day and in all."""
    first, last = day + dt.timedelta(days=1), day + dt.timedelta(days=horizon)
    found = planned_demands(read_prefixes(user, Category.AGGREGATES), first, last)
    names = dict(Region.objects.filter(code__in={d.region for _c, d in found}).values_list("code", "name_zh"))
    sources = modules.demand_sources()
    rows = []
    for code, demand in sorted(found, key=lambda f: (f[1].first, f[1].region, f[1].label, f[1].resource)):
        since, until = max(first, demand.first), min(last, demand.last)
        days = (until - since).days + 1
        rows.append({"source": sources[code].label, "region": demand.region, "region_name": names.get(demand.region, ""),
                     "resource": demand.resource, "label": demand.label, "url": demand.url, "first": since,
                     "last": until, "days": days, "per_day": demand.per_day, "total": demand.per_day * days})
    return rows


def _series(cities: list[str], day: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """(days, cities) local and imported infections by report date, the last row ``day``."""
    first = day - dt.timedelta(days=HISTORY_DAYS - 1)
    local = np.zeros((HISTORY_DAYS, len(cities)))
    imported = np.zeros_like(local)
    index = {c: i for i, c in enumerate(cities)}
    rows = Case.objects.filter(_in_cities("report_region__code", cities), classification__in=COUNTED, report_date__gte=first, report_date__lte=day) \
        .order_by().values_list("report_region_id", "report_date", "imported").annotate(n=Count("id"))
    for region, date, is_imported, n in rows:
        i = index.get(city_code(region))
        if i is not None:
            (imported if is_imported else local)[(date - first).days, i] += n
    return local, imported


def capacities(cities: list[str], day: dt.date) -> dict[str, dict[str, float]]:
    """Per city: rooms in service and occupied, beds of the latest count by type, supplies on hand + in transit,
    and (where it records staff teams) the staff available on ``day``."""
    out = {c: {"rooms_in_service": 0.0, "rooms_occupied": 0.0, ISOLATION: 0.0, SEVERE: 0.0,
               "isolation_occupied": 0.0, "severe_occupied": 0.0,
               **{f"supply:{i}": 0.0 for i in Item.values}, **{f"transit:{i}": 0.0 for i in Item.values}}
           for c in cities}
    q = _in_cities("region__code", cities)
    teams = list(StaffTeam.objects.filter(q).values_list("pk", "region_id", "size"))
    rostered = dict(StaffRoster.objects.filter(team_id__in=[t[0] for t in teams], date=day)
                    .values_list("team_id", "available"))
    for pk, region, size in teams:  # the day's roster, else the whole team; a city without teams: no line
        row = out.get(city_code(region))
        if row is not None:
            row[STAFF] = row.get(STAFF, 0.0) + rostered.get(pk, size)
    for region, state, n in Room.objects.filter(q).order_by().values_list("region_id", "state").annotate(n=Count("id")):
        row = out.get(city_code(region))
        if row is None:
            continue
        if state != Room.State.OUT_OF_SERVICE:
            row["rooms_in_service"] += n
        if state == Room.State.OCCUPIED:
            row["rooms_occupied"] += n
    latest = BedCensus.objects.filter(q, date__lte=day).order_by().values("hospital_id", "bed_type") \
        .annotate(last=Max("date"))
    wanted = Q(pk__in=[])
    for row in latest:
        wanted |= Q(hospital_id=row["hospital_id"], bed_type=row["bed_type"], date=row["last"])
    for region, bed_type, beds, occupied in BedCensus.objects.filter(wanted).values_list(
            "region_id", "bed_type", "beds", "occupied"):
        row = out.get(city_code(region))
        if row is None:
            continue
        key = ISOLATION if bed_type == BedType.ORDINARY else SEVERE
        row[key] += beds
        row["isolation_occupied" if key == ISOLATION else "severe_occupied"] += occupied
    for region, item, n in Stock.objects.filter(q).order_by().values_list("region_id", "item").annotate(n=Sum("quantity")):
        if city_code(region) in out:
            out[city_code(region)][f"supply:{item}"] += n
    transit = Requisition.objects.filter(status=Requisition.Status.SHIPPED, requesting_region_id__in=cities) \
        .order_by().values_list("requesting_region_id", "item").annotate(n=Sum("quantity"))
    for region, item, n in transit:
        out[region][f"transit:{item}"] += n
    return out


def burn_rates(cities: list[str], day: dt.date) -> dict[str, dict[str, float]]:
    """Per city and item: the mean daily quantity issued from its stores over the ``BURN_DAYS`` to ``day``."""
    tz = timezone.get_current_timezone()
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz)
    start = end - dt.timedelta(days=BURN_DAYS)
    q = _in_cities("region__code", cities)
    out: dict[str, dict[str, float]] = {c: {} for c in cities}
    rows = StockMovement.objects.filter(q, kind=StockMovement.Kind.ISSUE, at__gte=start, at__lt=end).order_by() \
        .values_list("region_id", "item").annotate(n=Sum("change"))
    for region, item, n in rows:
        if city_code(region) in out:
            out[city_code(region)][item] = out[city_code(region)].get(item, 0.0) - n / BURN_DAYS
    return out


@dataclass(frozen=True)
class Line:
    """One city × resource of the forecast."""

    city: str
    city_name: str
    resource: str
    capacity: float
    in_use: float | None
    band: tuple[float, float, float] | None   # (10 %, 50 %, 90 %) of the peak daily demand (stocks: total use)
    daily: tuple[list[float], list[float], list[float]] | None  # the 80 % band and median per day
    probability: float | None                 # of a shortage within the horizon
    first_day: float | None                   # median first shortage day (1 = tomorrow), None: not on most paths
    first_date: dt.date | None
    above_90: float | None                    # probability occupancy > 90 % within WARNING_DAYS (occupancies)

    @property
    def warning(self) -> bool:
        return bool(self.first_day is not None and self.first_day <= WARNING_DAYS)


def forecast(cities: list[Region], day: dt.date, *, horizon: int = HORIZON_DAYS, protocol: ProtocolVersion | None = None,
             rt: float | None = None, n_paths: int = PATHS) -> list[Line]:
    """The forecast of every city × resource (see the module docstring)."""
    codes = [c.code for c in cities]
    if not codes:
        return []
    if protocol is None:
        try:
            protocol = protocol_in_force(day)
        except NoProtocolInForce:
            return []
    rules = protocol.as_quarantine_protocol()
    local, imported = _series(codes, day)
    caps = capacities(codes, day)
    est = epi_rt.estimate_r(local, imported=imported, mean_si=SERIAL_INTERVAL[0], std_si=SERIAL_INTERVAL[1])
    calibration = contact_calibration(codes, day)
    in_quarantine = quarantined_by_day(codes, day, horizon)
    inbound = inbound_in_rooms(codes, day, horizon, protocol=protocol)
    burns = burn_rates(codes, day)
    planned = planned_by_city(codes, day, horizon)
    lines: list[Line] = []
    for u, city in enumerate(cities):
        cap = caps[city.code]
        stocks = {f"supply:{i}": cap[f"supply:{i}"] + cap[f"transit:{i}"] for i in Item.values}
        capacity = {ROOMS: cap["rooms_in_service"], ISOLATION: cap[ISOLATION], SEVERE: cap[SEVERE], **stocks}
        if STAFF in cap:  # staff for the rooms, beds and people at home the projection needs (epi.projection)
            capacity[STAFF] = cap[STAFF]
        in_use = {ROOMS: cap["rooms_occupied"], ISOLATION: cap["isolation_occupied"], SEVERE: cap["severe_occupied"]}
        demand: dict[str, np.ndarray] = {}
        if local[-14:, u].sum() >= MIN_LOCAL_CASES:
            try:
                scenario = epi_projection.RtScenario("what if", rt=rt) if rt is not None else \
                    epi_projection.scenario_from_estimate(est, unit=u,
                                                          drift_sd=epi_projection.rt_drift_sd(est, unit=u))
            except ValueError:
                scenario = None
            if scenario is not None:
                paths = epi_projection.project_cases(
                    local[:, u], imported=imported[:, u], horizon=horizon, scenario=scenario,
                    mean_si=SERIAL_INTERVAL[0], std_si=SERIAL_INTERVAL[1], n_paths=n_paths,
                    seed=day.toordinal() + int(city.code))
                demand = dict(epi_projection.resource_demand(
                    paths, rules, _demand_parameters(*calibration[city.code]),
                    quarantined_by_day=in_quarantine[city.code] + inbound[city.code],  # both in rooms, as recorded
                    seed=day.toordinal() + int(city.code)).demand)
                demand.update({f"supply:{i}": demand["tests"] for i in PER_TEST})
        recorded = in_quarantine[city.code] + inbound[city.code]
        if ROOMS not in demand and recorded.any() and capacity[ROOMS]:
            # no projection, in a city that records its rooms: at least the rooms the records fill (a city that
            # records none is not said to run short of what it does not keep here)
            demand[ROOMS] = recorded[:, None]
        for resource, series in planned[city.code].items():  # the modules' plans: a round's kits and samplers
            demand[resource] = demand[resource] + series[:, None] if resource in demand else series[:, None]
        # supplies are used at least at the rate they were issued lately (screening, other uses the model omits)
        for item, rate in burns[city.code].items():
            key = f"supply:{item}"
            floor = np.full((horizon, 1), rate)
            demand[key] = np.maximum(demand[key], floor) if key in demand else floor
        lines.extend(_lines(city, day, demand, capacity, in_use))
    return lines


def _demand_parameters(per_case: np.ndarray, lead: int | None) -> epi_projection.DemandParameters:
    """The city's contacts per case, their dispersion and its exposure lead where it has enough cases; the
    library's defaults where it has not."""
    calibrated = per_case.size >= MIN_CALIBRATION_CASES and per_case.sum() > 0
    defaults = epi_projection.DemandParameters()
    return epi_projection.DemandParameters(
        close_contacts_per_case=float(per_case.mean()) if calibrated else defaults.close_contacts_per_case,
        close_contacts_dispersion=epi_projection.negative_binomial_k(per_case) if calibrated else None,
        exposure_to_report_days=lead,
        supplies_per_quarantine_day=PER_QUARANTINE_DAY, supplies_per_patient_day=PER_PATIENT_DAY)


def _lines(city: Region, day: dt.date, demand: dict[str, np.ndarray], capacity: dict, in_use: dict) -> list[Line]:
    """One line per resource of ``capacity``: a band and a shortage where ``demand`` has the resource."""
    present = {k: v for k, v in capacity.items() if k in demand}
    wrapped = epi_projection.ResourceDemand(protocol="", demand=demand)
    shortages = epi_projection.shortage_days(wrapped, present)
    occupancies = {k: v for k, v in present.items() if not k.startswith("supply:")}
    within = min(WARNING_DAYS, next(iter(demand.values())).shape[0]) if demand else WARNING_DAYS
    above = epi_projection.occupancy_above(wrapped, occupancies, within=within) if occupancies else {}
    out = []
    for resource, cap in capacity.items():
        if resource not in demand:
            out.append(Line(city.code, city.name_zh, resource, cap, in_use.get(resource), None, None, None, None,
                            None, None))
            continue
        series = demand[resource]
        used = np.cumsum(series, axis=0) if resource.startswith("supply:") else series
        low, mid, high = np.quantile(used, [(1 - BAND) / 2, 0.5, (1 + BAND) / 2], axis=1)
        peak = np.quantile(used.max(axis=0), [(1 - BAND) / 2, 0.5, (1 + BAND) / 2])
        short = shortages[resource]
        first = short.median_day if np.isfinite(short.median_day) else None
        out.append(Line(city.code, city.name_zh, resource, cap, in_use.get(resource),
                        tuple(round(float(v), 1) for v in peak),
                        ([round(float(v), 1) for v in low], [round(float(v), 1) for v in mid],
                         [round(float(v), 1) for v in high]),
                        round(short.probability, 3), first,
                        day + dt.timedelta(days=int(first)) if first is not None else None,
                        round(above[resource], 3) if resource in above else None))
    return out


def forecast_table(*, user, day: dt.date, protocol: ProtocolVersion | None = None, rt: float | None = None) -> list[Line]:
    """The forecast for the cities in the user's view (the page's table), kept in the cache until the data
    change (the data generation, which every write to the cases, contacts, rooms, beds and stock bumps): the
    21 cities' forecast costs 0.6–1 s, the page is read far more often than the data change."""
    cities = cities_in_view(user)
    key = (f"resources:forecast:{current_data_generation()}:{day.isoformat()}:{protocol.code if protocol else ''}:"
           f"{'' if rt is None else repr(rt)}:{','.join(c.code for c in cities)}")
    lines = cache.get(key)
    if lines is None:
        lines = forecast(cities, day, protocol=protocol, rt=rt)
        cache.set(key, lines, FORECAST_CACHE_SECONDS)
    return lines


def capacity_today(*, user, region: Region, day: dt.date) -> dict | None:
    """Rooms in service and ordinary (isolation) beds of the latest count on or before ``day`` recorded in
    ``region``'s subtree where the user reads aggregates — the dashboard outlook's capacity; None when none is
    recorded there."""
    from fangkong.accounts.need_to_know import readable
    from fangkong.regions.codes import subtree_prefix

    prefix = subtree_prefix(region.code)
    rooms = readable(user, Category.AGGREGATES, Room.objects.filter(region__code__startswith=prefix), "region__code") \
        .exclude(state=Room.State.OUT_OF_SERVICE).count()
    census = readable(user, Category.AGGREGATES, BedCensus.objects.filter(
        region__code__startswith=prefix, bed_type=BedType.ORDINARY, date__lte=day), "region__code")
    latest = census.order_by().values("hospital_id").annotate(last=Max("date"))
    wanted = Q(pk__in=[])
    for row in latest:
        wanted |= Q(hospital_id=row["hospital_id"], date=row["last"])
    beds = census.filter(wanted).aggregate(n=Sum("beds"))["n"] or 0
    if not rooms and not beds:
        return None
    return {ROOMS: float(rooms), ISOLATION: float(beds)}


def room_norms(*, user) -> list[dict]:
    """Rooms in service per 10,000 residents of each city in view, against the standard of 20."""
    cities = cities_in_view(user)
    caps = capacities([c.code for c in cities], timezone.localdate())
    rows = []
    for city in cities:
        rooms = caps[city.code]["rooms_in_service"]
        per = round(rooms / city.population * 10_000, 2) if city.population else None
        rows.append({"city": city, "rooms": int(rooms), "per_10k": per,
                     "needed": max(0, int(np.ceil(city.population / 10_000 * ROOMS_PER_10K_STANDARD) - rooms)),
                     "meets": per is not None and per >= ROOMS_PER_10K_STANDARD})
    return rows


def bed_summary(*, user) -> list[dict]:
    """Beds of the latest count per city in view and type: open and occupied."""
    cities = cities_in_view(user)
    caps = capacities([c.code for c in cities], timezone.localdate())
    return [{"city": c, "isolation": int(caps[c.code][ISOLATION]), "isolation_occupied": int(caps[c.code]["isolation_occupied"]),
             "severe": int(caps[c.code][SEVERE]), "severe_occupied": int(caps[c.code]["severe_occupied"])}
            for c in cities if caps[c.code][ISOLATION] or caps[c.code][SEVERE]]
