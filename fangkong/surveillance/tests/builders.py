"""Builders of surveillance data for tests of other apps (the scope test walks every URL with these ids)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangkong.surveillance.models import Alert, SentinelReport, SentinelSite, Signal
from fangkong.surveillance.services import indicators_ensure
from fangkong.surveillance.summaries import reporting_summary_refresh, site_indicator_counts_refresh


def make_shenzhen_surveillance() -> dict[str, list[str]]:
    """A Futian sentinel site with a report, and a Futian county alert with one signal; returns their ids."""
    indicators = indicators_ensure()
    fever = indicators["fever_clinic_visits"]
    site = SentinelSite.objects.create(code="SZTEST1", name="福田测试哨点", kind="fever_clinic", region_id="440304")
    site.indicators.add(fever)
    day = dt.date(2022, 3, 10)
    SentinelReport.objects.create(site=site, indicator=fever, date=day, count=42, region_id="440304",
                                  reported_at=timezone.now())
    site_indicator_counts_refresh([site.pk])  # written around the services: the writer refreshes
    reporting_summary_refresh([(site.pk, day)])
    alert = Alert.objects.create(level="county", region_id="440304", unit_key="region:440304", indicator=fever,
                                 method="ears_c2", first_day=day, last_day=day, peak_observed=42,
                                 raised_at=timezone.now())
    Signal.objects.create(alert=alert, level="county", region_id="440304", unit_key="region:440304",
                          indicator=fever, day=day, observed=42, threshold=20, method="ears_c2")
    return {"alert_id": [str(alert.pk)], "site_id": [str(site.pk)]}
