"""The simulator's earlies times (report, first visit, isolation, treatment): delays match the model's
parameters within Z standard errors computed from the sample, the order of events follows the detection
route, and the times are deterministic per seed."""

from __future__ import annotations

import math

import numpy as np

from fangkong.epi.simulate.earlies import HOUR, EarliesParams, case_times
from fangkong.epi.simulate.epidemic import ROUTE
from fangkong.epi.tests.test_simulate import assert_within, controlled_scenario


def _parts():
    scenario = controlled_scenario()
    infections = scenario.truth.infections
    cases = scenario.cases
    onset = infections.onset_time[cases.infection]
    quarantine = infections.quarantine_time[cases.infection]
    return scenario, cases, scenario.case_times, onset, quarantine


def test_report_time_falls_in_the_report_day_after_sampling():
    scenario, cases, times, _onset, _q = _parts()
    assert cases.n > 1000
    assert np.array_equal(np.floor(times.report_time).astype(int), cases.report_day)
    detection = scenario.truth.infections.detection_time[cases.infection]
    assert (times.report_time >= detection).mean() > 0.97  # only a late-evening sample can be reported first


def test_isolation_and_first_visit_follow_the_detection_route():
    scenario, cases, times, onset, _q = _parts()
    found_in_quarantine = cases.route == ROUTE["during_quarantine"]
    done = np.isfinite(times.isolation_time)
    # Found in quarantine: isolated before the report, and before sampling; no first visit.
    assert found_in_quarantine.sum() > 100
    assert (times.isolation_time[found_in_quarantine & done] < times.report_time[found_in_quarantine & done]).all()
    assert np.isnan(times.first_visit_time[found_in_quarantine]).all()
    # Found at a fever clinic: sampled at the visit, which follows onset.
    clinic = cases.route == ROUTE["fever_clinic"]
    assert clinic.sum() > 100
    assert np.array_equal(np.floor(times.first_visit_time[clinic]).astype(int), cases.sampling_day[clinic])
    visited = np.isfinite(times.first_visit_time)
    assert (times.first_visit_time[visited] >= onset[visited]).all()
    # Treatment after the report and not before isolation; none for asymptomatic infections.
    treated = np.isfinite(times.treatment_time)
    assert (times.treatment_time[treated] >= times.report_time[treated]).all()
    assert (times.treatment_time[treated & done] >= times.isolation_time[treated & done]).all()
    assert np.isnan(times.treatment_time[cases.asymptomatic]).all()
    assert np.isnan(times.first_visit_time[cases.asymptomatic]).all()
    assert treated[~cases.asymptomatic].mean() > 0.9


def test_report_to_isolation_delay_matches_parameters_in_the_community():
    scenario, cases, times, _onset, quarantine = _parts()
    e = EarliesParams()
    community = (cases.route == ROUTE["screening"]) & ~np.isfinite(quarantine) \
        & (times.report_time < scenario.params.total_days - 3)
    delay = (times.isolation_time[community] - times.report_time[community]) / HOUR
    assert len(delay) > 200 and np.isfinite(delay).all()
    p = e.late_isolation_probability
    expected = (1 - p) * e.isolation_delay_hours + p * 30.0  # late: uniform 12–48 h
    assert_within(delay.mean(), expected, delay.std(ddof=1) / math.sqrt(len(delay)), "report-to-isolation hours")
    late = (delay > 12).mean()
    expected_late = p + (1 - p) * math.exp(-12 / e.isolation_delay_hours)
    assert_within(late, expected_late, math.sqrt(expected_late * (1 - expected_late) / len(delay)),
                  "share isolated more than 12 h after report")


def test_clinic_observation_and_transfer_delay_match_parameters():
    scenario, cases, times, _onset, quarantine = _parts()
    e = EarliesParams()
    clinic = (cases.route == ROUTE["fever_clinic"]) & ~np.isfinite(quarantine)
    kept = times.isolation_time[clinic] <= times.first_visit_time[clinic]
    q = e.clinic_observation_probability
    assert_within(kept.mean(), q, math.sqrt(q * (1 - q) / clinic.sum()), "share kept in clinic observation")
    quarantined = (cases.route == ROUTE["during_quarantine"]) & ~cases.asymptomatic \
        & (times.report_time < scenario.params.total_days - 3)
    transfer = (times.treatment_time[quarantined] - times.report_time[quarantined]) / HOUR
    assert len(transfer) > 100
    mean = e.transfer_delay_hours  # exponential: the standard deviation is the mean
    assert_within(transfer.mean(), mean, mean / math.sqrt(len(transfer)), "report-to-admission hours (quarantine)")


def test_times_are_deterministic_per_seed_and_drawn_from_their_own_stream():
    scenario = controlled_scenario()
    infections, cases = scenario.truth.infections, scenario.cases
    again = case_times(scenario.params, infections, cases)
    for name in ("report_time", "first_visit_time", "isolation_time", "treatment_time"):
        assert np.array_equal(getattr(again, name), getattr(scenario.case_times, name), equal_nan=True), name
    other = case_times(scenario.params.replace(seed=scenario.params.seed + 1), infections, cases)
    assert not np.array_equal(other.isolation_time, scenario.case_times.isolation_time, equal_nan=True)
