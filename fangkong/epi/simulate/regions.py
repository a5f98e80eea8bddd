"""The region tree the simulator runs on: arrays of codes, parents, levels and populations.

A :class:`RegionTree` holds any administrative tree (province → prefecture → county → township) as
parallel numpy arrays, parents before children. :func:`load_region_tree` reads the region CSV
(``code,parent_code,level,name_zh,name_en,population[,population_estimated]``) or a flat list of
GB/T 2260 codes whose parents are inferred from the code (e.g. the prefecture list with a
``population_2020`` column). :meth:`RegionTree.scaled_to` scales the residents to any total.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LEVELS: tuple[str, ...] = ("province", "prefecture", "county", "township")


@dataclass(frozen=True)
class RegionTree:
    """Regions as parallel arrays; index ``i`` is one region. Parents come before their children.

    ``parent[i]`` is the index of the parent (-1 for a root); ``level[i]`` indexes :data:`LEVELS`;
    ``population`` is int64 residents (an internal region's population is its own figure, which may
    differ from the sum of its children; the simulator uses leaf populations).
    """

    codes: np.ndarray
    parent: np.ndarray
    level: np.ndarray
    population: np.ndarray
    names_zh: np.ndarray
    names_en: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.codes)
        for name in ("parent", "level", "population", "names_zh", "names_en"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"RegionTree.{name} has {len(getattr(self, name))} entries, codes has {n}")
        if n and np.any(self.parent >= np.arange(n)):
            raise ValueError("RegionTree must list every parent before its children")
        if n and np.any(self.population < 0):
            raise ValueError("RegionTree.population must be >= 0")

    @property
    def n(self) -> int:
        return len(self.codes)

    @property
    def is_leaf(self) -> np.ndarray:
        """Boolean mask of regions without children (where places and residents live)."""
        has_children = np.zeros(self.n, dtype=bool)
        has_children[self.parent[self.parent >= 0]] = True
        return ~has_children

    @property
    def leaves(self) -> np.ndarray:
        """Indices of the leaf regions, in tree order."""
        return np.flatnonzero(self.is_leaf)

    @property
    def leaf_population_total(self) -> int:
        return int(self.population[self.is_leaf].sum())

    def index_of(self, code: str) -> int:
        hits = np.flatnonzero(self.codes == code)
        if len(hits) == 0:
            raise KeyError(f"region {code} is not in the tree")
        return int(hits[0])

    def ancestor_at_level(self, level: int) -> np.ndarray:
        """For every region, the index of its ancestor at ``level`` (itself if at or above that level)."""
        result = np.arange(self.n)
        for _ in range(len(LEVELS)):
            parent = self.parent[result]
            climb = (self.level[result] > level) & (parent >= 0)
            if not climb.any():
                break
            result = np.where(climb, parent, result)
        return result

    def prefecture_of(self) -> np.ndarray:
        """For every region, its prefecture-level ancestor (itself for provinces and prefectures)."""
        return self.ancestor_at_level(LEVELS.index("prefecture"))

    def subtree_mask(self, index: int) -> np.ndarray:
        """Boolean mask of ``index`` and all its descendants."""
        mask = np.zeros(self.n, dtype=bool)
        mask[index] = True
        for i in range(index + 1, self.n):
            if self.parent[i] >= 0 and mask[self.parent[i]]:
                mask[i] = True
        return mask

    def sum_up(self, leaf_values: np.ndarray) -> np.ndarray:
        """Aggregate values given for every region (zero for internal ones) up the tree.

        ``leaf_values`` has the regions on axis 0; returns the same shape where each region holds the
        sum over its subtree.
        """
        totals = np.array(leaf_values, copy=True)
        for i in range(self.n - 1, -1, -1):
            p = self.parent[i]
            if p >= 0:
                totals[p] += totals[i]
        return totals

    def scaled_to(self, residents: int) -> RegionTree:
        """The same tree with leaf populations scaled to sum to ``residents`` (largest remainder).

        Internal regions get the sum of their leaves.
        """
        if residents < 1:
            raise ValueError("residents must be >= 1")
        leaves = self.leaves
        weights = self.population[leaves].astype(np.float64)
        if weights.sum() <= 0:
            raise ValueError("cannot scale a region tree whose leaves have no residents")
        exact = weights / weights.sum() * residents
        floor = np.floor(exact).astype(np.int64)
        shortfall = int(residents - floor.sum())
        order = np.lexsort((np.arange(len(leaves)), -(exact - floor)))
        floor[order[:shortfall]] += 1
        leaf_pop = np.zeros(self.n, dtype=np.int64)
        leaf_pop[leaves] = floor
        return RegionTree(
            codes=self.codes,
            parent=self.parent,
            level=self.level,
            population=self.sum_up(leaf_pop),
            names_zh=self.names_zh,
            names_en=self.names_en,
        )


def _infer_level(code: str) -> int:
    if len(code) > 6:
        return LEVELS.index("township")
    if code.endswith("0000"):
        return LEVELS.index("province")
    if code.endswith("00"):
        return LEVELS.index("prefecture")
    return LEVELS.index("county")


def _infer_parent(code: str, known: set[str]) -> str:
    candidates = []
    if len(code) > 6:
        candidates.append(code[:6])
    candidates += [code[:4] + "00", code[:2] + "0000"]
    for candidate in candidates:
        if candidate != code and candidate in known:
            return candidate
    return ""


def region_tree_from_rows(rows: list[dict[str, str]]) -> RegionTree:
    """Build a tree from dict rows (code, optional parent_code and level, names, population)."""
    if not rows:
        raise ValueError("the region tree is empty: no rows")
    known = {row["code"].strip() for row in rows}
    records = []
    for row in rows:
        code = row["code"].strip()
        if "level" in row and row["level"]:
            if row["level"] not in LEVELS:
                raise ValueError(f"region {code}: level must be one of {LEVELS}, got {row['level']!r}")
            level = LEVELS.index(row["level"])
        else:
            level = _infer_level(code)
        parent_code = row["parent_code"].strip() if "parent_code" in row else _infer_parent(code, known)
        population_text = row.get("population") or row.get("population_2020") or "0"
        try:
            population = int(float(population_text))
        except ValueError as error:
            raise ValueError(f"region {code}: population {population_text!r} is not a number") from error
        records.append((code, parent_code, level, population, row.get("name_zh", ""), row.get("name_en", "")))
    by_code = {record[0]: record for record in records}
    if len(by_code) != len(records):
        raise ValueError("the region tree has duplicate codes")
    for code, parent_code, *_ in records:
        if parent_code and parent_code not in by_code:
            raise ValueError(f"region {code}: parent {parent_code} is not in the tree")
    ordered: list[tuple] = []
    placed: dict[str, int] = {}
    pending = sorted(records, key=lambda record: (record[2], record[0]))
    while pending:
        remaining = []
        for record in pending:
            if not record[1] or record[1] in placed:
                placed[record[0]] = len(ordered)
                ordered.append(record)
            else:
                remaining.append(record)
        if len(remaining) == len(pending):
            raise ValueError(f"the region tree has a cycle through {remaining[0][0]}")
        pending = remaining
    return RegionTree(
        codes=np.array([r[0] for r in ordered]),
        parent=np.array([placed[r[1]] if r[1] else -1 for r in ordered], dtype=np.int32),
        level=np.array([r[2] for r in ordered], dtype=np.int8),
        population=np.array([r[3] for r in ordered], dtype=np.int64),
        names_zh=np.array([r[4] for r in ordered]),
        names_en=np.array([r[5] for r in ordered]),
    )


def load_region_tree(path: str | Path) -> RegionTree:
    """Read a region CSV (see the module docstring) into a :class:`RegionTree`."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"the region tree in {path} is empty")
    if "code" not in rows[0]:
        raise ValueError(f"{path} has no 'code' column")
    return region_tree_from_rows(rows)


def default_region_csv() -> Path | None:
    """The demo province's region file if it is present in the installed tree, else None."""
    here = Path(__file__).resolve()
    package_root = here.parents[2]
    candidates = [package_root / "regions" / "data" / "guangdong_regions.csv"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return None


def synthetic_tree(prefectures: int = 3, counties_per_prefecture: int = 4, residents: int = 1_000_000) -> RegionTree:
    """A small deterministic tree for tests and examples: one province, prefectures, counties."""
    rows = [{"code": "990000", "parent_code": "", "level": "province", "name_zh": "示例省",
             "name_en": "Example Province", "population": "0"}]
    per_county = residents // (prefectures * counties_per_prefecture)
    for p in range(prefectures):
        pref_code = f"99{p + 1:02d}00"
        rows.append({"code": pref_code, "parent_code": "990000", "level": "prefecture",
                     "name_zh": f"示例市{p + 1}", "name_en": f"City {p + 1}", "population": "0"})
        for c in range(counties_per_prefecture):
            rows.append({"code": f"99{p + 1:02d}{c + 1:02d}", "parent_code": pref_code, "level": "county",
                         "name_zh": f"示例县{p + 1}-{c + 1}", "name_en": f"County {p + 1}-{c + 1}",
                         "population": str(per_county * (1 + (c % 3)))})
    tree = region_tree_from_rows(rows)
    return tree.scaled_to(residents)
