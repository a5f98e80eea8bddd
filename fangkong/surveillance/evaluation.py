"""Detection methods scored on a simulated scenario's ground truth, so that a province chooses on evidence.

For each candidate (method and parameters), at county or city level, over the days with enough history:

- ``periods_signalled``: the share of true outbreak periods (``scenario.truth.outbreak_periods`` of the
  units and indicators evaluated) with at least one alarm from their start to their end;
- ``median_delay_days``: median days from a signalled period's start to its first alarm;
- ``false_per_county_week``: alarm days outside any true outbreak day, per unit and week (summed over the
  indicators, as a county sees them);
- ``alarms_per_county_week``: all alarm days per unit and week.

The sentinel counts are aggregated as the detection run does (``series.aggregate``): a missing site report
is filled with the site's median before summing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fangkong.epi.series import SurveillanceSeries
from fangkong.surveillance import detectors
from fangkong.surveillance.series import DAILY, aggregate, unit_of

#: Candidates compared by default: (label, method, parameters).
CANDIDATES: tuple[tuple[str, str, dict], ...] = (
    ("EARS C1 (7 d, α 0.001)", "ears_c1", {"baseline": 7, "alpha": 0.001, "min_sigma": 1.0, "min_observed": 5}),
    ("EARS C2 (28 d, α 0.001) default", "ears_c2",
     {"baseline": 28, "alpha": 0.001, "min_sigma": 1.0, "min_observed": 5}),
    ("EARS C2 (7 d, α 0.01)", "ears_c2", {"baseline": 7, "alpha": 0.01, "min_sigma": 1.0, "min_observed": 5}),
    ("EARS C3 (7 d, α 0.01)", "ears_c3", {"baseline": 7, "alpha": 0.01, "min_sigma": 1.0, "min_observed": 5}),
    ("CUSUM (28 d reference)", "cusum", {"reference_window": 28, "min_observed": 5}),
    ("Bayes (w 28, α 0.001)", "bayes", {"w": 28, "alpha": 0.001, "min_observed": 5}),
    ("Moving percentile (1 y, 80th)", "moving_percentile",
     {"years": 1, "percentile": 80, "adjacent_periods": 2, "min_observed": 5}),
    ("Farrington (1 y, w 3)", "farrington", {"b": 1, "w": 3, "min_observed": 5}),
)


@dataclass(frozen=True)
class Score:
    label: str
    method: str
    evaluated_days: int
    units: int
    periods: int
    periods_signalled: float | None
    median_delay_days: float | None
    false_per_county_week: float
    alarms_per_county_week: float


def scenario_series(scenario, tree, level: str) -> dict[int, SurveillanceSeries]:
    """Per indicator (index into INDICATORS): the scenario's counts aggregated to ``level``."""
    sites = scenario.sentinel_series
    codes = tree.codes.astype(str)
    counts = scenario.sentinel_counts.astype(np.float64)
    counts[scenario.sentinel_counts < 0] = np.nan
    days = np.datetime64(scenario.params.start_date, "D") + np.arange(counts.shape[1])
    out = {}
    for indicator in np.unique(sites.indicator).tolist():
        rows = np.flatnonzero(sites.indicator == indicator)
        units = [unit_of("site", site, codes[region]) for site, region in
                 zip(sites.site[rows].tolist(), sites.region[rows].tolist(), strict=True)]
        site_series = SurveillanceSeries(counts[rows].T, freq=DAILY, dates=days, units=units)
        out[indicator] = aggregate(site_series, level)
    return out


def evaluate(scenario, tree, *, level: str = "county", candidates=CANDIDATES) -> list[Score]:
    all_series = scenario_series(scenario, tree, level)
    index_of = {str(c): i for i, c in enumerate(tree.codes)}
    truth = scenario.truth
    n_days = scenario.sentinel_counts.shape[1]
    scores = []
    for label, method, params in candidates:
        history = detectors.history_needed(method, params)
        start = max(history, 1)
        if start >= n_days - 7:
            continue  # not enough history in this scenario for the method
        timepoints = np.arange(start, n_days)
        alarms_total = false_total = unit_weeks = 0.0
        periods = signalled = 0
        delays: list[int] = []
        units_seen = set()
        for indicator, series in all_series.items():
            alarm = detectors.run_method(method, params, series, timepoints).alarm
            regions = np.array([index_of.get(unit.region, -1) for unit in series.units])
            known = regions >= 0
            outbreak = np.zeros((len(timepoints), len(regions)), dtype=bool)
            outbreak[:, known] = truth.outbreak[regions[known], indicator][:, timepoints].T
            alarms_total += alarm.sum()
            false_total += (alarm & ~outbreak).sum()
            unit_weeks += len(regions) * len(timepoints) / 7
            units_seen.update(unit.key for unit in series.units)
            column_of = {r: j for j, r in enumerate(regions.tolist()) if r >= 0}
            for region, ind, first_day, last_day in truth.outbreak_periods.tolist():
                if ind != indicator or region not in column_of or last_day < start:
                    continue
                periods += 1
                window = alarm[max(first_day, start) - start: last_day - start + 1, column_of[region]]
                hits = np.flatnonzero(window)
                if hits.size:
                    signalled += 1
                    delays.append(int(hits[0]) + max(first_day, start) - first_day)
        weeks_per_unit = unit_weeks / max(len(all_series), 1)
        scores.append(Score(
            label=label, method=method, evaluated_days=len(timepoints), units=len(units_seen),
            periods=periods, periods_signalled=round(signalled / periods, 3) if periods else None,
            median_delay_days=float(np.median(delays)) if delays else None,
            false_per_county_week=round(float(false_total / weeks_per_unit), 3) if weeks_per_unit else 0.0,
            alarms_per_county_week=round(float(alarms_total / weeks_per_unit), 3) if weeks_per_unit else 0.0,
        ))
    return scores
