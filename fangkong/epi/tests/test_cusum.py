"""cusum against R surveillance::algo.cusum (every transformation), and the reset option."""

import numpy as np
import pytest

from fangkong.epi.detection import cusum
from fangkong.epi.tests import surveillance_reference as ref

CASES = ref.cases("cusum.json")


@pytest.mark.parametrize("case", CASES, ids=ref.case_id)
def test_agrees_with_r(case):
    # given one of R's algo.cusum reference runs (one call per unit in R)
    observed = ref.dataset(case["data"])
    # when fangkong runs all units at once
    result = cusum(observed, timepoints=ref.timepoints(case), **ref.keyword_arguments(case))
    # then the CUSUM path, the bound and the alarms agree with R
    r_cusum = ref.as_array(case["cusum"])  # JSON null stands for R's NA, NaN or Inf
    finite = np.isfinite(r_cusum)
    assert not np.isfinite(result.cusum[~finite]).any()
    np.testing.assert_allclose(result.cusum[finite], r_cusum[finite], rtol=1e-9, atol=1e-9)
    assert ref.relative_difference(result.upperbound, ref.as_array(case["upperbound"])) < 1e-9
    decided = finite & ~(np.abs(r_cusum - ref.keyword_arguments(case).get("h", 2.26)) < 1e-9)
    assert np.array_equal(result.alarm[decided], ref.r_alarm(case)[decided])


def test_fixtures_cover_every_transformation_and_alarms():
    assert {ref.keyword_arguments(case).get("trans", "standard") for case in CASES} == {
        "standard",
        "rossi",
        "anscombe",
        "anscombe2nd",
        "pearsonNegBin",
        "none",
    }
    assert any(ref.r_alarm(case).any() for case in CASES)


def test_reset_restarts_the_sum_after_an_alarm():
    # given a step change that keeps the chart above h
    observed = np.concatenate([np.full(50, 5), np.full(20, 10)])
    points = np.arange(50, 70)
    # when run with and without reset
    plain = cusum(observed, timepoints=points)
    reset = cusum(observed, timepoints=points, reset=True)
    # then without reset it alarms at every point after the first alarm, with reset the sum drops to 0
    first = np.argmax(plain.alarm[:, 0])
    assert plain.alarm[first:, 0].all()
    assert reset.alarm[first, 0]
    assert reset.cusum[first + 1, 0] < plain.cusum[first + 1, 0]
    assert reset.alarm.sum() < plain.alarm.sum()


def test_reference_mean_defaults_to_the_history_before_the_first_timepoint():
    observed = np.array([2, 4, 6, 8, 100])
    result = cusum(observed, timepoints=[3, 4])
    np.testing.assert_allclose(result.m[0, 0], 4.0)


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"timepoints": [10, 12]}, "consecutive"),
        ({"timepoints": [0]}, "timepoints"),
        ({"timepoints": [99]}, "timepoints"),
        ({"timepoints": [10], "trans": "log"}, "trans"),
        ({"timepoints": [10], "h": 0}, "h must"),
        ({"timepoints": [10], "m": -1}, "m must"),
        ({"timepoints": [10], "m": "glm"}, "m='glm'"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(arguments, parameter):
    with pytest.raises(ValueError, match=parameter):
        cusum(np.arange(20), **arguments)


def test_missing_counts_are_refused():
    observed = np.arange(20, dtype=float)
    observed[3] = np.nan
    with pytest.raises(ValueError, match="missing"):
        cusum(observed, timepoints=[10, 11])
