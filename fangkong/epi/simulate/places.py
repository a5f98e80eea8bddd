"""Places of a synthetic province: sentinel sites, quarantine sites, hospitals, ports, care homes.

Every place sits in a leaf region (a county, or a township where a prefecture has no counties). Sentinel
sites (fever clinics, primary care, pharmacies, schools) and elderly-care homes follow per-100,000
densities with stochastic rounding, so totals track the population exactly on average; every populated
leaf has at least one fever clinic and one primary-care institution. Each prefecture has at least one
quarantine site and its designated hospitals; ports sit where ``params.ports`` says.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import PLACE_KINDS, ScenarioParams
from .regions import RegionTree
from .streams import PLACES, component_rng

KIND = {name: code for code, name in enumerate(PLACE_KINDS)}

#: Chinese names of the place kinds.
PLACE_KIND_ZH = {
    "fever_clinic": "发热门诊",
    "primary_care": "基层医疗卫生机构",
    "pharmacy": "药店",
    "school": "学校",
    "quarantine_site": "集中隔离点",
    "designated_hospital": "定点医院",
    "elderly_care": "养老机构",
    "airport": "航空口岸",
    "land_port": "陆路口岸",
    "sea_port": "水运口岸",
}


@dataclass(frozen=True)
class Places:
    """Places as parallel arrays; ``place_id`` is the index.

    ``kind`` indexes :data:`fangkong.epi.simulate.params.PLACE_KINDS`; ``region`` is a leaf region
    index; ``capacity`` is rooms (quarantine sites), beds (hospitals, care homes), pupils (schools), or
    0 (clinics, pharmacies, ports).
    """

    kind: np.ndarray
    region: np.ndarray
    capacity: np.ndarray

    @property
    def n(self) -> int:
        return len(self.kind)

    def of_kind(self, name: str) -> np.ndarray:
        return np.flatnonzero(self.kind == KIND[name])


def _stochastic_round(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    whole = np.floor(expected)
    return (whole + (rng.random(len(expected)) < expected - whole)).astype(np.int64)


def _most_populous_leaf(tree: RegionTree, index: int) -> int:
    mask = tree.subtree_mask(index) & tree.is_leaf
    candidates = np.flatnonzero(mask)
    return int(candidates[np.argmax(tree.population[candidates])])


def prefecture_indices(tree: RegionTree) -> np.ndarray:
    """Prefecture-level regions (or the roots, if the tree has no prefecture level)."""
    prefectures = np.flatnonzero(tree.level == 1)
    return prefectures if len(prefectures) else np.flatnonzero(tree.parent < 0)


def port_leaves(params: ScenarioParams, tree: RegionTree) -> list[tuple[int, str]]:
    """(leaf region, port kind) for every port, in the order of ``params.ports``."""
    if not params.ports:
        root = int(np.flatnonzero(tree.parent < 0)[0])
        return [(_most_populous_leaf(tree, root), "airport")]
    return [(_most_populous_leaf(tree, tree.index_of(code)), kind) for code, kind in params.ports]


def generate_places(params: ScenarioParams, tree: RegionTree) -> Places:
    """All places of the scenario, ordered by kind then region."""
    rng = component_rng(params.seed, PLACES)
    leaves = tree.leaves
    leaf_pop = tree.population[leaves].astype(np.float64)
    populated = leaf_pop > 0
    kinds: list[np.ndarray] = []
    regions: list[np.ndarray] = []
    capacities: list[np.ndarray] = []

    def add(kind: str, region: np.ndarray, capacity: np.ndarray | None = None) -> None:
        kinds.append(np.full(len(region), KIND[kind], dtype=np.int8))
        regions.append(region.astype(np.int32))
        capacities.append(np.zeros(len(region), np.int32) if capacity is None else capacity.astype(np.int32))

    densities = {
        "fever_clinic": (params.fever_clinics_per_100k, 1, None),
        "primary_care": (params.primary_care_per_100k, 1, None),
        "pharmacy": (params.pharmacies_per_100k, 0, None),
        "school": (params.schools_per_100k, 0, params.school_pupils_mean),
        "quarantine_site": (params.quarantine_sites_per_100k, 0, params.quarantine_rooms_mean),
        "elderly_care": (params.elderly_care_per_100k, 0, params.elderly_care_beds_mean),
    }
    prefectures = prefecture_indices(tree)
    for kind in ("fever_clinic", "primary_care", "pharmacy", "school", "quarantine_site", "elderly_care"):
        density, minimum, capacity_mean = densities[kind]
        counts = _stochastic_round(rng, leaf_pop / 1e5 * density)
        counts = np.where(populated, np.maximum(counts, minimum), 0)
        if kind == "quarantine_site":
            for prefecture in prefectures:
                leaf = _most_populous_leaf(tree, int(prefecture))
                position = int(np.searchsorted(leaves, leaf))
                counts[position] = max(counts[position], 1)
        region = np.repeat(leaves, counts)
        capacity = None
        if capacity_mean is not None:
            capacity = np.maximum(1, np.round(rng.gamma(4.0, capacity_mean / 4.0, len(region))))
        add(kind, region, capacity)
    hospital_regions = np.repeat(
        np.array([_most_populous_leaf(tree, int(p)) for p in prefectures], dtype=np.int64),
        params.designated_hospitals_per_prefecture,
    )
    add("designated_hospital", hospital_regions,
        np.maximum(1, np.round(rng.gamma(4.0, params.hospital_beds_mean / 4.0, len(hospital_regions)))))
    for leaf, port_kind in port_leaves(params, tree):
        add(port_kind, np.array([leaf]))
    kind = np.concatenate(kinds)
    region = np.concatenate(regions)
    capacity = np.concatenate(capacities)
    order = np.lexsort((region, kind))
    # Ports keep the order of params.ports (their kind codes sort after the others already).
    port_mask = np.isin(kind, [KIND["airport"], KIND["land_port"], KIND["sea_port"]])
    order = np.concatenate([order[~port_mask[order]], np.flatnonzero(port_mask)])
    return Places(kind=kind[order], region=region[order], capacity=capacity[order])


def port_place_ids(places: Places) -> np.ndarray:
    """Place ids of the ports, in the order of ``params.ports``."""
    return np.flatnonzero(np.isin(places.kind, [KIND["airport"], KIND["land_port"], KIND["sea_port"]]))


def place_codes(places: Places) -> np.ndarray:
    """Stable place codes P00000000, P00000001, ... (the place id, zero-padded)."""
    return np.char.add("P", np.char.zfill(np.arange(places.n).astype(str), 8)) if places.n else np.zeros(0, str)


def place_names(tree: RegionTree, places: Places) -> np.ndarray:
    """Chinese display names: region name + kind + sequence within region and kind, e.g. 福田区发热门诊2号."""
    kind_zh = np.array([PLACE_KIND_ZH[name] for name in PLACE_KINDS])
    sequence = np.zeros(places.n, dtype=np.int64)
    key = places.region.astype(np.int64) * len(PLACE_KINDS) + places.kind
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_key)) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(sorted_key)]))
    sequence[order] = np.arange(len(sorted_key)) - run_start + 1
    names = np.char.add(tree.names_zh[places.region].astype(str), kind_zh[places.kind])
    return np.char.add(np.char.add(names, sequence.astype(str)), "号")
