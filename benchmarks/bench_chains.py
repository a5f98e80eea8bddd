"""Benchmark: fangkong.epi.chains on 100,000 cases and 1,000,000 close-contact records.

    .venv/bin/python benchmarks/bench_chains.py [--cases 100000] [--contacts 1000000]

Synthetic data: a random forest of infector -> infectee links (20% of cases start a chain, the others
pick an earlier case as infector, so chains are deep and uneven), case ids shuffled and offset, report
dates increasing, contact records pointing at random index cases with exponential listing and quarantine
delays, every non-first case appearing once as a contact that became a case. Timed: building the chain
index, the censored negative-binomial offspring fit, serial intervals, and the tracing report; then the
latency of `cluster_of` for 10,000 random cases (the index is prepared once).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fangkong.epi.chains import (
    ContactRecords,
    build_chain_index,
    complete_offspring_counts,
    fit_offspring_negative_binomial,
    tracing_report,
)


def synthetic_outbreak(n_cases: int, n_contacts: int, seed: int = 9):
    rng = np.random.default_rng(seed)
    ids = rng.permutation(n_cases).astype(np.int64) + 440_000_000
    parent = np.where(rng.random(n_cases) < 0.2, -1, (rng.random(n_cases) * np.arange(n_cases)).astype(np.int64))
    parent[0] = -1
    child = np.flatnonzero(parent >= 0)
    report = np.sort(rng.uniform(0, 120, n_cases))
    onset = report - rng.gamma(2.0, 1.0, n_cases)
    index_pos = rng.integers(0, n_cases, n_contacts)
    listed = report[index_pos] + rng.exponential(0.8, n_contacts)
    quarantined = listed + rng.exponential(0.5, n_contacts)
    became = np.full(n_contacts, -1, dtype=np.int64)
    became[: child.size] = ids[child]
    contacts = ContactRecords(ids[index_pos], listed, quarantined, became)
    return ids, ids[parent[child]], ids[child], report, onset, contacts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    args = parser.parse_args()
    ids, infector, infectee, report, onset, contacts = synthetic_outbreak(args.cases, args.contacts)

    timings = {}
    started = time.perf_counter()
    index = build_chain_index(ids, infector, infectee)
    timings["chain index"] = time.perf_counter() - started
    t = time.perf_counter()
    counts, censored = complete_offspring_counts(index, report, as_of=120, follow_up_days=14)
    fit = fit_offspring_negative_binomial(counts, censored=censored)
    timings["offspring fit"] = time.perf_counter() - t
    t = time.perf_counter()
    serial = index.serial_intervals(onset)
    sizes, chains_of_size = index.size_distribution()
    timings["serial intervals + sizes"] = time.perf_counter() - t
    t = time.perf_counter()
    tracing = tracing_report(ids, report, contacts)
    timings["tracing report"] = time.perf_counter() - t
    total = time.perf_counter() - started

    lookups = np.random.default_rng(1).choice(ids, 10_000)
    latencies = np.empty(lookups.size)
    for i, case_id in enumerate(lookups):
        t = time.perf_counter()
        index.cluster_of(int(case_id))
        latencies[i] = time.perf_counter() - t

    print(f"{args.cases:,} cases, {len(infector):,} links, {args.contacts:,} contact records")
    for name, seconds in timings.items():
        print(f"  {name:<26} {seconds * 1000:8.1f} ms")
    print(f"  {'total':<26} {total * 1000:8.1f} ms  (target < 5000 ms)")
    print(f"cluster_of latency: median {np.median(latencies) * 1e6:.1f} us, "
          f"p99 {np.quantile(latencies, 0.99) * 1e6:.1f} us, max {latencies.max() * 1e6:.1f} us")
    print(f"chains {index.n_chains:,}, largest {sizes[-1]:,}, max generation {index.generation.max()}; "
          f"R = {fit.r:.3f} {fit.r_ci}, k = {fit.k:.3f} {fit.k_ci}; mean serial interval {np.nanmean(serial):.2f}; "
          f"SAR {tracing.secondary_attack_rate.estimate:.3f}; chains of size 1: {chains_of_size[0] if sizes[0] == 1 else 0}")


if __name__ == "__main__":
    main()
