"""Overdue rectification orders raise problems in the three lists (the declared source ``places``): once per
order and deadline, serious for a critical finding, for the place's region; done or submitted orders and
passed inspections raise nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong import modules
from fangkong.worklists.feeds import feed
from fangkong.worklists.models import Problem, Severity

from .. import services
from ..models import Rectification
from .builders import make_place, pass_all

pytestmark = pytest.mark.django_db


def late(order: Rectification, days: int = 2) -> None:
    """Move an order's deadline into the past (as time passing would) and run the daily job."""
    Rectification.objects.filter(pk=order.pk).update(deadline=timezone.localdate() - dt.timedelta(days=days))
    services.overdue_mark()


def test_the_source_is_declared_by_the_places_module():
    assert modules.problem_sources()["places"].feed == "fangkong.places.problems.feed"


def test_overdue_orders_are_raised_once_each_with_their_severity(gz_inspector):
    place = make_place(gz_inspector, region="440106", name="天河逾期市场")
    inspection = services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=timezone.localdate(),
                                            results={**pass_all(place), "G1": "fail", "G2": "fail", "G4": "fail"})
    orders = {o.finding.item_code: o for o in Rectification.objects.select_related("finding")}
    other = make_place(gz_inspector, region="440106", name="天河合格市场")  # passed: nothing to raise
    services.inspection_record(actor=gz_inspector, place=other.pk, inspected_on=timezone.localdate(),
                               results=pass_all(other))
    services.rectification_act(actor=gz_inspector, rectification=orders["G4"].pk, action="submit",
                               evidence="已整改")
    for code in ("G1", "G2", "G4"):
        Rectification.objects.filter(pk=orders[code].pk).update(deadline=timezone.localdate() - dt.timedelta(days=2))
    assert feed(now=timezone.now())["places"] == 2  # G4 is submitted: it waits for verification, not overdue
    assert feed(now=timezone.now())["places"] == 0
    problems = {p.title: p for p in Problem.objects.filter(source="places")}
    assert len(problems) == 2
    g1 = next(p for t, p in problems.items() if "G1" in t)
    g2 = next(p for t, p in problems.items() if "G2" in t)
    assert (g1.severity, g2.severity) == (Severity.SERIOUS, Severity.MODERATE)  # G1 is a critical item
    assert g1.region_id == "440106" and "天河逾期市场" in g1.title and f"#{orders['G1'].pk}" in g1.evidence
    assert g1.link.endswith(f"/places/inspections/{inspection.pk}/")
    assert g1.found_at <= timezone.now()
    assert g1.tasks.get().owner_unit.region_id == "440106"


def test_an_order_reopened_and_overdue_again_is_raised_again_and_a_verified_one_never(gz_inspector):
    place = make_place(gz_inspector, region="440106")
    services.inspection_record(actor=gz_inspector, place=place.pk, inspected_on=timezone.localdate(),
                               results={**pass_all(place), "G2": "fail"})
    order = Rectification.objects.get()
    late(order)
    assert Rectification.objects.get().state == Rectification.State.OVERDUE
    assert feed(now=timezone.now())["places"] == 1
    services.rectification_act(actor=gz_inspector, rectification=order.pk, action="submit", evidence="补交记录")
    services.rectification_act(actor=gz_inspector, rectification=order.pk, action="reopen")
    assert feed(now=timezone.now())["places"] == 0  # reopened with a new deadline: not late yet
    late(order, days=1)
    assert feed(now=timezone.now())["places"] == 1  # late again, on its new deadline
    assert Problem.objects.filter(source="places").count() == 2
    services.rectification_act(actor=gz_inspector, rectification=order.pk, action="submit", evidence="再次整改")
    services.rectification_act(actor=gz_inspector, rectification=order.pk, action="verify")
    assert feed(now=timezone.now())["places"] == 0 and Problem.objects.filter(source="places").count() == 2
