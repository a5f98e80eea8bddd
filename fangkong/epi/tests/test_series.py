"""SurveillanceSeries: validation of counts, population, frequency, dates and timepoints."""

import numpy as np
import pytest

from fangkong.epi.series import SurveillanceSeries, coerce_series, resolve_timepoints


def test_one_dimensional_counts_are_one_unit():
    series = SurveillanceSeries(np.array([1, 2, 3]))
    assert series.observed.shape == (3, 1)
    assert (series.n_time, series.n_units) == (3, 1)


def test_integer_counts_keep_their_dtype_and_missing_values_are_allowed():
    assert SurveillanceSeries(np.zeros((4, 2), dtype=np.int32)).observed.dtype == np.int32
    with_missing = SurveillanceSeries(np.array([1.0, np.nan, 3.0]))
    assert np.isnan(with_missing.observed[1, 0])


@pytest.mark.parametrize(
    ("observed", "message"),
    [
        (np.array([1, -1, 2]), "non-negative"),
        (np.array([1.0, -1.0]), "non-negative"),
        (np.array([1.0, 2.5]), "integer"),
        (np.array([1.0, np.inf]), "finite"),
        (np.zeros((2, 2, 2)), "2-D"),
        (np.zeros((0, 3)), "empty"),
        (np.array(["a", "b"]), "observed"),
    ],
)
def test_bad_counts_are_refused_naming_observed(observed, message):
    with pytest.raises(ValueError, match=message):
        SurveillanceSeries(observed)


def test_population_is_broadcast_and_checked():
    series = SurveillanceSeries(np.zeros((5, 2)), population=np.array([100.0, 200.0]))
    assert series.population.shape == (5, 2)
    with pytest.raises(ValueError, match="population"):
        SurveillanceSeries(np.zeros((5, 2)), population=np.ones((4, 2)))
    with pytest.raises(ValueError, match="population"):
        SurveillanceSeries(np.zeros((5, 2)), population=np.zeros((5, 2)))


def test_freq_and_dates_are_checked():
    with pytest.raises(ValueError, match="freq"):
        SurveillanceSeries(np.zeros(5), freq=0)
    with pytest.raises(ValueError, match="dates"):
        SurveillanceSeries(np.zeros(5), dates=np.arange(4))
    dated = SurveillanceSeries(
        np.zeros(3), dates=np.array(["2026-01-05", "2026-01-12", "2026-01-19"], dtype="datetime64[D]")
    )
    assert dated.dates.shape == (3,)


def test_coerce_series_overrides_population_and_freq():
    series = SurveillanceSeries(np.zeros((3, 1)), freq=52)
    daily = coerce_series(series, freq=365)
    assert daily.freq == 365
    assert coerce_series(series) is series


@pytest.mark.parametrize(
    ("timepoints", "message"),
    [([-1], "out of range"), ([10], "out of range"), ([1.5], "integer"), ([2], ">= 3"), ([], "non-empty")],
)
def test_bad_timepoints_are_refused(timepoints, message):
    with pytest.raises(ValueError, match=message):
        resolve_timepoints(timepoints, default_start=3, n_time=10, minimum=3)


def test_default_timepoints_need_enough_history():
    np.testing.assert_array_equal(resolve_timepoints(None, default_start=3, n_time=5, minimum=3), [3, 4])
    with pytest.raises(ValueError, match="too short"):
        resolve_timepoints(None, default_start=5, n_time=5, minimum=5)
