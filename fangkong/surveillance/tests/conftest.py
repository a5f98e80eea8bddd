"""Fixtures of the surveillance tests: the standard indicators, sites in Futian, Luohu and Guangzhou,
a Futian reporter, and a builder of steady daily series with an optional spike."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from fangkong.accounts.roles import Role
from fangkong.surveillance.models import SentinelReport, SentinelSite
from fangkong.surveillance.services import indicators_ensure
from fangkong.surveillance.summaries import site_indicator_counts_refresh
from fangkong.testing.builders import make_user

END = dt.date(2022, 3, 31)


@pytest.fixture
def indicators(db):
    return indicators_ensure()


def make_site(code: str, region: str, indicators, kind="fever_clinic", codes=("fever_clinic_visits",)):
    site = SentinelSite.objects.create(code=code, name=f"测试哨点{code}", kind=kind, region_id=region)
    site.indicators.set([indicators[c] for c in codes])
    site_indicator_counts_refresh([site.pk])  # written around the services: the writer refreshes the count
    return site


@pytest.fixture
def futian_site(indicators):
    return make_site("FT1", "440304", indicators, codes=("fever_clinic_visits", "ili_consultations"))


@pytest.fixture
def futian_other_site(indicators):
    return make_site("FT2", "440304", indicators)


@pytest.fixture
def luohu_site(indicators):
    return make_site("LH1", "440303", indicators)


@pytest.fixture
def guangzhou_site(indicators):
    return make_site("GZ1", "440106", indicators)


@pytest.fixture
def futian_reporter(futian_site):
    user = make_user("ft_reporter", ("440304", Role.SENTINEL_REPORTER))
    futian_site.reporters.add(user)
    return user


@pytest.fixture
def luohu_commander(db):
    return make_user("luohu_commander", ("440303", Role.LOCAL_COMMANDER))


def fill_series(site, indicator, *, end=END, days=60, level=20, spike_days=0, spike=80, seed=1):
    """Steady Poisson counts for ``days`` days up to ``end``; the last ``spike_days`` are ``spike``."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(level, size=days)
    if spike_days:
        counts[-spike_days:] = spike
    first = end - dt.timedelta(days=days - 1)
    SentinelReport.objects.bulk_create([
        SentinelReport(site=site, indicator=indicator, date=first + dt.timedelta(days=i), count=int(c),
                       region_id=site.region_id,
                       reported_at=dt.datetime.combine(first + dt.timedelta(days=i + 1), dt.time(9), tzinfo=dt.UTC))
        for i, c in enumerate(counts)
    ])
    return counts
