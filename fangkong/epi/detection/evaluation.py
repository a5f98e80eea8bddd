"""Simulation harness of Noufaily et al. (2013) for comparing aberration detectors.

Protocol (Noufaily A, Enki DG, Farrington P, Garthwaite P, Andrews N, Charlett A. An improved algorithm
for outbreak detection in multiple surveillance systems. Stat Med 2013;32:1206-1222):

- Baselines: 624 weeks of negative-binomial counts with mean
  ``mu(t) = exp(theta + beta*t + sum_{j=1..m} gamma1 cos(2 pi j t / 52) + gamma2 sin(2 pi j t / 52))``
  and variance ``phi * mu`` (Poisson when ``phi = 1``). Seven parameter sets (their Table 1) x trend
  off/on x ``m`` = 0, 1, 2 harmonics give the 42 scenarios.
- Past outbreaks: four outbreaks starting at random weeks 313-575, each of ``Poisson(k * sd)`` cases with
  ``k`` drawn from {2, 3, 5, 10} and ``sd = sqrt(phi * mu(start))`` the baseline standard deviation at
  the start week; each case falls ``floor(LogNormal(0, 0.5))`` weeks after the start.
- Current weeks: the last 49 (576-624). False-positive rate (FPR): share of current weeks flagged in
  series without a current outbreak. Probability of detection (POD): for each ``k`` in 1..10, one
  outbreak of size ``Poisson(k * sd)`` starting at a random current week, spread the same way (cases
  after week 624 are not observed); POD is the share of series with at least one alarm in a week from
  the outbreak's start to its last case.

The harness is deterministic by seed. ``run_evaluation`` returns per method the FPR and the POD
overall and by ``k``; ``python -m fangkong.epi.detection.evaluation`` prints the table.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from fangkong.epi.detection.bayes import BayesControl
from fangkong.epi.detection.cidars import FixedThresholdControl, MovingPercentileControl
from fangkong.epi.detection.cusum import CusumControl
from fangkong.epi.detection.detector import DetectorControl, detect
from fangkong.epi.detection.ears import EarsControl
from fangkong.epi.detection.farrington import FarringtonControl
from fangkong.epi.series import SurveillanceSeries

N_WEEKS = 624
CURRENT_WEEKS = np.arange(575, 624)  # 0-based: weeks 576..624
PAST_OUTBREAK_STARTS = np.arange(312, 575)  # 0-based: weeks 313..575
PAST_OUTBREAK_K = (2, 3, 5, 10)
CURRENT_K = tuple(range(1, 11))

#: Table 1 of Noufaily et al. (2013): theta, beta, gamma1, gamma2, phi
PARAMETER_SETS = (
    (0.1, 0.0025, 0.6, 0.6, 1.5),
    (-2.0, 0.005, 0.1, 0.3, 2.0),
    (1.5, 0.003, 0.2, -0.4, 1.0),
    (0.5, 0.002, 0.5, 0.5, 5.0),
    (2.5, 0.001, 1.0, 0.1, 3.0),
    (3.75, 0.001, 0.1, -0.1, 1.1),
    (5.0, 0.0001, 0.05, 0.01, 1.2),
)


@dataclass(frozen=True)
class Scenario:
    """One of the 42 baseline scenarios."""

    number: int
    theta: float
    beta: float
    gamma1: float
    gamma2: float
    phi: float
    harmonics: int

    def mean(self, weeks: np.ndarray) -> np.ndarray:
        """Baseline mean at 1-based ``weeks``."""
        exponent = self.theta + self.beta * weeks
        for j in range(1, self.harmonics + 1):
            angle = 2 * np.pi * j * weeks / 52
            exponent = exponent + self.gamma1 * np.cos(angle) + self.gamma2 * np.sin(angle)
        return np.exp(exponent)


def noufaily_scenarios() -> list[Scenario]:
    """The 42 scenarios: 7 parameter sets x trend off/on x 0/1/2 harmonics, numbered from 1."""
    scenarios = []
    for theta, beta, gamma1, gamma2, phi in PARAMETER_SETS:
        for trend in (False, True):
            for harmonics in (0, 1, 2):
                scenarios.append(
                    Scenario(
                        len(scenarios) + 1, theta, beta if trend else 0.0, gamma1, gamma2, phi, harmonics
                    )
                )
    return scenarios


def _negative_binomial(rng: np.random.Generator, mean: np.ndarray, phi: float) -> np.ndarray:
    if phi == 1:
        return rng.poisson(mean)
    return rng.negative_binomial(mean / (phi - 1), 1 / phi)


def _spread_outbreak(rng, counts, starts, sizes, *, clip_end: int) -> np.ndarray:
    """Add outbreaks (one per column) of ``sizes`` cases from ``starts``; returns each outbreak's last week."""
    last = starts.copy()
    for column in np.flatnonzero(sizes):
        weeks = starts[column] + np.floor(rng.lognormal(0.0, 0.5, sizes[column])).astype(int)
        weeks = weeks[weeks < clip_end]
        np.add.at(counts[:, column], weeks, 1)
        if weeks.size:
            last[column] = weeks.max()
    return last


def simulate_scenario(scenario: Scenario, replicates: int, rng: np.random.Generator) -> dict:
    """Baselines with past outbreaks, (624, replicates), and per ``k`` the same with a current outbreak."""
    weeks = np.arange(1, N_WEEKS + 1)
    mean = scenario.mean(weeks)
    sd = np.sqrt(scenario.phi * mean)
    counts = _negative_binomial(rng, np.broadcast_to(mean[:, None], (N_WEEKS, replicates)), scenario.phi)
    counts = counts.astype(np.int64)
    for _ in range(4):
        starts = rng.choice(PAST_OUTBREAK_STARTS, replicates)
        k = rng.choice(PAST_OUTBREAK_K, replicates)
        _spread_outbreak(rng, counts, starts, rng.poisson(k * sd[starts]), clip_end=N_WEEKS)
    with_outbreak = {}
    for k in CURRENT_K:
        outbreak_counts = counts.copy()
        starts = rng.choice(CURRENT_WEEKS, replicates)
        ends = _spread_outbreak(rng, outbreak_counts, starts, rng.poisson(k * sd[starts]), clip_end=N_WEEKS)
        in_outbreak = (CURRENT_WEEKS[:, None] >= starts[None, :]) & (CURRENT_WEEKS[:, None] <= ends[None, :])
        with_outbreak[k] = (outbreak_counts, in_outbreak)
    return {"baseline": counts, "with_outbreak": with_outbreak}


#: detector name -> the control evaluated (every one runs through ``detect`` on the same series)
METHODS: dict[str, DetectorControl] = {
    "farrington": FarringtonControl(),
    "noufaily": FarringtonControl(
        no_periods=10,
        weights_threshold=2.58,
        past_weeks_not_included=26,
        p_threshold_trend=1,
        threshold_method="nbPlugin",
    ),
    "ears_C1": EarsControl(method="C1"),
    "ears_C2": EarsControl(method="C2"),
    "ears_C3": EarsControl(method="C3"),
    "cusum": CusumControl(reset=True),
    "bayes": BayesControl(b=1, w=3),
    "moving_percentile_P80": MovingPercentileControl(percentile=80),
    "fixed_threshold_1": FixedThresholdControl(),
}


@dataclass(frozen=True)
class MethodPerformance:
    """FPR and POD of one method over the evaluated scenarios."""

    method: str
    false_positive_rate: float
    probability_of_detection: float
    probability_of_detection_by_k: dict[int, float]


def run_evaluation(
    *,
    replicates: int = 10,
    scenarios: list[int] | None = None,
    methods: list[str] | None = None,
    seed: int = 2013,
) -> list[MethodPerformance]:
    """Simulate the chosen scenarios (default all 42) and score the chosen methods (default all)."""
    if replicates < 1:
        raise ValueError(f"replicates must be >= 1, got {replicates}")
    chosen = noufaily_scenarios()
    if scenarios is not None:
        unknown = set(scenarios) - {s.number for s in chosen}
        if unknown:
            raise ValueError(f"scenarios must be numbers 1..42, got {sorted(unknown)}")
        chosen = [s for s in chosen if s.number in set(scenarios)]
    names = list(METHODS) if methods is None else methods
    unknown_methods = set(names) - set(METHODS)
    if unknown_methods:
        raise ValueError(f"methods must be among {list(METHODS)}, got {sorted(unknown_methods)}")
    rng = np.random.default_rng(seed)
    false_alarms = dict.fromkeys(names, 0)
    quiet_weeks = 0
    detected = {name: dict.fromkeys(CURRENT_K, 0) for name in names}
    outbreaks = dict.fromkeys(CURRENT_K, 0)
    for scenario in chosen:
        simulated = simulate_scenario(scenario, replicates, rng)
        baseline = simulated["baseline"]
        quiet_weeks += CURRENT_WEEKS.size * replicates
        # all k share one detector call: columns [baseline | k=1 | ... | k=10]
        stacked = np.concatenate([baseline] + [simulated["with_outbreak"][k][0] for k in CURRENT_K], axis=1)
        series = SurveillanceSeries(stacked, freq=52)
        for name in names:
            alarms = detect(series, METHODS[name], timepoints=CURRENT_WEEKS).alarm
            false_alarms[name] += int(alarms[:, :replicates].sum())
            for index, k in enumerate(CURRENT_K, start=1):
                in_outbreak = simulated["with_outbreak"][k][1]
                block = alarms[:, index * replicates : (index + 1) * replicates]
                detected[name][k] += int(np.any(block & in_outbreak, axis=0).sum())
        for k in CURRENT_K:
            outbreaks[k] += replicates
    results = []
    for name in names:
        by_k = {k: detected[name][k] / outbreaks[k] for k in CURRENT_K}
        results.append(
            MethodPerformance(
                method=name,
                false_positive_rate=false_alarms[name] / quiet_weeks,
                probability_of_detection=sum(detected[name].values()) / sum(outbreaks.values()),
                probability_of_detection_by_k=by_k,
            )
        )
    return results


def format_table(results: list[MethodPerformance]) -> str:
    """Plain-text table: method, FPR, POD overall and POD for each k."""
    header = f"{'method':<24}{'FPR':>8}{'POD':>8}" + "".join(f"{'k=' + str(k):>7}" for k in CURRENT_K)
    lines = [header, "-" * len(header)]
    for result in results:
        by_k = "".join(f"{result.probability_of_detection_by_k[k]:7.3f}" for k in CURRENT_K)
        lines.append(
            f"{result.method:<24}{result.false_positive_rate:8.4f}{result.probability_of_detection:8.3f}{by_k}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Noufaily et al. (2013) evaluation of fangkong's detectors")
    parser.add_argument("--replicates", type=int, default=10, help="series per scenario (paper: 100)")
    parser.add_argument("--scenarios", type=int, nargs="*", help="scenario numbers 1..42 (default all)")
    parser.add_argument("--methods", nargs="*", choices=list(METHODS), help="default all")
    parser.add_argument("--seed", type=int, default=2013)
    arguments = parser.parse_args(argv)
    results = run_evaluation(
        replicates=arguments.replicates,
        scenarios=arguments.scenarios,
        methods=arguments.methods,
        seed=arguments.seed,
    )
    print(format_table(results))


if __name__ == "__main__":
    main()
