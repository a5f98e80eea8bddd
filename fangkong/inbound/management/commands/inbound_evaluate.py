"""``fangkong inbound_evaluate``: break detection scored on a simulated scenario's ground truth
(``fangkong.inbound.evaluation``): precision, recall and detection delay of broken hand-offs."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from fangkong.inbound.apps import SWEEP_MINUTES


class Command(BaseCommand):
    help = "Score the inbound break detection on a simulated scenario (precision, recall, median delay)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=None, help="scenario seed (default: the demo's)")
        parser.add_argument("--interval", type=int, default=SWEEP_MINUTES, help="minutes between sweeps")
        parser.add_argument("--ack-hours", type=float, nargs="+", default=[24.0, 48.0, 96.0],
                            help="hours to acknowledge a hand-off home (one evaluation each)")

    def handle(self, *args, seed, interval, ack_hours, **options):
        from fangkong.epi.simulate import default_demo_params, load_region_tree, simulate_scenario
        from fangkong.inbound.evaluation import evaluate
        from fangkong.regions.services import GUANGDONG_REGIONS

        params = default_demo_params() if seed is None else default_demo_params(seed=seed)
        scenario = simulate_scenario(params, load_region_tree(GUANGDONG_REGIONS))
        self.stdout.write("home_ack_h scored  broken  flagged  precision  recall  median_delay_min  p95_delay_min")
        for hours in ack_hours:
            s = evaluate(scenario, interval_minutes=interval, ack_home_hours=hours)
            self.stdout.write(f"{hours:10.0f}  {s.scored:6d}  {s.broken:6d}  {s.flagged:7d}  {s.precision:9.3f}  "
                              f"{s.recall:6.3f}  {s.median_delay_minutes:16.1f}  {s.p95_delay_minutes:13.1f}")
