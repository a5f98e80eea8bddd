"""The demo province's region tree: structure, populations, boundaries, codes."""

import pytest

from fangkong.regions.codes import covers, subtree_prefix
from fangkong.regions.models import Region
from fangkong.regions.services import region_tree_load


@pytest.mark.parametrize(("code", "prefix"), [
    ("440000", "44"), ("440300", "4403"), ("440304", "440304"), ("441900003", "441900003"),
])
def test_subtree_prefix(code, prefix):
    assert subtree_prefix(code) == prefix


def test_covers_and_invalid_codes():
    assert covers("441900", "441900003") and covers("440000", "440304") and not covers("440300", "440100")
    with pytest.raises(ValueError, match="GB/T 2260"):
        subtree_prefix("4403")


def test_guangdong_has_21_prefectures_with_census_population(db):
    province = Region.objects.get(code="440000")
    prefectures = Region.objects.filter(level="prefecture")
    assert prefectures.count() == 21
    assert sum(p.population for p in prefectures) == province.population == 126_012_510
    assert not any(p.population_estimated for p in prefectures)


def test_every_prefecture_has_subdivisions_summing_to_its_population(db):
    for prefecture in Region.objects.filter(level="prefecture"):
        children = list(prefecture.children.all())
        assert children, prefecture.code
        assert sum(c.population for c in children) == prefecture.population
        assert all(c.code.startswith(prefecture.prefix) for c in children)
        assert all(c.population_estimated for c in children)  # apportioned, and said so
    assert Region.objects.filter(level="county").count() == 122
    assert Region.objects.get(code="441900").children.filter(level="township").count() > 20


def test_boundaries_are_real_or_marked_synthetic(db):
    futian = Region.objects.get(code="440304")
    assert futian.geometry["type"] in {"Polygon", "MultiPolygon"} and not futian.geometry_synthetic
    lon, lat = futian.geometry["coordinates"][0][0][0] if futian.geometry["type"] == "MultiPolygon" \
        else futian.geometry["coordinates"][0][0]
    assert 113.9 < lon < 114.2 and 22.4 < lat < 22.7  # Futian lies in Shenzhen
    # Only the townships of Dongguan and Zhongshan have no boundary in any registry package.
    synthetic = Region.objects.filter(geometry_synthetic=True)
    assert synthetic.exists() and set(synthetic.values_list("level", flat=True)) == {"township"}


def _outer_rings(geometry: dict) -> list:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [polygon[0] for polygon in polygons]


def _inside(point, rings) -> bool:
    x, y = point
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def test_guangming_is_drawn_on_land_where_it_is_and_cut_from_baoan(db):
    """Guangming District (2018) was a square in the sea: its shape is now the current boundary, in
    Shenzhen's north-west, and Bao'an's shape no longer covers it."""
    guangming, baoan = Region.objects.get(code="440311"), Region.objects.get(code="440306")
    assert not guangming.geometry_synthetic
    points = [p for ring in _outer_rings(guangming.geometry) for p in ring]
    centre = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    assert 113.85 < centre[0] < 114.0 and 22.7 < centre[1] < 22.84  # Guangming's town centre: 113.94, 22.75
    assert _inside(centre, _outer_rings(guangming.geometry))
    assert not _inside(centre, _outer_rings(baoan.geometry))


def test_loading_twice_changes_nothing(db):
    before = list(Region.objects.values_list("code", "parent_id", "population").order_by("code"))
    region_tree_load(boundaries=None)
    after = list(Region.objects.values_list("code", "parent_id", "population").order_by("code"))
    assert before == after
