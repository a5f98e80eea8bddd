"""Renewal-equation projection of cases under Rt scenarios, and the resources the projection will need.

Projection. New local cases follow the renewal equation of Cori et al. (2013), the model `fangkong.epi.rt`
estimates: I_t ~ Poisson(R_t * Lambda_t), Lambda_t = sum_s w_s (I_{t-s} + imported_{t-s}), with w the
serial-interval distribution. Imported cases (a given future stream) add to the infectivity but are not
offspring of the local epidemic. A scenario fixes R_t over the horizon ("tightened to 0.8", "relaxed to
1.3", a ramp), or draws it per sample path from the Gamma posterior of the latest Rt window
(`scenario_from_estimate`: the current estimate with its uncertainty), optionally drifting from day to day
as a random walk on log Rt whose step the history itself gives (`rt_drift_sd`: how far the estimate moved
over the last weeks) — without it the band holds the uncertainty of today's Rt but not its change, and the
80 % band of quarantine rooms covered about half of the simulator's days (below). Sample paths are seeded; bands are
quantiles across paths. Reported cases are projected cases (plus imported ones, if they are reported
locally) convolved with an optional reporting-delay distribution.

Demand. `resource_demand` turns daily reported cases (history + each projected path) into daily demand:
quarantine rooms for close contacts and contacts of close contacts (per case, for the centralised days of
the protocol in force), home monitoring, isolation beds, severe-care beds, tests on the protocol's test
days, staff by ratio and supplies per person-day. `shortage_days` gives, per resource, the first day the
demand exceeds capacity (stocks: cumulative use exceeds the stock) on each path, summarised as a
probability of running out within the horizon and quantiles of the day. Contacts per case vary from case to
case (`DemandParameters.close_contacts_dispersion`, drawn per path) and the people already in quarantine can
be given as they are recorded (`resource_demand(quarantined_by_day=...)`) instead of being modelled from the
history's cases.

Backtest (`tests/test_projection.py::test_quarantine_rooms_band_covers_the_simulators_occupancy`): on the
province simulator's ground truth (`fangkong.epi.simulate`), 14 days ahead of a cut, the 80 % band of
rooms with the three together covered 81.2 % of days (100 seeds, R = 1.1) and 82.3 % (R = 0.9); with none
of them, 45.7 %. Growing fast (R = 1.3) it covers 63.8 %, running high in the first week: one median tracing
delay puts all the contacts of a day's cases in on the same day.

Protocol parameters are plain dataclasses (`QuarantineProtocol`); `PROTOCOL_8TH_EDITION`,
`PROTOCOL_9TH_EDITION` and `PROTOCOL_20_MEASURES_NOV_2022` follow DESIGN.md §8. The Django `protocols`
app maps its rows onto the same dataclass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .rt import RtEstimate, discretised_gamma_serial_interval, validated_si_distr

__all__ = [
    "PROTOCOLS",
    "PROTOCOL_8TH_EDITION",
    "PROTOCOL_9TH_EDITION",
    "PROTOCOL_20_MEASURES_NOV_2022",
    "DemandParameters",
    "Projection",
    "QuarantineProtocol",
    "ResourceDemand",
    "RtScenario",
    "Shortage",
    "occupancy_above",
    "project_cases",
    "resource_demand",
    "negative_binomial_k",
    "rt_drift_sd",
    "scenario_from_estimate",
    "shortage_days",
]

_NO_R = "none (the platform's resource model)"
#: What each public name corresponds to in R (the API reference shows it).
R_EQUIVALENTS = {
    "project_cases": "the model of `projections::project(x, R, si, n_sim, n_days, model = \"poisson\")` (RECON) — "
                     "the renewal equation EpiEstim estimates; checked against its own expectation, not against R",
    "Projection": "the `projections` object `projections::project` returns (days × simulations)",
    "RtScenario": "the `R` argument of `projections::project` (a value, values per time window, or draws)",
    "scenario_from_estimate": "drawing `R` from the last window of `EpiEstim::estimate_R` (`sample_posterior_R`)",
    "rt_drift_sd": _NO_R,
    "negative_binomial_k": "the moments estimate of `size` that `MASS::fitdistr(x, \"negative binomial\")` starts "
                           "from (it takes 100 where the variance is not above the mean; 1,000 here)",
    "occupancy_above": _NO_R,
    "PROTOCOLS": _NO_R,
    "PROTOCOL_8TH_EDITION": _NO_R,
    "PROTOCOL_9TH_EDITION": _NO_R,
    "PROTOCOL_20_MEASURES_NOV_2022": _NO_R,
    "DemandParameters": _NO_R,
    "QuarantineProtocol": _NO_R,
    "ResourceDemand": _NO_R,
    "Shortage": _NO_R,
    "resource_demand": _NO_R,
    "shortage_days": _NO_R,
}

# --- scenarios and projection ---------------------------------------------------------------------------


#: The largest drift a scenario accepts (log Rt per day; 0.2 a day is a factor of 3 in a month at one sd),
#: and the largest `rt_drift_sd` reads from a history by default.
MAX_DRIFT_SD = 0.2
DRIFT_SD_CAP = 0.1


@dataclass(frozen=True)
class RtScenario:
    """Rt over the horizon: fixed values (`rt`: scalar or one per day) or, per sample path, a draw from
    a Gamma(`gamma_shape`, `gamma_scale`), held for the whole horizon or, with `drift_sd` > 0, drifting as a
    random walk on log Rt with that standard deviation per day (a drawn Rt only: fixed values stay fixed)."""

    name: str
    rt: float | Sequence[float] | None = None
    gamma_shape: float | None = None
    gamma_scale: float | None = None
    drift_sd: float = 0.0

    def __post_init__(self):
        if not (np.isfinite(self.drift_sd) and 0 <= self.drift_sd <= MAX_DRIFT_SD):
            raise ValueError(f"scenario {self.name!r}: drift_sd must be between 0 and {MAX_DRIFT_SD} (log Rt per day)")

    def draw(self, rng: np.random.Generator, horizon: int, n_paths: int) -> np.ndarray:
        """(horizon, n_paths) values of Rt."""
        if self.rt is not None:
            values = np.asarray(self.rt, dtype=float)
            if values.ndim == 0:
                values = np.full(horizon, float(values))
            if values.shape != (horizon,):
                raise ValueError(f"scenario {self.name!r}: rt must be a scalar or have {horizon} values")
            if np.any(~np.isfinite(values)) or np.any(values < 0):
                raise ValueError(f"scenario {self.name!r}: rt must be finite and >= 0")
            return np.repeat(values[:, None], n_paths, axis=1)
        if self.gamma_shape is None or self.gamma_scale is None:
            raise ValueError(f"scenario {self.name!r}: give rt, or gamma_shape and gamma_scale")
        if not (self.gamma_shape > 0 and self.gamma_scale > 0):
            raise ValueError(f"scenario {self.name!r}: gamma_shape and gamma_scale must be > 0")
        start = rng.gamma(self.gamma_shape, self.gamma_scale, n_paths)[None, :]
        if not self.drift_sd:
            return np.repeat(start, horizon, axis=0)
        return start * np.exp(np.cumsum(rng.normal(0.0, self.drift_sd, (horizon, n_paths)), axis=0))


def scenario_from_estimate(estimate: RtEstimate, *, unit: int | None = None, name: str = "current estimate",
                           drift_sd: float = 0.0) -> RtScenario:
    """The Gamma posterior of the last window of an `estimate_r` result (for one unit) as a scenario, drifting
    by `drift_sd` a day (`rt_drift_sd` of the same estimate: the history's own drift)."""
    shape, scale = estimate.shape[-1], estimate.scale[-1]
    if np.ndim(shape) == 1:
        if unit is None:
            raise ValueError("the estimate covers several units: say which one (unit=...)")
        shape, scale = shape[unit], scale[unit]
    if not np.isfinite(shape):
        raise ValueError("the last window has no estimate (it ends before the mean serial interval)")
    return RtScenario(name=name, gamma_shape=float(shape), gamma_scale=float(scale), drift_sd=drift_sd)


def negative_binomial_k(counts) -> float | None:
    """The dispersion k of a negative binomial fitted to `counts` by moments (k = mean² / (variance − mean)):
    for `DemandParameters.close_contacts_dispersion` from the contacts listed per case. None when there are
    fewer than two counts or nothing counted; 1,000 (as good as Poisson) when the variance is not above the mean."""
    values = np.asarray(counts, dtype=float)
    if values.ndim != 1 or np.any(~np.isfinite(values)) or np.any(values < 0):
        raise ValueError("counts must be a one-dimensional series of numbers >= 0")
    if values.size < 2 or values.mean() == 0:
        return None
    mean, variance = values.mean(), values.var(ddof=1)
    return float(min(1000.0, mean**2 / (variance - mean))) if variance > mean else 1000.0


def rt_drift_sd(estimate: RtEstimate, *, unit: int | None = None, lag: int = 7, span: int = 28,
                cap: float = DRIFT_SD_CAP) -> float:
    """How far log Rt moved per day over the last `span` windows of `estimate`: the root mean square of the
    change of the posterior mean's log over `lag` days, divided by the square root of `lag` (the step of a
    random walk that moves that far in `lag` days). 0 when fewer than two changes can be measured; at most
    `cap`: a wave that turns (Rt from 3 to 1 in a week, 0.4 a day by this measure) is a change of regime, not a
    drift to carry four weeks ahead — on the simulator's stable epidemics it is 0.03–0.05."""
    if lag < 1 or span <= lag:
        raise ValueError("lag must be >= 1 and span greater than lag")
    mean = estimate.mean
    if mean.ndim == 2:
        if unit is None:
            raise ValueError("the estimate covers several units: say which one (unit=...)")
        mean = mean[:, unit]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mean = np.log(mean[-span:])
    change = log_mean[lag:] - log_mean[:-lag]
    change = change[np.isfinite(change)]
    if change.size < 2:
        return 0.0
    return float(min(cap, np.sqrt(np.mean(change**2) / lag)))


@dataclass(frozen=True)
class Projection:
    """Sample paths (horizon, path) of projected local cases (`cases`, by the date of the incidence used
    for Rt) and reported cases (`reported`, after the reporting delay, imported included if asked);
    `rt` holds the Rt used on each path. Day 1 is the day after the last observed day."""

    scenario: str
    cases: np.ndarray
    reported: np.ndarray
    rt: np.ndarray
    history_reported: np.ndarray

    @property
    def horizon(self) -> int:
        return self.cases.shape[0]

    def quantile(self, q: float | Sequence[float], *, of: str = "cases") -> np.ndarray:
        """Quantile(s) across paths of `of` ("cases" or "reported"): (horizon,) or (level, horizon)."""
        paths = self._series(of)
        levels = np.asarray(q, dtype=float)
        if np.any((levels <= 0) | (levels >= 1)):
            raise ValueError(f"quantile levels must be in (0, 1), got {q}")
        return np.quantile(paths, levels, axis=1)

    def band(self, coverage: float, *, of: str = "cases") -> tuple[np.ndarray, np.ndarray]:
        """Central band holding `coverage` of the paths, e.g. 0.8 -> (10%, 90%) quantiles."""
        if not 0 < coverage < 1:
            raise ValueError(f"coverage must be in (0, 1), got {coverage}")
        low, high = self.quantile([(1 - coverage) / 2, (1 + coverage) / 2], of=of)
        return low, high

    def _series(self, of: str) -> np.ndarray:
        if of == "cases":
            return self.cases
        if of == "reported":
            return self.reported
        raise ValueError(f"of must be 'cases' or 'reported', got {of!r}")


def _nonnegative_series(values, name: str, length: int | None = None) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim == 0 and length is not None:
        arr = np.full(length, float(arr))
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D daily series")
    if length is not None and arr.size != length:
        raise ValueError(f"{name} must have {length} values, got {arr.size}")
    if np.any(~np.isfinite(arr)):
        raise ValueError(f"{name} contains missing or infinite values")
    if np.any(arr < 0):
        raise ValueError(f"{name} contains negative counts")
    return arr


def _serial_interval(si_distr, mean_si, std_si, length: int) -> np.ndarray:
    if si_distr is not None:
        if mean_si is not None or std_si is not None:
            raise ValueError("give either si_distr or (mean_si, std_si), not both")
        si = validated_si_distr(si_distr)
    elif mean_si is not None and std_si is not None:
        si = discretised_gamma_serial_interval(np.arange(length), mean_si, std_si)
    else:
        raise ValueError("a serial interval is required: si_distr, or mean_si and std_si")
    out = np.zeros(length)
    out[: min(length, si.size)] = si[:length]
    return out


def project_cases(
    local,
    *,
    horizon: int,
    scenario: RtScenario,
    imported=None,
    future_imported=0.0,
    si_distr=None,
    mean_si: float | None = None,
    std_si: float | None = None,
    n_paths: int = 1000,
    seed: int | np.random.Generator | None = None,
    report_delay_distr=None,
    imported_reported_locally: bool = False,
) -> Projection:
    """Project daily local cases `horizon` days ahead under `scenario` with the renewal equation.

    `local` / `imported` are the observed daily series (same length); `future_imported` is the expected
    imported stream over the horizon (scalar or (horizon,)), drawn as Poisson per path. Serial interval as
    in `estimate_r`. `report_delay_distr[d]` = P(reported d days after the case date), default same day.

    Returns a `Projection` whose `cases`, `reported` and `rt` are (horizon, n_paths).
    """
    history_local = _nonnegative_series(local, "local")
    n_hist = history_local.size
    if n_hist < 1:
        raise ValueError("local must contain at least one day")
    history_imported = (
        np.zeros(n_hist) if imported is None else _nonnegative_series(imported, "imported", n_hist)
    )
    if not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ValueError(f"horizon must be a positive whole number of days, got {horizon}")
    if not isinstance(n_paths, int | np.integer) or n_paths < 1:
        raise ValueError(f"n_paths must be a positive integer, got {n_paths}")
    future_mean = _nonnegative_series(future_imported, "future_imported", horizon)
    total_days = n_hist + horizon
    si = _serial_interval(si_distr, mean_si, std_si, total_days + 1)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)

    rt = scenario.draw(rng, horizon, n_paths)
    future_imported_paths = rng.poisson(np.repeat(future_mean[:, None], n_paths, axis=1)).astype(float)
    # Infectors on day s, for s over history and horizon: (total_days, n_paths).
    infectors = np.zeros((total_days, n_paths))
    infectors[:n_hist] = (history_local + history_imported)[:, None]
    cases = np.zeros((horizon, n_paths))
    reversed_si = si[1 : total_days + 1]
    for h in range(horizon):
        t = n_hist + h
        # Lambda_t = sum_{s=1..t} w_s * infectors_{t-s}
        lam = reversed_si[:t] @ infectors[t - 1 :: -1][:t]
        cases[h] = rng.poisson(rt[h] * lam)
        infectors[t] = cases[h] + future_imported_paths[h]

    reported_source = np.concatenate([np.repeat(history_local[:, None], n_paths, axis=1), cases])
    if imported_reported_locally:
        reported_source = reported_source + np.concatenate(
            [np.repeat(history_imported[:, None], n_paths, axis=1), future_imported_paths]
        )
    if report_delay_distr is None:
        reported_all = reported_source
    else:
        delay = np.asarray(report_delay_distr, dtype=float)
        if delay.ndim != 1 or delay.size == 0 or np.any(delay < 0) or abs(delay.sum() - 1) > 1e-6:
            raise ValueError("report_delay_distr must be non-negative probabilities summing to one")
        reported_all = np.zeros_like(reported_source)
        for d, p in enumerate(delay[:total_days]):
            reported_all[d:] += p * reported_source[: total_days - d]
    return Projection(
        scenario=scenario.name, cases=cases, reported=reported_all[n_hist:], rt=rt,
        history_reported=reported_all[:n_hist, 0].copy(),
    )


# --- protocols and demand -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuarantineProtocol:
    """What a protocol edition prescribes for contacts and travellers (DESIGN.md §8).

    Test days are 1-based days of the period they belong to (centralised, or home after it).
    """

    name: str
    close_contact_centralised_days: int
    close_contact_home_days: int
    close_contact_test_days: tuple[int, ...]
    close_contact_home_test_days: tuple[int, ...]
    secondary_contacts_traced: bool
    secondary_contact_days: int
    secondary_contact_centralised: bool
    secondary_contact_test_days: tuple[int, ...]
    inbound_centralised_days: int
    inbound_home_days: int

    def __post_init__(self):
        for name in ("close_contact_centralised_days", "close_contact_home_days", "secondary_contact_days",
                     "inbound_centralised_days", "inbound_home_days"):
            if getattr(self, name) < 0:
                raise ValueError(f"{self.name}: {name} must be >= 0")
        for days_name, test_name in (
            ("close_contact_centralised_days", "close_contact_test_days"),
            ("close_contact_home_days", "close_contact_home_test_days"),
            ("secondary_contact_days", "secondary_contact_test_days"),
        ):
            days = getattr(self, days_name)
            if any(d < 1 or d > max(days, 1) for d in getattr(self, test_name)):
                raise ValueError(f"{self.name}: {test_name} must lie within 1..{days_name}")


PROTOCOL_8TH_EDITION = QuarantineProtocol(
    name="8th edition (May 2021)",
    close_contact_centralised_days=14, close_contact_home_days=7,
    close_contact_test_days=(1, 4, 7, 14), close_contact_home_test_days=(2, 7),
    secondary_contacts_traced=True, secondary_contact_days=7, secondary_contact_centralised=True,
    secondary_contact_test_days=(1, 4, 7),
    inbound_centralised_days=14, inbound_home_days=7,
)
PROTOCOL_9TH_EDITION = QuarantineProtocol(
    name="9th edition (June 2022)",
    close_contact_centralised_days=7, close_contact_home_days=3,
    close_contact_test_days=(1, 2, 3, 5, 7), close_contact_home_test_days=(3,),
    secondary_contacts_traced=True, secondary_contact_days=7, secondary_contact_centralised=False,
    secondary_contact_test_days=(1, 4, 7),
    inbound_centralised_days=7, inbound_home_days=3,
)
PROTOCOL_20_MEASURES_NOV_2022 = QuarantineProtocol(
    name="20 measures (Nov 2022)",
    close_contact_centralised_days=5, close_contact_home_days=3,
    close_contact_test_days=(1, 2, 3, 5), close_contact_home_test_days=(1, 3),
    secondary_contacts_traced=False, secondary_contact_days=0, secondary_contact_centralised=False,
    secondary_contact_test_days=(),
    inbound_centralised_days=5, inbound_home_days=3,
)
PROTOCOLS = {
    "8th": PROTOCOL_8TH_EDITION,
    "9th": PROTOCOL_9TH_EDITION,
    "nov-2022": PROTOCOL_20_MEASURES_NOV_2022,
}


@dataclass(frozen=True)
class DemandParameters:
    """Local ratios (age-independent), all per reported case unless stated.

    - `close_contacts_per_case`, `secondary_contacts_per_close_contact`: people traced.
    - `close_contacts_dispersion`: None (the default) puts exactly `close_contacts_per_case` close contacts on
      every case; a number k draws each day's close contacts per path as the sum of the cases' negative-binomial
      counts (mean per case as above, dispersion k per case: Gamma-Poisson with shape k × cases); secondary
      contacts follow their close contacts. Needs `resource_demand(seed=...)` for reproducible paths.
    - `tracing_delay_days`: days from a case's report to its contacts entering quarantine.
    - `exposure_to_report_days`: the protocols count a contact's management from the last exposure, which
      comes before the source case's report: with this many days between them, a contact is managed from
      day 1 after that exposure and leaves when the protocol's days since it are over (tests due before the
      contact is found are not counted). None (the default) counts the period from entering quarantine.
    - `people_per_room`: quarantine is one person per room unless set (families).
    - `isolation_fraction`, `isolation_days`: share of cases isolated in designated facilities, for how long.
    - `severe_fraction`, `severe_delay_days`, `severe_days`: share needing severe care, from how many days
      after report, for how long.
    - `tests_per_case`: confirmatory/clearance tests per case (on the report day).
    - `staff_per_quarantine_room`, `staff_per_isolation_bed`, `staff_per_severe_bed`,
      `staff_per_home_monitored`: staff needed per unit in use.
    - `supplies_per_quarantine_day`, `supplies_per_patient_day`: consumption of each supply per person-day
      in centralised quarantine / in isolation or severe care, e.g. {"masks": 2, "ppe_sets": 0.1}.
    """

    close_contacts_per_case: float = 10.0
    secondary_contacts_per_close_contact: float = 3.0
    close_contacts_dispersion: float | None = None
    tracing_delay_days: int = 1
    exposure_to_report_days: int | None = None
    people_per_room: float = 1.0
    isolation_fraction: float = 1.0
    isolation_days: int = 14
    severe_fraction: float = 0.02
    severe_delay_days: int = 5
    severe_days: int = 10
    tests_per_case: float = 2.0
    staff_per_quarantine_room: float = 1 / 20
    staff_per_isolation_bed: float = 1 / 5
    staff_per_severe_bed: float = 1.5
    staff_per_home_monitored: float = 1 / 50
    supplies_per_quarantine_day: Mapping[str, float] = field(default_factory=dict)
    supplies_per_patient_day: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self):
        for name in ("close_contacts_per_case", "secondary_contacts_per_close_contact", "isolation_fraction",
                     "severe_fraction", "tests_per_case", "staff_per_quarantine_room", "staff_per_isolation_bed",
                     "staff_per_severe_bed", "staff_per_home_monitored", "tracing_delay_days", "isolation_days",
                     "severe_delay_days", "severe_days"):
            if not np.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                raise ValueError(f"{name} must be a finite number >= 0")
        if self.close_contacts_dispersion is not None and not (np.isfinite(self.close_contacts_dispersion)
                                                               and self.close_contacts_dispersion > 0):
            raise ValueError("close_contacts_dispersion must be a finite number > 0 (or None)")
        if self.exposure_to_report_days is not None and not 0 <= self.exposure_to_report_days < 10_000:
            raise ValueError("exposure_to_report_days must be a whole number of days >= 0")
        if self.people_per_room <= 0:
            raise ValueError("people_per_room must be > 0")
        for fraction in ("isolation_fraction", "severe_fraction"):
            if getattr(self, fraction) > 1:
                raise ValueError(f"{fraction} must be <= 1")
        for table in ("supplies_per_quarantine_day", "supplies_per_patient_day"):
            for supply, rate in getattr(self, table).items():
                if not np.isfinite(rate) or rate < 0:
                    raise ValueError(f"{table}[{supply!r}] must be >= 0")


STOCK_PREFIX = "supply:"


@dataclass(frozen=True)
class ResourceDemand:
    """Daily demand (horizon, path) per resource. Occupancy-type resources (rooms, beds, staff,
    home-monitored people) are people or units in use that day; `tests` and `supply:<name>` are used that
    day. Day 1 is the first projected day."""

    protocol: str
    demand: dict[str, np.ndarray]

    def quantile(self, resource: str, q: float | Sequence[float]) -> np.ndarray:
        return np.quantile(self._get(resource), np.asarray(q, dtype=float), axis=1)

    def _get(self, resource: str) -> np.ndarray:
        if resource not in self.demand:
            raise ValueError(f"unknown resource {resource!r}; known: {sorted(self.demand)}")
        return self.demand[resource]


def _occupancy(entries: np.ndarray, start_offset: int, duration: int) -> np.ndarray:
    """People present each day when `entries[t]` people arrive on day t + start_offset and stay `duration`."""
    out = np.zeros_like(entries)
    if duration <= 0:
        return out
    cumulative = np.concatenate([np.zeros((1,) + entries.shape[1:]), np.cumsum(entries, axis=0)])
    n = entries.shape[0]
    t = np.arange(n)
    upper = np.clip(t - start_offset + 1, 0, n)
    lower = np.clip(t - start_offset - duration + 1, 0, n)
    return cumulative[upper] - cumulative[lower]


def _events_on_days(entries: np.ndarray, start_offset: int, days: Sequence[int]) -> np.ndarray:
    """Events (tests) on 1-based `days` after entering on day t + start_offset."""
    out = np.zeros_like(entries)
    n = entries.shape[0]
    for d in days:
        shift = start_offset + d - 1
        if shift < n:
            out[shift:] += entries[: n - shift]
    return out


def resource_demand(
    projection: Projection,
    protocol: QuarantineProtocol,
    parameters: DemandParameters,
    *,
    inbound_travellers=0.0,
    quarantined_by_day=None,
    seed: int | np.random.Generator | None = None,
) -> ResourceDemand:
    """Daily resource demand over the projection horizon, per sample path.

    People already in quarantine or hospital today come from the history of reported cases (contacts of
    cases reported in the last weeks are still in their rooms), so the history passed to `project_cases`
    should cover at least the longest stay. `inbound_travellers` (scalar or (horizon,)) arrive daily and
    occupy rooms for the protocol's inbound centralised days.

    `quarantined_by_day` ((horizon,), optional): of the contacts already in centralised quarantine before day 1,
    how many are still there on each day, as their own records say. Given, the rooms (and the staff and supplies
    that follow them) count those people instead of modelling the contacts of the history's cases that entered
    before day 1; home monitoring and tests are still modelled from the whole history. `seed` draws the contacts
    per case when `parameters.close_contacts_dispersion` is set.
    """
    p = parameters
    horizon, n_paths = projection.reported.shape
    n_hist = projection.history_reported.size
    reported = np.concatenate([np.repeat(projection.history_reported[:, None], n_paths, axis=1),
                               projection.reported])
    travellers = _nonnegative_series(inbound_travellers, "inbound_travellers", horizon)
    arrivals = np.zeros_like(reported)
    arrivals[n_hist:] = travellers[:, None]

    delay = int(p.tracing_delay_days)
    close = reported * p.close_contacts_per_case
    if p.close_contacts_dispersion is not None:
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        shape = p.close_contacts_dispersion * reported
        some = shape > 0
        rate = np.zeros_like(close)
        rate[some] = rng.gamma(shape[some], close[some] / shape[some])
        close = rng.poisson(rate).astype(float)
    secondary = close * p.secondary_contacts_per_close_contact if protocol.secondary_contacts_traced else 0 * close
    cc_days = protocol.close_contact_centralised_days
    # Day k of a period is `first + k - 1` days after the source case's report: from entering quarantine,
    # or (counted from the last exposure) from the day after it; nobody is present before entering.
    first = delay if p.exposure_to_report_days is None else 1 - int(p.exposure_to_report_days)

    def present(entries, from_day: int, days: int) -> np.ndarray:  # period days from_day .. from_day + days - 1
        start, end = first + from_day - 1, first + from_day + days - 2
        start = max(start, delay)
        return _occupancy(entries, start, end - start + 1) if end >= start else np.zeros_like(entries)

    def tested(entries, from_day: int, days) -> np.ndarray:
        offset = first + from_day - 1
        return _events_on_days(entries, offset, [d for d in days if offset + d - 1 >= delay])

    close_in_rooms = present(close, 1, cc_days)
    close_at_home = present(close, cc_days + 1, protocol.close_contact_home_days)
    secondary_present = present(secondary, 1, protocol.secondary_contact_days)
    travellers_in_rooms = _occupancy(arrivals, 0, protocol.inbound_centralised_days)
    travellers_at_home = _occupancy(arrivals, protocol.inbound_centralised_days, protocol.inbound_home_days)
    people_in_rooms = close_in_rooms + travellers_in_rooms
    people_at_home = close_at_home + travellers_at_home
    if protocol.secondary_contact_centralised:
        people_in_rooms = people_in_rooms + secondary_present
    else:
        people_at_home = people_at_home + secondary_present
    if quarantined_by_day is not None:
        # contacts who entered before day 1 are the records' count; the model adds those entering from day 1
        known = _nonnegative_series(quarantined_by_day, "quarantined_by_day", horizon)
        entered_before = max(0, n_hist - delay)  # entries of history day t are in quarantine from t + delay

        def later(entries: np.ndarray) -> np.ndarray:
            kept = entries.copy()
            kept[:entered_before] = 0
            return kept

        people_in_rooms = present(later(close), 1, cc_days) + travellers_in_rooms
        if protocol.secondary_contact_centralised:
            people_in_rooms = people_in_rooms + present(later(secondary), 1, protocol.secondary_contact_days)
        people_in_rooms[n_hist:] += known[:, None]
    rooms = people_in_rooms / p.people_per_room

    isolation = _occupancy(reported * p.isolation_fraction, 0, int(p.isolation_days))
    severe = _occupancy(reported * p.severe_fraction, int(p.severe_delay_days), int(p.severe_days))
    tests = (
        reported * p.tests_per_case
        + tested(close, 1, protocol.close_contact_test_days)
        + tested(close, cc_days + 1, protocol.close_contact_home_test_days)
        + tested(secondary, 1, protocol.secondary_contact_test_days)
    )
    staff = (
        rooms * p.staff_per_quarantine_room + isolation * p.staff_per_isolation_bed
        + severe * p.staff_per_severe_bed + people_at_home * p.staff_per_home_monitored
    )
    demand = {
        "quarantine_rooms": rooms,
        "home_monitored": people_at_home,
        "isolation_beds": isolation,
        "severe_care_beds": severe,
        "tests": tests,
        "staff": staff,
    }
    supplies = set(p.supplies_per_quarantine_day) | set(p.supplies_per_patient_day)
    for supply in sorted(supplies):
        demand[STOCK_PREFIX + supply] = (
            people_in_rooms * p.supplies_per_quarantine_day.get(supply, 0.0)
            + (isolation + severe) * p.supplies_per_patient_day.get(supply, 0.0)
        )
    return ResourceDemand(protocol=protocol.name, demand={k: v[n_hist:] for k, v in demand.items()})


@dataclass(frozen=True)
class Shortage:
    """When a resource runs out. `day_per_path`: first day (1-based) demand exceeds capacity, inf if not
    within the horizon. `probability`: share of paths running out within the horizon. `median_day`,
    `day_80` = (10%, 90%) quantiles of the day across paths (inf where more paths never run out)."""

    resource: str
    capacity: float
    day_per_path: np.ndarray
    probability: float
    median_day: float
    day_80: tuple[float, float]


def shortage_days(demand: ResourceDemand, capacity: Mapping[str, float]) -> dict[str, Shortage]:
    """First day each resource runs out, per path and summarised.

    `capacity` maps resource names of `demand` to capacity: beds, rooms and staff are compared with the
    demand of each day, daily `tests` with the daily testing capacity, `supply:<name>` with the stock
    (cumulative use over the horizon).
    """
    out = {}
    for resource, cap in capacity.items():
        series = demand._get(resource)
        if not np.isfinite(cap) or cap < 0:
            raise ValueError(f"capacity for {resource!r} must be a finite number >= 0")
        used = np.cumsum(series, axis=0) if resource.startswith(STOCK_PREFIX) else series
        over = used > cap + 1e-9
        first = np.where(over.any(axis=0), over.argmax(axis=0) + 1.0, np.inf)
        low, median, high = np.quantile(first, [0.1, 0.5, 0.9], method="lower")
        out[resource] = Shortage(
            resource=resource, capacity=float(cap), day_per_path=first,
            probability=float(np.mean(np.isfinite(first))), median_day=float(median),
            day_80=(float(low), float(high)),
        )
    return out


def occupancy_above(demand: ResourceDemand, capacity: Mapping[str, float], *, share: float = 0.9,
                    within: int | None = None) -> dict[str, float]:
    """Probability (share of paths) that occupancy exceeds `share` of capacity on at least one of the first
    `within` days (the whole horizon when None), per occupancy-type resource of `capacity` (rooms, beds,
    staff; `supply:` stocks are not occupancies and are refused). A capacity of 0 counts any demand above 0.
    """
    if not 0 < share <= 1:
        raise ValueError("share must lie in (0, 1]")
    out = {}
    for resource, cap in capacity.items():
        if resource.startswith(STOCK_PREFIX):
            raise ValueError(f"{resource!r} is a stock, not an occupancy")
        if not np.isfinite(cap) or cap < 0:
            raise ValueError(f"capacity for {resource!r} must be a finite number >= 0")
        series = demand._get(resource)
        days = series.shape[0] if within is None else int(within)
        if not 1 <= days <= series.shape[0]:
            raise ValueError(f"within must lie in 1..{series.shape[0]}")
        out[resource] = float(np.mean((series[:days] > share * cap + 1e-9).any(axis=0)))
    return out
