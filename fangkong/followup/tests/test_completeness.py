"""Completeness (issue 26): the day-by-day strip of a contact's follow-up on the contact's page of the cases
module, and today's completeness on the region dashboard (the module's declared panel), each in scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from fangkong.cases.tests.builders import make_case, make_contact

from ..services import followups_sweep, health_check_record
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


def test_the_contacts_page_shows_its_follow_up_day_by_day(client, shenzhen_epi):
    contact, subject = managed_contact(shenzhen_epi, listed=days_ago(3))
    health_check_record(actor=shenzhen_epi, subject=subject, day=days_ago(1), slot="morning",
                        temperature=Decimal("38.2"))
    followups_sweep(day=days_ago(1))
    followups_sweep(day=days_ago(2))
    client.force_login(shenzhen_epi)
    page = client.get(f"/cases/contacts/{contact.pk}/").content.decode()
    assert "data-strip" in page and f"/followup/subjects/{subject.pk}/" in page
    strip = page.split("data-strip")[1].split("</div>")[0]
    yesterday = strip.split(f'data-day="{days_ago(1).isoformat()}"')[1].split(">")[0]
    assert "fu-alert" in yesterday and "fu-missed" in yesterday  # fever in the morning, the evening missed
    before = strip.split(f'data-day="{days_ago(2).isoformat()}"')[1].split(">")[0]
    assert "fu-missed" in before and "fu-ok" not in before
    assert strip.count("data-day=") == (subject.last_day - subject.first_day).days + 1
    # a contact never under management: no strip
    other = make_contact(shenzhen_epi, source_case=make_case(shenzhen_epi, region="440304"), region="440304",
                         listed="2022-03-10")
    assert "data-strip" not in client.get(f"/cases/contacts/{other.pk}/").content.decode()


def test_the_dashboard_panel_shows_the_days_completeness_in_the_region_only(client, shenzhen_epi, guangzhou_epi):
    subjects = [managed_contact(shenzhen_epi, name=n)[1] for n in "甲乙丙丁"]
    for slot in ("morning", "evening"):
        health_check_record(actor=shenzhen_epi, subject=subjects[0], day=timezone.localdate(), slot=slot,
                            temperature=Decimal("36.5"))
    health_check_record(actor=shenzhen_epi, subject=subjects[1], day=timezone.localdate(), slot="morning",
                        temperature=Decimal("37.8"))
    client.force_login(shenzhen_epi)
    today = timezone.localdate().isoformat()
    response = client.get(f"/dashboard/440304/?date={today}")  # the user's day, the panel's as every page's
    panel = response.content.decode().split('data-panel="followup"')[1].split("</section>")[0]
    assert today in panel and 'data-count="due">4<' in panel and 'data-count="checked">1 ' in panel and "(25%)" in panel
    assert 'data-count="symptomatic">1<' in panel
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    panel = client.get(f"/dashboard/440304/?date={yesterday}").content.decode().split('data-panel="followup"')[1]
    assert yesterday in panel.split("</section>")[0] and 'data-count="checked">1 ' not in panel.split("</section>")[0]
    client.force_login(guangzhou_epi)
    other = client.get(f"/dashboard/440100/?date={today}").content.decode().split('data-panel="followup"')[1].split("</section>")[0]
    assert 'data-count="due"' not in other  # nobody of Guangzhou; Shenzhen's figures not shown
