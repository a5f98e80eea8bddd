"""The epidemic: imported seeds, a branching process with negative-binomial offspring, and detection.

Generation by generation: each infection gets an asymptomatic flag and an incubation period, is
detected (or not) by the earliest of the routes open to it — a test when it is listed as a contact (or
enters the country), the quarantine tests, an onset test in quarantine, a fever-clinic visit, community
screening — and then draws ν ~ Gamma(k, R/k), n ~ Poisson(ν) offspring (so n is negative binomial with
mean R and variance R + R²/k), each infected one gamma-distributed generation interval later (for an
imported infection, later than its entry: its transmission abroad is not simulated). With
``isolation_stops_transmission`` an infectee infected after the infector's isolation (detection, or
entry into quarantine) is not infected. Offspring of detected cases are traced with probability
``tracing_probability``: listed, tested at listing, quarantined, tested on the quarantine days.
R is scaled by the susceptible share of the infector's leaf region (infections so far / residents),
a generation-level approximation of depletion that keeps attack rates below 100% at any scale.
All times are float days from ``start_date``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import DETECTION_ROUTES, ScenarioParams
from .places import Places
from .regions import RegionTree
from .streams import EPIDEMIC, component_rng
from .travellers import Travellers, quarantine_test_times

ROUTE = {name: code for code, name in enumerate(DETECTION_ROUTES)}


@dataclass(frozen=True)
class Infections:
    """Every infection of the scenario (the ground truth), in generation order; the index is its id.

    ``infector`` is the infecting infection's index (-1 for imported). Times are float days from
    ``start_date``: ``onset_time`` NaN for asymptomatic infections; ``listed_time``,
    ``quarantine_time``, ``detection_time``, ``isolation_time`` are inf when they never happen.
    ``route`` indexes :data:`~fangkong.epi.simulate.params.DETECTION_ROUTES` (-1: undetected);
    ``report_day`` is the whole day of the report (-1: not reported within the scenario). ``traced``
    says the infection was listed as a close contact of its (detected) infector. ``offspring_drawn``
    is the negative-binomial draw before isolation and the horizon cut it; ``offspring`` is realised.
    """

    infection_time: np.ndarray
    infector: np.ndarray
    generation: np.ndarray
    region: np.ndarray
    imported: np.ndarray
    traveller: np.ndarray
    asymptomatic: np.ndarray
    onset_time: np.ndarray
    listed_time: np.ndarray
    quarantine_time: np.ndarray
    detection_time: np.ndarray
    isolation_time: np.ndarray
    route: np.ndarray
    report_day: np.ndarray
    traced: np.ndarray
    offspring_drawn: np.ndarray
    offspring: np.ndarray
    truncated: bool = False

    @property
    def n(self) -> int:
        return len(self.infection_time)

    @property
    def reported(self) -> np.ndarray:
        return self.report_day >= 0


def reproduction_number_at(params: ScenarioParams, day_from_epidemic_start: np.ndarray) -> np.ndarray:
    """R(t) of the piecewise-constant schedule (the first step also covers earlier days)."""
    days = np.array([step[0] for step in params.reproduction_number], dtype=np.float64)
    values = np.array([step[1] for step in params.reproduction_number], dtype=np.float64)
    position = np.searchsorted(days, day_from_epidemic_start, side="right") - 1
    return values[np.clip(position, 0, len(values) - 1)]


def gamma_shape_scale(mean: float, sd: float) -> tuple[float, float]:
    return (mean / sd) ** 2, sd**2 / mean


def lognormal_mu_sigma(mean: float, sd: float) -> tuple[float, float]:
    sigma2 = np.log1p((sd / mean) ** 2)
    return float(np.log(mean) - sigma2 / 2), float(np.sqrt(sigma2))


class _Earliest:
    """Keeps the earliest candidate detection time and its route."""

    def __init__(self, n: int) -> None:
        self.time = np.full(n, np.inf)
        self.route = np.full(n, -1, dtype=np.int8)

    def consider(self, time: np.ndarray, ok: np.ndarray, route: int) -> None:
        better = ok & (time < self.time)
        self.time[better] = time[better]
        self.route[better] = route


def detect(
    rng: np.random.Generator,
    params: ScenarioParams,
    infection_time: np.ndarray,
    onset_time: np.ndarray,
    listed_time: np.ndarray,
    listed_route: np.ndarray,
    quarantine_time: np.ndarray,
    quarantine_days: int,
    test_days: tuple[int, ...],
) -> tuple[np.ndarray, np.ndarray]:
    """Detection time (inf: never) and route code of each infection, the earliest of all routes."""
    n = len(infection_time)
    sensitivity = params.test_sensitivity
    window_from = infection_time + params.pcr_positive_from
    window_to = infection_time + params.pcr_positive_until

    def positive(time: np.ndarray) -> np.ndarray:
        return np.isfinite(time) & (time >= window_from) & (time <= window_to) & (rng.random(n) < sensitivity)

    def in_quarantine(time: np.ndarray) -> np.ndarray:
        return (time >= quarantine_time) & (time < quarantine_time + quarantine_days)

    earliest = _Earliest(n)
    listed_positive = positive(listed_time)
    better = listed_positive & (listed_time < earliest.time)
    earliest.time[better] = listed_time[better]
    earliest.route[better] = listed_route[better]
    tests = quarantine_test_times(quarantine_time, tuple(d for d in test_days if d <= quarantine_days))
    for column in range(tests.shape[1]):
        earliest.consider(tests[:, column], positive(tests[:, column]), ROUTE["during_quarantine"])
    symptomatic = np.isfinite(onset_time)
    earliest.consider(onset_time, symptomatic & in_quarantine(onset_time) & positive(onset_time),
                      ROUTE["during_quarantine"])
    visit = onset_time + rng.exponential(max(params.care_seeking_delay_mean, 1e-9), n)
    seeks = rng.random(n) < params.care_seeking_probability
    earliest.consider(visit, symptomatic & seeks & ~in_quarantine(visit) & positive(visit), ROUTE["fever_clinic"])
    daily = params.screening_daily_probability * sensitivity
    if daily > 0:
        wait = rng.geometric(daily, n).astype(np.float64)
        screened = np.floor(window_from) + wait - 1 + 0.6
        screened = np.maximum(screened, window_from)
        ok = (screened <= window_to) & ~in_quarantine(screened)
        earliest.consider(screened, ok, ROUTE["screening"])
    return earliest.time, earliest.route


class _RegionMixer:
    """Draws the leaf region of infectees: same leaf, same prefecture, or province-wide, by population."""

    def __init__(self, params: ScenarioParams, tree: RegionTree) -> None:
        self.params = params
        leaves = tree.leaves
        prefecture = tree.prefecture_of()[leaves]
        order = np.lexsort((leaves, prefecture))
        self.leaves = leaves[order]
        self.leaf_prefecture = prefecture[order]
        weights = tree.population[self.leaves].astype(np.float64) + 1e-9
        self.cumulative = np.cumsum(weights)
        self.total = self.cumulative[-1]
        self.prefecture_of_region = tree.prefecture_of()
        n = tree.n
        self.low = np.zeros(n)
        self.span = np.zeros(n)
        for p in np.unique(self.leaf_prefecture):
            rows = np.flatnonzero(self.leaf_prefecture == p)
            before = self.cumulative[rows[0] - 1] if rows[0] > 0 else 0.0
            self.low[p] = before
            self.span[p] = self.cumulative[rows[-1]] - before

    def draw(self, rng: np.random.Generator, parent_region: np.ndarray) -> np.ndarray:
        n = len(parent_region)
        u = rng.random(n)
        pick = rng.random(n)
        prefecture = self.prefecture_of_region[parent_region]
        within_prefecture = self.low[prefecture] + pick * self.span[prefecture]
        province = pick * self.total
        p_leaf = self.params.within_leaf_probability
        p_pref = p_leaf + self.params.within_prefecture_probability
        target = np.where(u < p_pref, within_prefecture, province)
        drawn = self.leaves[np.minimum(np.searchsorted(self.cumulative, target, side="right"), len(self.leaves) - 1)]
        return np.where(u < p_leaf, parent_region, drawn).astype(np.int32)


def _region_multiplier(params: ScenarioParams, tree: RegionTree) -> np.ndarray:
    factor = np.ones(tree.n)
    for code, value in params.region_r_multiplier:
        factor[tree.subtree_mask(tree.index_of(code))] *= value
    return factor


def simulate_epidemic(
    params: ScenarioParams, tree: RegionTree, places: Places, travellers: Travellers
) -> Infections:
    """Run the branching process from the infected travellers; return every infection."""
    rng = component_rng(params.seed, EPIDEMIC)
    end = float(params.total_days)
    mixer = _RegionMixer(params, tree)
    multiplier = _region_multiplier(params, tree)
    gi_shape, gi_scale = gamma_shape_scale(params.generation_interval_mean, params.generation_interval_sd)
    inc_mu, inc_sigma = lognormal_mu_sigma(params.incubation_mean, params.incubation_sd)
    k = params.dispersion_k

    imported = np.flatnonzero(travellers.infected)
    closed_loop = ~travellers.seed[imported] & ~travellers.in_community[imported]
    site = travellers.quarantine_site[imported]
    site_region = np.where(site >= 0, places.region[np.maximum(site, 0)], travellers.destination[imported])
    current = {
        "infection_time": travellers.infection_time[imported],
        "infector": np.full(len(imported), -1, np.int64),
        "region": np.where(closed_loop, site_region, travellers.destination[imported]).astype(np.int32),
        "imported": np.ones(len(imported), bool),
        "traveller": imported.astype(np.int64),
        "listed_time": np.where(travellers.seed[imported], np.inf, travellers.entry_time[imported]),
        "listed_route": np.full(len(imported), ROUTE["inbound_screening"], np.int8),
        "quarantine_time": travellers.quarantine_time[imported],
        "isolated_from": np.where(closed_loop, travellers.entry_time[imported], np.inf),
        "transmits_from": travellers.entry_time[imported],
        "traced": np.zeros(len(imported), bool),
        "quarantine_days": params.traveller_quarantine_days,
    }
    population = np.maximum(tree.population.astype(np.float64), 1.0)
    infected_in_region = np.zeros(tree.n)
    generations: list[dict[str, np.ndarray]] = []
    total = 0
    truncated = False
    generation = 0
    while len(current["infection_time"]):
        n = len(current["infection_time"])
        t0 = current["infection_time"]
        asymptomatic = rng.random(n) < params.asymptomatic_fraction
        incubation = rng.lognormal(inc_mu, inc_sigma, n)
        onset = np.where(asymptomatic, np.nan, t0 + incubation)
        detection, route = detect(
            rng, params, t0, onset, current["listed_time"], current["listed_route"],
            current["quarantine_time"], current["quarantine_days"], params.close_test_days,
        )
        report_delay = rng.poisson(params.report_delay_mean, n)
        report_day = np.where(np.isfinite(detection), np.floor(np.minimum(detection, 1e9)) + report_delay, -1)
        report_day = np.where(report_day < end, report_day, -1).astype(np.int32)
        if params.isolation_stops_transmission:
            isolation = np.minimum(np.minimum(detection, current["quarantine_time"]), current["isolated_from"])
        else:
            isolation = np.full(n, np.inf)
        np.add.at(infected_in_region, current["region"], 1.0)
        susceptible = np.clip(1.0 - infected_in_region / population, 0.0, 1.0)
        region = current["region"]
        r = reproduction_number_at(params, t0 - params.epidemic_start) * multiplier[region] * susceptible[region]
        nu = rng.gamma(k, np.where(r > 0, r / k, 0.0)) if k > 0 else r
        drawn = rng.poisson(nu).astype(np.int64)
        parent = np.repeat(np.arange(n), drawn)
        # An imported infection's transmission abroad is not simulated: its generation intervals count
        # from its entry, so that no local infection precedes the arrival of its infector.
        clock = np.maximum(t0, current["transmits_from"])
        child_time = clock[parent] + rng.gamma(gi_shape, gi_scale, len(parent))
        keep = (child_time < isolation[parent]) & (child_time < end)
        parent, child_time = parent[keep], child_time[keep]
        if total + n + len(parent) > params.max_infections:
            room = max(params.max_infections - total - n, 0)
            order = np.argsort(child_time, kind="stable")[:room]
            order.sort()
            parent, child_time = parent[order], child_time[order]
            truncated = True
        offspring = np.bincount(parent, minlength=n).astype(np.int32)
        done = dict(current)
        done.update(
            generation=np.full(n, generation, np.int32), asymptomatic=asymptomatic, onset_time=onset,
            detection_time=detection, route=route, report_day=report_day, isolation_time=isolation,
            offspring_drawn=drawn.astype(np.int32), offspring=offspring,
        )
        generations.append(done)
        m = len(parent)
        parent_report = report_day[parent]
        traced = (parent_report >= 0) & (rng.random(m) < params.tracing_probability)
        listed = parent_report + rng.poisson(params.tracing_delay_mean, m) + 0.5
        traced &= listed > child_time
        quarantine = listed + rng.poisson(params.quarantine_entry_delay_mean, m) + 0.25
        current = {
            "infection_time": child_time,
            "infector": (total + parent).astype(np.int64),
            "region": mixer.draw(rng, current["region"][parent]),
            "imported": np.zeros(m, bool),
            "traveller": np.full(m, -1, np.int64),
            "listed_time": np.where(traced, listed, np.inf),
            "listed_route": np.full(m, ROUTE["contact_tracing"], np.int8),
            "quarantine_time": np.where(traced, quarantine, np.inf),
            "isolated_from": np.full(m, np.inf),
            "transmits_from": np.full(m, -np.inf),
            "traced": traced,
            "quarantine_days": params.close_quarantine_days,
        }
        total += n
        generation += 1
    fields = [name for name in Infections.__dataclass_fields__ if name != "truncated"]
    if not generations:
        empty = {name: np.zeros(0) for name in fields}
        return Infections(**_typed(empty), truncated=False)
    merged = {name: np.concatenate([g[name] for g in generations]) for name in fields}
    return Infections(**_typed(merged), truncated=truncated)


_DTYPES = {
    "infector": np.int64, "generation": np.int32, "region": np.int32, "imported": bool,
    "traveller": np.int64, "asymptomatic": bool, "route": np.int8, "report_day": np.int32,
    "traced": bool, "offspring_drawn": np.int32, "offspring": np.int32,
}


def _typed(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: np.asarray(v, dtype=_DTYPES.get(name, np.float64)) for name, v in columns.items()}


def symptomatic_onsets_by_region(
    params: ScenarioParams, tree: RegionTree, infections: Infections
) -> np.ndarray:
    """Onsets (regions × days) of symptomatic infections that were not in quarantine at onset."""
    onset = infections.onset_time
    free = np.isfinite(onset) & ~(onset >= infections.quarantine_time) & (onset < params.total_days) & (onset >= 0)
    free &= ~((infections.isolation_time <= onset) & infections.imported)
    day = np.floor(onset[free]).astype(np.int64)
    counts = np.zeros((tree.n, params.total_days), dtype=np.float64)
    np.add.at(counts, (infections.region[free], day), 1.0)
    return counts


__all__ = [
    "Infections",
    "ROUTE",
    "detect",
    "quarantine_test_times",
    "reproduction_number_at",
    "simulate_epidemic",
    "symptomatic_onsets_by_region",
]
