"""Completeness per quarantine site and day (issue 26, "Completeness: per region, site and day"): the persons
placed in each site and under management, fully checked, with a missed check, with fever or symptoms — on
the page ``/followup/sites/``, in the API ``/api/v1/followup/sites/`` and in the floor list's header; a
quarantine-site manager sees its own sites only, another city none, a role without aggregates is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fangkong.accounts.models import Membership, User

from ..selectors import site_counts
from ..services import followups_sweep, health_check_record
from .builders import days_ago
from .test_who_records import world  # noqa: F401 - two sites, their managers and persons

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(world, shenzhen_epi):  # noqa: F811
    """Yesterday: ``in_a`` checked twice, ``in_b`` with fever in the morning and its evening missed (the sweep);
    ``home`` (no site) checked twice, which no site counts."""
    yesterday = days_ago(1)
    for slot in ("morning", "evening"):
        for key in ("in_a", "home"):
            health_check_record(actor=shenzhen_epi, subject=world[key], day=yesterday, slot=slot,
                                temperature=Decimal("36.5"))
    health_check_record(actor=shenzhen_epi, subject=world["in_b"], day=yesterday, slot="morning",
                        temperature=Decimal("38.4"))
    followups_sweep(day=yesterday)
    return world


def _shown(rows) -> dict:
    return {row.site_id: (row.due, row.checked, row.missed, row.symptomatic) for row in rows}


def test_each_site_counts_its_own_persons_of_the_day(recorded, shenzhen_epi):
    a, b = recorded["a"], recorded["b"]
    rows = site_counts(user=shenzhen_epi, day=days_ago(1))
    assert _shown(rows) == {a.pk: (1, 1, 0, 0), b.pk: (1, 0, 1, 1)}
    assert {row.site_id: row.shares for row in rows}[b.pk] == {"checked": 0, "missed": 100, "symptomatic": 100}
    assert _shown(site_counts(user=shenzhen_epi, day=days_ago(1), site=a.pk)) == {a.pk: (1, 1, 0, 0)}
    assert _shown(site_counts(user=shenzhen_epi, day=days_ago(1), region="440303")) == {}


def test_a_manager_sees_its_own_sites_only_on_the_page_and_in_the_api(recorded, client):
    a, b = recorded["a"], recorded["b"]
    day = days_ago(1).isoformat()
    client.force_login(recorded["manager"])
    page = client.get(f"/followup/sites/?day={day}")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-site="{a.pk}"' in html and f'data-site="{b.pk}"' not in html and "福田乙" not in html
    api = client.get(f"/api/v1/followup/sites/?day={day}").json()
    assert [(s["site"], s["due"], s["checked"]) for s in api["sites"]] == [(a.pk, 1, 1)]
    client.force_login(recorded["other"])
    api = client.get(f"/api/v1/followup/sites/?day={day}").json()
    assert [(s["site"], s["missed"], s["symptomatic"]) for s in api["sites"]] == [(b.pk, 1, 1)]


def test_another_city_sees_no_site_and_a_role_without_aggregates_is_refused(recorded, guangzhou_epi, client):
    day = days_ago(1).isoformat()
    client.force_login(guangzhou_epi)
    assert client.get(f"/api/v1/followup/sites/?day={day}").json()["sites"] == []
    html = client.get(f"/followup/sites/?day={day}").content.decode()
    assert "data-site=" not in html and "福田" not in html
    contact = User.objects.create(username="fu_enterprise")
    Membership.objects.create(user=contact, region_id="440304", role="enterprise_contact")
    client.force_login(contact)
    assert client.get(f"/api/v1/followup/sites/?day={day}").status_code == 403
    assert client.get(f"/followup/sites/?day={day}").status_code == 403


def test_the_floor_list_counts_the_site_not_the_city(recorded, client):
    a = recorded["a"]
    client.force_login(recorded["manager"])
    html = client.get(f"/followup/?day={days_ago(1).isoformat()}&site={a.pk}").content.decode()
    counts = html.split("data-site-counts")[1].split('class="searchbar"')[0]
    assert 'data-count="due">1<' in counts and 'data-count="checked">1<' in counts
    whole = client.get(f"/followup/?day={days_ago(1).isoformat()}").content.decode()
    assert "data-site-counts" not in whole
