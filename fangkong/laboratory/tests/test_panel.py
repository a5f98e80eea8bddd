"""The laboratory's dashboard panel (``dashboard_panels``): the rounds of the region shown, begun by the user's
day, from their tallies, and the persons of positive pools still under control — nothing of another city."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from fangkong.web.day import DAY_SESSION_KEY

from ..models import Outcome
from ..services import pool_record, result_record

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def _panel(client, code: str, day: str) -> tuple[str, int]:
    """The panel's HTML on the region's dashboard for ``day``, and its count of persons under control."""
    session = client.session
    session[DAY_SESSION_KEY] = day
    session.save()
    response = client.get(reverse("dashboard:region", kwargs={"code": code}))
    page = response.content.decode()
    assert 'data-panel="laboratory"' in page
    return page.split('data-panel="laboratory"')[1].split("</section>")[0], response.context["lab_controlled"]


def test_the_panel_shows_the_rounds_begun_by_the_day_and_who_is_under_control(
        client, lab_user, lab, screening, people, shenzhen_epi, guangzhou_epi):
    sampled = dt.datetime(2022, 3, 14, 9, tzinfo=CST)
    pool_record(actor=lab_user, round=screening, laboratory=lab, code="P1", size=10, sampled_at=sampled,
                sampling_point="莲花采样点", sampler="采样员", citizen_ids=[n for _p, n in people[:10]])
    result_record(actor=lab_user, laboratory=lab, code="P1", outcome=Outcome.POSITIVE, ct_values={"ORF1ab": 31.0},
                  received_at=sampled + dt.timedelta(hours=2), resulted_at=sampled + dt.timedelta(hours=6))
    client.force_login(shenzhen_epi)
    panel, controlled = _panel(client, "440300", "2022-03-15")
    assert f'data-round="{screening.pk}"' in panel and "福田第一轮" in panel
    assert "10 / 1,000" in panel and "1 / 1" in panel  # persons sampled of the population; pools tested of sampled
    assert controlled == 10  # the ten persons of the positive pool, under control until re-sampled singly
    before, _controlled = _panel(client, "440300", "2022-03-13")  # the day before the round began
    assert f'data-round="{screening.pk}"' not in before
    client.force_login(guangzhou_epi)
    other, controlled = _panel(client, "440100", "2022-03-15")
    assert "福田第一轮" not in other and f'data-round="{screening.pk}"' not in other and controlled == 0
