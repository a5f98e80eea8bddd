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
    assert Region.objects.get(code="440311").geometry_synthetic  # Guangming: no geometry in the package


def test_loading_twice_changes_nothing(db):
    before = list(Region.objects.values_list("code", "parent_id", "population").order_by("code"))
    region_tree_load(boundaries=None)
    after = list(Region.objects.values_list("code", "parent_id", "population").order_by("code"))
    assert before == after
