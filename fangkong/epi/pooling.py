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


@dataclass(frozen=True)
class MatrixDecoding:
    """What a plate's row and column tubes say of its wells (``matrix_decode``)."""

    presumptive: np.ndarray  # (rows, columns) bool: presumptively positive — one positive line crossing another
    resample: np.ndarray  # (rows, columns) bool: to re-sample singly (单采单检)
    ambiguous: bool  # at least two positive rows and two positive columns: crossings cannot be told apart


def matrix_decode(rows_positive, columns_positive) -> MatrixDecoding:
    """Decode a matrix pool: a plate of r × c samples tested as r row tubes and c column tubes (each sample in
    one row and one column).

    - No positive line: every well negative, nothing to re-sample.
    - One positive row (or one positive column) with positive columns (rows): each crossing is
      **presumptively positive** — one line alone explains the other's positives — and is re-sampled singly
      to confirm it, as a positive pool's members are.
    - At least two positive rows **and** at least two positive columns: the crossings are **ambiguous** (with
      two positives on a diagonal, the other diagonal's wells would light the same lines); none is presumed,
      every crossing is re-sampled singly.
    - Positive rows but no positive column, or the reverse: the tubes disagree (a line missed, or a
      contaminated one); every well of the positive lines is re-sampled singly, none presumed.

    An inconclusive line counts as positive (as an inconclusive pool does)."""
    rows = np.asarray(rows_positive, dtype=bool)
    columns = np.asarray(columns_positive, dtype=bool)
    if rows.ndim != 1 or columns.ndim != 1 or rows.size == 0 or columns.size == 0:
        raise ValueError("a plate has at least one row and one column")
    crossings = rows[:, None] & columns[None, :]
    none = np.zeros_like(crossings)
    if crossings.any():
        ambiguous = bool(rows.sum() >= 2 and columns.sum() >= 2)
        return MatrixDecoding(none if ambiguous else crossings, crossings, ambiguous)
    return MatrixDecoding(none, rows[:, None] | columns[None, :], False)


def matrix_expected_tests(rows: int, columns: int, p: float) -> float:
    """Expected tests for one plate of ``rows`` × ``columns`` at prevalence ``p`` under ``matrix_decode``: the
    ``rows + columns`` line tubes and, in expectation, the singles — each well is re-sampled when its row and
    its column are both positive (lines positive independently given the well: the well itself, or another
    positive in its row and another in its column), the rare disagreements of the lines not counted."""
    if rows < 1 or columns < 1 or not 0 <= p <= 1:
        raise ValueError("a plate has at least one row and one column; prevalence in [0, 1]")
    q = 1.0 - p
    crossed = p + q * (1.0 - q ** (columns - 1)) * (1.0 - q ** (rows - 1))
    return rows + columns + rows * columns * crossed
