"""One day for every page (``fangkong.web.day``): the last day with data in the user's scope by default,
the day a user chooses carried from page to page, and the pages that follow it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.cases.tests.builders import make_case
from fangkong.surveillance.models import SentinelReport, SentinelSite
from fangkong.surveillance.services import indicators_ensure
from fangkong.surveillance.summaries import reporting_summary_refresh, site_indicator_counts_refresh
from fangkong.testing.builders import make_user
from fangkong.web.day import DAY_SESSION_KEY, data_last_day


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def _report(region: str, day: dt.date, code: str) -> SentinelReport:
    fever = indicators_ensure()["fever_clinic_visits"]
    site = SentinelSite.objects.create(code=code, name=f"哨点{code}", kind="fever_clinic", region_id=region)
    site.indicators.add(fever)
    report = SentinelReport.objects.create(site=site, indicator=fever, date=day, count=3, region_id=region,
                                           reported_at=timezone.now())
    site_indicator_counts_refresh([site.pk])  # written around the services: the writer refreshes
    reporting_summary_refresh([(site.pk, day)])
    return report


@pytest.fixture
def futian_user(db):
    return make_user("ft_cmd", ("440304", Role.LOCAL_COMMANDER))



def test_last_day_with_data_is_the_latest_case_or_report_in_scope(province_commander, futian_user):
    make_case(province_commander, region="440304", day="2022-03-10")
    _report("440304", dt.date(2022, 3, 12), "FT1")
    make_case(province_commander, region="440106", day="2022-04-02")  # Guangzhou: not Futian's
    _report("440106", dt.date(2022, 4, 5), "GZ1")

    assert data_last_day(futian_user) == dt.date(2022, 3, 12)
    assert data_last_day(province_commander) == dt.date(2022, 4, 5)


def test_last_day_follows_a_write_and_is_today_without_data(province_commander, futian_user,
                                                            django_capture_on_commit_callbacks):
    assert data_last_day(futian_user) == timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):  # what the write's commit runs: a new generation
        make_case(province_commander, region="440304", day="2022-03-10")
    assert data_last_day(futian_user) == dt.date(2022, 3, 10)  # the cached value did not outlive the write


def test_pages_open_on_the_last_day_with_data_not_today(client, province_commander):
    make_case(province_commander, region="440304", day="2022-03-10")
    client.force_login(province_commander)

    assert client.get("/dashboard/440000/").context["day"] == dt.date(2022, 3, 10)
    for url, days in (("/surveillance/reporting/", 7), ("/surveillance/timeliness/", 28),
                      ("/surveillance/earlies/", 56)):
        context = client.get(url).context
        assert context["last"] == dt.date(2022, 3, 10), url
        assert context["first"] == dt.date(2022, 3, 10) - dt.timedelta(days=days - 1), url
    context = client.get("/cases/timeliness/").context
    assert (context["date_from"], context["date_to"]) == ("2022-02-11", "2022-03-10")
    assert client.get("/bulletins/").context["generate_day"] == dt.date(2022, 3, 10)
    assert client.get("/api/v1/dashboard/440000/").json()["date"] == "2022-03-10"
    assert client.get("/api/v1/surveillance/reporting/").json()["last"] == "2022-03-10"


def test_a_day_chosen_on_one_page_is_the_day_of_the_others(client, province_commander):
    make_case(province_commander, region="440304", day="2022-03-10")
    client.force_login(province_commander)

    client.get("/dashboard/440000/?date=2022-03-01")
    assert client.session[DAY_SESSION_KEY] == "2022-03-01"
    assert client.get("/surveillance/reporting/").context["last"] == dt.date(2022, 3, 1)
    assert client.get("/cases/timeliness/").context["date_to"] == "2022-03-01"
    assert client.get("/dashboard/").url.startswith("/dashboard/")
    assert client.get("/dashboard/440000/").context["day"] == dt.date(2022, 3, 1)

    client.get("/surveillance/earlies/?first=2022-02-01&last=2022-02-20")  # a period: its last day
    assert client.get("/dashboard/440000/").context["day"] == dt.date(2022, 2, 20)
    client.get("/cases/timeliness/?date_to=2022-02-25")
    assert client.get("/surveillance/timeliness/").context["last"] == dt.date(2022, 2, 25)


def test_an_invalid_period_does_not_move_the_day(client, province_commander):
    make_case(province_commander, region="440304", day="2022-03-10")
    client.force_login(province_commander)
    client.get("/dashboard/440000/?date=2022-03-01")

    response = client.get("/surveillance/reporting/?first=2022-03-05&last=2022-03-02")
    assert response.context["error"]
    assert client.session[DAY_SESSION_KEY] == "2022-03-01"


def test_the_top_bar_switches_the_day_and_back_to_the_latest(client, province_commander):
    make_case(province_commander, region="440304", day="2022-03-10")
    client.force_login(province_commander)

    page = client.get("/surveillance/reporting/")
    assert 'name="date" value="2022-03-10"' in page.content.decode()  # the top bar shows the day

    response = client.get("/day/", {"date": "2022-02-20",
                                    "next": "/surveillance/reporting/?region=440300&first=2022-01-01&last=2022-01-07"})
    assert response.status_code == 302
    assert response.url == "/surveillance/reporting/?region=440300"  # the old period is dropped, the rest kept
    assert client.session[DAY_SESSION_KEY] == "2022-02-20"
    assert client.get(response.url).context["last"] == dt.date(2022, 2, 20)
    assert "Latest" in client.get("/surveillance/reporting/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    response = client.get("/day/", {"next": "/dashboard/440000/?date=2022-02-20&metric=rt"})
    assert response.url == "/dashboard/440000/?metric=rt"
    assert DAY_SESSION_KEY not in client.session
    assert client.get(response.url).context["day"] == dt.date(2022, 3, 10)


def test_the_day_switch_returns_only_to_this_site(client, province_commander):
    client.force_login(province_commander)
    for target in ("https://example.com/x", "//example.com/x", ""):
        assert client.get("/day/", {"date": "2022-02-20", "next": target}).url == "/"


def test_the_day_is_per_user_session(client, province_commander, futian_user):
    make_case(province_commander, region="440304", day="2022-03-10")
    client.force_login(province_commander)
    client.get("/dashboard/440000/?date=2022-03-01")
    client.logout()
    client.force_login(futian_user)
    assert client.get("/surveillance/reporting/").context["last"] == dt.date(2022, 3, 10)
