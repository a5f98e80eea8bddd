"""The method registry: every configurable method is a fangkong.epi detector control run the same way,
so a method is added by one registry entry and nothing else knows one method from another."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from fangkong.epi.detection import EarsControl
from fangkong.epi.series import SurveillanceSeries
from fangkong.surveillance import detectors
from fangkong.surveillance.models import DetectionConfig
from fangkong.surveillance.series import DAILY, Unit


def daily_series(days: int, units: int = 2) -> SurveillanceSeries:
    counts = np.tile(np.arange(days, dtype=float) % 7 + 4, (units, 1)).T
    counts[-1, 0] = 40.0  # a jump in the first unit on the last day
    return SurveillanceSeries(counts, population=counts * 10, freq=DAILY,
                              dates=np.datetime64("2020-01-01") + np.arange(days),
                              units=[Unit(f"region:44030{i}", f"44030{i}", None) for i in range(units)])


def test_the_registry_names_exactly_the_methods_a_configuration_may_choose():
    assert set(detectors.METHODS) == set(DetectionConfig.Method.values)


@pytest.mark.parametrize("method", sorted(detectors.METHODS))
def test_every_method_runs_through_the_same_calls(method):
    spec = detectors.METHODS[method]
    control = detectors.control_for(method, {})
    assert isinstance(control, spec.control)
    assert set(spec.parameters) == set(spec.control.parameter_names()) - set(spec.fixed)
    history = detectors.history_needed(method, {})
    assert history == control.history(DAILY)
    assert detectors.check_parameters(method, {}) == []
    series = daily_series(history + 5)
    timepoints = np.arange(history, series.n_time)
    flagged = detectors.run_method(method, {"min_observed": 1}, series, timepoints)
    assert flagged.alarm.shape == flagged.upperbound.shape == (5, 2)
    np.testing.assert_array_equal(flagged.observed, series.observed[history:])
    assert flagged.units == series.units and flagged.dates[-1] == series.dates[-1]
    assert flagged.control == control
    # min_observed is the platform's, applied after any method: no day below it alarms
    strict = detectors.run_method(method, {"min_observed": 1000}, series, timepoints)
    assert not strict.alarm.any()


@pytest.mark.parametrize("method", sorted(detectors.METHODS))
def test_rates_are_offered_exactly_where_the_control_is_continuous(method):
    problems = detectors.check_parameters(method, {"measure": "rate"})
    assert (problems == []) == detectors.METHODS[method].control.continuous


def test_a_rate_configuration_detects_on_the_share_and_reports_it_in_per_cent():
    series = daily_series(40)
    params = {"baseline": 28, "measure": "rate", "min_sigma": 0.5}
    flagged = detectors.run_method("ears_c2", params, series, np.arange(35, 40))
    np.testing.assert_array_equal(detectors.measured(flagged, params), np.full((5, 2), 10.0))  # count / (10 × count)
    assert not flagged.alarm.any()  # the count jumped, the share did not
    assert flagged.upperbound[0, 0] == pytest.approx(10.0 + 0.5 * 3.090232, abs=1e-4)  # min_sigma in points
    counts = detectors.run_method("ears_c2", {"baseline": 28}, series, np.arange(35, 40))
    assert counts.alarm[-1, 0] and not counts.alarm[-1, 1]


def test_a_new_method_is_one_registry_entry(monkeypatch):
    """No case per method anywhere: an entry with its own fixed fields and defaults works everywhere."""
    monkeypatch.setitem(detectors.METHODS, "ears_c1_short",
                        detectors.Method(EarsControl, fixed={"method": "C1"}, defaults={"baseline": 3}))
    assert detectors.history_needed("ears_c1_short", {}) == 3
    assert detectors.check_parameters("ears_c1_short", {"alpha": 0.01}) == []
    assert detectors.check_parameters("ears_c1_short", {"method": "C3"}) == ["unknown parameter 'method' for ears_c1_short"]
    flagged = detectors.run_method("ears_c1_short", {}, daily_series(10), np.arange(3, 10))
    assert flagged.control == EarsControl(method="C1", baseline=3)


@pytest.mark.parametrize(("method", "params", "fragment"), [
    ("ears_c1", {"baseline": 2}, "baseline"),
    ("ears_c1", {"bogus": 1}, "bogus"),
    ("cusum", {"m": 5.0}, "m or reference_window"),
    ("farrington", {"population_offset": True}, "population"),
    ("bayes", {"measure": "share"}, "measure"),
    ("no_such_method", {}, "unknown method"),
])
def test_bad_parameters_are_named(method, params, fragment):
    problems = detectors.check_parameters(method, params)
    assert problems and fragment in " ".join(problems)


def test_an_unknown_method_or_parameter_is_a_value_error_when_run():
    with pytest.raises(ValueError, match="unknown method"):
        detectors.history_needed("no_such_method", {})
    with pytest.raises(ValueError, match="bogus"):
        detectors.run_method("ears_c1", {"bogus": 1}, daily_series(20), np.arange(10, 20))


def test_the_stored_cusum_reference_days_become_reference_window(indicators):
    migration = importlib.import_module("fangkong.surveillance.migrations.0007_cusum_reference_window")
    from django.apps import apps

    config = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="county")
    DetectionConfig.objects.filter(pk=config.pk).update(method="cusum",
                                                        parameters={"reference_days": 14, "min_observed": 5})
    untouched = DetectionConfig.objects.get(indicator__code="fever_clinic_visits", level="city")
    migration.forwards(apps, None)
    config.refresh_from_db()
    assert config.parameters == {"reference_window": 14, "min_observed": 5}
    assert detectors.history_needed(config.method, config.parameters) == 14
    assert DetectionConfig.objects.get(pk=untouched.pk).parameters == untouched.parameters
    migration.backwards(apps, None)
    config.refresh_from_db()
    assert config.parameters == {"reference_days": 14, "min_observed": 5}


def test_run_method_keeps_the_counts_and_denominators_it_was_given():
    series = daily_series(40)
    flagged = detectors.run_method("ears_c1", {}, series, [38, 39])
    assert flagged.population.tolist() == series.population[38:].tolist()
