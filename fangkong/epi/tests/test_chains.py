"""Tests for fangkong.epi.chains: chain structure, offspring fit, attack rate, tracing timeliness.

R/k coverage is validated twice: on a small negative-binomial branching process written in this module
(`simulate_branching`, written before the province simulator existed; it checks the censoring of the
unfinished generation with report dates) and on the ground truth of the province simulator
(`fangkong.epi.simulate`, issue 3). Measured coverage is printed (-s) and asserted within binomial error
of 95%.
"""

import numpy as np
import pytest

from fangkong.epi.chains import (
    ContactRecords,
    build_chain_index,
    complete_offspring_counts,
    fit_offspring_negative_binomial,
    tracing_report,
    wilson_proportion,
)

# Case ids deliberately not 0..n-1 and not sorted.
#   chain A: 50 -> 10 -> 30, 50 -> 20 ; chain B: 70 -> 40 ; chain C: 60 alone
CASES = np.array([10, 20, 30, 40, 50, 60, 70])
INFECTOR = np.array([50, 10, 50, 70])
INFECTEE = np.array([10, 30, 20, 40])


def test_chains_are_connected_components_with_generations():
    index = build_chain_index(CASES, INFECTOR, INFECTEE)
    assert index.n_chains == 3
    assert sorted(index.cluster_of(30).tolist()) == [10, 20, 30, 50]
    assert index.cluster_of(50)[0] == 50  # first case of the chain comes first
    assert index.cluster_of(40).tolist() == [70, 40]
    assert index.cluster_of(60).tolist() == [60]
    generation = dict(zip(index.case_ids.tolist(), index.generation.tolist(), strict=True))
    assert generation == {10: 1, 20: 1, 30: 2, 40: 1, 50: 0, 60: 0, 70: 0}
    offspring = dict(zip(index.case_ids.tolist(), index.offspring.tolist(), strict=True))
    assert offspring == {10: 1, 20: 0, 30: 0, 40: 0, 50: 2, 60: 0, 70: 1}
    sizes, counts = index.size_distribution()
    assert sizes.tolist() == [1, 2, 4] and counts.tolist() == [1, 1, 1]


def test_serial_intervals_follow_links_in_caller_order():
    index = build_chain_index(CASES, INFECTOR, INFECTEE)
    onset = np.array(["2022-03-05", "2022-03-07", "2022-03-09", "2022-03-04", "2022-03-01", "NaT", "2022-03-02"],
                     dtype="datetime64[D]")
    si = index.serial_intervals(onset)
    by_link = {
        (int(index.case_ids[a]), int(index.case_ids[b])): v
        for a, b, v in zip(index.link_infector, index.link_infectee, si, strict=True)
    }
    assert by_link == {(50, 10): 4.0, (10, 30): 4.0, (50, 20): 6.0, (70, 40): 2.0}


def test_long_chain_generations_by_pointer_jumping():
    n = 5000
    rng = np.random.default_rng(3)
    ids = rng.permutation(n) * 7 + 1
    index = build_chain_index(ids, ids[:-1], ids[1:])
    assert index.n_chains == 1
    np.testing.assert_array_equal(index.generation[np.searchsorted(index.case_ids, ids)], np.arange(n))


def test_random_forest_generations_are_consistent_with_parents():
    rng = np.random.default_rng(5)
    n = 20000
    parent = np.where(rng.random(n) < 0.3, -1, (rng.random(n) * np.arange(n)).astype(int))
    parent[0] = -1
    child = np.flatnonzero(parent >= 0)
    index = build_chain_index(np.arange(n), parent[child], child)
    has = index.parent >= 0
    assert np.all(index.generation[has] == index.generation[index.parent[has]] + 1)
    assert np.all(index.generation[~has] == 0)
    assert index.n_chains == int(np.sum(parent < 0))
    assert index.chain_sizes.sum() == n


def test_cycles_are_rejected():
    with pytest.raises(ValueError, match="cycle in infector links involving case"):
        build_chain_index([1, 2, 3, 4], [1, 2, 3], [2, 3, 1])
    with pytest.raises(ValueError, match="infects itself"):
        build_chain_index([1, 2], [1], [1])


def test_bad_links_are_rejected():
    with pytest.raises(ValueError, match="more than one infector"):
        build_chain_index([1, 2, 3], [1, 2], [3, 3])
    with pytest.raises(ValueError, match="unknown case id 9"):
        build_chain_index([1, 2, 3], [1, 9], [2, 3])
    with pytest.raises(ValueError, match="not unique"):
        build_chain_index([1, 1, 3], [1], [3])
    with pytest.raises(ValueError, match="same length"):
        build_chain_index([1, 2, 3], [1, 2], [3])
    with pytest.raises(ValueError, match="integer ids"):
        build_chain_index([1.5, 2.0], [], [])
    with pytest.raises(ValueError, match="dates out of order: case 2 infected before its infector 1"):
        build_chain_index([1, 2], [1], [2], infection_dates=[5.0, 3.0])
    with pytest.raises(ValueError, match="unknown case id 7"):
        build_chain_index([1, 2], [1], [2]).cluster_of(7)


def test_negative_binomial_fit_recovers_parameters_and_ci_is_profile_likelihood():
    rng = np.random.default_rng(1)
    r, k = 1.3, 0.4
    counts = rng.poisson(rng.gamma(k, r / k, size=4000))
    fit = fit_offspring_negative_binomial(counts)
    assert fit.r == pytest.approx(counts.mean())
    assert fit.r_ci[0] < r < fit.r_ci[1]
    assert fit.k_ci[0] < k < fit.k_ci[1]
    assert fit.k == pytest.approx(k, rel=0.15)
    # At each CI bound the profile log-likelihood is 1.92 below the maximum.
    from fangkong.epi.chains import _best_log_k, _nb_loglik

    values, weights = np.unique(counts, return_counts=True)
    for bound in fit.r_ci:
        assert _best_log_k(values.astype(float), weights, bound)[1] == pytest.approx(fit.log_likelihood - 1.9207, abs=1e-3)
    for bound in fit.k_ci:
        assert _nb_loglik(values.astype(float), weights, fit.r, bound) == pytest.approx(fit.log_likelihood - 1.9207, abs=1e-3)


def test_poisson_offspring_gives_unbounded_k():
    counts = np.random.default_rng(2).poisson(0.8, size=3000)
    fit = fit_offspring_negative_binomial(counts)
    assert fit.k_ci[1] == np.inf
    assert fit.k_ci[0] > 1


def test_all_zero_offspring():
    fit = fit_offspring_negative_binomial(np.zeros(100, dtype=int))
    assert fit.r == 0 and fit.r_ci == (0.0, pytest.approx(1.9207 / 100, rel=1e-3))


def test_offspring_fit_rejects_bad_counts():
    with pytest.raises(ValueError, match="non-negative integers"):
        fit_offspring_negative_binomial([1, -1, 2])
    with pytest.raises(ValueError, match="non-empty"):
        fit_offspring_negative_binomial([])


def test_unfinished_generation_is_censored_by_report_date():
    index = build_chain_index(CASES, INFECTOR, INFECTEE)
    report = np.array([5, 7, 9, 4, 1, 20, 2], dtype=float)
    counts, censored = complete_offspring_counts(index, report, as_of=20, follow_up_days=14)
    # Cases reported on or before day 6: 10 (day 5), 40 (4), 50 (1), 70 (2).
    assert censored and sorted(counts.tolist()) == [0, 1, 1, 2]
    all_counts, censored = complete_offspring_counts(index)
    assert not censored and all_counts.size == 7
    with pytest.raises(ValueError, match="report_dates are needed"):
        complete_offspring_counts(index, as_of=20)
    # Only local cases (here: all but 50 and 70, the chains' first cases).
    local = ~np.isin(CASES, [50, 70])
    counts, _ = complete_offspring_counts(index, report, as_of=20, follow_up_days=14, only=local)
    assert sorted(counts.tolist()) == [0, 1]
    with pytest.raises(ValueError, match="only must be a boolean array"):
        complete_offspring_counts(index, only=[1, 0])


def simulate_branching(rng, *, r, k, n_seeds=150, seed_days=60, as_of=70, max_cases=200000):
    """Negative-binomial branching process with dates.

    Seeds are infected uniformly over `seed_days`; each case has NB(mean r, dispersion k) infectees,
    infected a Gamma(mean 5, sd 2) generation interval later (rounded to days), every case reported 3 days
    after infection. Only cases reported by `as_of` are observed. Returns ids, infector links and
    report dates of observed cases.
    """
    infected = np.sort(rng.integers(0, seed_days, n_seeds)).astype(float)
    parent = np.full(n_seeds, -1)
    frontier = np.arange(n_seeds)
    all_infected, all_parent = [infected], [parent]
    total = n_seeds
    while frontier.size and total < max_cases:
        times = np.concatenate(all_infected)
        offspring = rng.poisson(rng.gamma(k, r / k, size=frontier.size))
        parents = np.repeat(frontier, offspring)
        delay = np.maximum(1.0, np.round(rng.gamma(6.25, 0.8, size=parents.size)))
        child_time = times[parents] + delay
        keep = child_time + 3 <= as_of  # later infections are never observed
        new = np.arange(total, total + int(keep.sum()))
        all_infected.append(child_time[keep])
        all_parent.append(parents[keep])
        total += new.size
        frontier = new
    infected = np.concatenate(all_infected)
    parent = np.concatenate(all_parent)
    report = infected + 3
    ids = np.arange(infected.size)
    child = parent >= 0
    return ids, parent[child], ids[child], report, as_of


def test_r_and_k_intervals_cover_truth_at_nominal_rate_on_simulated_chains():
    """Across 200 simulated outbreaks (R = 0.9, k = 0.4, about 600 complete cases each), censored at the
    data cut-off, the 95% profile intervals should contain the true R and k in about 95% of runs.

    Measured (seed 2024, 2026-11-29): R 181/200 = 90.5%, k 191/200 = 95.5%. Profile-likelihood intervals
    for the mean of a strongly overdispersed NB undercover a little at this size (on iid NB samples:
    93% at n = 300, 96% at n = 1000). Assertion: >= 85% (binomial noise). Without censoring the
    unfinished generation the mean offspring is about 0.81 instead of 0.9 — asserted below.
    """
    rng = np.random.default_rng(2024)
    true_r, true_k = 0.9, 0.4
    runs, r_hits, k_hits, naive_r = 200, 0, 0, []
    for _ in range(runs):
        ids, infector, infectee, report, as_of = simulate_branching(rng, r=true_r, k=true_k)
        index = build_chain_index(ids, infector, infectee)
        counts, _ = complete_offspring_counts(index, report, as_of=as_of, follow_up_days=14)
        fit = fit_offspring_negative_binomial(counts, censored=True)
        r_hits += fit.r_ci[0] <= true_r <= fit.r_ci[1]
        k_hits += fit.k_ci[0] <= true_k <= fit.k_ci[1]
        naive_r.append(fit_offspring_negative_binomial(index.offspring).r)
    print(f"R coverage {r_hits}/{runs}, k coverage {k_hits}/{runs}; "
          f"uncensored mean R {np.mean(naive_r):.3f} vs true {true_r}")
    assert r_hits / runs >= 0.85
    assert k_hits / runs >= 0.85
    # Ignoring the unfinished generation biases R downwards: the censoring is doing work.
    assert np.mean(naive_r) < true_r - 0.05


def make_contacts():
    # Cases 1..4 reported on days 0, 2, 3, 10. Case 1 listed contacts 100, 101 and (case) 2, 3.
    case_ids = np.array([1, 2, 3, 4])
    report = np.array([0.0, 2.0, 3.0, 10.0])
    contacts = ContactRecords(
        index_case_id=np.array([1, 1, 1, 1, 2]),
        listed_at=np.array([0.5, 0.5, 1.0, 2.0, 2.5]),
        quarantined_at=np.array([1.0, np.nan, 1.5, 4.0, 3.0]),
        became_case_id=np.array([-1, -1, 2, 3, -1]),
    )
    return case_ids, report, contacts


def test_tracing_delays_attack_rate_and_cases_found_ahead():
    case_ids, report, contacts = make_contacts()
    out = tracing_report(case_ids, report, contacts, target_days=1.0)
    assert out.report_to_listed.n == 5
    assert out.report_to_listed.mean == pytest.approx((0.5 + 0.5 + 1.0 + 2.0 + 0.5) / 5)
    assert out.report_to_listed.within_target == pytest.approx(4 / 5)
    assert out.listed_to_quarantined.n == 4  # one never quarantined
    assert out.listed_to_quarantined.median == pytest.approx(0.5)
    assert out.secondary_attack_rate.numerator == 2 and out.secondary_attack_rate.denominator == 5
    # Case 2: listed day 1, quarantined 1.5, reported 2 -> found in quarantine.
    # Case 3: listed day 2, quarantined day 4, reported day 3 -> on the list but not yet quarantined.
    assert out.on_list_when_found.tolist() == [False, True, True, False]
    assert out.quarantined_when_found.tolist() == [False, True, False, False]
    assert out.found_on_contact_list.estimate == pytest.approx(0.5)
    assert out.found_in_quarantine.estimate == pytest.approx(0.25)
    recent = tracing_report(case_ids, report, contacts, reported_from=2, reported_to=3)
    assert recent.found_on_contact_list.estimate == 1.0 and recent.found_in_quarantine.estimate == 0.5


def test_tracing_dates_out_of_order_are_rejected():
    case_ids, report, contacts = make_contacts()
    early = ContactRecords(contacts.index_case_id, contacts.listed_at - 1.0, contacts.quarantined_at - 1.0,
                           contacts.became_case_id)
    with pytest.raises(ValueError, match="listed before its index case 1 was reported"):
        tracing_report(case_ids, report, early)
    backwards = ContactRecords(contacts.index_case_id, contacts.listed_at, contacts.listed_at - 0.1,
                               contacts.became_case_id)
    with pytest.raises(ValueError, match="quarantined before being listed"):
        tracing_report(case_ids, report, backwards)
    unknown = ContactRecords(np.array([1, 1, 1, 1, 9]), contacts.listed_at, contacts.quarantined_at,
                             contacts.became_case_id)
    with pytest.raises(ValueError, match="unknown case id 9"):
        tracing_report(case_ids, report, unknown)


def test_wilson_interval():
    p = wilson_proportion(8, 10)
    assert p.low == pytest.approx(0.4902, abs=1e-4) and p.high == pytest.approx(0.9433, abs=1e-4)
    with pytest.raises(ValueError, match="numerator"):
        wilson_proportion(11, 10)


def test_million_contacts_hundred_thousand_cases_index_fit_and_report():
    """The analysis at the scale of a large outbreak gives consistent figures; its speed (target: under
    5 s, cluster look-up under 5 ms) is measured by ``benchmarks/bench_chains.py``, not asserted here."""
    rng = np.random.default_rng(9)
    n_cases, n_contacts = 100_000, 1_000_000
    ids = rng.permutation(n_cases) + 10_000_000
    parent_pos = np.where(rng.random(n_cases) < 0.2, -1, (rng.random(n_cases) * np.arange(n_cases)).astype(int))
    parent_pos[0] = -1
    child = np.flatnonzero(parent_pos >= 0)
    report = np.arange(n_cases) * 0.01
    index_pos = rng.integers(0, n_cases, n_contacts)
    listed = report[index_pos] + rng.exponential(0.8, n_contacts)
    quarantined = listed + rng.exponential(0.5, n_contacts)
    became = np.full(n_contacts, -1)
    became[:child.size] = ids[child]
    contacts = ContactRecords(ids[index_pos], listed, quarantined, became)

    index = build_chain_index(ids, ids[parent_pos[child]], ids[child])
    fit = fit_offspring_negative_binomial(index.offspring)
    tracing = tracing_report(ids, report, contacts)
    assert fit.r > 0 and tracing.secondary_attack_rate.denominator == n_contacts
    assert index.chain_sizes.sum() == n_cases
    for case_id in rng.choice(ids, 20):
        cluster = index.cluster_of(int(case_id))
        assert int(case_id) in cluster.tolist()
        assert cluster.size == index.chain_sizes[index.chain[index.position_of(int(case_id))]]


def test_r_and_k_intervals_cover_province_simulator_truth():
    """Ground truth from the province simulator (`fangkong.epi.simulate`, issue 3): constant R = 0.9,
    k = 0.4, transmission not stopped by isolation (so every infection's offspring is NB(R, k)), a large
    population (no susceptible depletion), imported infections seeding chains for 60 days. All infector
    links of the truth are analysed; the offspring of local infections are fitted (imported infections
    transmit only after entry, so theirs are not NB(R, k)); the unfinished generation is censored by
    infection time, 14 days before the end. Measured (seeds 1..100, 2026-11-29): R covered 96/100, k covered 94/100 (simulator at 5cb4b55).
    Asserted >= 85% each."""
    from fangkong.epi.simulate import ScenarioParams, synthetic_tree
    from fangkong.epi.simulate.epidemic import simulate_epidemic
    from fangkong.epi.simulate.places import generate_places
    from fangkong.epi.simulate.travellers import generate_travellers

    true_r, true_k = 0.9, 0.4
    tree = synthetic_tree(residents=50_000_000)
    runs, r_hits, k_hits = 100, 0, 0
    for seed in range(1, runs + 1):
        params = ScenarioParams(
            seed=seed, history_days=1, epidemic_days=60, reproduction_number=((0, true_r),),
            dispersion_k=true_k, isolation_stops_transmission=False, traveller_infected_fraction=0.1,
            traveller_arrivals_per_day=50,
        )
        places = generate_places(params, tree)
        infections = simulate_epidemic(params, tree, places, generate_travellers(params, tree, places))
        ids = np.arange(infections.n)
        linked = infections.infector >= 0
        index = build_chain_index(ids, infections.infector[linked], ids[linked],
                                  infection_dates=infections.infection_time)
        counts, censored = complete_offspring_counts(
            index, infections.infection_time, as_of=params.total_days, follow_up_days=14,
            only=~infections.imported,
        )
        fit = fit_offspring_negative_binomial(counts, censored=censored)
        r_hits += fit.r_ci[0] <= true_r <= fit.r_ci[1]
        k_hits += fit.k_ci[0] <= true_k <= fit.k_ci[1]
    print(f"province simulator: R coverage {r_hits}/{runs}, k coverage {k_hits}/{runs}")
    assert r_hits / runs >= 0.85
    assert k_hits / runs >= 0.85
