"""The "four earlies" times of each reported case: report, first medical visit, isolation, treatment.

The epidemic gives each case an onset (symptomatic only), a detection (sampling) time, a detection route
and a report day; this component adds, from its own random stream (so no other component shifts):

- ``report_time``: within the report day, at a working hour (uniform 08:00–18:00) but not before the
  laboratory result (``lab_turnaround_hours`` after sampling; capped at 23:30 of the report day).
- ``first_visit_time`` (symptomatic cases only): cases found at a fever clinic were sampled at that visit;
  a symptomatic case found later by screening or tracing, outside quarantine, visited a clinic that did not
  find it (a primary-care or pharmacy visit without a test, or a negative test) with probability
  ``care_seeking_probability``, ``care_seeking_delay_mean`` days (exponential) after onset, when that is
  before its detection; cases found in quarantine or at entry have no first visit (they are under
  medical observation already).
- ``isolation_time``: cases in quarantine or in the closed loop of inbound travellers were isolated
  before their detection, so before the report; a fever-clinic patient is kept in single-room observation
  from the visit until the result with probability ``clinic_observation_probability``; every other case is
  isolated after the report, ``isolation_delay_hours`` later on average (exponential), except a share
  ``late_isolation_probability`` isolated 12–48 h after it (transport, beds), and no later than the
  quarantine that tracing would have started anyway.
- ``treatment_time`` (symptomatic cases; asymptomatic infections are isolated under medical observation,
  not admitted for treatment): a case isolated by its transfer after the report is admitted to the
  designated hospital then; one already isolated (quarantine, closed loop, clinic observation) is
  transferred ``transfer_delay_hours`` (exponential) after the report.

Times are float days from ``start_date``; NaN when the event does not happen or falls after the
scenario's last day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .epidemic import ROUTE, Infections
from .linelist import Cases
from .params import ScenarioParams
from .streams import EARLIES, component_rng

HOUR = 1 / 24


@dataclass(frozen=True)
class EarliesParams:
    """The delays of the earlies model (defaults: a functioning 2022 response in a Chinese province)."""

    lab_turnaround_hours: float = 6.0
    """Hours from sampling to the result; a report is not earlier (within its report day)."""
    clinic_observation_probability: float = 0.5
    """Probability that a fever clinic keeps the patient in single-room observation until the result."""
    isolation_delay_hours: float = 3.0
    """Mean hours from report to isolation for a case not isolated before (exponential)."""
    late_isolation_probability: float = 0.08
    """Share of those isolated late: uniformly 12 to 48 hours after the report."""
    transfer_delay_hours: float = 4.0
    """Mean hours from report to admission for a case already isolated (exponential)."""


@dataclass(frozen=True)
class CaseTimes:
    """Per case (parallel to :class:`~fangkong.epi.simulate.linelist.Cases`), float days, NaN: none."""

    report_time: np.ndarray
    first_visit_time: np.ndarray
    isolation_time: np.ndarray
    treatment_time: np.ndarray


def case_times(params: ScenarioParams, infections: Infections, cases: Cases,
               earlies: EarliesParams | None = None) -> CaseTimes:
    """The earlies times of every case, deterministic for ``params.seed``."""
    e = earlies or EarliesParams()
    rng = component_rng(params.seed, EARLIES)
    n = cases.n
    # Every draw has one value per case, in a fixed order, whatever the routes.
    report_hour = rng.uniform(8.0, 18.0, n) * HOUR
    observed = rng.random(n) < e.clinic_observation_probability
    isolation_delay = rng.exponential(max(e.isolation_delay_hours, 1e-9), n) * HOUR
    late = rng.random(n) < e.late_isolation_probability
    late_delay = rng.uniform(12.0, 48.0, n) * HOUR
    transfer_delay = rng.exponential(max(e.transfer_delay_hours, 1e-9), n) * HOUR
    prior_visit = rng.random(n) < params.care_seeking_probability
    prior_delay = rng.exponential(max(params.care_seeking_delay_mean, 1e-9), n)

    infection = cases.infection
    detection = infections.detection_time[infection]
    onset = infections.onset_time[infection]
    quarantine = infections.quarantine_time[infection]
    isolated_before = infections.isolation_time[infection] < detection  # quarantine or the closed loop
    route = cases.route
    symptomatic = np.isfinite(onset)
    report_day = cases.report_day.astype(np.float64)

    after_result = detection + e.lab_turnaround_hours * HOUR - report_day
    report_time = report_day + np.clip(np.maximum(report_hour, after_result), 0.0, 23.5 * HOUR)

    at_clinic = route == ROUTE["fever_clinic"]
    earlier_visit = onset + prior_delay
    visited_before = (symptomatic & ~at_clinic & ~isolated_before & prior_visit & (earlier_visit < detection)
                      & np.isin(route, [ROUTE["screening"], ROUTE["contact_tracing"]]))
    first_visit = np.where(at_clinic & symptomatic, detection, np.where(visited_before, earlier_visit, np.nan))

    kept_at_clinic = at_clinic & observed
    transfer_isolation = np.minimum(report_time + np.where(late, late_delay, isolation_delay), quarantine)
    isolation = np.where(isolated_before, infections.isolation_time[infection],
                         np.where(kept_at_clinic, detection, transfer_isolation))
    isolated_by_transfer = ~isolated_before & ~kept_at_clinic & (isolation > report_time)
    treatment = np.where(isolated_by_transfer, isolation, np.maximum(report_time + transfer_delay, isolation))
    treatment = np.where(symptomatic, treatment, np.nan)

    end = float(params.total_days)

    def within(values: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(values) & (values < end), values, np.nan)

    return CaseTimes(report_time=within(report_time), first_visit_time=within(first_visit),
                     isolation_time=within(isolation), treatment_time=within(treatment))
