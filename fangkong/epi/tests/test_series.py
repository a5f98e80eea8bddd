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
    for bad in (-1.0, np.inf):
        with pytest.raises(ValueError, match="population"):
            SurveillanceSeries(np.zeros((5, 2)), population=np.full((5, 2), bad))
    # a denominator nobody reported (NaN) or a day without consultations (0) is data, not an error
    unknown = SurveillanceSeries(np.zeros((2, 1)), population=np.array([np.nan, 0.0]))
    assert np.isnan(unknown.population[0, 0]) and unknown.population[1, 0] == 0


def test_rates_are_per_population_and_missing_where_it_is_unknown_or_zero():
    series = SurveillanceSeries(np.array([[5.0, 1.0], [np.nan, 2.0], [3.0, 4.0]]),
                                population=np.array([[50.0, 0.0], [40.0, np.nan], [30.0, 8.0]]))
    np.testing.assert_array_equal(series.rates(per=100), [[10.0, np.nan], [np.nan, np.nan], [10.0, 50.0]])
    np.testing.assert_array_equal(series.rates()[2], [0.1, 0.5])
    with pytest.raises(ValueError, match="population"):
        SurveillanceSeries(np.zeros(3)).rates()


def test_units_label_the_columns_and_subset_cuts_every_axis_alike():
    dates = np.arange("2026-03-01", "2026-03-05", dtype="datetime64[D]")
    series = SurveillanceSeries(np.arange(12).reshape(4, 3), population=np.full((4, 3), 10.0), freq=365,
                                dates=dates, units=[("site", 1), ("site", 2), "county"])
    assert series.unit_index("county") == 2 and series.unit_index(("site", 2)) == 1
    with pytest.raises(KeyError, match="city"):
        series.unit_index("city")
    part = series.subset(time=[1, 3], units=[2, 0])
    np.testing.assert_array_equal(part.observed, [[5, 3], [11, 9]])
    assert part.units == ("county", ("site", 1)) and part.population.shape == (2, 2)
    np.testing.assert_array_equal(part.dates, dates[[1, 3]])
    assert part.freq == 365 and series.subset(time=slice(2, None)).units == series.units
    with pytest.raises(ValueError, match="units"):
        SurveillanceSeries(np.zeros((2, 3)), units=["a", "b"])


def test_alarm_and_upperbound_must_match_the_counts():
    with pytest.raises(ValueError, match="upperbound"):
        SurveillanceSeries(np.zeros((3, 2)), upperbound=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="alarm"):
        SurveillanceSeries(np.zeros((3, 2)), alarm=np.zeros((3, 2)))
    marked = SurveillanceSeries(np.zeros((3, 2)), upperbound=np.ones((3, 2)), alarm=np.zeros((3, 2), dtype=bool))
    assert marked.subset(units=[1]).alarm.shape == (3, 1)


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
