"""Benchmark of fangkong.epi.detection against R ``surveillance`` on the same data, in one run.

Part 1 (weekly): ``n_series`` weekly series of 624 weeks (negative-binomial baselines with seasonality,
as in Noufaily et al. 2013), the last 49 weeks evaluated. fangkong runs all series; R (through
``Rscript``) runs the first ``r_series`` of them, since R needs ~20 ms per series-timepoint, and the
comparison is per series-timepoint. Both results are compared on the shared series (max relative
difference of the bounds, R-compatible mode).

Part 2 (daily pass): ``daily_series`` daily series, one time point each, EARS C1, C2, C3 and the
CIDARS moving percentile (3 years of history), timed end to end.

Usage: .venv/bin/python benchmarks/bench_detection.py [--n-series 1000] [--r-series 50]
       [--daily-series 200000] [--skip-r]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from fangkong.epi.detection import ears_c, farrington_flexible, moving_percentile

N_WEEKS = 624
N_EVALUATED = 49

NOUFAILY = {
    "no_periods": 10,
    "weights_threshold": 2.58,
    "past_weeks_not_included": 26,
    "p_threshold_trend": 1,
    "threshold_method": "nbPlugin",
}

R_SCRIPT = r"""
suppressPackageStartupMessages(library(surveillance))
args <- commandArgs(trailingOnly = TRUE)
observed <- as.matrix(read.csv(args[1], header = FALSE))
n_time <- nrow(observed)
range <- (n_time - %(n_evaluated)d + 1):n_time
s <- sts(observed = observed, freq = 52, start = c(2000, 1))
time_of <- function(expr) as.numeric(system.time(expr)["elapsed"])
out <- list()
out$farrington_default <- time_of(f1 <- suppressWarnings(farringtonFlexible(s, control = list(range = range))))
out$farrington_noufaily <- time_of(f2 <- suppressWarnings(farringtonFlexible(s, control = list(
  range = range, noPeriods = 10, weightsThreshold = 2.58, pastWeeksNotIncluded = 26,
  pThresholdTrend = 1, thresholdMethod = "nbPlugin"))))
for (m in c("C1", "C2", "C3")) {
  out[[paste0("ears_", m)]] <- time_of(e <- earsC(s, control = list(range = range, method = m)))
  write.table(e@upperbound, file.path(args[2], paste0("ears_", m, ".csv")), sep = ",",
              row.names = FALSE, col.names = FALSE)
}
write.table(f1@upperbound, file.path(args[2], "farrington_default.csv"), sep = ",",
            row.names = FALSE, col.names = FALSE)
write.table(f2@upperbound, file.path(args[2], "farrington_noufaily.csv"), sep = ",",
            row.names = FALSE, col.names = FALSE)
cat(sprintf('{"farrington_default": %%f, "farrington_noufaily": %%f, "ears_C1": %%f, "ears_C2": %%f, "ears_C3": %%f}\n',
    out$farrington_default, out$farrington_noufaily, out$ears_C1, out$ears_C2, out$ears_C3))
"""


def weekly_series(n_series: int, seed: int = 2013) -> np.ndarray:
    """Negative-binomial weekly counts with yearly seasonality and a mild trend, (624, n_series)."""
    rng = np.random.default_rng(seed)
    week = np.arange(1, N_WEEKS + 1)[:, None]
    level = rng.uniform(0.5, 5.0, n_series)[None, :]
    amplitude = rng.uniform(0.0, 0.6, n_series)[None, :]
    slope = rng.choice([0.0, 0.001], n_series)[None, :]
    mean = np.exp(level + slope * week + amplitude * np.cos(2 * np.pi * week / 52))
    dispersion = rng.choice([1.5, 2.0, 3.0, 5.0], n_series)[None, :]
    return rng.negative_binomial(mean / (dispersion - 1), 1 / dispersion).astype(np.int64)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def run_r(observed: np.ndarray) -> tuple[dict, dict] | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "observed.csv"
        np.savetxt(data, observed, fmt="%d", delimiter=",")
        script = Path(folder) / "bench.R"
        script.write_text(R_SCRIPT % {"n_evaluated": N_EVALUATED})
        completed = subprocess.run(
            ["Rscript", str(script), str(data), folder], check=True, capture_output=True, text=True
        )
        timings = json.loads(completed.stdout.strip().splitlines()[-1])
        bounds = {
            name: np.genfromtxt(Path(folder) / f"{name}.csv", delimiter=",", missing_values="NA")
            for name in ("farrington_default", "farrington_noufaily", "ears_C1", "ears_C2", "ears_C3")
        }
    return timings, bounds


def max_relative_difference(ours: np.ndarray, theirs: np.ndarray) -> float:
    theirs = theirs.reshape(ours.shape)
    both = ~np.isnan(ours) & ~np.isnan(theirs)
    if not both.any():
        return 0.0
    return float(np.max(np.abs(ours[both] - theirs[both]) / np.maximum(np.abs(theirs[both]), 1e-12)))


def weekly_benchmark(n_series: int, r_series: int, skip_r: bool) -> list[tuple]:
    observed = weekly_series(n_series)
    points = np.arange(N_WEEKS - N_EVALUATED, N_WEEKS)
    runs = {
        "farrington_default": lambda y: farrington_flexible(y, timepoints=points, r_compat=True),
        "farrington_noufaily": lambda y: farrington_flexible(y, timepoints=points, r_compat=True, **NOUFAILY),
        "ears_C1": lambda y: ears_c(y, timepoints=points, method="C1"),
        "ears_C2": lambda y: ears_c(y, timepoints=points, method="C2"),
        "ears_C3": lambda y: ears_c(y, timepoints=points, method="C3", r_compat=True),
    }
    ours = {}
    for name, run in runs.items():
        result, seconds = timed(run, observed)
        ours[name] = (result, seconds)
    r_output = None if skip_r else run_r(observed[:, :r_series])
    rows = []
    for name, (result, seconds) in ours.items():
        per_ours = seconds / (n_series * N_EVALUATED)
        if r_output is None:
            rows.append((name, per_ours, None, None, None))
            continue
        timings, bounds = r_output
        per_r = timings[name] / (r_series * N_EVALUATED)
        difference = max_relative_difference(result.upperbound[:, :r_series], bounds[name])
        rows.append((name, per_ours, per_r, per_r / per_ours, difference))
    return rows


def daily_benchmark(n_series: int) -> dict:
    history = 3 * 365 + 2 * 7 + 7
    rng = np.random.default_rng(365)
    observed = np.empty((history, n_series), dtype=np.int16)
    for start in range(0, n_series, 20_000):
        stop = min(start + 20_000, n_series)
        observed[:, start:stop] = rng.poisson(rng.uniform(0.05, 8, stop - start), (history, stop - start))
    today = [history - 1]
    seconds = {}
    total_start = time.perf_counter()
    for method in ("C1", "C2", "C3"):
        _, seconds[method] = timed(ears_c, observed, timepoints=today, method=method)
    _, seconds["moving_percentile"] = timed(moving_percentile, observed, timepoints=today, freq=365)
    seconds["total"] = time.perf_counter() - total_start
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-series", type=int, default=1000)
    parser.add_argument("--r-series", type=int, default=50)
    parser.add_argument("--daily-series", type=int, default=200_000)
    parser.add_argument("--skip-r", action="store_true")
    arguments = parser.parse_args()

    print(
        f"Weekly: {arguments.n_series} series x {N_EVALUATED} time points (R on the first {arguments.r_series})"
    )
    print(f"{'method':<22}{'fangkong us/st':>16}{'R us/st':>14}{'ratio':>10}{'max rel diff':>15}")
    for name, per_ours, per_r, ratio, difference in weekly_benchmark(
        arguments.n_series, arguments.r_series, arguments.skip_r
    ):
        r_text = (
            f"{per_r * 1e6:14.1f}{ratio:10.0f}{difference:15.2e}" if per_r else f"{'-':>14}{'-':>10}{'-':>15}"
        )
        print(f"{name:<22}{per_ours * 1e6:16.2f}{r_text}")
    print(f"\nDaily pass: {arguments.daily_series} daily series, one time point each")
    for name, seconds in daily_benchmark(arguments.daily_series).items():
        print(f"{name:<22}{seconds:10.2f} s")


if __name__ == "__main__":
    main()
