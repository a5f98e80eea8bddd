"""The dashboard panel of the places module (``dashboard_panels``): coverage, overdue inspections, open and
overdue rectification orders per child region, of the places the reader may read, in a bounded number of
queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.testing.builders import make_user

from .. import selectors, services, tally
from ..models import Place, Rectification
from .builders import make_place, pass_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_cities(gz_inspector, sz_inspector):
    today = timezone.localdate()
    inspected = make_place(gz_inspector, region="440106", name="天河已检")
    services.inspection_record(actor=gz_inspector, place=inspected.pk, inspected_on=today,
                               results={**pass_all(inspected), "G2": "fail"})
    late = make_place(gz_inspector, region="440104", name="越秀逾期")
    Place.objects.filter(pk=late.pk).update(next_due_on=today - dt.timedelta(days=3))  # as time passing would
    Rectification.objects.update(deadline=today - dt.timedelta(days=1))
    tally.rebuild()  # both written behind the services: the coverage tally recounted
    make_place(sz_inspector, region="440304", name="福田未检")
    return today


def test_the_panel_counts_per_child_region(two_cities, province_commander, gz_inspector):
    rows = {r.code: r for r in selectors.coverage_by_child(user=province_commander, code="440000")}
    assert set(rows) == {"440100", "440300"}
    gz, sz = rows["440100"], rows["440300"]
    assert (gz.places, gz.covered, gz.overdue, gz.open_orders, gz.overdue_orders) == (2, 1, 1, 1, 1)
    assert gz.share == 50
    assert (sz.places, sz.covered, sz.overdue, sz.open_orders) == (1, 0, 0, 0)
    counties = {r.code: r for r in selectors.coverage_by_child(user=gz_inspector, code="440100")}
    assert set(counties) == {"440104", "440106"} and counties["440106"].covered == 1
    # the Guangzhou inspector reads no Shenzhen place: no Shenzhen row at the province's level
    assert [r.code for r in selectors.coverage_by_child(user=gz_inspector, code="440000")] == ["440100"]


def test_the_panel_is_on_the_dashboard_in_bounded_queries(client, two_cities, province_commander,
                                                          django_assert_max_num_queries):
    client.force_login(province_commander)
    page = client.get(reverse("dashboard:region", kwargs={"code": "440000"})).content.decode()
    assert 'data-panel="places"' in page
    panel = page.split('data-panel="places"')[1].split("</section>")[0]
    assert "广州市" in panel and "深圳市" in panel and "50%" in panel
    request = client.get(reverse("dashboard:region", kwargs={"code": "440000"})).wsgi_request
    for n in range(3):  # a third city with places adds no query
        make_place(make_user(f"places_panel_{n}", ("440600", Role.INSPECTOR)), region="440604", name=f"禅城{n}")
    with django_assert_max_num_queries(3):
        selectors.panel_context(request, "440000")
