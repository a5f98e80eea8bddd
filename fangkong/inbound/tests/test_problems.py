"""What the inbound module raises in the problem list (``problems.py``): an open break, once, for the receiving
region; a closed one never."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fangkong.worklists.models import Problem

from ..apps import PROBLEM_SOURCE
from ..models import LoopBreak
from ..problems import feed
from .scope import shenzhen_loop

pytestmark = pytest.mark.django_db


def test_an_open_break_becomes_one_problem_for_the_receiving_region(shenzhen_epi):
    made = shenzhen_loop(shenzhen_epi)
    brk = made["break"]
    now = timezone.now()
    assert feed(now) == 1 and feed(now) == 0
    problem = Problem.objects.get(source=PROBLEM_SOURCE)
    assert (problem.source_key, problem.region_id) == (f"break:{brk.pk}", "440305")
    assert f"断点 #{brk.pk}" in problem.evidence and "闭环测试" not in problem.evidence + problem.title
    LoopBreak.objects.filter(pk=brk.pk).update(closed_at=now)
    assert feed(now) == 0
