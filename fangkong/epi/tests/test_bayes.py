"""bayes against R surveillance::algo.bayes."""

import numpy as np
import pytest
from scipy import stats

from fangkong.epi.detection import bayes
from fangkong.epi.tests import surveillance_reference as ref

CASES = ref.cases("bayes.json")


@pytest.mark.parametrize("case", CASES, ids=ref.case_id)
def test_agrees_with_r(case):
    # given one of R's algo.bayes reference runs (missing values included)
    observed = ref.dataset(case["data"])
    # when fangkong runs all units at once
    result = bayes(observed, timepoints=ref.timepoints(case), **ref.keyword_arguments(case))
    # then bounds and alarms are identical
    np.testing.assert_array_equal(result.upperbound, ref.as_array(case["upperbound"]))
    np.testing.assert_array_equal(result.alarm, ref.r_alarm(case))


def test_bound_is_the_negative_binomial_predictive_quantile():
    # given six previous weeks summing to 30
    observed = np.array([4, 5, 6, 5, 4, 6, 20])
    # when the default Bayes system is run at the last week
    result = bayes(observed, timepoints=[6])
    # then the bound is the 95% quantile of NB(size 30.5, prob 6/7), and 20 alarms
    assert result.upperbound[0, 0] == stats.nbinom.ppf(0.95, 30.5, 6 / 7)
    assert result.alarm[0, 0]


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [
        ({"b": 1}, "b=1"),
        ({"timepoints": [3]}, "timepoints"),
        ({"w": -1}, "w must"),
        ({"b": 0, "act_y": False}, "no reference"),
        ({"alpha": 2}, "alpha"),
    ],
)
def test_bad_parameters_are_refused_with_their_name(arguments, parameter):
    with pytest.raises(ValueError, match=parameter):
        bayes(np.arange(40), **arguments)
