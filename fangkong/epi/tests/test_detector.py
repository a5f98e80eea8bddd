"""One detector shape: every control runs through ``detect(series, control)`` alike and returns the series
with alarms filled; the same computation as the R-named functions the R-fixture tests check."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fangkong.epi.detection import (
    DETECTORS,
    CusumControl,
    EarsControl,
    FarringtonControl,
    cusum,
    detect,
    ears_c,
)
from fangkong.epi.series import SurveillanceSeries

WEEKS = 6 * 52


def weekly_series() -> SurveillanceSeries:
    rng = np.random.default_rng(15)
    counts = rng.poisson(np.array([4.0, 12.0, 30.0]), size=(WEEKS, 3))
    counts[-3:, 1] += 40  # an outbreak in the second unit
    dates = np.datetime64("2020-01-06") + 7 * np.arange(WEEKS).astype("timedelta64[D]")
    return SurveillanceSeries(counts, population=np.full((WEEKS, 3), 1000.0), freq=52, dates=dates,
                              units=("A", "B", "C"))


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detector_takes_a_series_and_a_control_and_returns_the_series_with_alarms(name):
    control_class = DETECTORS[name]
    control = control_class()  # every parameter has a default
    series = weekly_series()
    flagged = detect(series, control)
    first = control.history(series.freq)  # the default range starts where the history suffices
    n = WEEKS - first
    assert flagged.observed.shape == flagged.upperbound.shape == flagged.alarm.shape == (n, 3)
    np.testing.assert_array_equal(flagged.observed, series.observed[first:])
    np.testing.assert_array_equal(flagged.dates, series.dates[first:])
    assert flagged.units == series.units and flagged.freq == 52 and flagged.control is control
    assert flagged.population.shape == (n, 3)
    # the same computation as the control's own evaluation (what the R-named functions return)
    result = control.evaluate(series)
    np.testing.assert_array_equal(result.timepoints, np.arange(first, WEEKS))
    np.testing.assert_array_equal(flagged.alarm, result.alarm)
    np.testing.assert_array_equal(flagged.upperbound, result.upperbound)
    assert set(flagged.diagnostics) == set(result.diagnostics)
    # the outbreak in unit B is found by every method on its defaults, in its first week
    assert flagged.alarm[-3, 1]
    assert control.r_function and name == control.name
    assert set(control.parameter_names()) == {f.name for f in dataclasses.fields(control_class)}


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_every_detector_refuses_an_unknown_parameter_and_evaluates_given_timepoints(name):
    with pytest.raises(TypeError, match="no_such_parameter"):
        DETECTORS[name](no_such_parameter=1)
    series = weekly_series()
    flagged = detect(series, DETECTORS[name](), timepoints=[WEEKS - 2, WEEKS - 1])
    assert flagged.alarm.shape == (2, 3) and flagged.dates[-1] == series.dates[-1]


def test_detect_takes_a_plain_array_and_refuses_what_is_not_a_control():
    flagged = detect(np.arange(20), EarsControl(baseline=5))
    assert flagged.alarm.shape == (15, 1) and flagged.units is None
    with pytest.raises(TypeError, match="control"):
        detect(np.arange(20), {"method": "C1"})


def test_detect_is_ears_c_with_the_same_parameters():
    series = weekly_series()
    flagged = detect(series, EarsControl(method="C3", baseline=10, alpha=0.01), timepoints=np.arange(20, WEEKS))
    result = ears_c(series, method="C3", baseline=10, alpha=0.01, timepoints=np.arange(20, WEEKS))
    np.testing.assert_array_equal(flagged.upperbound, result.upperbound)
    np.testing.assert_array_equal(flagged.diagnostics["statistic"], result.statistic)


def test_controls_check_their_parameters_on_construction():
    with pytest.raises(ValueError, match="baseline"):
        EarsControl(baseline=2)
    with pytest.raises(ValueError, match="threshold_method"):
        FarringtonControl(threshold_method="exact")
    with pytest.raises(ValueError, match="m or reference_window"):
        CusumControl(m=3.0, reference_window=28)
    with pytest.raises(ValueError, match="reference_window"):
        CusumControl(reference_window=0)


def test_scaled_multiplies_the_parameters_in_the_units_of_the_observations():
    assert EarsControl(min_sigma=2.0, baseline=28).scaled(100) == EarsControl(min_sigma=200.0, baseline=28)
    assert EarsControl.continuous and EarsControl.scale_parameters == ("min_sigma",)
    assert FarringtonControl(b=1).scaled(100) == FarringtonControl(b=1)
    assert not any(DETECTORS[name].continuous for name in DETECTORS if name != "earsC")


def test_farrington_population_offset_needs_a_positive_population():
    counts = weekly_series().observed
    population = np.full(counts.shape, 1000.0)
    population[10, 0] = np.nan  # a denominator nobody reported: fine for a series, not for a log offset
    series = SurveillanceSeries(counts, population=population, freq=52)
    with pytest.raises(ValueError, match="positive population"):
        detect(series, FarringtonControl(b=1, population_offset=True))


# --- CUSUM with a moving reference (reference_window) ----------------------------------------------------


def test_moving_reference_cusum_judges_each_point_against_the_mean_of_the_window_before_it():
    rng = np.random.default_rng(3)
    counts = rng.poisson(8.0, size=(60, 2)).astype(float)
    counts[50, 0] = 30.0
    control = CusumControl(reference_window=28)
    result = control.evaluate(SurveillanceSeries(counts, freq=365), np.arange(28, 60))
    for row, t in enumerate(range(28, 60)):
        m = counts[t - 28 : t].mean(axis=0)
        s = np.maximum(0.0, (counts[t] - m) / np.sqrt(m) - control.k)  # a one-step sum: restarts at every t
        np.testing.assert_allclose(result.cusum[row], s)
        np.testing.assert_array_equal(result.alarm[row], s >= control.h)
        np.testing.assert_allclose(result.upperbound[row], np.ceil(np.sqrt(m) * (control.h + control.k) + m))
    assert result.alarm[50 - 28, 0]
    assert control.history(365) == 28


def test_moving_reference_cusum_skips_units_without_reference_and_missing_days():
    counts = np.array([[5.0, np.nan, 5.0, 0.0]] * 29 + [[30.0, 4.0, np.nan, 3.0]])
    counts[::3, 0] = 6
    result = cusum(counts, timepoints=[29], reference_window=28)
    assert result.alarm.tolist() == [[True, False, False, False]]
    assert np.isnan(result.upperbound[0, 1:]).all() and np.isnan(result.m[0, 1:]).all()
