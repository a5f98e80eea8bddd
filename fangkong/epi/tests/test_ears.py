"""ears_c (C1, C2, C3) against R surveillance::earsC, and the published C3 statistic."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm

from fangkong.epi.detection import ears_c
from fangkong.epi.tests import surveillance_reference as ref

CASES = ref.cases("ears.json")


@pytest.mark.parametrize("case", CASES, ids=ref.case_id)
def test_r_compatible_mode_agrees_with_r(case):
    # given one of R's earsC reference runs (missing values included)
    observed = ref.dataset(case["data"])
    # when fangkong runs it in R-compatible mode
    result = ears_c(observed, timepoints=ref.timepoints(case), r_compat=True, **ref.keyword_arguments(case))
    reference = ref.as_array(case["upperbound"])
    # then bounds agree (missing where R's are) and alarms are identical away from the bound
    assert np.array_equal(np.isnan(result.upperbound), np.isnan(reference))
    assert ref.relative_difference(result.upperbound, reference) < 1e-9
    current = observed[ref.timepoints(case)]
    decided = ~(np.abs(current - reference) < 1e-9)
    assert np.array_equal(result.alarm[decided], ref.r_alarm(case)[decided])


def test_fixtures_cover_c1_c2_c3_and_alarms():
    methods = {ref.keyword_arguments(case)["method"] for case in CASES}
    assert methods == {"C1", "C2", "C3"}
    assert any(ref.r_alarm(case).any() for case in CASES if ref.keyword_arguments(case)["method"] == "C3")


@pytest.mark.parametrize("method", ["C1", "C2"])
def test_c1_c2_do_not_depend_on_r_compat(method):
    observed = ref.dataset("seasonal")
    published = ears_c(observed, method=method)
    compat = ears_c(observed, method=method, r_compat=True)
    np.testing.assert_array_equal(published.upperbound, compat.upperbound)


def test_published_c3_is_the_sum_of_three_c2_exceedances():
    # given a series with outbreaks
    observed = ref.dataset("seasonal")
    points = np.arange(300, 374)
    # when C3 is computed by the published definition
    c3 = ears_c(observed, timepoints=points, method="C3")
    # then it equals sum over t-2, t-1, t of max(0, C2 - 1), computed from ears_c C2
    c2 = [ears_c(observed, timepoints=points - lag, method="C2").statistic for lag in (2, 1, 0)]
    expected_statistic = sum(np.maximum(0, value - 1) for value in c2)
    np.testing.assert_allclose(c3.statistic, expected_statistic, rtol=1e-12)
    # and it alarms exactly when the statistic exceeds z(1 - 0.025)
    np.testing.assert_array_equal(c3.alarm, expected_statistic > norm.ppf(0.975))
    assert c3.alarm.any()


ISOLATED = np.array([300, 315, 330, 345, 360])  # far enough apart that changing one leaves the others


def _c3_statistic(observed, points):
    c2 = []
    for lag in (2, 1, 0):
        ends = points - lag - 3  # C2 baseline: t-9 .. t-3
        base = np.stack([observed[ends - i] for i in range(7)])
        c2.append((observed[points - lag] - base.mean(axis=0)) / base.std(axis=0, ddof=1))
    return sum(np.maximum(0, value - 1) for value in c2)


def test_published_c3_bound_is_the_smallest_alarming_count():
    # given the published C3 bound at isolated time points
    observed = ref.dataset("poisson")
    c3 = ears_c(observed, timepoints=ISOLATED, method="C3")
    assert np.all(c3.upperbound > 0)
    for shift, should_alarm in ((1e-6, True), (-1e-6, False)):
        # when the current count is set just above / just below the bound
        changed = observed.copy()
        changed[ISOLATED] = c3.upperbound + shift
        # then the C3 statistic, computed from its definition, crosses z exactly there
        assert np.all((_c3_statistic(changed, ISOLATED) > norm.ppf(0.975)) == should_alarm)


def test_r_c3_ignores_the_current_count():
    # given isolated time points where the two lagged C2 terms stay below z
    observed = ref.dataset("poisson").copy()
    observed[ISOLATED] = 10_000
    published = ears_c(observed, timepoints=ISOLATED, method="C3")
    compat = ears_c(observed, timepoints=ISOLATED, method="C3", r_compat=True)
    lagged = published.statistic - np.maximum(0, (observed[ISOLATED] - published.mean) / published.sd - 1)
    quiet = lagged < norm.ppf(0.975)
    assert quiet.any()
    # when the current count is huge, then R's C3 does not alarm (its bound moves with the count),
    # while the published C3 does
    assert not compat.alarm[quiet].any()
    assert published.alarm[quiet].all()


def test_min_sigma_floors_the_standard_deviation():
    observed = np.full(30, 4.0)
    result = ears_c(observed, timepoints=[29], min_sigma=1.0, alpha=0.05)
    np.testing.assert_allclose(result.upperbound[0, 0], 4.0 + norm.ppf(0.95))


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"baseline": 2}, "baseline"),
        ({"method": "C4"}, "method"),
        ({"min_sigma": -1}, "min_sigma"),
        ({"alpha": 0}, "alpha"),
        ({"timepoints": [5]}, "timepoints"),
        ({"timepoints": [30]}, "timepoints"),
        ({"timepoints": [8], "method": "C2"}, "timepoints"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(arguments, parameter):
    observed = np.arange(30)
    with pytest.raises(ValueError, match=parameter):
        ears_c(observed, **arguments)


def test_too_short_history_is_refused():
    with pytest.raises(ValueError, match="too short.*baseline=7"):
        ears_c(np.arange(7), baseline=7)


@pytest.mark.parametrize(("observed", "message"), [([1, -2] * 10, "non-negative"), ([0.5] * 20, "integer")])
def test_bad_counts_are_refused(observed, message):
    with pytest.raises(ValueError, match=message):
        ears_c(np.asarray(observed))


@pytest.mark.parametrize("method", ["C1", "C2", "C3"])
def test_small_integer_dtypes_give_the_same_answer_as_floats(method):
    observed = ref.dataset("seasonal")
    compact = ears_c(observed.astype(np.int16), method=method)
    wide = ears_c(observed, method=method)
    np.testing.assert_allclose(compact.upperbound, wide.upperbound, rtol=1e-12)
    np.testing.assert_array_equal(compact.alarm, wide.alarm)


@settings(max_examples=40, deadline=None)
@given(
    counts=arrays(np.int64, st.tuples(st.integers(12, 40), st.integers(1, 4)), elements=st.integers(0, 50)),
    method=st.sampled_from(["C1", "C2"]),
)
def test_c1_c2_alarm_exactly_above_the_bound_and_units_are_independent(counts, method):
    # given any small count matrix
    result = ears_c(counts, method=method, min_sigma=0.5)
    # then an alarm is raised exactly where the count exceeds the bound
    np.testing.assert_array_equal(result.alarm, counts[result.timepoints] > result.upperbound)
    # and each unit alone gives the same bound as within the matrix
    for unit in range(counts.shape[1]):
        alone = ears_c(counts[:, unit], method=method, min_sigma=0.5)
        np.testing.assert_allclose(alone.upperbound[:, 0], result.upperbound[:, unit], rtol=1e-12)


def test_unknown_diagnostic_is_an_attribute_error():
    result = ears_c(np.arange(20), method="C1")
    assert result.statistic.shape == (13, 1)  # time points 7..19
    with pytest.raises(AttributeError, match="expected"):
        _ = result.expected
