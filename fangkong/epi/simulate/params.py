"""The parameters of a synthetic province outbreak scenario: one documented dataclass, validated up front.

Every number the simulator uses is a field of :class:`ScenarioParams`, with its unit and its default
documented where it is declared. :func:`validate_params` refuses invalid parameters (negative rates,
R < 0, an empty region tree, a scale that would not fit in memory) with a clear ``ValueError`` before
any work starts. Times are in days; "day" offsets count from ``start_date`` (day 0 is the first day of
sentinel history) unless a field says "from the epidemic start".
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from datetime import date

#: Sentinel indicators, in the order used by every indicator axis of the simulator's arrays.
INDICATORS: tuple[str, ...] = (
    "fever_clinic_visits",
    "ili_consultations",
    "antipyretic_sales",
    "cough_medicine_sales",
    "school_absences",
)

#: Place kinds, in the order of the ``kind`` codes of :class:`fangkong.epi.simulate.places.Places`.
PLACE_KINDS: tuple[str, ...] = (
    "fever_clinic",
    "primary_care",
    "pharmacy",
    "school",
    "quarantine_site",
    "designated_hospital",
    "elderly_care",
    "airport",
    "land_port",
    "sea_port",
)

#: Sentinel site kinds and the indicators each one reports (indices into :data:`INDICATORS`).
SENTINEL_INDICATORS: dict[str, tuple[int, ...]] = {
    "fever_clinic": (0,),
    "primary_care": (1,),
    "pharmacy": (2, 3),
    "school": (4,),
}

#: Detection routes of a case, in the order of the ``route`` codes.
DETECTION_ROUTES: tuple[str, ...] = (
    "fever_clinic",
    "screening",
    "during_quarantine",
    "contact_tracing",
    "inbound_screening",
)

PORT_KINDS = ("airport", "land_port", "sea_port")

#: Rough bytes held in memory per infection including its contacts (used by the memory check).
BYTES_PER_INFECTION = 4_000
#: Rough bytes per place, per sentinel series and per sentinel value held in memory.
BYTES_PER_PLACE = 48
BYTES_PER_SERIES = 64
BYTES_PER_SENTINEL_VALUE = 4


def _per_indicator(*values: float) -> dict[str, float]:
    return dict(zip(INDICATORS, values, strict=True))


@dataclass(frozen=True)
class ScenarioParams:
    """All parameters of a scenario. Defaults describe a generic province in a spring Omicron wave.

    Rates are per day unless stated; densities are per 100,000 residents; probabilities are in [0, 1].
    """

    # --- time and size -------------------------------------------------------------------------------
    seed: int = 20220317
    """Seed of the PCG64 generator; every component draws from its own child stream of it."""
    start_date: date = date(2021, 11, 22)
    """Calendar date of day 0 (first day of sentinel history)."""
    history_days: int = 90
    """Days of sentinel history before the epidemic starts (730 gives two years for Farrington-type detectors)."""
    epidemic_days: int = 60
    """Days simulated from the epidemic start (imports, transmission, tracing, travellers)."""
    residents: int | None = None
    """Scale the region tree to this many residents (leaf populations scaled proportionally); None keeps it."""

    # --- transmission -----------------------------------------------------------------------------------
    reproduction_number: tuple[tuple[int, float], ...] = ((0, 2.0), (21, 1.0), (35, 0.5))
    """Piecewise-constant R(t): (day from the epidemic start, R from that day on), days increasing."""
    region_r_multiplier: tuple[tuple[str, float], ...] = ()
    """(region code, factor): R of infectors living in that region's subtree is multiplied by the factor."""
    dispersion_k: float = 0.4
    """Negative-binomial dispersion of the offspring distribution (variance = R + R²/k)."""
    generation_interval_mean: float = 3.5
    generation_interval_sd: float = 2.0
    """Gamma-distributed generation interval (days)."""
    incubation_mean: float = 3.4
    incubation_sd: float = 2.0
    """Log-normal incubation period, infection to symptom onset (days)."""
    asymptomatic_fraction: float = 0.5
    isolation_stops_transmission: bool = True
    """If true, an infection transmits only until it is isolated (detected, or quarantined as a contact)."""
    within_leaf_probability: float = 0.85
    """Probability that an infectee lives in the infector's leaf region (county or township)."""
    within_prefecture_probability: float = 0.10
    """Probability that an infectee lives elsewhere in the infector's prefecture; the rest is province-wide."""
    max_infections: int = 500_000
    """Hard cap on infections; the branching process stops (and truth says so) when it is reached."""

    # --- imports and ports -------------------------------------------------------------------------------
    ports: tuple[tuple[str, str], ...] = ()
    """(region code, kind airport|land_port|sea_port); a port sits in the most populous leaf of that region.
    Empty: one airport in the most populous leaf of the tree."""
    import_seeds: tuple[tuple[int, str, int], ...] = ((0, "", 3),)
    """(day from the epidemic start, port region code or "" for the first port, count): infected
    travellers who escape the closed loop at entry (broken hand-off) and seed local transmission."""
    traveller_arrivals_per_day: float = 50.0
    """Inbound travellers per day during the epidemic period, over all ports (Poisson)."""
    traveller_infected_fraction: float = 0.01
    """Fraction of inbound travellers already infected on arrival (imported infections)."""
    broken_handoff_fraction: float = 0.02
    """Fraction of travellers whose closed-loop chain of hand-offs breaks at some stage."""
    traveller_quarantine_days: int = 14
    traveller_home_monitoring_days: int = 7
    handover_ack_hours: float = 24.0
    """Hours within which the home region acknowledges a hand-off home (the closed loop's rule): an intact
    chain's acknowledgement comes before it, a broken chain's never."""
    handover_ack_mean_hours: float = 3.0
    """Mean hours from sending a hand-off home to its acknowledgement (the ride home and the community's
    team; exponential, truncated at ``handover_ack_hours``)."""
    handover_late_fraction: float = 0.0
    """Fraction of intact hand-offs home acknowledged after ``handover_ack_hours`` (a receiver breaking the
    rule without losing the traveller; late by an exponential day): none by default."""

    # --- detection ---------------------------------------------------------------------------------------
    test_sensitivity: float = 0.85
    """Probability that one PCR test of an infected person inside the positive window is positive."""
    test_specificity: float = 1.0
    """Probability that one PCR test of an uninfected person is negative."""
    pcr_positive_from: float = 2.0
    pcr_positive_until: float = 21.0
    """Window after infection (days) during which a PCR test can be positive."""
    care_seeking_probability: float = 0.7
    """Probability that a symptomatic infection outside quarantine visits a fever clinic."""
    care_seeking_delay_mean: float = 1.5
    """Mean days from onset to the fever-clinic visit (exponential)."""
    screening_daily_probability: float = 0.05
    """Daily probability of being sampled by community screening (mass testing, routine screening)."""
    report_delay_mean: float = 0.5
    """Mean whole days from sampling to report (Poisson)."""

    # --- contact tracing ---------------------------------------------------------------------------------
    tracing_probability: float = 0.8
    """Probability that an infectee of a detected case is found and listed as its close contact."""
    tracing_delay_mean: float = 1.0
    """Mean whole days from the case's report to listing a close contact (Poisson)."""
    quarantine_entry_delay_mean: float = 0.5
    """Mean whole days from listing to entering centralised quarantine (Poisson)."""
    close_contacts_mean: float = 6.0
    """Mean number of uninfected close contacts listed per case (negative binomial)."""
    close_contacts_dispersion: float = 1.0
    """Dispersion k of the number of uninfected close contacts per case."""
    secondary_contacts_per_close_mean: float = 1.5
    """Mean contacts of each close contact (secondary contacts, Poisson)."""
    close_quarantine_days: int = 14
    secondary_quarantine_days: int = 7
    close_test_days: tuple[int, ...] = (1, 4, 7, 14)
    secondary_test_days: tuple[int, ...] = (1, 4, 7)
    """Quarantine days (day 1 = day of entry) on which contacts and travellers are tested (8th edition)."""

    # --- places ------------------------------------------------------------------------------------------
    fever_clinics_per_100k: float = 1.0
    primary_care_per_100k: float = 40.0
    pharmacies_per_100k: float = 45.0
    schools_per_100k: float = 20.0
    elderly_care_per_100k: float = 3.0
    quarantine_sites_per_100k: float = 0.5
    quarantine_rooms_mean: float = 150.0
    designated_hospitals_per_prefecture: int = 1
    hospital_beds_mean: float = 600.0
    school_pupils_mean: float = 1_200.0
    elderly_care_beds_mean: float = 120.0

    # --- sentinel surveillance ---------------------------------------------------------------------------
    sentinel_baseline: dict[str, float] = field(
        default_factory=lambda: _per_indicator(25.0, 6.0, 12.0, 15.0, 8.0)
    )
    """Mean daily count per series at the seasonal mean, on an average weekday."""
    sentinel_dispersion: float = 10.0
    """Negative-binomial dispersion k of daily sentinel counts around their mean."""
    site_effect_sd: float = 0.3
    """SD of the log-normal factor that makes each site's mean differ from the indicator's baseline."""
    day_of_week: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: {
            "fever_clinic_visits": (1.25, 1.05, 1.0, 1.0, 1.0, 0.85, 0.85),
            "ili_consultations": (1.3, 1.1, 1.0, 1.0, 1.0, 0.8, 0.8),
            "antipyretic_sales": (0.9, 0.9, 0.95, 0.95, 1.0, 1.15, 1.15),
            "cough_medicine_sales": (0.9, 0.9, 0.95, 0.95, 1.0, 1.15, 1.15),
            "school_absences": (1.2, 1.0, 0.95, 0.95, 0.9, 0.0, 0.0),
        }
    )
    """Multiplicative day-of-week profile Monday..Sunday (mean 1 over reporting days); 0 = no report."""
    seasonal_amplitude: float = 0.25
    seasonal_peak_day_of_year: int = 15
    """Seasonality 1 + a·cos(2π(doy − peak)/365.25): winter peak in mid January."""
    annual_trend: float = 0.02
    """Relative growth of sentinel baselines per year."""
    missing_report_rate: float = 0.02
    """Probability that a site misses one daily report."""
    ili_share_of_consultations: float = 0.04
    """Share of a primary-care site's consultations that are ILI: the denominator of ILI reports is the
    ILI count plus Poisson(baseline × (1/share − 1)) other consultations. School absences report the
    enrolment (the school's pupils) as denominator; the other indicators have none."""
    signal_per_onset: dict[str, float] = field(
        default_factory=lambda: _per_indicator(3.0, 1.5, 4.0, 3.0, 0.3)
    )
    """Expected extra counts in the onset's region per symptomatic infection outside quarantine."""
    signal_lag_days: dict[str, int] = field(default_factory=lambda: _per_indicator(1, 1, 0, 0, 1))
    """Days from onset to the extra counts."""
    outbreak_threshold: float = 0.1
    """True outbreak day in a region × indicator: expected excess ≥ this fraction of the expected baseline."""
    outbreak_min_excess: float = 1.0
    """... and expected excess of at least this many counts."""

    # --- resources ---------------------------------------------------------------------------------------
    memory_limit_bytes: int = 4 * 2**30
    """Refuse scales whose in-memory part would exceed this."""

    @property
    def total_days(self) -> int:
        return self.history_days + self.epidemic_days

    @property
    def epidemic_start(self) -> int:
        """Day offset (from ``start_date``) of the epidemic start."""
        return self.history_days

    def replace(self, **changes: object) -> ScenarioParams:
        return dataclasses.replace(self, **changes)


_NON_NEGATIVE = (
    "dispersion_k generation_interval_mean generation_interval_sd incubation_mean incubation_sd "
    "traveller_arrivals_per_day care_seeking_delay_mean report_delay_mean tracing_delay_mean "
    "quarantine_entry_delay_mean close_contacts_mean secondary_contacts_per_close_mean "
    "fever_clinics_per_100k primary_care_per_100k pharmacies_per_100k schools_per_100k "
    "elderly_care_per_100k quarantine_sites_per_100k quarantine_rooms_mean hospital_beds_mean "
    "school_pupils_mean elderly_care_beds_mean sentinel_dispersion site_effect_sd seasonal_amplitude "
    "outbreak_threshold outbreak_min_excess pcr_positive_from pcr_positive_until"
).split()
_STRICTLY_POSITIVE = (
    "dispersion_k generation_interval_mean generation_interval_sd incubation_mean incubation_sd "
    "close_contacts_dispersion sentinel_dispersion handover_ack_hours handover_ack_mean_hours"
).split()
_PROBABILITIES = (
    "asymptomatic_fraction within_leaf_probability within_prefecture_probability "
    "traveller_infected_fraction broken_handoff_fraction test_sensitivity test_specificity "
    "care_seeking_probability screening_daily_probability tracing_probability missing_report_rate "
    "ili_share_of_consultations handover_late_fraction"
).split()


def _problems(params: ScenarioParams) -> list[str]:
    problems: list[str] = []
    for name in _NON_NEGATIVE:
        value = getattr(params, name)
        if not math.isfinite(value) or value < 0:
            problems.append(f"{name} must be a finite number >= 0, got {value!r}")
    for name in _STRICTLY_POSITIVE:
        value = getattr(params, name)
        if math.isfinite(value) and value <= 0:
            problems.append(f"{name} must be > 0, got {value!r}")
    for name in _PROBABILITIES:
        value = getattr(params, name)
        if not (0.0 <= value <= 1.0):
            problems.append(f"{name} is a probability and must lie in [0, 1], got {value!r}")
    if params.ili_share_of_consultations == 0:
        problems.append("ili_share_of_consultations must be > 0")
    if params.within_leaf_probability + params.within_prefecture_probability > 1.0:
        problems.append("within_leaf_probability + within_prefecture_probability must not exceed 1")
    for name in ("history_days", "epidemic_days"):
        value = getattr(params, name)
        if not isinstance(value, numbers.Integral) or value < 0:
            problems.append(f"{name} must be a whole number of days >= 0, got {value!r}")
    if params.total_days < 1:
        problems.append("history_days + epidemic_days must be at least 1")
    if params.residents is not None and (not isinstance(params.residents, numbers.Integral) or params.residents < 1):
        problems.append(f"residents (scale) must be a whole number >= 1, got {params.residents!r}")
    if not isinstance(params.seed, numbers.Integral) or params.seed < 0:
        problems.append(f"seed must be a whole number >= 0, got {params.seed!r}")
    if params.max_infections < 1:
        problems.append(f"max_infections must be >= 1, got {params.max_infections!r}")
    if not params.reproduction_number:
        problems.append("reproduction_number needs at least one (day, R) step")
    previous_day = None
    for day, r in params.reproduction_number:
        if not math.isfinite(r) or r < 0:
            problems.append(f"reproduction number R must be >= 0, got R = {r!r} from day {day}")
        if previous_day is not None and day <= previous_day:
            problems.append("reproduction_number steps must have strictly increasing days")
        previous_day = day
    for code, factor in params.region_r_multiplier:
        if not math.isfinite(factor) or factor < 0:
            problems.append(f"region_r_multiplier for {code} must be >= 0, got {factor!r}")
    for day, _code, count in params.import_seeds:
        if count < 0 or day < 0:
            problems.append(f"import_seeds entries need day >= 0 and count >= 0, got ({day}, {count})")
    for _code, kind in params.ports:
        if kind not in PORT_KINDS:
            problems.append(f"port kind must be one of {PORT_KINDS}, got {kind!r}")
    if params.pcr_positive_until <= params.pcr_positive_from:
        problems.append("pcr_positive_until must be after pcr_positive_from")
    for name in ("close_test_days", "secondary_test_days"):
        if any(d < 1 for d in getattr(params, name)):
            problems.append(f"{name} are quarantine days counted from 1")
    for mapping_name in ("sentinel_baseline", "signal_per_onset", "signal_lag_days", "day_of_week"):
        mapping = getattr(params, mapping_name)
        missing = [name for name in INDICATORS if name not in mapping]
        if missing:
            problems.append(f"{mapping_name} lacks indicators {missing}")
            continue
        for name in INDICATORS:
            values = mapping[name] if mapping_name == "day_of_week" else (mapping[name],)
            if mapping_name == "day_of_week" and len(values) != 7:
                problems.append(f"day_of_week[{name}] needs 7 factors (Monday..Sunday)")
            if any((not math.isfinite(v)) or v < 0 for v in values):
                problems.append(f"{mapping_name}[{name}] must be >= 0, got {mapping[name]!r}")
    for name, values in params.day_of_week.items():
        if len(values) == 7 and not any(v > 0 for v in values):
            problems.append(f"day_of_week[{name}] has no reporting day")
    if params.memory_limit_bytes <= 0:
        problems.append("memory_limit_bytes must be > 0")
    return problems


def sentinel_sites_per_100k(params: ScenarioParams) -> dict[str, float]:
    """Density of each sentinel site kind."""
    return {
        "fever_clinic": params.fever_clinics_per_100k,
        "primary_care": params.primary_care_per_100k,
        "pharmacy": params.pharmacies_per_100k,
        "school": params.schools_per_100k,
    }


def estimated_memory_bytes(params: ScenarioParams, residents: int, *, sentinel_in_memory: bool) -> int:
    """A deliberately generous estimate of the memory the in-memory parts of a scenario need."""
    densities = sentinel_sites_per_100k(params)
    per_100k_sites = sum(densities.values()) + params.elderly_care_per_100k + params.quarantine_sites_per_100k
    per_100k_series = sum(densities[kind] * len(ind) for kind, ind in SENTINEL_INDICATORS.items())
    n_places = residents / 1e5 * per_100k_sites
    n_series = residents / 1e5 * per_100k_series
    n_values = n_series * params.total_days if sentinel_in_memory else min(n_series, 1024) * params.total_days
    travellers = params.traveller_arrivals_per_day * params.epidemic_days
    infections = min(params.max_infections, residents)
    return int(
        n_places * BYTES_PER_PLACE
        + n_series * BYTES_PER_SERIES
        + n_values * BYTES_PER_SENTINEL_VALUE * 6
        + infections * BYTES_PER_INFECTION
        + travellers * 200
    )


def validate_params(params: ScenarioParams, tree=None, *, sentinel_in_memory: bool = True) -> None:
    """Raise ``ValueError`` listing every problem with ``params`` (and the tree), before any work starts."""
    problems = _problems(params)
    if tree is not None:
        if tree.n == 0:
            problems.append("the region tree is empty: the simulator needs at least one region")
        else:
            residents = params.residents if params.residents is not None else int(tree.leaf_population_total)
            if residents < 1:
                problems.append("the region tree has no residents (all leaf populations are 0)")
            known = set(tree.codes.tolist())
            for code, _kind in params.ports:
                if code not in known:
                    problems.append(f"port region {code} is not in the region tree")
            port_codes = {code for code, _ in params.ports}
            for _day, code, _count in params.import_seeds:
                if code and code not in port_codes:
                    problems.append(f"import seed port region {code!r} is not one of the ports")
            for code, _factor in params.region_r_multiplier:
                if code not in known:
                    problems.append(f"region_r_multiplier region {code} is not in the region tree")
            if not problems:
                needed = estimated_memory_bytes(params, residents, sentinel_in_memory=sentinel_in_memory)
                if needed > params.memory_limit_bytes:
                    problems.append(
                        f"a scale of {residents:,} residents needs about {needed / 2**30:.1f} GiB of memory, "
                        f"more than the limit of {params.memory_limit_bytes / 2**30:.1f} GiB "
                        "(lower the scale, use write_scenario, or raise memory_limit_bytes)"
                    )
    if problems:
        raise ValueError("invalid scenario parameters:\n  - " + "\n  - ".join(problems))
