"""Break detection on the simulator's ground truth (issue 17, "What must hold"): on a scenario not looked at
while the loop's rules were set, precision and recall of broken hand-offs ≥ 0.95 and the median delay
within one job interval; and the score is no tautology — receivers late past the deadline cost precision,
a slower job costs delay."""

from __future__ import annotations

import numpy as np
import pytest

from ..apps import SWEEP_MINUTES
from ..evaluation import HELD_OUT_SEEDS, TUNING_SEED, effective_breaks, evaluate, scenario_for

SEED = HELD_OUT_SEEDS[0]


@pytest.fixture(scope="module")
def scenario():
    assert SEED != TUNING_SEED
    return scenario_for(SEED)


def test_on_a_held_out_scenario_breaks_are_found_with_precision_and_recall_and_within_one_interval(scenario):
    score = evaluate(scenario, interval_minutes=SWEEP_MINUTES)
    assert score.broken >= 50  # enough broken chains for the figures to mean something
    assert score.precision >= 0.95, score
    assert score.recall >= 0.95, score
    assert score.median_delay_minutes <= SWEEP_MINUTES, score


def test_a_slower_job_finds_the_same_breaks_later(scenario):
    hourly = evaluate(scenario, interval_minutes=60)
    assert hourly.recall >= 0.95
    assert SWEEP_MINUTES < hourly.median_delay_minutes <= 60


def test_receivers_late_past_the_deadline_are_flagged_and_cost_precision():
    score = evaluate(scenario_for(SEED, late_fraction=0.05), interval_minutes=SWEEP_MINUTES)
    assert score.recall >= 0.95
    assert score.precision < 0.8  # flagged at the deadline: the rule's breaks, not the truth's


def test_the_truth_leaves_out_travellers_who_went_to_hospital_before_their_chain_broke(scenario):
    from fangkong.epi.simulate.travellers import EVENT

    events = scenario.loop_events
    hospital = np.unique(events.traveller[events.kind == EVENT["hospital_transfer"]])
    truth = effective_breaks(scenario)
    assert not truth[hospital].any()
    assert truth.sum() == ((scenario.travellers.broken_stage >= 0).sum()
                           - (scenario.travellers.broken_stage[hospital] >= 0).sum())
