"""Evaluation on ground truth: every method is scored on the demo scenario, and the command prints it."""

from __future__ import annotations

import io

import numpy as np
from django.core.management import call_command

from fangkong.demo import demo_scenario
from fangkong.surveillance import detectors
from fangkong.surveillance.evaluation import evaluate


def test_methods_are_scored_on_the_scenarios_truth():
    scenario, tree = demo_scenario()
    scores = {s.method + str(s.evaluated_days): s for s in evaluate(scenario, tree, level="county")}
    assert len(scores) == 6  # the methods needing a year of history are skipped on 150 days
    for score in scores.values():
        assert score.periods > 100 and 0 <= score.periods_signalled <= 1
        assert 0 <= score.false_per_county_week <= score.alarms_per_county_week
    by_label = {s.label: s for s in scores.values()}
    default = by_label["EARS C2 (28 d, α 0.001) default"]
    sensitive = by_label["EARS C3 (7 d, α 0.01)"]
    assert default.false_per_county_week < sensitive.false_per_county_week
    assert default.periods_signalled < sensitive.periods_signalled


def test_the_command_prints_one_line_per_method():
    out = io.StringIO()
    call_command("surveillance_evaluate", "--level", "city", stdout=out)
    text = out.getvalue()
    assert "city level" in text and "EARS C1" in text and "CUSUM" in text and "--long-history" in text


def test_cusum_skips_units_without_reference_and_missing_days():
    counts = np.array([[5.0, np.nan, 5.0]] * 29 + [[30.0, 4.0, np.nan]])
    counts[::3, 0] = 6
    flagged = detectors.run_method("cusum", {}, counts, np.array([29]))  # the platform's 28-day reference
    assert flagged.alarm.tolist() == [[True, False, False]]
    assert np.isnan(flagged.upperbound[0, 1]) and np.isnan(flagged.upperbound[0, 2])
