"""Benchmark of the province outbreak simulator (issue 3): the benchmark scale and the demo.

Generates the benchmark scale — at least 10 million residents, 100,000 cases, 1,000,000 contacts and
10,000,000 sentinel report rows — with ``write_scenario`` (streamed to CSV/Parquet), then the demo
scenario in memory, and prints wall time and peak memory (process peak RSS from ``getrusage``, and
the peak traced by ``tracemalloc``, which numpy reports its buffers to) as Markdown table rows.

    .venv/bin/python benchmarks/bench_simulate.py [--scale 10000000] [--out DIR] [--keep]
    .venv/bin/python benchmarks/bench_simulate.py --demo-only     # the demo scenario alone (target < 10 s)
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from fangkong.epi.simulate import default_demo_params, load_region_tree, scaled_params, simulate_scenario
from fangkong.epi.simulate.regions import default_region_csv
from fangkong.epi.simulate.writer import write_scenario

MINIMUM = {"residents": 10_000_000, "cases": 100_000, "contacts": 1_000_000, "sentinel_reports": 10_000_000}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rows_of(files: dict[str, int], stem: str) -> int:
    return sum(count for name, count in files.items() if name.split(".")[0] == stem)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=20220317)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the output directory")
    parser.add_argument("--no-tracemalloc", action="store_true")
    parser.add_argument("--demo-only", action="store_true", help="time only the demo scenario in memory")
    args = parser.parse_args(argv)
    tree = load_region_tree(default_region_csv())
    if args.demo_only:
        return demo_row(tree, header=True)
    out = args.out or Path(tempfile.mkdtemp(prefix="fangkong-bench-simulate-"))

    if not args.no_tracemalloc:
        tracemalloc.start()
    started = time.perf_counter()
    summary = write_scenario(scaled_params(args.scale, seed=args.seed), tree, out, progress=True)
    seconds = time.perf_counter() - started
    traced_peak = f"{tracemalloc.get_traced_memory()[1] / 2**20:,.0f} MiB" if tracemalloc.is_tracing() else "—"
    tracemalloc.stop()
    rss = peak_rss_mib()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    size_mib = sum(path.stat().st_size for path in out.iterdir()) / 2**20
    counts = {
        "residents": manifest["residents"],
        "cases": rows_of(summary.files, "cases"),
        "contacts": rows_of(summary.files, "contacts"),
        "sentinel_reports": rows_of(summary.files, "sentinel_reports"),
        "infections": rows_of(summary.files, "truth_infections"),
        "places": rows_of(summary.files, "places"),
        "loop_events": rows_of(summary.files, "loop_events"),
    }
    print("| scenario | residents | cases | contacts | sentinel rows | wall time | peak RSS | tracemalloc peak | output |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| `write_scenario` scale {args.scale:,} | {counts['residents']:,} | {counts['cases']:,} | "
          f"{counts['contacts']:,} | {counts['sentinel_reports']:,} | {seconds:.1f} s | {rss:,.0f} MiB | "
          f"{traced_peak} | {size_mib:,.0f} MiB |")
    if not args.keep and args.out is None:
        shutil.rmtree(out)

    demo_row(tree)
    short = [name for name, minimum in MINIMUM.items() if counts[name] < minimum]
    if args.scale >= 10_000_000 and short:
        print(f"below the benchmark scale: {short}", file=sys.stderr)
        return 1
    return 0


def demo_row(tree, *, header: bool = False) -> int:
    """Time the demo scenario in memory and print its table row (target: under 10 s)."""
    if header:
        print("| scenario | residents | cases | contacts | sentinel rows | wall time | peak RSS | tracemalloc peak | output |")
        print("|---|---|---|---|---|---|---|---|---|")
    started = time.perf_counter()
    demo = simulate_scenario(default_demo_params(), tree)
    demo_seconds = time.perf_counter() - started
    print(f"| `simulate_scenario` demo (in memory) | {int(demo.tree.leaf_population_total):,} | {demo.cases.n:,} | "
          f"{demo.contacts.n:,} | {int((demo.sentinel_counts >= 0).sum()):,} | {demo_seconds:.1f} s | "
          f"{peak_rss_mib():,.0f} MiB (process) | — | — |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
