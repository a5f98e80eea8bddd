"""Benchmark: fangkong.epi.rt.estimate_r against R's EpiEstim on 1,000 regions x 365 days.

    .venv/bin/python benchmarks/bench_rt.py [--regions 1000] [--days 365] [--r-regions 20]

fangkong runs all regions in one vectorised call (best of 5). EpiEstim (via an Rscript subprocess, timed
inside R so that R's start-up is excluded) runs region by region on the first `--r-regions` regions of the
same data; its time is extrapolated linearly to all regions (EpiEstim treats regions independently) and
the script says so. Both use the parametric serial interval (mean 5.2, sd 2.8), weekly windows and
imported cases. The result of the R subset is also checked against fangkong (max relative difference).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from fangkong.epi.rt import estimate_r

R_PROGRAM = r"""
suppressPackageStartupMessages(library(EpiEstim))
args <- commandArgs(trailingOnly = TRUE)
local <- as.matrix(read.csv(args[1], header = FALSE))
imported <- as.matrix(read.csv(args[2], header = FALSE))
n_regions <- ncol(local)
means <- matrix(NA_real_, nrow(local) - 7, n_regions)
cfg <- make_config(list(mean_si = 5.2, std_si = 2.8, t_start = seq(2, nrow(local) - 6),
                        t_end = seq(8, nrow(local))))
elapsed <- system.time({
  for (u in seq_len(n_regions)) {
    res <- suppressWarnings(suppressMessages(estimate_R(
      data.frame(local = local[, u], imported = imported[, u]), method = "parametric_si", config = cfg)))
    means[, u] <- res$R[["Mean(R)"]]
  }
})[["elapsed"]]
write.table(means, args[3], sep = ",", row.names = FALSE, col.names = FALSE)
cat(elapsed, "\n")
"""


def synthetic_regions(n_days: int, n_regions: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    growth = rng.normal(0, 0.01, n_regions)
    level = rng.uniform(2, 50, n_regions)
    mean = level * np.exp(np.outer(np.arange(n_days), growth))
    local = rng.poisson(np.minimum(mean, 5000))
    imported = rng.poisson(0.5, (n_days, n_regions))
    local[0] = 0
    return local, imported


def time_fangkong(local, imported, repeats: int = 5) -> tuple[float, float, object]:
    estimate_r(local[:, :10], imported=imported[:, :10], mean_si=5.2, std_si=2.8)  # warm-up
    best = np.inf
    for _ in range(repeats):
        started = time.perf_counter()
        est = estimate_r(local, imported=imported, mean_si=5.2, std_si=2.8)
        _ = est.mean, est.std
        best = min(best, time.perf_counter() - started)
    started = time.perf_counter()
    _ = est.quantiles
    quantile_time = time.perf_counter() - started
    return best, quantile_time, est


def time_epiestim(local, imported, n_regions: int) -> tuple[float, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        np.savetxt(folder / "local.csv", local[:, :n_regions], fmt="%d", delimiter=",")
        np.savetxt(folder / "imported.csv", imported[:, :n_regions], fmt="%d", delimiter=",")
        (folder / "bench.R").write_text(R_PROGRAM)
        rscript = shutil.which("Rscript")
        if rscript is None:
            raise SystemExit("Rscript not found: apt-get install r-cran-epiestim")
        out = subprocess.run(  # noqa: S603 - fixed program, our own temporary files
            [rscript, str(folder / "bench.R"), str(folder / "local.csv"), str(folder / "imported.csv"),
             str(folder / "means.csv")],
            check=True, capture_output=True, text=True, env={"TZ": "UTC", "PATH": "/usr/bin:/bin"},
        )
        elapsed = float(out.stdout.strip().split()[-1])
        means = np.loadtxt(folder / "means.csv", delimiter=",").reshape(local.shape[0] - 7, n_regions)
    return elapsed, means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--r-regions", type=int, default=20, help="regions EpiEstim runs (then extrapolated)")
    args = parser.parse_args()
    local, imported = synthetic_regions(args.days, args.regions)

    ours, quantile_time, est = time_fangkong(local, imported)
    print(f"fangkong estimate_r, {args.regions} regions x {args.days} days: {ours * 1000:.1f} ms "
          f"(mean + std; the 7 default quantiles on demand: {quantile_time * 1000:.0f} ms more)")

    r_regions = min(args.r_regions, args.regions)
    r_time, r_means = time_epiestim(local, imported, r_regions)
    r_all = r_time * args.regions / r_regions
    diff = np.nanmax(np.abs(est.mean[:, :r_regions] - r_means) / np.abs(r_means))
    extrapolated = " (extrapolated linearly from " + f"{r_regions} regions)" if r_regions < args.regions else ""
    print(f"EpiEstim estimate_R: {r_time:.2f} s for {r_regions} regions -> {r_all:.1f} s for {args.regions}"
          f"{extrapolated}")
    print(f"max relative difference of Mean(R) on the R subset: {diff:.2e}")
    print(f"ratio EpiEstim / fangkong: {r_all / ours:,.0f}x (with quantiles: {r_all / (ours + quantile_time):,.0f}x)")


if __name__ == "__main__":
    main()
