"""Tests for fangkong.epi.pooling: Dorfman's expected tests against the closed form, the optimum against a
brute-force search, and the prevalence above which pooling stops paying."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangkong.epi.pooling import NO_POOLING_ABOVE, dorfman_tests_per_person, optimal_pool_size, screening_plan


def test_expected_tests_follow_the_closed_form():
    for p in (0.0, 0.001, 0.01, 0.1, 0.3):
        for k in (2, 5, 10, 20):
            assert dorfman_tests_per_person(p, k) == pytest.approx(1 / k + 1 - (1 - p) ** k)
    assert dorfman_tests_per_person(0.2, 1) == 1.0
    # Dorfman's own table: p = 1 %, k = 11 gives about 0.196 tests per person (an 80 % saving)
    assert dorfman_tests_per_person(0.01, 11) == pytest.approx(0.1956, abs=1e-4)


def test_the_threshold_is_where_three_in_one_stops_paying():
    assert NO_POOLING_ABOVE == pytest.approx(0.3066, abs=1e-4)
    assert dorfman_tests_per_person(NO_POOLING_ABOVE, 3) == pytest.approx(1.0)
    assert optimal_pool_size(NO_POOLING_ABOVE - 1e-4).pool_size == 3
    assert optimal_pool_size(NO_POOLING_ABOVE + 1e-4).pool_size == 1
    assert optimal_pool_size(0.5).pool_size == 1


@given(st.floats(min_value=1e-5, max_value=0.45))
def test_the_optimum_is_the_brute_force_minimum(p):
    choice = optimal_pool_size(p, max_size=60)
    brute = min([(1.0, 1)] + [(1 / k + 1 - (1 - p) ** k, k) for k in range(2, 61)])
    assert choice.tests_per_person == pytest.approx(brute[0])
    assert (choice.pool_size == 1) == (brute[1] == 1)


def test_a_round_restricted_to_its_sizes():
    assert optimal_pool_size(0.001, (5, 10, 20)).pool_size == 20
    assert optimal_pool_size(0.01, (5, 10, 20)).pool_size == 10  # E(10) = 0.196 < E(20) = 0.232
    assert optimal_pool_size(0.05, (5, 10, 20)).pool_size == 5
    # 5-in-1 alone stops paying where q^5 = 1/5
    assert optimal_pool_size(1 - 0.2 ** 0.2 + 1e-4, (5,)).pool_size == 1


def test_a_screening_plan_adds_up():
    plan = screening_plan(17_500_000, 0.0001, (5, 10, 20))
    assert plan.pool_size == 20
    assert plan.tubes == 875_000
    assert plan.expected_retests == round(17_500_000 * (1 - 0.9999 ** 20))
    assert plan.expected_tests == plan.tubes + plan.expected_retests
    assert plan.expected_tests / 17_500_000 == pytest.approx(plan.tests_per_person, rel=1e-6)
    single = screening_plan(1000, 0.4, (5, 10))
    assert (single.pool_size, single.expected_tests, single.tubes) == (1, 1000, 1000)
    assert math.isclose(screening_plan(0, 0.01).expected_tests, 0)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        dorfman_tests_per_person(1.5, 10)
    with pytest.raises(ValueError):
        dorfman_tests_per_person(0.1, 0)
    with pytest.raises(ValueError):
        screening_plan(-1, 0.1)
    assert np.allclose(dorfman_tests_per_person([0.01, 0.02], 10), [0.1 + 1 - 0.99 ** 10, 0.1 + 1 - 0.98 ** 10])


def test_a_matrix_with_one_positive_row_presumes_its_crossings():
    from fangkong.epi.pooling import matrix_decode

    found = matrix_decode([False, True, False], [True, False, False, True])
    assert not found.ambiguous
    assert sorted(zip(*map(list, found.presumptive.nonzero()), strict=True)) == [(1, 0), (1, 3)]
    assert (found.resample == found.presumptive).all()


def test_two_positive_rows_and_two_positive_columns_are_ambiguous_and_all_crossings_resampled():
    from fangkong.epi.pooling import matrix_decode

    found = matrix_decode([True, False, True], [False, True, True])
    assert found.ambiguous and not found.presumptive.any()
    assert sorted(zip(*map(list, found.resample.nonzero()), strict=True)) == [(0, 1), (0, 2), (2, 1), (2, 2)]


def test_lines_that_disagree_resample_every_well_of_the_positive_lines_and_all_negative_none():
    from fangkong.epi.pooling import matrix_decode

    found = matrix_decode([False, True], [False, False, False])
    assert not found.presumptive.any() and found.resample.sum() == 3 and found.resample[1].all()
    clear = matrix_decode([False] * 4, [False] * 5)
    assert not clear.resample.any() and not clear.presumptive.any() and not clear.ambiguous
    with pytest.raises(ValueError):
        matrix_decode([], [True])


@given(st.lists(st.booleans(), min_size=1, max_size=12), st.lists(st.booleans(), min_size=1, max_size=12))
def test_every_true_positive_is_resampled_whatever_the_plate(rows, columns):
    """Whatever the lines say, a well whose row and column are both positive is never left out, and nothing
    is presumed where the crossings are ambiguous."""
    from fangkong.epi.pooling import matrix_decode

    found = matrix_decode(rows, columns)
    crossings = np.outer(rows, columns)
    assert (found.resample | ~crossings).all()
    assert not (found.presumptive & ~found.resample).any()
    assert found.ambiguous == (sum(rows) >= 2 and sum(columns) >= 2)


def test_matrix_expected_tests_against_a_simulation():
    from fangkong.epi.pooling import matrix_decode, matrix_expected_tests

    rng = np.random.default_rng(21)
    rows, columns, p = 8, 12, 0.01
    total = 0
    runs = 4000
    for _ in range(runs):
        wells = rng.random((rows, columns)) < p
        total += rows + columns + matrix_decode(wells.any(axis=1), wells.any(axis=0)).resample.sum()
    assert total / runs == pytest.approx(matrix_expected_tests(rows, columns, p), rel=0.05)
    assert matrix_expected_tests(8, 12, 0.0) == 20
