"""farrington_flexible against R surveillance::farringtonFlexible, and its own guarantees."""

import numpy as np
import pytest

from fangkong.epi.detection import farrington_flexible
from fangkong.epi.series import SurveillanceSeries
from fangkong.epi.tests import surveillance_reference as ref

CASES = ref.cases("farrington_flexible.json")
NOUFAILY = {
    "no_periods": 10,
    "weights_threshold": 2.58,
    "past_weeks_not_included": 26,
    "p_threshold_trend": 1,
    "threshold_method": "nbPlugin",
}


_COMPAT_RUNS = {}


def run_case_compat(case):
    """R-compatible run of a reference case, computed once per case for the tests below."""
    key = ref.case_id(case)
    if key not in _COMPAT_RUNS:
        _COMPAT_RUNS[key] = run_case(case)
    return _COMPAT_RUNS[key]


def run_case(case, **overrides):
    arguments = ref.keyword_arguments(case) | {"r_compat": True} | overrides
    population = ref.population() if arguments.get("population_offset") else None
    return farrington_flexible(
        ref.dataset(case["data"]), timepoints=ref.timepoints(case), population=population, **arguments
    )


@pytest.mark.parametrize("case", CASES, ids=ref.case_id)
def test_bounds_and_expected_agree_with_r(case):
    # given one of R's reference runs (data set x control list)
    # when fangkong runs the same configuration in R-compatible mode
    result = run_case_compat(case)
    # then the bound and expected count agree to 1e-6 relative, and are missing exactly where R's are
    for name, ours in (("upperbound", result.upperbound), ("expected", result.expected)):
        reference = ref.as_array(case[name])
        assert np.array_equal(np.isnan(ours), np.isnan(reference)), name
        assert ref.relative_difference(ours, reference) < 1e-6, name


@pytest.mark.parametrize("case", CASES, ids=ref.case_id)
def test_alarms_and_diagnostics_agree_with_r(case):
    # given one of R's reference runs
    result = run_case_compat(case)
    score = ref.as_array(case["score"])
    # then alarms are identical wherever the score is not within 1e-9 of its threshold (1)
    decided = ~(np.abs(score - 1) < 1e-9)
    assert np.array_equal(result.alarm[decided], ref.r_alarm(case)[decided])
    # and phi, the trend decision and its coefficient agree
    assert np.array_equal(np.isnan(result.phi), np.isnan(ref.as_array(case["phi"])))
    assert ref.relative_difference(result.phi, ref.as_array(case["phi"])) < 1e-6
    r_trend = ref.as_array(case["trend"])
    assert np.array_equal(np.nan_to_num(result.trend), np.nan_to_num(r_trend))
    coefficient = ref.as_array(case["trend_coefficient"])
    assert np.array_equal(np.isnan(result.trend_coefficient), np.isnan(coefficient))
    assert ref.relative_difference(result.trend_coefficient, coefficient) < 1e-6
    # and the score agrees (absolute where it is close to 0, where a relative error means nothing)
    assert ref.relative_difference(result.score, score, floor=1e-3) < 1e-6
    # and the p-value too (1e-4: in the all-zero seasonal levels of the "zeros" data a far tail
    # probability amplifies the ~1e-7 differences of the fit; elsewhere it agrees to 1e-8)
    pvalue = ref.as_array(case["pvalue"])
    assert np.array_equal(np.isnan(result.pvalue), np.isnan(pvalue))
    assert ref.relative_difference(result.pvalue, pvalue, floor=1e-12) < (
        1e-4 if case["data"] == "zeros" else 1e-7
    )


def test_fixtures_cover_every_threshold_method_trend_and_seasonal_factors():
    # given the committed R reference runs
    controls = [case["control"] or {} for case in CASES]
    # then every threshold method, trend on and off, several factor counts and offsets are covered
    assert {c.get("thresholdMethod", "delta") for c in controls} == {"delta", "nbPlugin", "muan"}
    assert {c.get("trend", True) for c in controls} == {True, False}
    assert {c.get("noPeriods", 1) for c in controls} >= {1, 4, 10}
    assert any(c.get("populationOffset") for c in controls)
    assert {case["data"] for case in CASES} >= {
        "zeros",
        "missing",
        "recent_start",
        "overdispersed",
        "underdispersed",
    }
    # and R kept a trend in some runs and raised alarms in some runs
    assert any(np.nansum(ref.as_array(case["trend"])) > 0 for case in CASES)
    assert any(ref.r_alarm(case).any() for case in CASES)


def test_published_dispersion_equals_r_without_reweighting():
    # given the no-reweighting reference run (R's weight overwrite plays no part there)
    case = next(c for c in CASES if c["config"] == "no_reweight" and c["data"] == "trend")
    # when run in the default (published) mode
    published = run_case(case, r_compat=False)
    # then it matches R
    assert ref.relative_difference(published.upperbound, ref.as_array(case["upperbound"])) < 1e-6


def test_published_dispersion_widens_the_prediction_interval_when_reweighting():
    # given R's default reference run on counts of about 25 a week
    case = next(c for c in CASES if c["config"] == "no_trend" and c["data"] == "poisson")
    # when run with the model's own dispersion instead of R's overwritten weights
    published = run_case(case, r_compat=False)
    compat = run_case(case, r_compat=True)
    # then the expected counts are the same, the bounds are higher (R's standard error is shrunk)
    np.testing.assert_allclose(published.expected, compat.expected, rtol=1e-12)
    assert np.all(published.upperbound[:, 2] > compat.upperbound[:, 2])


def test_units_are_independent_of_each_other():
    # given three series evaluated together
    observed = ref.dataset("seasonal")
    together = farrington_flexible(observed, timepoints=[360, 373], **NOUFAILY)
    # when each is evaluated alone
    for unit in range(observed.shape[1]):
        alone = farrington_flexible(observed[:, unit], timepoints=[360, 373], **NOUFAILY)
        # then the results are the same
        np.testing.assert_allclose(alone.upperbound[:, 0], together.upperbound[:, unit], rtol=1e-12)
        np.testing.assert_allclose(alone.expected[:, 0], together.expected[:, unit], rtol=1e-12)


def test_accepts_a_series_object_and_defaults_to_rs_range():
    # given a series object with weekly frequency
    observed = ref.dataset("poisson")
    series = SurveillanceSeries(observed, freq=52)
    # when run without timepoints
    result = farrington_flexible(series)
    # then R's default range freq*b + w + 1 .. n (1-based) is evaluated, shaped (time, unit)
    assert result.timepoints[0] == 52 * 5 + 3
    assert result.upperbound.shape == (observed.shape[0] - (52 * 5 + 3), 3)
    np.testing.assert_allclose(
        result.upperbound[-1], farrington_flexible(observed, timepoints=[373]).upperbound[0], rtol=1e-12
    )


def test_outbreak_raises_an_alarm():
    # given a flat Poisson history and a large count now
    rng = np.random.default_rng(7)
    observed = rng.poisson(5, size=(300, 1)).astype(float)
    observed[-1] = 40
    # when the improved Farrington method is run at the last week
    result = farrington_flexible(observed, timepoints=[299], **NOUFAILY)
    # then it alarms, and not for an ordinary count
    assert result.alarm[0, 0]
    observed[-1] = 5
    assert not farrington_flexible(observed, timepoints=[299], **NOUFAILY).alarm[0, 0]


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"timepoints": [100]}, "timepoints"),
        ({"timepoints": [400]}, "timepoints"),
        ({"b": 8}, "b=8"),
        ({"threshold_method": "exact"}, "threshold_method"),
        ({"powertrans": "3/4"}, "powertrans"),
        ({"no_periods": 60}, "no_periods"),
        ({"population_offset": True}, "population"),
        ({"limit54": (5, 0)}, "limit54"),
        ({"w": 30}, "w="),
        ({"b": 0}, "b must"),
        ({"alpha": 1.5}, "alpha"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(arguments, parameter):
    # given a valid 374-week series
    observed = ref.dataset("poisson")
    # when called with a bad parameter, then a ValueError names it
    with pytest.raises(ValueError, match=parameter):
        farrington_flexible(observed, **arguments)


@pytest.mark.parametrize(
    ("observed", "message"),
    [
        (np.full(300, -1.0), "non-negative"),
        (np.full(300, 2.5), "integer"),
        (np.zeros((300, 2, 2)), "2-D"),
    ],
)
def test_bad_counts_are_refused(observed, message):
    with pytest.raises(ValueError, match=message):
        farrington_flexible(observed, timepoints=[299])


def test_population_of_wrong_shape_is_refused():
    observed = ref.dataset("population")
    with pytest.raises(ValueError, match="population"):
        farrington_flexible(observed, population=np.ones((10, 3)), population_offset=True)


def test_population_carried_by_a_series_object_is_used_for_the_offset():
    # given the population reference run, with the population inside the series object
    case = next(c for c in CASES if c["config"] == "default_population_offset")
    series = SurveillanceSeries(ref.dataset("population"), population=ref.population(), freq=52)
    # when run without an explicit population argument
    result = farrington_flexible(
        series, timepoints=ref.timepoints(case), population_offset=True, r_compat=True
    )
    # then it matches R's population-offset run, and differs from the run without offset
    assert ref.relative_difference(result.upperbound, ref.as_array(case["upperbound"])) < 1e-6
    plain = farrington_flexible(series, timepoints=ref.timepoints(case), r_compat=True)
    assert not np.allclose(plain.expected, result.expected, equal_nan=True)


def test_no_observed_reference_value_gives_no_result():
    # given a unit whose reference weeks are all missing (R's glm fails outright here)
    observed = ref.dataset("poisson").copy()
    observed[:-20, 0] = np.nan
    # when evaluated at the last week
    result = farrington_flexible(observed, timepoints=[373])
    # then that unit has no bound and no alarm, and the other units are unaffected
    assert np.isnan(result.upperbound[0, 0]) and not result.alarm[0, 0]
    np.testing.assert_allclose(
        result.upperbound[0, 1:],
        farrington_flexible(ref.dataset("poisson")[:, 1:], timepoints=[373]).upperbound[0],
        rtol=1e-12,
    )
