"""``fangkong load_regions [--csv F] [--boundaries G]``: load a region tree (default: Guangdong)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand

from fangkong.regions.services import GUANGDONG_BOUNDARIES, GUANGDONG_REGIONS, region_tree_load


class Command(BaseCommand):
    help = "Load a GB/T 2260 region tree from CSV (and boundaries from GeoJSON)."

    def add_arguments(self, parser):
        parser.add_argument("--csv", type=Path, default=GUANGDONG_REGIONS)
        parser.add_argument("--boundaries", type=Path, default=GUANGDONG_BOUNDARIES)

    def handle(self, *args, csv, boundaries, **options):
        count = region_tree_load(regions_csv=csv, boundaries=boundaries)
        self.stdout.write(self.style.SUCCESS(f"{count} regions loaded"))
