"""``fangkong inbound_evaluate``: break detection scored on simulated scenarios' ground truth
(``fangkong.inbound.evaluation``): precision, recall and detection delay of broken hand-offs, on the
scenarios held out while the rules were set, and what late receivers would cost."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from fangkong.inbound.apps import SWEEP_MINUTES


class Command(BaseCommand):
    help = "Score the inbound break detection on simulated scenarios (precision, recall, median delay)."

    def add_arguments(self, parser):
        from fangkong.inbound.evaluation import HELD_OUT_SEEDS

        parser.add_argument("--seed", type=int, nargs="+", default=list(HELD_OUT_SEEDS),
                            help="scenario seeds (default: those held out while tuning)")
        parser.add_argument("--interval", type=int, default=SWEEP_MINUTES, help="minutes between sweeps")
        parser.add_argument("--late", type=float, nargs="+", default=[0.0],
                            help="fractions of intact hand-offs home acknowledged after the deadline")

    def handle(self, *args, seed, interval, late, **options):
        from fangkong.inbound.evaluation import evaluate, scenario_for

        self.stdout.write("seed    late  scored  broken  flagged  precision  recall  median_delay_min  p95_delay_min")
        for one in seed:
            for fraction in late:
                s = evaluate(scenario_for(one, late_fraction=fraction), interval_minutes=interval)
                self.stdout.write(f"{one:6d}  {fraction:4.2f}  {s.scored:6d}  {s.broken:6d}  {s.flagged:7d}  "
                                  f"{s.precision:9.3f}  {s.recall:6.3f}  {s.median_delay_minutes:16.1f}  "
                                  f"{s.p95_delay_minutes:13.1f}")
