"""The Noufaily et al. (2013) simulation harness: scenarios, simulated data, FPR/POD scoring."""

import numpy as np
import pytest

from fangkong.epi.detection import evaluation


def test_there_are_42_distinct_scenarios_numbered_from_1():
    scenarios = evaluation.noufaily_scenarios()
    assert [s.number for s in scenarios] == list(range(1, 43))
    keys = {(s.theta, s.beta, s.harmonics) for s in scenarios}
    assert len(keys) == 42
    assert {s.harmonics for s in scenarios} == {0, 1, 2}
    assert sum(s.beta == 0 for s in scenarios) == 21


def test_baseline_is_negative_binomial_with_variance_phi_mu():
    # given a scenario with phi = 5, no trend and no seasonality (mean e^0.5)
    scenario = next(
        s for s in evaluation.noufaily_scenarios() if s.phi == 5 and s.beta == 0 and s.harmonics == 0
    )
    # when 200 series are simulated
    counts = evaluation.simulate_scenario(scenario, 200, np.random.default_rng(1))["baseline"]
    early = counts[:312]  # no past outbreak before week 313
    # then mean and variance/mean match the model
    assert abs(early.mean() / np.exp(0.5) - 1) < 0.03
    assert abs(early.var() / early.mean() - 5) < 0.3


def test_current_outbreaks_add_cases_only_from_their_start_and_grow_with_k():
    scenario = evaluation.noufaily_scenarios()[30]
    simulated = evaluation.simulate_scenario(scenario, 50, np.random.default_rng(2))
    baseline = simulated["baseline"]
    added = {}
    for k, (counts, in_outbreak) in simulated["with_outbreak"].items():
        extra = counts - baseline
        assert (extra >= 0).all()
        assert (extra[: evaluation.CURRENT_WEEKS[0]] == 0).all()
        # every added case lies in a week marked as outbreak
        assert (extra[evaluation.CURRENT_WEEKS][~in_outbreak] == 0).all()
        added[k] = extra.sum()
    assert added[10] > added[5] > added[1]


def test_simulation_is_deterministic_by_seed():
    scenario = evaluation.noufaily_scenarios()[5]
    first = evaluation.simulate_scenario(scenario, 3, np.random.default_rng(9))["baseline"]
    again = evaluation.simulate_scenario(scenario, 3, np.random.default_rng(9))["baseline"]
    np.testing.assert_array_equal(first, again)


def test_scores_are_rates_and_detection_rises_with_outbreak_size():
    # given a high-count scenario and cheap detectors
    results = evaluation.run_evaluation(
        replicates=30, scenarios=[37], methods=["ears_C1", "fixed_threshold_1"]
    )
    by_name = {r.method: r for r in results}
    for result in results:
        assert 0 <= result.false_positive_rate <= 1
        assert 0 <= result.probability_of_detection <= 1
    # then large outbreaks are detected more often than small ones
    c1 = by_name["ears_C1"].probability_of_detection_by_k
    assert c1[10] > c1[1]
    # and "one case is a signal" flags nearly every week of a series averaging e^3.75 cases
    assert by_name["fixed_threshold_1"].false_positive_rate > 0.95
    table = evaluation.format_table(results)
    assert "ears_C1" in table and "k=10" in table


@pytest.mark.slow
def test_every_method_runs_on_one_scenario():
    results = evaluation.run_evaluation(replicates=2, scenarios=[1])
    assert [r.method for r in results] == list(evaluation.METHODS)


@pytest.mark.parametrize(
    ("arguments", "parameter"),
    [({"replicates": 0}, "replicates"), ({"scenarios": [43]}, "scenarios"), ({"methods": ["x"]}, "methods")],
)
def test_bad_arguments_are_refused(arguments, parameter):
    with pytest.raises(ValueError, match=parameter):
        evaluation.run_evaluation(**arguments)
