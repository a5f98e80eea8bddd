"""``fangkong simulate``: write a synthetic province scenario to a directory.

    fangkong simulate --scale N --seed S --out DIR [--regions CSV] [--format auto|csv|parquet]
                      [--history-days D] [--demo] [--quiet]

N is the number of residents: the demo province's structure (or the ``--regions`` tree) scaled to N.
``--demo`` writes the demo scenario (the province at its own population, sentinel subsets) instead.
Exit status 0 on success, 2 on invalid arguments or parameters (with the reason on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .presets import default_demo_params, scaled_params
from .regions import default_region_csv, load_region_tree
from .writer import write_scenario


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fangkong simulate",
        description="Write a synthetic province outbreak scenario (observations and truth) to a directory.",
    )
    parser.add_argument("--scale", type=int, default=None,
                        help="residents: the province's structure scaled to this size (default: its own)")
    parser.add_argument("--seed", type=int, default=20220317, help="random seed (same seed, same files)")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--regions", type=Path, default=None,
                        help="region CSV (code,parent_code,level,name_zh,name_en,population); "
                             "default: the demo province")
    parser.add_argument("--format", choices=("auto", "csv", "parquet"), default="auto",
                        help="auto: Parquet for tables over a million rows, CSV otherwise")
    parser.add_argument("--history-days", type=int, default=730, help="days of sentinel history (default 730)")
    parser.add_argument("--demo", action="store_true", help="the demo scenario instead of the scaled one")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    regions = args.regions or default_region_csv()
    if regions is None:
        print("fangkong simulate: no region tree found; pass --regions CSV", file=sys.stderr)
        return 2
    try:
        tree = load_region_tree(regions)
        if args.demo:
            params = default_demo_params(seed=args.seed)
            if args.scale is not None:
                params = params.replace(residents=args.scale)
        else:
            residents = args.scale if args.scale is not None else int(tree.leaf_population_total)
            params = scaled_params(residents, seed=args.seed, history_days=args.history_days)
        summary = write_scenario(params, tree, args.out, progress=not args.quiet, formats=args.format)
    except (ValueError, OSError, ImportError) as error:
        print(f"fangkong simulate: {error}", file=sys.stderr)
        return 2
    if summary.infections_capped:
        print("fangkong simulate: the epidemic reached max_infections and was cut there "
              "(see manifest.json)", file=sys.stderr)
    if not args.quiet:
        rows = ", ".join(f"{name} {count:,}" for name, count in summary.files.items())
        print(f"wrote {args.out} in {summary.seconds:.1f}s: {rows}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
