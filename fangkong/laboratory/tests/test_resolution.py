"""Pool resolution does not depend on the order single results arrive in (property tests, hypothesis): for any
members' singles — several per member, any outcomes — applied in any order, each member's verdict and the
pool's resolution are those the rule gives for the *set* of results (``services`` module docstring)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..models import Outcome, Pool, PoolMember
from ..services import member_verdict, pool_record, result_record, specimen_record

pytestmark = pytest.mark.django_db

OUTCOMES = st.sampled_from([Outcome.POSITIVE, Outcome.NEGATIVE, Outcome.INCONCLUSIVE])


def expected(singles: list[list[str]]) -> tuple[list[str], str]:
    verdicts = []
    for outcomes in singles:
        found = set(outcomes)
        verdicts.append(Outcome.POSITIVE if Outcome.POSITIVE in found else Outcome.NEGATIVE
                        if Outcome.NEGATIVE in found else Outcome.INCONCLUSIVE if found else "")
    if verdicts and all(v in (Outcome.POSITIVE, Outcome.NEGATIVE) for v in verdicts):
        return verdicts, ("confirmed" if Outcome.POSITIVE in verdicts else "not_confirmed")
    return verdicts, ""


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OUTCOMES, max_size=5), st.randoms())
def test_a_members_verdict_is_a_function_of_the_set_of_its_results(outcomes, rnd):
    shuffled = list(outcomes)
    rnd.shuffle(shuffled)
    assert member_verdict(shuffled) == member_verdict(outcomes) == expected([outcomes])[0][0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(data=st.data())
def test_resolution_is_the_same_in_any_order(lab_user, lab, screening, people, data):
    n = data.draw(st.integers(min_value=1, max_value=5), label="members")
    pool_outcome = data.draw(st.sampled_from([Outcome.POSITIVE, Outcome.INCONCLUSIVE]), label="pool")
    singles = [data.draw(st.lists(OUTCOMES, max_size=3), label=f"member {i}") for i in range(n)]
    order = data.draw(st.permutations([(i, j) for i, outcomes in enumerate(singles) for j in range(len(outcomes))]),
                      label="order")
    sampled = timezone.now() - dt.timedelta(hours=40)
    with transaction.atomic():
        pool = pool_record(actor=lab_user, round=screening, laboratory=lab, code="PX", size=5, sampled_at=sampled,
                           sampling_point="点", sampler="员", citizen_ids=[num for _p, num in people[:n]])
        result_record(actor=lab_user, laboratory=lab, code="PX", outcome=pool_outcome, ct_values={"N": 35},
                      received_at=sampled, resulted_at=sampled + dt.timedelta(hours=1))
        members = list(pool.members.order_by("id"))
        for i, j in order:
            code = f"S{i}-{j}"
            specimen_record(actor=lab_user, laboratory=lab, code=code, subject="person", kind="throat",
                            sampled_at=sampled + dt.timedelta(hours=2), sampling_point="点", sampler="员",
                            pool_member=members[i])
            result_record(actor=lab_user, laboratory=lab, code=code, outcome=singles[i][j],
                          ct_values={"N": 30} if singles[i][j] != Outcome.NEGATIVE else {},
                          received_at=sampled + dt.timedelta(hours=3), resulted_at=sampled + dt.timedelta(hours=4))
        verdicts, resolution = expected(singles)
        got = list(PoolMember.objects.filter(pool=pool).order_by("id").values_list("verdict", "released_at"))
        assert [v for v, _r in got] == verdicts
        assert [r is not None for _v, r in got] == [v == Outcome.NEGATIVE for v in verdicts]
        assert Pool.objects.get(pk=pool.pk).resolution == resolution
        assert screening.__class__.objects.get(pk=screening.pk).pools_resolved == (1 if resolution else 0)
        transaction.set_rollback(True)
