"""CIDARS moving percentile and fixed threshold."""

import numpy as np
import pytest

from fangkong.epi.detection import fixed_threshold, moving_percentile


def test_moving_percentile_uses_15_historical_seven_day_counts():
    # given a daily series over four years for two units
    rng = np.random.default_rng(3)
    observed = rng.poisson([2.0, 9.0], size=(4 * 365 + 20, 2))
    t = observed.shape[0] - 1
    # when the CIDARS default (P50, 3 years, 2 adjacent periods each side) is run at the last day
    result = moving_percentile(observed, timepoints=[t], freq=365)
    # then the bound is the median of the same 7-day period and the two before/after, 3 years back
    history = [
        observed[t - 365 * year + 7 * period - 6 : t - 365 * year + 7 * period + 1].sum(axis=0)
        for year in (1, 2, 3)
        for period in (-2, -1, 0, 1, 2)
    ]
    np.testing.assert_allclose(result.upperbound[0], np.median(history, axis=0))
    np.testing.assert_array_equal(result.current[0], observed[t - 6 : t + 1].sum(axis=0))
    np.testing.assert_array_equal(result.alarm[0], result.current[0] > result.upperbound[0])


def test_moving_percentile_alarms_on_a_surge_only():
    observed = np.full((3 * 365 + 30, 1), 1)
    quiet = moving_percentile(observed, freq=365, timepoints=[3 * 365 + 29])
    observed[-3:] = 10
    surge = moving_percentile(observed, freq=365, timepoints=[3 * 365 + 29], percentile=80)
    assert not quiet.alarm[0, 0]
    assert surge.alarm[0, 0]


def test_weekly_series_compare_single_weeks():
    observed = np.arange(52 * 3 + 5)
    result = moving_percentile(observed, freq=52, timepoints=[52 * 3 + 4], adjacent_periods=0)
    np.testing.assert_allclose(result.upperbound[0, 0], np.median([4 + 52 * 2, 4 + 52, 4]))


def test_fixed_threshold_alarms_on_one_case():
    observed = np.array([[0, 0], [0, 1], [0, 0]])
    result = fixed_threshold(observed)
    np.testing.assert_array_equal(result.alarm, [[False, False], [False, True], [False, False]])
    np.testing.assert_array_equal(result.upperbound, np.zeros((3, 2)))


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"percentile": 120}, "percentile"),
        ({"years": 0}, "years"),
        ({"timepoints": [100]}, "timepoints"),
        ({"period_length": 0}, "period_length"),
    ],
)
def test_moving_percentile_bad_parameters(arguments, parameter):
    with pytest.raises(ValueError, match=parameter):
        moving_percentile(np.zeros(4 * 365), freq=365, **arguments)


def test_fixed_threshold_bad_parameters():
    with pytest.raises(ValueError, match="threshold"):
        fixed_threshold(np.zeros(5), threshold=0)
    with pytest.raises(ValueError, match="non-negative"):
        fixed_threshold(np.array([1, -1]))


def test_small_integer_dtypes_give_the_same_answer_as_floats():
    # given daily counts stored compactly as int16 (as in a 200,000-series daily pass)
    rng = np.random.default_rng(5)
    compact = rng.poisson(3, size=(3 * 365 + 30, 4)).astype(np.int16)
    # when the moving percentile runs on int16 and on float copies
    small = moving_percentile(compact, freq=365, timepoints=[3 * 365 + 29])
    wide = moving_percentile(compact.astype(float), freq=365, timepoints=[3 * 365 + 29])
    # then the answers are identical
    np.testing.assert_array_equal(small.upperbound, wide.upperbound)
    np.testing.assert_array_equal(small.alarm, wide.alarm)
