"""Tests for fangkong.epi.projection: renewal projection, protocol demand, shortage days.

Band coverage is validated twice: on a Poisson renewal process simulated inside this module
(`simulate_renewal`, exactly the projection's model, written before the province simulator existed) and
on the ground truth of the province simulator (`fangkong.epi.simulate`, issue 3), configured for a
stable Rt (isolation not stopping transmission, no depletion).
"""

import numpy as np
import pytest

from fangkong.epi.projection import (
    PROTOCOL_8TH_EDITION,
    PROTOCOL_9TH_EDITION,
    PROTOCOL_20_MEASURES_NOV_2022,
    PROTOCOLS,
    DemandParameters,
    Projection,
    QuarantineProtocol,
    RtScenario,
    negative_binomial_k,
    project_cases,
    resource_demand,
    rt_drift_sd,
    scenario_from_estimate,
    shortage_days,
)
from fangkong.epi.rt import discretised_gamma_serial_interval, estimate_r

SI = dict(mean_si=5.2, std_si=2.8)


def fixed_projection(history, future, n_paths=1):
    """A Projection with given reported cases, to test demand arithmetic exactly."""
    future = np.asarray(future, dtype=float)
    paths = np.repeat(future[:, None], n_paths, axis=1)
    return Projection("fixed", paths, paths, np.ones_like(paths), np.asarray(history, dtype=float))


def test_projection_follows_the_renewal_mean():
    history = np.full(60, 100.0)
    rt = 1.2
    proj = project_cases(history, horizon=1, scenario=RtScenario("r", rt=rt), n_paths=20000, seed=1, **SI)
    w = discretised_gamma_serial_interval(np.arange(61), **SI)
    expected = rt * np.sum(w[1:61] * 100.0)
    assert proj.cases[0].mean() == pytest.approx(expected, rel=0.01)
    assert proj.cases.shape == (1, 20000)


def test_scenarios_order_the_projection_and_seed_reproduces_paths():
    rng = np.random.default_rng(0)
    history = rng.poisson(50, 40)
    tight = project_cases(history, horizon=21, scenario=RtScenario("tightened", rt=0.8), seed=5, n_paths=500, **SI)
    loose = project_cases(history, horizon=21, scenario=RtScenario("relaxed", rt=1.3), seed=5, n_paths=500, **SI)
    again = project_cases(history, horizon=21, scenario=RtScenario("tightened", rt=0.8), seed=5, n_paths=500, **SI)
    np.testing.assert_array_equal(tight.cases, again.cases)
    assert tight.quantile(0.5)[-1] < 50 < loose.quantile(0.5)[-1]
    low, high = loose.band(0.8)
    assert np.all(low <= loose.quantile(0.5)) and np.all(loose.quantile(0.5) <= high)


def test_imported_stream_adds_infectivity_but_is_not_local():
    history = np.zeros(30)
    none = project_cases(history, horizon=20, scenario=RtScenario("r", rt=0.9), seed=2, n_paths=300, **SI)
    some = project_cases(history, horizon=20, scenario=RtScenario("r", rt=0.9), future_imported=20, seed=2,
                         n_paths=300, **SI)
    assert none.cases.sum() == 0
    assert some.cases[-5:].mean() > 10
    also_reported = project_cases(history, horizon=20, scenario=RtScenario("r", rt=0.9), future_imported=20,
                                  seed=2, n_paths=300, imported_reported_locally=True, **SI)
    assert np.all(also_reported.reported >= also_reported.cases)
    assert also_reported.reported.sum() > also_reported.cases.sum()


def test_reporting_delay_shifts_reported_cases():
    history = np.zeros(20)
    history[-1] = 100
    proj = project_cases(history, horizon=3, scenario=RtScenario("r", rt=0.0), seed=1, n_paths=2,
                         report_delay_distr=[0.0, 0.5, 0.5], **SI)
    np.testing.assert_allclose(proj.reported[:, 0], [50, 50, 0])
    assert proj.history_reported[-1] == 0


def test_current_estimate_scenario_draws_rt_per_path_from_the_posterior():
    rng = np.random.default_rng(4)
    history = rng.poisson(np.linspace(20, 60, 50))
    est = estimate_r(history, **SI)
    scenario = scenario_from_estimate(est)
    proj = project_cases(history, horizon=7, scenario=scenario, n_paths=4000, seed=3, **SI)
    assert np.all(proj.rt[0] == proj.rt[-1])
    assert proj.rt[0].mean() == pytest.approx(est.mean[-1], rel=0.02)
    assert proj.rt[0].std() == pytest.approx(est.std[-1], rel=0.1)
    with pytest.raises(ValueError, match="say which one"):
        scenario_from_estimate(estimate_r(np.stack([history, history], axis=1), **SI))


def simulate_renewal(rng, *, rt, days, imported_rate, si):
    """Poisson renewal process with a constant Rt and a Poisson imported stream."""
    local = np.zeros(days)
    imported = rng.poisson(imported_rate, days).astype(float)
    for t in range(1, days):
        lam = np.sum(si[1 : t + 1] * (local[t - 1 :: -1] + imported[t - 1 :: -1]))
        local[t] = rng.poisson(rt * lam)
    return local, imported


def test_80_percent_band_covers_simulated_truth_about_80_percent_of_days():
    """Stable Rt = 1.05, 200 simulated outbreaks: estimate Rt on 70 days, project 14 days from the current
    estimate (its posterior uncertainty included), check how often the true daily cases fall in the 80%
    band (bounds inclusive). Measured (seed 2026, 2026-11-29): 0.815 (2283 of 2800 run-days, 200 runs x 14
    days). Asserted within [0.75, 0.87]."""
    rng = np.random.default_rng(2026)
    si = discretised_gamma_serial_interval(np.arange(200), **SI)
    hits, total = 0, 0
    for _ in range(200):
        local, imported = simulate_renewal(rng, rt=1.05, days=84, imported_rate=2.0, si=si)
        hist_local, hist_imported = local[:70], imported[:70]
        est = estimate_r(hist_local, imported=hist_imported, **SI)
        proj = project_cases(hist_local, imported=hist_imported, horizon=14, scenario=scenario_from_estimate(est),
                             future_imported=2.0, n_paths=1000, seed=rng, **SI)
        low, high = proj.band(0.8)
        truth = local[70:]
        hits += int(np.sum((truth >= low) & (truth <= high)))
        total += truth.size
    coverage = hits / total
    print(f"80% band coverage over 14-day horizon: {coverage:.3f} ({hits}/{total})")
    assert 0.75 <= coverage <= 0.87


def test_80_percent_band_covers_province_simulator_truth():
    """Ground truth from the province simulator (`fangkong.epi.simulate`, issue 3): constant R = 1.1,
    near-Poisson offspring (k = 100), isolation not stopping transmission, 200 million residents (no
    depletion), infected travellers arriving daily. Daily infections (local / imported, by infection day)
    of the first 62 days are the history; Rt is estimated with the serial interval implied by the
    simulator's gamma generation interval (mean 3.5, sd 2) on whole days (same-day share, 1.5%, dropped as
    EpiEstim requires w_0 = 0); imported infections count on their day of entry (the simulator starts
    their transmission then); the next 14 days are projected from the current estimate with the recent
    mean import rate. Measured (seeds 1..100, 2026-11-29, simulator at 5cb4b55): 0.786 of 1,400 days inside the 80% band.
    Asserted within [0.75, 0.92]."""
    from scipy import integrate, stats

    from fangkong.epi.simulate import ScenarioParams, synthetic_tree
    from fangkong.epi.simulate.epidemic import simulate_epidemic
    from fangkong.epi.simulate.places import generate_places
    from fangkong.epi.simulate.travellers import generate_travellers

    generation = stats.gamma((3.5 / 2.0) ** 2, scale=2.0**2 / 3.5)
    # P(whole-day gap = d) for a parent infected uniformly within its day.
    si = np.array([
        integrate.quad(lambda u, d=d: generation.cdf(d + 1 - u) - generation.cdf(d - u), 0, 1)[0]
        for d in range(40)
    ])
    si[0] = 0.0
    si /= si.sum()
    tree = synthetic_tree(residents=200_000_000)
    hits, total = 0, 0
    for seed in range(1, 101):
        params = ScenarioParams(
            seed=seed, history_days=1, epidemic_days=75, reproduction_number=((0, 1.1),), dispersion_k=100.0,
            isolation_stops_transmission=False, traveller_infected_fraction=0.1, traveller_arrivals_per_day=50,
        )
        places = generate_places(params, tree)
        travellers = generate_travellers(params, tree, places)
        infections = simulate_epidemic(params, tree, places, travellers)
        # An imported infection starts transmitting on entry: count it on that day.
        entry = np.where(infections.imported, travellers.entry_time[np.maximum(infections.traveller, 0)], -np.inf)
        day = np.floor(np.maximum(infections.infection_time, entry)).astype(int)
        seen = (day >= 0) & (day < params.total_days)
        local = np.bincount(day[seen & ~infections.imported], minlength=params.total_days).astype(float)
        imported = np.bincount(day[seen & infections.imported], minlength=params.total_days).astype(float)
        cut = params.total_days - 14
        est = estimate_r(local[:cut], imported=imported[:cut], si_distr=si)
        proj = project_cases(local[:cut], imported=imported[:cut], horizon=14, scenario=scenario_from_estimate(est),
                             future_imported=imported[cut - 14 : cut].mean(), si_distr=si, n_paths=1000, seed=seed)
        low, high = proj.band(0.8)
        truth = local[cut:]
        hits += int(np.sum((truth >= low) & (truth <= high)))
        total += truth.size
    coverage = hits / total
    print(f"province simulator: 80% band coverage over 14-day horizon {coverage:.3f} ({hits}/{total})")
    assert 0.75 <= coverage <= 0.92


def _rooms_backtest(reproduction_number: float, seeds: range, *, calibrated: bool = True) -> tuple[float, np.ndarray]:
    """80 % band of quarantine rooms against the province simulator's true occupancy, 14 days ahead of a cut
    made 14 days before the end of a 75-day epidemic (constant R, isolation not stopping transmission, no
    depletion, infected travellers daily; close contacts with their own negative-binomial counts and tracing
    delays, 14 days of centralised quarantine counted from entering it). What the platform knows at the cut,
    and nothing else, sets the forecast: reported cases by report day (local and imported); Rt from them with
    the platform's serial interval (mean 3.5, sd 1.5 — the simulator's generation interval has sd 2) and its
    drift over the last four weeks (`rt_drift_sd`); close contacts listed per case and their dispersion
    (`negative_binomial_k`) for the cases reported 14 to 3 days before the cut, counting only contacts listed by
    the cut; the median days from a case's report to its contacts' entry; the contacts in quarantine at the
    cut with their own end dates (`quarantined_by_day`). ``calibrated=False``: the forecast before these
    (none of the three, Rt held, the contacts of the whole history modelled). Returns the share of days inside
    the band and the share per horizon day."""
    from fangkong.epi.simulate import ScenarioParams, synthetic_tree
    from fangkong.epi.simulate.scenario import simulate_epidemic_part

    tree = synthetic_tree(residents=200_000_000)
    horizon = 14
    inside = np.zeros(horizon)
    for seed in seeds:
        params = ScenarioParams(
            seed=seed, history_days=1, epidemic_days=75, reproduction_number=((0, reproduction_number),),
            dispersion_k=100.0, isolation_stops_transmission=False, traveller_infected_fraction=0.1,
            traveller_arrivals_per_day=50)
        part = simulate_epidemic_part(params, tree)
        cases, contacts = part.cases, part.contacts
        days, cut, stay = params.total_days, params.total_days - horizon, params.close_quarantine_days
        reported = cases.report_day >= 0
        local = np.bincount(cases.report_day[reported & ~cases.imported], minlength=days).astype(float)
        imported = np.bincount(cases.report_day[reported & cases.imported], minlength=days).astype(float)
        close = contacts.category == 1
        entered = contacts.quarantine_day[close]
        day = np.arange(days)[:, None]
        truth = ((entered <= day) & (day < entered + stay)).sum(axis=1)[cut:]
        source_report = cases.report_day[contacts.case[close]]
        window = (source_report >= cut - 14) & (source_report < cut - 3) & (contacts.listed_day[close] < cut)
        window_cases = np.flatnonzero((cases.report_day >= cut - 14) & (cases.report_day < cut - 3))
        per_case = np.bincount(contacts.case[close][window], minlength=cases.n)[window_cases]
        delay = int(round(np.median((entered - source_report)[window])))
        est = estimate_r(local[:cut], imported=imported[:cut], mean_si=3.5, std_si=1.5)
        scenario = scenario_from_estimate(est, drift_sd=rt_drift_sd(est) if calibrated else 0.0)
        projection = project_cases(local[:cut], imported=imported[:cut], horizon=horizon, scenario=scenario,
                                   future_imported=imported[cut - 14 : cut].mean(), mean_si=3.5, std_si=1.5,
                                   n_paths=500, seed=seed, imported_reported_locally=True)
        protocol = QuarantineProtocol(
            name="simulator", close_contact_centralised_days=stay, close_contact_home_days=0,
            close_contact_test_days=(), close_contact_home_test_days=(), secondary_contacts_traced=False,
            secondary_contact_days=0, secondary_contact_centralised=False, secondary_contact_test_days=(),
            inbound_centralised_days=0, inbound_home_days=0)
        parameters = DemandParameters(close_contacts_per_case=per_case.mean(), tracing_delay_days=delay,
                                      close_contacts_dispersion=negative_binomial_k(per_case) if calibrated else None)
        inside_now = entered < cut
        known = ((entered[inside_now] <= day[cut:]) & (day[cut:] < entered[inside_now] + stay)).sum(axis=1)
        rooms = resource_demand(projection, protocol, parameters, seed=seed,
                                quarantined_by_day=known if calibrated else None).demand["quarantine_rooms"]
        low, high = np.quantile(rooms, [0.1, 0.9], axis=1)
        inside += (truth >= low) & (truth <= high)
    return float(inside.sum() / (horizon * len(seeds))), inside / len(seeds)


@pytest.mark.parametrize("reproduction_number", [1.1, 0.9])
def test_quarantine_rooms_band_covers_the_simulators_occupancy(reproduction_number):
    """The backtest of the rooms forecast (issue 20: 80 % band coverage between 75 % and 85 % on the
    simulator's occupancy), see `_rooms_backtest`. Measured (seeds 1..40, 500 paths, 2026-12-06): R = 1.1 0.780
    of 560 days, R = 0.9 0.841; with 100 seeds 0.812 and 0.823. Before (the forecast without drift, dispersion
    and recorded occupancy): 0.457 at R = 1.1 (100 seeds). Growing fast (R = 1.3) the band runs high in the
    first week (0.638 with 100 seeds, 0.40 on day 3): one median tracing delay puts every contact in on the
    same day — not asserted here; a delay distribution is the next step."""
    coverage, by_day = _rooms_backtest(reproduction_number, range(1, 41))
    print(f"R = {reproduction_number}: rooms 80% band coverage {coverage:.3f}; by day {np.round(by_day, 2)}")
    assert 0.75 <= coverage <= 0.85
    assert by_day.min() >= 0.5  # no day of the horizon is far off


def test_the_rooms_backtest_fails_the_forecast_without_drift_dispersion_and_records():
    """The same backtest on the forecast as it was: too narrow (the test above would fail on it)."""
    coverage, by_day = _rooms_backtest(1.1, range(1, 11), calibrated=False)
    assert coverage < 0.6 and by_day[0] == 0  # day 1 all from the history's cases: one value, never the truth


def test_rt_drift_widens_the_band_and_is_measured_from_the_history():
    history = np.random.default_rng(3).poisson(50, 60).astype(float)
    est = estimate_r(history, **SI)
    held = project_cases(history, horizon=21, scenario=scenario_from_estimate(est), n_paths=2000, seed=1, **SI)
    drifting = project_cases(history, horizon=21, scenario=scenario_from_estimate(est, drift_sd=0.05),
                             n_paths=2000, seed=1, **SI)
    width = lambda p: np.subtract(*p.band(0.8)[::-1])  # noqa: E731
    assert width(drifting)[-1] > 1.5 * width(held)[-1]
    assert width(drifting)[0] == pytest.approx(width(held)[0], rel=0.25)  # the first day barely moves
    # a constant series gives a small drift; a step from 1 to 1.5 in Rt a large one, bounded by 1
    flat = rt_drift_sd(estimate_r(np.full(60, 100.0), **SI))
    grown = np.concatenate([np.full(40, 100.0), 100.0 * 1.08 ** np.arange(1, 21)])
    step = rt_drift_sd(estimate_r(grown, **SI))
    assert flat < 0.005 < 0.02 < step <= 0.1
    assert rt_drift_sd(estimate_r(grown, **SI), cap=0.01) == 0.01
    assert rt_drift_sd(estimate_r(np.full(10, 5.0), **SI)) == 0.0  # too short to measure a change
    with pytest.raises(ValueError, match="drift_sd"):
        RtScenario("x", gamma_shape=2, gamma_scale=1, drift_sd=-0.1)
    with pytest.raises(ValueError, match="drift_sd"):
        RtScenario("x", gamma_shape=2, gamma_scale=1, drift_sd=float("nan"))
    with pytest.raises(ValueError, match="drift_sd"):
        RtScenario("x", gamma_shape=2, gamma_scale=1, drift_sd=0.5)
    fixed = RtScenario("fixed", rt=1.2, drift_sd=0.2).draw(np.random.default_rng(1), 5, 3)
    assert np.all(fixed == 1.2)  # a what-if value is not drifted


def test_contacts_per_case_drawn_with_their_dispersion_keep_the_mean():
    proj = fixed_projection(np.zeros(3), [100] * 10, n_paths=4000)
    params = DemandParameters(close_contacts_per_case=6, tracing_delay_days=0, close_contacts_dispersion=1.0)
    rooms = resource_demand(proj, PROTOCOL_9TH_EDITION, params, seed=5).demand["quarantine_rooms"]
    exact = resource_demand(proj, PROTOCOL_9TH_EDITION, DemandParameters(close_contacts_per_case=6,
                                                                         tracing_delay_days=0)).demand["quarantine_rooms"]
    assert np.all(exact[0] == 600) and rooms[0].mean() == pytest.approx(600, rel=0.01)
    # 100 cases with k = 1 each: variance of the day's contacts 100 (6 + 36) = 4,200
    assert rooms[0].var() == pytest.approx(4200, rel=0.1)
    again = resource_demand(proj, PROTOCOL_9TH_EDITION, params, seed=5).demand["quarantine_rooms"]
    np.testing.assert_array_equal(rooms, again)
    assert negative_binomial_k(np.random.default_rng(2).negative_binomial(2.0, 2.0 / 8.0, 20000)) == \
        pytest.approx(2.0, rel=0.1)
    assert negative_binomial_k([3, 3, 3]) == 1000.0 and negative_binomial_k([5]) is None
    assert negative_binomial_k([0, 0]) is None
    with pytest.raises(ValueError, match="counts"):
        negative_binomial_k([1, -1])
    with pytest.raises(ValueError, match="close_contacts_dispersion"):
        DemandParameters(close_contacts_dispersion=0)


def test_people_already_in_quarantine_replace_the_modelled_contacts_of_earlier_cases():
    # A case reported 4 days and one reported 1 day before day 1; contacts enter 1 day after the report.
    proj = fixed_projection([0, 1, 0, 0, 1], [0, 2, 0, 0, 0, 0, 0, 0])
    params = DemandParameters(close_contacts_per_case=10, secondary_contacts_per_close_contact=0,
                              tracing_delay_days=1)
    modelled = resource_demand(proj, PROTOCOL_9TH_EDITION, params).demand
    recorded = [7, 7, 7, 7, 3, 3, 0, 0]  # 7 people in, 4 leaving after day 4, 3 after day 6
    known = resource_demand(proj, PROTOCOL_9TH_EDITION, params, quarantined_by_day=recorded).demand
    # the first case's contacts entered before day 1 (records say 7, not the model's 10); the second's enter on
    # day 1 (history day 4 + 1) and the projected case's on day 3: still modelled
    np.testing.assert_allclose(modelled["quarantine_rooms"][:, 0], [20, 20, 40, 40, 30, 30, 30, 20])
    np.testing.assert_allclose(known["quarantine_rooms"][:, 0], [17, 17, 37, 37, 33, 33, 30, 20])
    np.testing.assert_allclose(known["home_monitored"], modelled["home_monitored"])  # still from the history
    with pytest.raises(ValueError, match="quarantined_by_day"):
        resource_demand(proj, PROTOCOL_9TH_EDITION, params, quarantined_by_day=[1, 2])


# --- demand ----------------------------------------------------------------------------------------------


def test_protocol_presets_follow_the_design_table():
    assert PROTOCOLS["8th"] is PROTOCOL_8TH_EDITION
    assert (PROTOCOL_8TH_EDITION.close_contact_centralised_days, PROTOCOL_8TH_EDITION.close_contact_home_days) == (14, 7)
    assert PROTOCOL_8TH_EDITION.close_contact_test_days == (1, 4, 7, 14)
    assert PROTOCOL_8TH_EDITION.secondary_contact_centralised
    assert (PROTOCOL_9TH_EDITION.close_contact_centralised_days, PROTOCOL_9TH_EDITION.close_contact_home_days) == (7, 3)
    assert PROTOCOL_9TH_EDITION.close_contact_test_days == (1, 2, 3, 5, 7)
    assert not PROTOCOL_9TH_EDITION.secondary_contact_centralised
    assert PROTOCOL_20_MEASURES_NOV_2022.close_contact_home_test_days == (1, 3)
    assert not PROTOCOL_20_MEASURES_NOV_2022.secondary_contacts_traced
    assert PROTOCOL_20_MEASURES_NOV_2022.inbound_centralised_days == 5


def test_rooms_beds_tests_follow_protocol_arithmetic():
    # One reported case on day 1 of the horizon, none before or after.
    proj = fixed_projection(np.zeros(5), [1] + [0] * 29)
    params = DemandParameters(close_contacts_per_case=10, secondary_contacts_per_close_contact=2,
                              tracing_delay_days=1, isolation_fraction=1.0, isolation_days=14,
                              severe_fraction=0.5, severe_delay_days=5, severe_days=10, tests_per_case=2,
                              staff_per_quarantine_room=0.1, staff_per_isolation_bed=0.2, staff_per_severe_bed=1.0,
                              staff_per_home_monitored=0.0,
                              supplies_per_quarantine_day={"masks": 2}, supplies_per_patient_day={"masks": 5})
    eighth = resource_demand(proj, PROTOCOL_8TH_EDITION, params).demand
    rooms = eighth["quarantine_rooms"][:, 0]
    # 10 close contacts (14 days) + 20 contacts of close contacts (7 days) from day 2.
    assert rooms[0] == 0 and rooms[1] == 30 and rooms[7] == 30 and rooms[8] == 10 and rooms[14] == 10
    assert rooms[15] == 0 and rooms.sum() == 10 * 14 + 20 * 7
    assert eighth["home_monitored"][:, 0].sum() == 10 * 7
    assert eighth["isolation_beds"][:, 0].sum() == 14
    severe = eighth["severe_care_beds"][:, 0]
    assert severe[5] == 0.5 and severe[4] == 0 and severe.sum() == 5
    tests = eighth["tests"][:, 0]
    # Case: 2 tests on day 1. Close contacts enter on day 2: tests days 1,4,7,14 -> horizon days 2,5,8,15;
    # home days 2,7 -> days 17, 22. Contacts of close contacts days 1,4,7 -> 2,5,8 (20 each).
    assert tests[0] == 2 and tests[1] == 10 + 20 and tests[4] == 30 and tests[14] == 10
    assert tests[16] == 10 and tests[21] == 10 and tests.sum() == 2 + 10 * 6 + 20 * 3
    np.testing.assert_allclose(eighth["staff"][1, 0], 30 * 0.1 + 1 * 0.2)
    assert eighth["supply:masks"][1, 0] == 30 * 2 + 1 * 5

    nov = resource_demand(proj, PROTOCOL_20_MEASURES_NOV_2022, params).demand
    assert nov["quarantine_rooms"][:, 0].sum() == 10 * 5
    assert nov["tests"][:, 0].sum() == 2 + 10 * 4 + 10 * 2
    ninth = resource_demand(proj, PROTOCOL_9TH_EDITION, params).demand
    # 9th edition: contacts of close contacts at home, not in rooms.
    assert ninth["quarantine_rooms"][:, 0].sum() == 10 * 7
    assert ninth["home_monitored"][:, 0].sum() == 10 * 3 + 20 * 7


def test_periods_counted_from_the_last_exposure_shorten_the_stay():
    # One case reported on day 1; its 10 close contacts were last exposed 3 days before the report and enter
    # quarantine the day after it (day 2). 8th edition: period days 1..14 are horizon days -1..12, so they are
    # in rooms on days 2..12 (11 days, not 14) and at home on days 13..19; tests on period days 4, 7, 14 and
    # home days 2, 7 (day 1 fell before they were found).
    proj = fixed_projection(np.zeros(5), [1] + [0] * 29)
    params = DemandParameters(close_contacts_per_case=10, secondary_contacts_per_close_contact=0,
                              tracing_delay_days=1, exposure_to_report_days=3, tests_per_case=0)
    demand = resource_demand(proj, PROTOCOL_8TH_EDITION, params).demand
    rooms = demand["quarantine_rooms"][:, 0]
    assert rooms[0] == 0 and rooms[1] == 10 and rooms[11] == 10 and rooms[12] == 0 and rooms.sum() == 10 * 11
    home = demand["home_monitored"][:, 0]
    assert home[11] == 0 and home[12] == 10 and home[18] == 10 and home[19] == 0
    tests = demand["tests"][:, 0]
    assert np.flatnonzero(tests).tolist() == [1, 4, 11, 13, 18]  # period days 4, 7, 14; home days 2, 7
    # found after the whole period: nobody in a room
    late = DemandParameters(close_contacts_per_case=10, secondary_contacts_per_close_contact=0,
                            tracing_delay_days=30, exposure_to_report_days=3)
    assert resource_demand(proj, PROTOCOL_8TH_EDITION, late).demand["quarantine_rooms"].sum() == 0
    with pytest.raises(ValueError, match="exposure_to_report_days"):
        DemandParameters(exposure_to_report_days=-1)


def test_history_cases_still_occupy_rooms_and_travellers_add_rooms():
    proj = fixed_projection([0, 0, 0, 1, 0], [0] * 10)
    params = DemandParameters(close_contacts_per_case=10, tracing_delay_days=0, people_per_room=2)
    demand = resource_demand(proj, PROTOCOL_9TH_EDITION, params, inbound_travellers=4).demand
    # Contacts of the case reported 2 days before day 1 are in rooms on days 1..5 (7 days from day -1).
    rooms = demand["quarantine_rooms"][:, 0]
    np.testing.assert_allclose(rooms[:5], (10 + 4 * np.arange(1, 6)) / 2)
    assert rooms[5] == 4 * 6 / 2 and rooms[7] == 4 * 7 / 2


def test_shortage_day_per_path_and_summary():
    growing = np.arange(1, 31, dtype=float)
    paths = np.stack([growing, 2 * growing, np.zeros(30)], axis=1)
    proj = Projection("x", paths, paths, np.ones_like(paths), np.zeros(3))
    params = DemandParameters(close_contacts_per_case=1, secondary_contacts_per_close_contact=0,
                              tracing_delay_days=0, isolation_days=1,
                              supplies_per_patient_day={"masks": 1.0})
    demand = resource_demand(proj, PROTOCOL_20_MEASURES_NOV_2022, params)
    out = shortage_days(demand, {"isolation_beds": 10, "supply:masks": 100})
    beds = out["isolation_beds"]
    assert beds.day_per_path.tolist() == [11, 6, np.inf]
    assert beds.probability == pytest.approx(2 / 3) and beds.median_day == 11
    # Stock: cumulative use 1+2+...+n > 100 first at n = 14 (path 1); 2(1+...+n) > 100 at n = 10 (path 2).
    assert out["supply:masks"].day_per_path.tolist() == [14, 10, np.inf]
    with pytest.raises(ValueError, match="unknown resource 'beds'"):
        shortage_days(demand, {"beds": 3})
    with pytest.raises(ValueError, match="capacity for 'tests'"):
        shortage_days(demand, {"tests": -1})


def test_shortage_under_uncertainty_from_a_projection():
    history = np.random.default_rng(1).poisson(30, 40)
    proj = project_cases(history, horizon=28, scenario=RtScenario("relaxed", rt=1.3), n_paths=400, seed=8, **SI)
    demand = resource_demand(proj, PROTOCOL_9TH_EDITION, DemandParameters())
    rooms_now = float(demand.quantile("quarantine_rooms", 0.5)[0])
    out = shortage_days(demand, {"quarantine_rooms": rooms_now * 1.5, "isolation_beds": 1e9})
    rooms = out["quarantine_rooms"]
    assert 0.9 < rooms.probability <= 1.0
    assert 1 < rooms.day_80[0] <= rooms.median_day <= rooms.day_80[1] < 29
    assert out["isolation_beds"].probability == 0 and out["isolation_beds"].median_day == np.inf


# --- bad input -------------------------------------------------------------------------------------------


def test_bad_projection_input_is_rejected():
    scenario = RtScenario("r", rt=1.0)
    with pytest.raises(ValueError, match="local contains negative counts"):
        project_cases([1, -1, 2], horizon=3, scenario=scenario, **SI)
    with pytest.raises(ValueError, match="horizon must be a positive"):
        project_cases([1, 2, 3], horizon=0, scenario=scenario, **SI)
    with pytest.raises(ValueError, match="future_imported must have 3 values"):
        project_cases([1, 2, 3], horizon=3, scenario=scenario, future_imported=[1, 2], **SI)
    with pytest.raises(ValueError, match="must start at zero"):
        project_cases([1, 2, 3], horizon=3, scenario=scenario, si_distr=[0.5, 0.5])
    with pytest.raises(ValueError, match="rt must be a scalar or have 3 values"):
        project_cases([1, 2, 3], horizon=3, scenario=RtScenario("bad", rt=[1, 2]), **SI)
    with pytest.raises(ValueError, match="rt must be finite and >= 0"):
        project_cases([1, 2, 3], horizon=3, scenario=RtScenario("bad", rt=-1), **SI)
    with pytest.raises(ValueError, match="give rt, or gamma_shape"):
        project_cases([1, 2, 3], horizon=3, scenario=RtScenario("bad"), **SI)
    with pytest.raises(ValueError, match="report_delay_distr"):
        project_cases([1, 2, 3], horizon=3, scenario=scenario, report_delay_distr=[0.5, 0.2], **SI)
    with pytest.raises(ValueError, match="quantile levels"):
        project_cases([1, 2, 3], horizon=3, scenario=scenario, **SI).quantile(1.5)


def test_bad_protocol_and_parameters_are_rejected():
    with pytest.raises(ValueError, match="close_contact_test_days must lie within"):
        QuarantineProtocol("x", 5, 3, (1, 6), (), False, 0, False, (), 5, 3)
    with pytest.raises(ValueError, match="close_contact_centralised_days must be >= 0"):
        QuarantineProtocol("x", -5, 3, (), (), False, 0, False, (), 5, 3)
    with pytest.raises(ValueError, match="severe_fraction must be <= 1"):
        DemandParameters(severe_fraction=1.5)
    with pytest.raises(ValueError, match="close_contacts_per_case must be"):
        DemandParameters(close_contacts_per_case=-1)
    with pytest.raises(ValueError, match=r"supplies_per_quarantine_day\['masks'\]"):
        DemandParameters(supplies_per_quarantine_day={"masks": -2})


def test_occupancy_above_counts_the_paths_crossing_the_share_of_capacity_within_the_days():
    from fangkong.epi.projection import ResourceDemand, occupancy_above

    # 4 paths over 5 days: path 0 never above 90 of 100, path 1 above on day 2, path 2 on day 5, path 3 at 90 exactly
    rooms = np.array([[10, 80, 10, 90], [20, 95, 10, 90], [30, 10, 10, 90], [40, 10, 10, 90], [50, 10, 91, 90]],
                     dtype=float)
    demand = ResourceDemand(protocol="test", demand={"quarantine_rooms": rooms, "supply:masks": rooms})
    assert occupancy_above(demand, {"quarantine_rooms": 100}) == {"quarantine_rooms": 0.5}
    assert occupancy_above(demand, {"quarantine_rooms": 100}, within=4) == {"quarantine_rooms": 0.25}
    assert occupancy_above(demand, {"quarantine_rooms": 100}, share=0.5, within=1) == {"quarantine_rooms": 0.5}
    assert occupancy_above(demand, {"quarantine_rooms": 0}) == {"quarantine_rooms": 1.0}
    for bad in ({"supply:masks": 10}, {"quarantine_rooms": -1}, {"quarantine_rooms": float("nan")}):
        with pytest.raises(ValueError):
            occupancy_above(demand, bad)
    with pytest.raises(ValueError):
        occupancy_above(demand, {"quarantine_rooms": 100}, within=6)
