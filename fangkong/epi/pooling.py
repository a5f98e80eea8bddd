"""Pooled testing (混管): Dorfman's two-stage scheme and the pool size it recommends for a prevalence.

Dorfman (1943): ``k`` samples are tested together in one tube; a negative tube clears all ``k``, a positive
one has each of its members re-tested singly. With independent infections at prevalence ``p`` (q = 1 − p),
the expected number of tests per person is

    E(k, p) = 1/k + 1 − q^k          (k ≥ 2),        E(1, p) = 1 (single-tube testing, 单采单检).

The recommended size minimises E over the sizes a round allows (or 2…``max_size``); it is 1 — no pooling —
when no size does better than one test per person. For the unrestricted optimum that happens above
p* = 1 − 3^(−1/3) ≈ 0.3066 (``NO_POOLING_ABOVE``): for every k ≥ 2, E(k, p) ≥ 1 exactly when q^k ≤ 1/k, and
the largest q at which some k still pays is reached at k = 3 (1/k^(1/k) is smallest there among integers).

Pure numpy; ``screening_plan`` adds up tests and tubes for a population.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Above this prevalence no pool size pays (E(k, p) ≥ 1 for every k ≥ 2): 1 − 3^(−1/3).
NO_POOLING_ABOVE = 1.0 - 3.0 ** (-1.0 / 3.0)


def dorfman_tests_per_person(p, k):
    """Dorfman's expected tests per person, E(k, p) = 1/k + 1 − (1 − p)^k, and 1 for k = 1 (arrays broadcast)."""
    p = np.asarray(p, dtype=float)
    k = np.asarray(k, dtype=float)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("prevalence must lie in [0, 1]")
    if np.any(k < 1) or np.any(k != np.floor(k)):
        raise ValueError("pool sizes are integers of at least 1")
    pooled = 1.0 / k + 1.0 - (1.0 - p) ** k
    return np.where(k == 1, 1.0, pooled)


@dataclass(frozen=True)
class PoolChoice:
    pool_size: int  # 1: no pooling pays
    tests_per_person: float


def optimal_pool_size(p: float, sizes: Sequence[int] | None = None, max_size: int = 100) -> PoolChoice:
    """The size minimising E(k, p) among ``sizes`` (default 2…``max_size``), or 1 when none beats single tests
    (ties go to the smaller size)."""
    candidates = np.array(sorted(set(sizes)) if sizes else range(2, max_size + 1), dtype=float)
    candidates = candidates[candidates >= 2]
    if candidates.size == 0:
        return PoolChoice(1, 1.0)
    expected = dorfman_tests_per_person(p, candidates)
    best = int(np.argmin(expected))
    if expected[best] >= 1.0:
        return PoolChoice(1, 1.0)
    return PoolChoice(int(candidates[best]), float(expected[best]))


@dataclass(frozen=True)
class ScreeningPlan:
    pool_size: int
    tests_per_person: float
    expected_tests: int  # pooled tubes plus expected single re-tests
    tubes: int  # sampling tubes of the first stage (one per pool, or per person without pooling)
    expected_retests: int  # persons re-sampled singly after a positive pool


def screening_plan(population: int, p: float, sizes: Sequence[int] | None = None) -> ScreeningPlan:
    """What a round of ``population`` persons needs at prevalence ``p`` with the best allowed pool size."""
    if population < 0:
        raise ValueError("population must be non-negative")
    choice = optimal_pool_size(p, sizes)
    k = choice.pool_size
    tubes = math.ceil(population / k) if population else 0
    if k == 1:
        return ScreeningPlan(1, 1.0, population, population, 0)
    positive_pool = 1.0 - (1.0 - p) ** k
    retests = round(population * positive_pool)
    return ScreeningPlan(k, choice.tests_per_person, tubes + retests, tubes, retests)
