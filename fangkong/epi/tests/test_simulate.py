"""The simulator's statistics match its parameters, within bounds derived from the sample size.

Every tolerance below is Z standard errors of the statistic, with the standard error computed from the
sample (or from the model) in the test itself; Z = 5 makes a false failure a one-in-a-million event.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from fangkong.epi.simulate import INDICATORS, ScenarioParams, simulate_scenario, synthetic_tree
from fangkong.epi.simulate.epidemic import gamma_shape_scale
from fangkong.epi.simulate.linelist import CLOSE, SECONDARY
from fangkong.epi.simulate.sentinel import calendar_factors

Z = 5.0

SMALL_PLACES = dict(
    fever_clinics_per_100k=0.01,
    primary_care_per_100k=0.01,
    pharmacies_per_100k=0.01,
    schools_per_100k=0.01,
    elderly_care_per_100k=0.01,
    quarantine_sites_per_100k=0.01,
)


@functools.cache
def branching_scenario():
    """Constant R, no isolation: realised offspring counts are the negative-binomial draws."""
    params = ScenarioParams(
        seed=7,
        history_days=0,
        epidemic_days=70,
        reproduction_number=((0, 0.95),),
        dispersion_k=0.4,
        isolation_stops_transmission=False,
        import_seeds=((0, "", 8000),),
        traveller_arrivals_per_day=0.0,
        **SMALL_PLACES,
    )
    # A large population keeps the depletion of susceptibles negligible (< 0.1% of any county infected).
    return simulate_scenario(params, synthetic_tree(residents=1_000_000_000))


@functools.cache
def controlled_scenario():
    """The default controls (isolation, tracing, quarantine) with a steady stream of imports."""
    params = ScenarioParams(
        seed=11,
        history_days=0,
        epidemic_days=60,
        reproduction_number=((0, 1.3),),
        import_seeds=tuple((day, "", 100) for day in range(0, 40, 2)),
        traveller_arrivals_per_day=200.0,
        traveller_infected_fraction=0.05,
        broken_handoff_fraction=0.1,
        **SMALL_PLACES,
    )
    return simulate_scenario(params, synthetic_tree(residents=50_000_000))


@functools.cache
def quiet_sentinel_scenario():
    """No epidemic, a full year of sentinel reports at realistic densities for 1 million residents."""
    params = ScenarioParams(
        seed=3,
        history_days=364,
        epidemic_days=0,
        import_seeds=(),
        traveller_arrivals_per_day=0.0,
        seasonal_amplitude=0.0,
        annual_trend=0.0,
    )
    return simulate_scenario(params, synthetic_tree(residents=1_000_000))


def assert_within(observed: float, expected: float, standard_error: float, what: str) -> None:
    assert standard_error > 0, what
    z = (observed - expected) / standard_error
    print(f"{what}: observed {observed:.4f} expected {expected:.4f} SE {standard_error:.4f} z {z:+.2f}")
    assert abs(z) < Z, f"{what}: observed {observed:.4f}, expected {expected:.4f}, SE {standard_error:.4f}, z {z:.2f}"


def complete_offspring(scenario, horizon_margin: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """Offspring counts and infection times of local infections whose offspring all fall inside the horizon.

    Imported infections are left out: what they transmitted abroad, before entry, is not simulated.
    """
    infections = scenario.truth.infections
    eligible = (infections.infection_time < scenario.params.total_days - horizon_margin) & ~infections.imported
    return infections.offspring[eligible].astype(np.float64), infections.infection_time[eligible]


def test_given_no_isolation_when_branching_then_mean_offspring_matches_R():
    scenario = branching_scenario()
    offspring, _ = complete_offspring(scenario)
    r, k = 0.95, 0.4
    n = len(offspring)
    assert n > 20_000
    assert_within(offspring.mean(), r, math.sqrt((r + r * r / k) / n), "mean offspring")


def test_given_no_isolation_when_branching_then_dispersion_matches_k():
    scenario = branching_scenario()
    x, _ = complete_offspring(scenario)
    r, k = 0.95, 0.4
    n = len(x)
    m, s2 = x.mean(), x.var(ddof=1)
    centred = x - m
    mu3, mu4 = (centred**3).mean(), (centred**4).mean()
    # Variance of the offspring distribution: R + R²/k, with the SE of a sample variance.
    assert_within(s2, r + r * r / k, math.sqrt((mu4 - s2 * s2) / n), "offspring variance")
    # Method-of-moments k with a delta-method SE from the joint covariance of (mean, variance).
    k_hat = m * m / (s2 - m)
    dk_dm = (2 * m * (s2 - m) + m * m) / (s2 - m) ** 2
    dk_ds2 = -m * m / (s2 - m) ** 2
    var_k = (dk_dm**2 * s2 + 2 * dk_dm * dk_ds2 * mu3 + dk_ds2**2 * (mu4 - s2 * s2)) / n
    assert_within(k_hat, k, math.sqrt(var_k), "dispersion k (method of moments)")
    # The zero class of NB(R, k): P(0) = (k / (k + R))^k.
    p0 = (k / (k + r)) ** k
    assert_within((x == 0).mean(), p0, math.sqrt(p0 * (1 - p0) / n), "share of infections with no offspring")


def test_given_isolation_when_branching_then_drawn_offspring_still_match_R_and_isolation_cuts_them():
    scenario = controlled_scenario()
    infections = scenario.truth.infections
    drawn = infections.offspring_drawn.astype(np.float64)
    r, k = 1.3, scenario.params.dispersion_k
    assert_within(drawn.mean(), r, math.sqrt((r + r * r / k) / len(drawn)), "mean drawn offspring")
    assert infections.offspring.sum() < drawn.sum()
    infector = infections.infector[infections.infector >= 0]
    child = np.flatnonzero(infections.infector >= 0)
    assert np.all(infections.infection_time[child] < infections.isolation_time[infector])


def test_generation_interval_mean_matches_parameter():
    scenario = branching_scenario()
    infections = scenario.truth.infections
    child = np.flatnonzero(infections.infector >= 0)
    parent = infections.infector[child]
    early = (infections.infection_time[parent] < scenario.params.total_days - 30) & ~infections.imported[parent]
    interval = infections.infection_time[child[early]] - infections.infection_time[parent[early]]
    p = scenario.params
    assert_within(interval.mean(), p.generation_interval_mean, p.generation_interval_sd / math.sqrt(len(interval)),
                  "generation interval mean")
    shape, scale = gamma_shape_scale(p.generation_interval_mean, p.generation_interval_sd)
    assert math.isclose(shape * scale, p.generation_interval_mean)


def test_incubation_and_asymptomatic_fraction_match_parameters():
    scenario = branching_scenario()
    infections = scenario.truth.infections
    p = scenario.params
    symptomatic = ~infections.asymptomatic
    incubation = infections.onset_time[symptomatic] - infections.infection_time[symptomatic]
    assert_within(incubation.mean(), p.incubation_mean, p.incubation_sd / math.sqrt(len(incubation)),
                  "incubation mean")
    # SE of a sample SD: sqrt((μ4 − σ⁴) / (4σ²n)), with the fourth central moment from the sample.
    sd = incubation.std()
    mu4 = ((incubation - incubation.mean()) ** 4).mean()
    assert_within(sd, p.incubation_sd, math.sqrt((mu4 - sd**4) / (4 * sd**2 * len(incubation))), "incubation sd")
    f = p.asymptomatic_fraction
    assert_within(infections.asymptomatic.mean(), f, math.sqrt(f * (1 - f) / infections.n), "asymptomatic fraction")
    assert np.all(np.isnan(infections.onset_time[infections.asymptomatic]))


def test_report_tracing_and_quarantine_delays_match_parameters():
    scenario = controlled_scenario()
    p = scenario.params
    cases, contacts = scenario.cases, scenario.contacts
    early = cases.sampling_day < p.total_days - 15
    report_delay = (cases.report_day - cases.sampling_day)[early]
    assert_within(report_delay.mean(), p.report_delay_mean, math.sqrt(p.report_delay_mean / len(report_delay)),
                  "sampling-to-report delay")
    uninfected_close = (contacts.category == CLOSE) & (contacts.infection < 0)
    tracing = (contacts.listed_day - cases.report_day[contacts.case])[uninfected_close]
    assert_within(tracing.mean(), p.tracing_delay_mean, math.sqrt(p.tracing_delay_mean / len(tracing)),
                  "report-to-listing delay")
    entry = (contacts.quarantine_day - contacts.listed_day)[uninfected_close]
    assert_within(entry.mean(), p.quarantine_entry_delay_mean,
                  math.sqrt(p.quarantine_entry_delay_mean / len(entry)), "listing-to-quarantine delay")


def test_contact_counts_per_case_match_parameters():
    scenario = controlled_scenario()
    p = scenario.params
    cases, contacts = scenario.cases, scenario.contacts
    uninfected_close = (contacts.category == CLOSE) & (contacts.infection < 0)
    per_case = np.bincount(contacts.case[uninfected_close], minlength=cases.n).astype(np.float64)
    mean, kc = p.close_contacts_mean, p.close_contacts_dispersion
    assert_within(per_case.mean(), mean, math.sqrt((mean + mean * mean / kc) / cases.n),
                  "uninfected close contacts per case")
    n_close = int((contacts.category == CLOSE).sum())
    secondary = contacts.via_contact[contacts.category == SECONDARY]
    per_close = np.bincount(secondary, minlength=n_close).astype(np.float64)
    lam = p.secondary_contacts_per_close_mean
    assert_within(per_close.mean(), lam, math.sqrt(lam / n_close), "secondary contacts per close contact")
    assert np.all(contacts.category[secondary] == CLOSE)
    assert np.all(contacts.case[contacts.category == SECONDARY] == contacts.case[secondary])


def test_traced_infectees_are_close_contacts_of_their_infector_and_linked_in_the_line_list():
    scenario = controlled_scenario()
    infections, cases, contacts = scenario.truth.infections, scenario.cases, scenario.contacts
    infected_contacts = contacts.infection >= 0
    infection = contacts.infection[infected_contacts]
    assert np.all(infections.traced[infection])
    source = cases.infection[contacts.case[infected_contacts]]
    assert np.array_equal(infections.infector[infection], source)
    linked = cases.infector_case >= 0
    assert np.array_equal(cases.infection[cases.infector_case[linked]], infections.infector[cases.infection[linked]])
    p = scenario.params
    local = np.flatnonzero(infections.infector >= 0)
    candidates = local[infections.report_day[infections.infector[local]] >= 0]
    rate = infections.traced[candidates].mean()
    q = p.tracing_probability
    assert_within(rate, q, math.sqrt(q * (1 - q) / len(candidates)), "share of infectees of cases traced")


def test_detection_routes_are_all_used_and_times_are_consistent():
    scenario = controlled_scenario()
    cases = scenario.cases
    assert set(np.unique(cases.route).tolist()) == set(range(5))
    assert np.all(cases.report_day >= cases.sampling_day)
    assert np.all(cases.sampling_day >= cases.infection_day)
    symptomatic = cases.onset_day >= 0
    assert np.all(cases.onset_day[symptomatic] >= cases.infection_day[symptomatic])
    assert np.all(cases.imported[cases.route == 4])
    assert np.all(cases.port[cases.imported] >= 0)
    assert np.all(cases.port[~cases.imported] == -1)
    assert np.all(np.diff(cases.report_day) >= 0)


def test_given_no_epidemic_then_sentinel_counts_match_baseline_means():
    scenario = quiet_sentinel_scenario()
    p = scenario.params
    counts = scenario.sentinel_counts
    reported = counts >= 0
    baseline = scenario.truth.series_baseline.astype(np.float64)
    for i, name in enumerate(INDICATORS):
        rows = scenario.sentinel_series.indicator == i
        mu = baseline[rows][reported[rows]]
        observed = counts[rows][reported[rows]].sum()
        variance = (mu + mu * mu / p.sentinel_dispersion).sum()
        assert_within(observed / mu.sum(), 1.0, math.sqrt(variance) / mu.sum(), f"{name}: total count / expected")
        # Site levels average the indicator baseline (log-normal site effect of mean 1).
        level = scenario.sentinel_series.level[rows] / p.sentinel_baseline[name]
        sd = math.sqrt(math.exp(p.site_effect_sd**2) - 1)
        assert_within(level.mean(), 1.0, sd / math.sqrt(rows.sum()), f"{name}: mean site level / baseline")


def test_given_no_epidemic_then_sentinel_dispersion_matches_parameter():
    scenario = quiet_sentinel_scenario()
    p = scenario.params
    counts = scenario.sentinel_counts.astype(np.float64)
    mu = scenario.truth.series_baseline.astype(np.float64)
    reported = counts >= 0
    residual = (counts - mu)[reported]
    mu = mu[reported]
    # E[(y - μ)² - μ] = μ²/k, so Σ((y-μ)² - μ) / Σ μ² estimates 1/k.
    numerator = residual**2 - mu
    inverse_k = numerator.sum() / (mu * mu).sum()
    se = math.sqrt(((numerator - inverse_k * mu * mu) ** 2).sum()) / (mu * mu).sum()
    assert_within(inverse_k, 1 / p.sentinel_dispersion, se, "1/k of the sentinel counts")


def test_given_no_epidemic_then_day_of_week_ratios_match_parameter():
    scenario = quiet_sentinel_scenario()
    p = scenario.params
    weekday, _ = calendar_factors(p)
    counts = scenario.sentinel_counts
    baseline = scenario.truth.series_baseline.astype(np.float64)
    for i, name in enumerate(INDICATORS):
        rows = scenario.sentinel_series.indicator == i
        profile = p.day_of_week[name]
        reference = 2  # Wednesday
        sums = {}
        for day in range(7):
            cols = weekday == day
            values = counts[rows][:, cols]
            mu = baseline[rows][:, cols]
            reported = values >= 0
            if profile[day] == 0:
                assert not reported.any(), f"{name} reported on a non-reporting weekday {day}"
                continue
            sums[day] = (values[reported].sum(), mu[reported].sum(),
                         (mu[reported] + mu[reported] ** 2 / p.sentinel_dispersion).sum())
        a_ref, e_ref, v_ref = sums[reference]
        for day, (a, e, v) in sums.items():
            if day == reference:
                continue
            ratio = a / a_ref
            expected = e / e_ref
            assert math.isclose(expected, profile[day] / profile[reference], rel_tol=0.05)
            se = ratio * math.sqrt(v / a**2 + v_ref / a_ref**2)
            assert_within(ratio, expected, se, f"{name}: weekday {day} / Wednesday")


def test_missing_report_rate_matches_parameter():
    scenario = quiet_sentinel_scenario()
    p = scenario.params
    weekday, _ = calendar_factors(p)
    fever = scenario.sentinel_series.indicator == 0
    missing = (scenario.sentinel_counts[fever] < 0).mean()
    n = fever.sum() * p.total_days
    rate = p.missing_report_rate
    assert_within(missing, rate, math.sqrt(rate * (1 - rate) / n), "missing report rate")


def test_infections_raise_sentinel_counts_where_they_happen():
    scenario = controlled_scenario()
    counts = scenario.sentinel_counts.astype(np.float64)
    reported = counts >= 0
    baseline = scenario.truth.series_baseline.astype(np.float64)
    excess = scenario.truth.series_excess.astype(np.float64)
    k = scenario.params.sentinel_dispersion
    assert excess.sum() > 100
    observed_excess = ((counts - baseline) * reported).sum()
    expected_excess = (excess * reported).sum()
    variance = ((baseline + baseline**2 / k + excess) * reported).sum()
    assert_within(observed_excess, expected_excess, math.sqrt(variance), "excess sentinel counts")
    assert observed_excess > Z * math.sqrt(variance)
    assert scenario.truth.outbreak.any()
    assert len(scenario.truth.outbreak_periods) > 0
    periods = scenario.truth.outbreak_periods
    assert np.all(periods["end_day"] >= periods["start_day"])


def test_given_no_epidemic_then_denominators_match_ili_share_and_enrolment():
    scenario = quiet_sentinel_scenario()
    p = scenario.params
    counts, denominators = scenario.sentinel_counts, scenario.sentinel_denominators
    series = scenario.sentinel_series
    reported = counts >= 0
    ili = (series.indicator == INDICATORS.index("ili_consultations"))[:, None] & reported
    other = (denominators - counts)[ili].astype(np.float64)
    expected_other = scenario.truth.series_baseline.astype(np.float64)[ili] * (1 / p.ili_share_of_consultations - 1)
    # Other consultations are Poisson: the variance of their sum is its mean.
    assert_within(other.sum() / expected_other.sum(), 1.0, math.sqrt(expected_other.sum()) / expected_other.sum(),
                  "other consultations / expected")
    school = (series.indicator == INDICATORS.index("school_absences"))[:, None] & reported
    enrolment = np.broadcast_to(series.enrolment[:, None], counts.shape)
    assert np.array_equal(denominators[school], enrolment[school])
    assert np.all(denominators[~reported] == -1)
    assert np.all(denominators[reported & ~ili & ~school] == -1)
