"""The dashboard's cache is correct when data changes: a committed write changes the figure at once.

``situation`` is cached per region, day, scope and data generation (``fangkong.data_generation``); the
generation is bumped when a write that can change a figure commits — explicitly, by the service that
wrote (``test_explicit_generation.py``). Tests run inside a transaction that never commits, so the writes
here run under ``django_capture_on_commit_callbacks(execute=True)``, which runs what a commit would run.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from fangkong.cases.services import contact_update
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.dashboard import selectors
from fangkong.data_generation import GENERATION_KEY, bump_data_generation, current_data_generation
from fangkong.regions.models import Region

pytestmark = pytest.mark.django_db
DAY = dt.date(2022, 3, 10)


@pytest.fixture
def shenzhen():
    return Region.objects.get(code="440300")


def test_a_case_write_changes_the_cached_figure_immediately(province_commander, shenzhen_epi, shenzhen,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_case(province_commander, region="440304", name="甲", day="2022-03-10")
    first = selectors.situation(user=shenzhen_epi, region=shenzhen, day=DAY)
    assert first["new_total"] == 1
    # no write: the same computation is served from the cache
    assert selectors.situation(user=shenzhen_epi, region=shenzhen, day=DAY)["computed_at"] == first["computed_at"]

    with django_capture_on_commit_callbacks(execute=True):
        make_case(province_commander, region="440304", name="乙", day="2022-03-10")

    assert selectors.situation(user=shenzhen_epi, region=shenzhen, day=DAY)["new_total"] == 2
    assert selectors.situation(user=province_commander, region=shenzhen, day=DAY)["new_total"] == 2


def test_a_cached_figure_is_served_until_a_write_commits(province_commander, shenzhen_epi, shenzhen,
                                                         django_capture_on_commit_callbacks):
    """The cache is really used: a write that has not committed (here: never does) leaves the figure."""
    make_case(province_commander, region="440304", name="甲", day="2022-03-10")
    assert selectors.situation(user=shenzhen_epi, region=shenzhen, day=DAY)["new_total"] == 1
    make_case(province_commander, region="440304", name="乙", day="2022-03-10")  # not committed
    assert selectors.situation(user=shenzhen_epi, region=shenzhen, day=DAY)["new_total"] == 1
    assert selectors.situation(user=shenzhen_epi, region=shenzhen, day=DAY, fresh=True)["new_total"] == 2


def test_contact_writes_change_the_tracing_figures_at_once(province_commander, shenzhen, client,
                                                           django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        source = make_case(province_commander, region="440304", day="2022-03-10")
        contact = make_contact(province_commander, source_case=source, region="440304", listed="2022-03-10",
                               quarantined_hour=None)
    data = selectors.situation(user=province_commander, region=shenzhen, day=DAY)
    assert data["tracing"]["close_contacts"] == 1 and data["outlook"]["contacts_in_quarantine"] == 0

    with django_capture_on_commit_callbacks(execute=True):
        contact_update(actor=province_commander, contact=contact, expected_version=contact.version,
                       changes={"quarantined_at": contact.listed_at + dt.timedelta(hours=3)})

    data = selectors.situation(user=province_commander, region=shenzhen, day=DAY)
    assert data["outlook"]["contacts_in_quarantine"] == 1
    assert data["tracing"]["quarantined_within_24h"] == 1.0
    # and the page says its figures follow the data, not a fixed number of seconds
    client.force_login(province_commander)
    page = client.get(reverse("dashboard:region", kwargs={"code": "440300"}), {"date": "2022-03-10"},
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "as soon as a case, contact, signal or sentinel report changes" in page
    assert "kept for" not in page


def test_an_alert_transition_bumps_the_generation_on_commit(province_commander, django_capture_on_commit_callbacks):
    from fangkong.surveillance.models import Alert, Indicator
    from fangkong.surveillance.services import alert_transition, indicators_ensure

    indicators_ensure()
    alert = Alert.objects.create(level="county", region_id="440304", unit_key="region:440304",
                                 indicator=Indicator.objects.first(), method="ears_c2", first_day=DAY,
                                 last_day=DAY, peak_observed=10, raised_at=timezone.now())
    before = current_data_generation()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        alert_transition(actor=province_commander, alert=alert, to_status="acknowledged")
    assert current_data_generation() == before + 1  # once per commit, however many writes it made
    assert len(callbacks) == 1


def test_the_generation_moves_only_on_commit(django_capture_on_commit_callbacks):
    start = current_data_generation()
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            bump_data_generation()
            bump_data_generation()
    assert current_data_generation() == start + 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                bump_data_generation()
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    assert callbacks == [] and current_data_generation() == start + 1


def test_an_evicted_generation_restarts_above_every_earlier_value(django_capture_on_commit_callbacks):
    from django.core.cache import cache

    old = current_data_generation()
    cache.delete(GENERATION_KEY)
    assert current_data_generation() > old
    cache.delete(GENERATION_KEY)
    with django_capture_on_commit_callbacks(execute=True):
        bump_data_generation()  # the increment of a missing counter restarts it from the clock
    assert cache.get(GENERATION_KEY) > old


def test_the_cache_key_follows_region_day_scope_and_generation(province_commander, shenzhen_epi, shenzhen):
    province = Region.objects.get(code="440000")
    key = selectors.situation_cache_key(user=shenzhen_epi, region=shenzhen, day=DAY)
    assert key == selectors.situation_cache_key(user=shenzhen_epi, region=shenzhen, day=DAY)
    others = {selectors.situation_cache_key(user=province_commander, region=shenzhen, day=DAY),
              selectors.situation_cache_key(user=province_commander, region=province, day=DAY),
              selectors.situation_cache_key(user=shenzhen_epi, region=shenzhen, day=DAY + dt.timedelta(days=1))}
    assert key not in others and len(others) == 3
    from django.core.cache import cache

    cache.incr(GENERATION_KEY)  # what a commit does
    assert selectors.situation_cache_key(user=shenzhen_epi, region=shenzhen, day=DAY) != key


def test_concurrent_misses_wait_for_the_one_computation(province_commander, shenzhen, monkeypatch):
    """After a write, one request computes; a request arriving meanwhile takes its result."""
    import threading

    from django.core.cache import cache

    key = selectors.situation_cache_key(user=province_commander, region=shenzhen, day=DAY)
    assert cache.add(key + ":computing", 1, 10)  # another request is computing
    done = {"new_total": 7}

    def other_request_finishes():
        cache.set(key, done, 60)
        cache.delete(key + ":computing")

    def must_not_compute(**kwargs):
        raise AssertionError("computed twice")

    monkeypatch.setattr(selectors, "compute_situation", must_not_compute)
    timer = threading.Timer(0.2, other_request_finishes)
    timer.start()
    try:
        assert selectors.situation(user=province_commander, region=shenzhen, day=DAY) == done
    finally:
        timer.join()


def test_an_abandoned_computation_does_not_block_the_page(province_commander, shenzhen, monkeypatch):
    from django.core.cache import cache

    key = selectors.situation_cache_key(user=province_commander, region=shenzhen, day=DAY)
    cache.add(key + ":computing", 1, 10)
    monkeypatch.setattr(selectors, "COMPUTE_WAIT_SECONDS", 0.3)
    assert selectors.situation(user=province_commander, region=shenzhen, day=DAY)["new_total"] == 0
    assert cache.get(key)["new_total"] == 0


def test_the_rendered_page_follows_a_write_and_the_language(client, province_commander,
                                                            django_capture_on_commit_callbacks):
    """The page body is kept per figures key, metric and language: a write or a language shows at once."""
    import json
    import re

    def page_total(**headers) -> tuple[int, str]:
        response = client.get(reverse("dashboard:region", kwargs={"code": "440300"}), {"date": "2022-03-10"},
                              **headers)
        body = response.content.decode()
        data = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', body, re.S)
        return json.loads(data.group(1))["data"]["new_total"], body

    client.force_login(province_commander)
    with django_capture_on_commit_callbacks(execute=True):
        make_case(province_commander, region="440304", name="甲", day="2022-03-10")
    assert page_total(HTTP_ACCEPT_LANGUAGE="en")[0] == 1
    with django_capture_on_commit_callbacks(execute=True):
        make_case(province_commander, region="440304", name="乙", day="2022-03-10")
    total, english = page_total(HTTP_ACCEPT_LANGUAGE="en")
    assert total == 2 and "Subdivisions" in english
    total, chinese = page_total(HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert total == 2 and "Subdivisions" not in chinese


def test_the_kept_region_switcher_follows_the_scope_the_current_region_and_renames(
        client, shenzhen_epi, guangzhou_epi, django_capture_on_commit_callbacks):
    client.force_login(shenzhen_epi)
    home = reverse("dashboard:region", kwargs={"code": "440300"})
    page = client.get(home, {"date": "2022-03-10"}).content.decode()
    assert 'value="440304"' in page and 'value="440106"' not in page
    client.get(reverse("web:region-switch"), {"code": "440304"})
    page = client.get(home, {"date": "2022-03-10"}).content.decode()
    assert '<option value="440304" selected>' in page
    with django_capture_on_commit_callbacks(execute=True):
        futian = Region.objects.get(code="440304")
        futian.name_zh = "福田新区"
        futian.save()
        bump_data_generation()  # written around the services (region_tree_load bumps): the writer bumps
    assert "福田新区" in client.get(home, {"date": "2022-03-10"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    client.force_login(guangzhou_epi)  # another scope: its own switcher
    page = client.get(reverse("dashboard:region", kwargs={"code": "440100"}), {"date": "2022-03-10"}).content.decode()
    assert 'value="440106"' in page and 'value="440304"' not in page
