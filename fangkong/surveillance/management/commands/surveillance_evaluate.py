"""``fangkong surveillance_evaluate [--level county|city] [--long-history] [--seed N]``: score the detection
methods on the simulated scenario's ground truth (share of outbreak periods signalled, delay to the first
signal, false signals per county per week), one line per method."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from fangkong.epi.simulate import default_demo_params, load_region_tree, simulate_scenario
from fangkong.regions.services import GUANGDONG_REGIONS
from fangkong.surveillance.evaluation import evaluate


class Command(BaseCommand):
    help = "Score aberration-detection methods on a simulated outbreak's ground truth."

    def add_arguments(self, parser):
        parser.add_argument("--level", choices=("county", "city"), default="county")
        parser.add_argument("--long-history", action="store_true",
                            help="two years of sentinel history (needed by Farrington and moving percentile)")
        parser.add_argument("--seed", type=int, default=None)

    def handle(self, *args, level="county", long_history=False, seed=None, **options):
        tree = load_region_tree(GUANGDONG_REGIONS)
        params = default_demo_params(long_history=long_history, **({"seed": seed} if seed is not None else {}))
        scenario = simulate_scenario(params, tree)
        scores = evaluate(scenario, tree, level=level)
        self.stdout.write(f"{level} level, {scenario.sentinel_counts.shape[1]} days of sentinel history, "
                          f"seed {params.seed}")
        self.stdout.write(f"{'method':<34}{'days':>6}{'units':>7}{'periods':>9}{'signalled':>11}"
                          f"{'delay d':>9}{'false/cty/wk':>14}{'alarms/cty/wk':>15}")
        for s in scores:
            share = "—" if s.periods_signalled is None else f"{s.periods_signalled:.0%}"
            delay = "—" if s.median_delay_days is None else f"{s.median_delay_days:g}"
            self.stdout.write(f"{s.label:<34}{s.evaluated_days:>6}{s.units:>7}{s.periods:>9}{share:>11}{delay:>9}"
                              f"{s.false_per_county_week:>14.2f}{s.alarms_per_county_week:>15.2f}")
        if not long_history:
            self.stdout.write("Methods needing a year or more of history are skipped; use --long-history.")
