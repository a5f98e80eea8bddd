"""Tests for fangkong.epi.rt against EpiEstim reference outputs (no R needed).

Fixtures come from scripts/r/epiestim_reference.R (EpiEstim 2.2.4). Agreement required: 1e-6 relative
for mean, std and the seven quantiles; NA in EpiEstim must be NaN here.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from fangkong.epi.rt import (
    DEFAULT_QUANTILES,
    discretised_gamma_serial_interval,
    estimate_r,
    estimate_r_uncertain_si,
    gamma_quantile,
    total_infectivity,
)

FIXTURES = Path(__file__).parent / "fixtures" / "epiestim"
REL_TOL = 1e-6


def load(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def as_float(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def warnings_of(case):
    w = case.get("warnings", [])
    return [w] if isinstance(w, str) else list(w)


def max_relative_difference(ours, theirs):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    assert np.array_equal(np.isnan(ours), np.isnan(theirs)), "NaN pattern differs from EpiEstim"
    ok = ~np.isnan(theirs)
    return float(np.max(np.abs(ours[ok] - theirs[ok]) / np.abs(theirs[ok]))) if ok.any() else 0.0


def assert_matches_epiestim(estimate, reference, column=None):
    def pick(a):
        return a if column is None else a[:, column]

    np.testing.assert_array_equal(estimate.t_start, reference["t_start"])
    np.testing.assert_array_equal(estimate.t_end, reference["t_end"])
    worst = max_relative_difference(pick(estimate.mean), as_float(reference["mean"]))
    worst = max(worst, max_relative_difference(pick(estimate.std), as_float(reference["std"])))
    for level, values in reference["quantiles"].items():
        worst = max(worst, max_relative_difference(pick(estimate.quantile(float(level))), as_float(values)))
    assert worst < REL_TOL, f"max relative difference {worst:.3g}"
    return worst


def test_discretised_serial_interval_matches_discr_si():
    for case in load("discr_si"):
        ours = discretised_gamma_serial_interval(case["k"], case["mean"], case["std"])
        theirs = np.array(case["p"])
        np.testing.assert_allclose(ours, theirs, rtol=REL_TOL, atol=1e-15)


def test_parametric_si_matches_epiestim():
    case = load("flu2009_parametric")
    est = estimate_r(case["local"], mean_si=case["mean_si"], std_si=case["std_si"])
    worst = assert_matches_epiestim(est, case["result"])
    np.testing.assert_allclose(est.si_distr, case["si_distr"], rtol=REL_TOL, atol=1e-15)
    print(f"parametric SI, Flu2009: max relative difference {worst:.2e}")


def test_non_parametric_si_matches_epiestim():
    case = load("flu2009_nonparametric")
    est = estimate_r(case["local"], si_distr=case["si_distr_in"])
    assert_matches_epiestim(est, case["result"])
    assert not est.flags.first_window_cv_warning


def test_imported_cases_and_custom_windows_match_epiestim():
    case = load("imported_parametric_custom_windows")
    est = estimate_r(
        case["local"], imported=case["imported"], mean_si=case["mean_si"], std_si=case["std_si"],
        t_start=case["t_start"], t_end=case["t_end"],
    )
    assert_matches_epiestim(est, case["result"])
    # Imported cases must not count as offspring: treating them as local changes the estimate.
    merged = estimate_r(
        np.array(case["local"]) + np.array(case["imported"]), mean_si=case["mean_si"], std_si=case["std_si"],
        t_start=case["t_start"], t_end=case["t_end"],
    )
    assert np.all(merged.mean[1:] > est.mean[1:])


def test_non_parametric_custom_windows_prior_and_flags_match_epiestim():
    case = load("imported_nonparametric_custom_windows_prior")
    est = estimate_r(
        case["local"], imported=case["imported"], si_distr=case["si_distr_in"], t_start=case["t_start"],
        t_end=case["t_end"], mean_prior=case["mean_prior"], std_prior=case["std_prior"],
    )
    assert_matches_epiestim(est, case["result"])
    warned = warnings_of(case)
    # EpiEstim NA windows are flagged, day-1 local cases moved and the CV warning raised.
    assert est.flags.window_before_mean_si.tolist() == [
        m is None for m in case["result"]["mean"]
    ]
    assert bool(est.flags.local_first_day_moved) == any("incid$local[1]" in w for w in warned)
    assert bool(est.flags.first_window_cv_warning) == any("too early" in w for w in warned)
    assert len(est.flags.messages()) == 3


def test_cv_warning_flag_matches_epiestim_warning():
    case = load("small_outbreak_cv_warning")
    est = estimate_r(case["local"], mean_si=case["mean_si"], std_si=case["std_si"])
    assert_matches_epiestim(est, case["result"])
    assert any("too early" in w for w in warnings_of(case))
    assert bool(est.flags.first_window_cv_warning)
    flu = load("flu2009_parametric")
    assert not any("too early" in w for w in warnings_of(flu))
    assert not estimate_r(flu["local"], mean_si=2.6, std_si=1.5).flags.first_window_cv_warning


def test_many_regions_at_once_match_epiestim_run_one_by_one():
    case = load("regions_parametric")
    local = np.array(case["local"], dtype=float)
    imported = np.array(case["imported"], dtype=float)
    est = estimate_r(local, imported=imported, mean_si=case["mean_si"], std_si=case["std_si"])
    assert est.mean.shape == (local.shape[0] - 7, local.shape[1])
    worst = max(assert_matches_epiestim(est, ref, column=u) for u, ref in enumerate(case["results"]))
    print(f"4 regions vectorised: max relative difference {worst:.2e}")


def test_default_quantiles_are_exposed_by_level():
    case = load("flu2009_parametric")
    est = estimate_r(case["local"], mean_si=2.6, std_si=1.5)
    assert tuple(est.quantiles) == DEFAULT_QUANTILES
    np.testing.assert_allclose(est.quantiles[0.5], as_float(case["result"]["quantiles"]["0.5"]), rtol=REL_TOL)
    # Any level works, and quantiles increase with the level.
    assert np.all(est.quantile(0.01) < est.quantile(0.025))


def test_uncertain_si_with_epiestim_draws_matches_within_monte_carlo_error():
    """EpiEstim draws n2 = 2000 values of R for each of n1 = 100 serial intervals; fangkong evaluates the
    same mixture exactly. Given EpiEstim's own serial-interval draws, the discretised intervals must agree
    to 1e-6, and EpiEstim's Monte Carlo mean/std/quantiles must lie within 5 Monte Carlo standard errors of
    the exact mixture values."""
    case = load("flu2009_uncertain_si")
    draws = (case["si_moment_draws"]["mean"], case["si_moment_draws"]["std"])
    kwargs = {k: case[k] for k in (
        "mean_si", "std_mean_si", "min_mean_si", "max_mean_si", "std_si", "std_std_si", "min_std_si", "max_std_si",
    )}
    est = estimate_r_uncertain_si(case["local"], n1=case["n1"], si_moment_draws=draws, **kwargs)
    np.testing.assert_allclose(est.si_distr, np.array(case["si_distr"]), rtol=REL_TOL, atol=1e-15)

    ref = case["result"]
    n_samples = case["n1"] * case["n2"]
    mean_ref, std_ref = as_float(ref["mean"]), as_float(ref["std"])
    assert np.array_equal(np.isnan(est.mean), np.isnan(mean_ref))
    ok = ~np.isnan(mean_ref)
    standard_error = est.std[ok] / np.sqrt(n_samples)
    assert np.all(np.abs(est.mean[ok] - mean_ref[ok]) < 5 * standard_error)
    # std of a sample std is about std * sqrt((kurtosis - 1) / (4 n)); allow a generous 5% here.
    np.testing.assert_allclose(est.std[ok], std_ref[ok], rtol=0.05)
    worst_quantile_z = 0.0
    for level in ("0.025", "0.5", "0.975"):
        q = float(level)
        ours = est.quantile(q)
        theirs = as_float(ref["quantiles"][level])
        # Standard error of a sample quantile: sqrt(q (1 - q) / n) / f(x_q), f the mixture density.
        density = mixture_density(est, ours)
        standard_error = np.sqrt(q * (1 - q) / n_samples) / density[ok]
        z = np.abs(ours[ok] - theirs[ok]) / standard_error
        worst_quantile_z = max(worst_quantile_z, float(z.max()))
        assert np.all(z < 5)
    print(f"uncertain_si vs EpiEstim: worst quantile difference {worst_quantile_z:.2f} Monte Carlo SE")


def mixture_density(est, x):
    from scipy import stats

    used = est.component_used
    a = np.where(used, est.component_shape, 1.0)
    b = np.where(used, est.component_scale, 1.0)
    pdf = np.where(used, stats.gamma.pdf(np.nan_to_num(x)[None, :], a, scale=b), 0.0)
    return pdf.sum(axis=0) / np.maximum(used.sum(axis=0), 1)


def test_uncertain_si_is_reproducible_by_seed_and_draws_stay_in_bounds():
    case = load("flu2009_uncertain_si")
    kwargs = {k: case[k] for k in (
        "mean_si", "std_mean_si", "min_mean_si", "max_mean_si", "std_si", "std_std_si", "min_std_si", "max_std_si",
    )}
    a = estimate_r_uncertain_si(case["local"], n1=200, seed=11, **kwargs)
    b = estimate_r_uncertain_si(case["local"], n1=200, seed=11, **kwargs)
    c = estimate_r_uncertain_si(case["local"], n1=200, seed=12, **kwargs)
    np.testing.assert_array_equal(a.mean, b.mean)
    assert not np.allclose(a.si_mean_draws, c.si_mean_draws)
    assert a.si_mean_draws.min() >= 1 and a.si_mean_draws.max() <= 4.2
    assert a.si_std_draws.min() >= 0.5 and a.si_std_draws.max() <= 2.5
    # Our own draws give a posterior close to EpiEstim's (different random numbers, same model).
    ref_mean = as_float(case["result"]["mean"])
    ok = ~np.isnan(ref_mean) & ~np.isnan(a.mean)
    np.testing.assert_allclose(a.mean[ok], ref_mean[ok], rtol=0.05)
    # Quantiles of the mixture are ordered.
    assert np.all(a.quantile(0.025)[ok] < a.quantile(0.5)[ok])
    assert np.all(a.quantile(0.5)[ok] < a.quantile(0.975)[ok])


def test_fast_gamma_quantile_agrees_with_gammaincinv():
    from scipy import special

    shape = np.exp(np.random.default_rng(0).uniform(np.log(0.05), np.log(1e7), 20000))
    shape[::100] = np.nan
    for q in (1e-6, 1e-4, 0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975, 0.9999, 1 - 1e-6):
        ours = gamma_quantile(shape, q)
        ok = ~np.isnan(shape)
        assert np.all(np.isnan(ours[~ok]))
        np.testing.assert_allclose(ours[ok], special.gammaincinv(shape[ok], q), rtol=1e-12)


def test_infectivity_is_the_renewal_sum():
    incidence = np.array([[3.0], [1.0], [0.0], [4.0]])
    si = np.array([0.0, 0.5, 0.3, 0.2])
    lam = total_infectivity(incidence, si)[:, 0]
    np.testing.assert_allclose(lam, [0.0, 1.5, 0.5 + 0.9, 0.0 + 0.3 + 0.6])


def test_thousand_regions_a_year_in_one_call():
    """Shape of the vectorised call; its speed is measured in benchmarks/bench_rt.py, not asserted here."""
    rng = np.random.default_rng(0)
    local = rng.poisson(20, size=(365, 1000))
    imported = rng.poisson(1, size=(365, 1000))
    est = estimate_r(local, imported=imported, mean_si=5.2, std_si=2.8)
    single = estimate_r(local[:, 17], imported=imported[:, 17], mean_si=5.2, std_si=2.8)
    assert est.mean.shape == (358, 1000)
    np.testing.assert_allclose(est.mean[:, 17], single.mean, rtol=1e-12)


# --- bad input -------------------------------------------------------------------------------------------


def test_negative_counts_are_rejected():
    with pytest.raises(ValueError, match="local contains negative counts"):
        estimate_r([0, 1, -2, 3, 4, 5, 6, 7, 8], mean_si=3, std_si=1)
    with pytest.raises(ValueError, match="imported contains negative counts"):
        estimate_r([0] * 9, imported=[0, 0, -1, 0, 0, 0, 0, 0, 0], mean_si=3, std_si=1)


def test_missing_counts_and_shape_mismatch_are_rejected():
    with pytest.raises(ValueError, match="missing values"):
        estimate_r([0, 1, np.nan, 3, 4, 5, 6, 7, 8], mean_si=3, std_si=1)
    with pytest.raises(ValueError, match="same shape"):
        estimate_r(np.zeros((10, 2)), imported=np.zeros((10, 3)), mean_si=3, std_si=1)
    with pytest.raises(ValueError, match=r"\(time,\) or \(time, unit\)"):
        estimate_r(np.zeros((10, 2, 2)), mean_si=3, std_si=1)


def test_serial_interval_must_start_at_zero_and_sum_to_one():
    counts = list(range(12))
    with pytest.raises(ValueError, match="must start at zero"):
        estimate_r(counts, si_distr=[0.1, 0.5, 0.4])
    with pytest.raises(ValueError, match="must sum to one"):
        estimate_r(counts, si_distr=[0, 0.5, 0.3])
    with pytest.raises(ValueError, match="negative probabilities"):
        estimate_r(counts, si_distr=[0, 1.2, -0.2])
    with pytest.raises(ValueError, match="mean_si must be > 1"):
        estimate_r(counts, mean_si=0.8, std_si=1)
    with pytest.raises(ValueError, match="std_si must be > 0"):
        estimate_r(counts, mean_si=3, std_si=0)
    with pytest.raises(ValueError, match="either si_distr or"):
        estimate_r(counts, si_distr=[0, 1], mean_si=3, std_si=1)
    with pytest.raises(ValueError, match="serial interval is required"):
        estimate_r(counts)


def test_windows_outside_the_data_are_rejected():
    counts = list(range(12))
    with pytest.raises(ValueError, match="t_end outside the data"):
        estimate_r(counts, mean_si=3, std_si=1, t_start=[2], t_end=[13])
    with pytest.raises(ValueError, match="t_start outside the data"):
        estimate_r(counts, mean_si=3, std_si=1, t_start=[1], t_end=[5])
    with pytest.raises(ValueError, match="t_start must be <= t_end"):
        estimate_r(counts, mean_si=3, std_si=1, t_start=[6], t_end=[5])
    with pytest.raises(ValueError, match="same length"):
        estimate_r(counts, mean_si=3, std_si=1, t_start=[2, 3], t_end=[5])
    with pytest.raises(ValueError, match="whole day numbers"):
        estimate_r(counts, mean_si=3, std_si=1, t_start=[2.5], t_end=[5])
    with pytest.raises(ValueError, match="at least 8 days"):
        estimate_r([0, 1, 2], mean_si=3, std_si=1)


def test_bad_prior_quantile_and_uncertain_config_are_rejected():
    counts = list(range(12))
    with pytest.raises(ValueError, match="mean_prior"):
        estimate_r(counts, mean_si=3, std_si=1, mean_prior=0)
    with pytest.raises(ValueError, match="quantile level"):
        estimate_r(counts, mean_si=3, std_si=1).quantile(1.0)
    with pytest.raises(ValueError, match="max_mean_si must be >= mean_si"):
        estimate_r_uncertain_si(
            counts, mean_si=3, std_mean_si=1, min_mean_si=1, max_mean_si=2, std_si=1, std_std_si=0.5,
            min_std_si=0.5, max_std_si=2,
        )
