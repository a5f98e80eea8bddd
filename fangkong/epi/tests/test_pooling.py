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
