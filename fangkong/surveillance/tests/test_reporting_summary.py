"""The daily reporting summaries (``DailySiteReporting`` and its sums per region, ``DailyRegionReporting``)
equal what the reports say after every kind of write, and the late and missing reports read from them equal
the figures counted from the reports (on random networks too, at every scope)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.regions.codes import subtree_prefix
from fangkong.surveillance import selectors
from fangkong.surveillance.models import (
    DailyRegionReporting,
    DailySiteReporting,
    SentinelReport,
    SentinelSite,
)
from fangkong.surveillance.selectors import reporting_status, reporting_status_by_site
from fangkong.surveillance.services import report_submit, reports_import
from fangkong.surveillance.summaries import (
    report_due,
    reporting_summary_rebuild,
    reporting_summary_refresh,
    site_indicator_counts_refresh,
)
from fangkong.surveillance.tests.conftest import make_site
from fangkong.testing.builders import make_user

FIRST = dt.date(2022, 3, 1)
DAYS = 6


def _expected_from_reports() -> set[tuple]:
    """(site, day, region, received, late) counted from the reports themselves."""
    rows: dict[tuple, list[int]] = {}
    for site, day, region, reported_at in SentinelReport.objects.values_list("site_id", "date", "region_id",
                                                                          "reported_at"):
        row = rows.setdefault((site, day, region), [0, 0])
        row[0] += 1
        row[1] += reported_at > report_due(day)
    return {(*key, received, late) for key, (received, late) in rows.items()}


def _summary() -> set[tuple]:
    return set(DailySiteReporting.objects.values_list("site_id", "day", "region_id", "received", "late"))


@pytest.fixture
def network(indicators, province_commander):
    codes = ("fever_clinic_visits", "ili_consultations")
    sites = [make_site(f"S{i}", region, indicators, codes=codes if i % 2 else codes[:1])
             for i, region in enumerate(("440304", "440304", "440303", "440106", "440305"))]
    reporter = make_user("reporter", ("440304", Role.SENTINEL_REPORTER))
    sites[0].reporters.add(reporter)
    return sites, reporter


def _at(day: dt.date, hours: float) -> dt.datetime:
    """``hours`` after the start of the day after ``day`` (the report is due at 12)."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=timezone.get_current_timezone())
    return start + dt.timedelta(hours=hours)


def test_summary_follows_every_kind_of_write(network, province_commander):
    sites, reporter = network
    rng = random.Random(16)
    indicators = {s.pk: list(s.indicators.values_list("pk", "code")) for s in sites}
    for step in range(60):
        site = rng.choice(sites)
        indicator_pk, code = rng.choice(indicators[site.pk])
        day = FIRST + dt.timedelta(days=rng.randrange(DAYS))
        kind = rng.choice(("create", "correct", "delete", "import", "submit"))
        stored = SentinelReport.objects.filter(site=site, indicator_id=indicator_pk, date=day).first()
        if kind == "create" and stored is None:  # a single save outside the services refreshes its key itself
            SentinelReport.objects.create(site=site, indicator_id=indicator_pk, date=day, count=step,
                                          region_id=site.region_id, reported_at=_at(day, rng.uniform(-10, 40)))
            reporting_summary_refresh([(site.pk, day)])
        elif kind == "correct" and stored is not None:  # a later receipt may make it late
            stored.count += 1
            stored.reported_at = _at(day, rng.uniform(-10, 60))
            stored.save()
            reporting_summary_refresh([(site.pk, day)])
        elif kind == "delete" and stored is not None:
            stored.delete()
            reporting_summary_refresh([(site.pk, day)])
        elif kind == "import":  # bulk: new rows, changed rows and unchanged rows in one file
            rows = [{"site": s.code, "indicator": c, "date": str(day), "count": str(rng.randrange(3)), "denominator": ""}
                    for s in rng.sample(sites, 3) for _pk, c in indicators[s.pk][:1]]
            reports_import(actor=province_commander, rows=rows, reported_at=_at(day, rng.uniform(-10, 40)))
        elif kind == "submit" and site == sites[0]:
            report_submit(actor=reporter, site_id=site.pk, indicator_code=code, date=day, count=rng.randrange(9))
        assert _summary() == _expected_from_reports(), (step, kind)
    assert DailySiteReporting.objects.exists()

    DailySiteReporting.objects.all().delete()
    reporting_summary_rebuild()
    assert _summary() == _expected_from_reports()


def test_refresh_of_a_key_without_reports_removes_its_row(network):
    sites, _reporter = network
    fever = sites[0].indicators.first()
    report = SentinelReport.objects.create(site=sites[0], indicator=fever, date=FIRST, count=1,
                                           region_id=sites[0].region_id, reported_at=_at(FIRST, 1))
    reporting_summary_refresh([(sites[0].pk, FIRST)])
    assert _summary() == {(sites[0].pk, FIRST, "440304", 1, 0)}
    SentinelReport.objects.filter(pk=report.pk).delete()
    assert reporting_summary_refresh([(sites[0].pk, FIRST)]) == 1
    assert _summary() == set()


def _reference(prefix: str, first: dt.date, last: dt.date):
    """Expected, received and late per active site under ``prefix``, counted from the reports and the site's
    indicators."""
    days = (last - first).days + 1
    out = {}
    for site in SentinelSite.objects.filter(active=True, region__code__startswith=prefix):
        reports = SentinelReport.objects.filter(site=site, date__gte=first, date__lte=last)
        late = sum(1 for r in reports if r.reported_at > report_due(r.date))
        out[site.code] = (site.indicators.count() * days, reports.count(), late)
    return out


def test_late_and_missing_reports_equal_the_counts_from_the_reports(network, province_commander):
    sites, _reporter = network
    rng = random.Random(7)
    for site in sites[:-1]:  # the last site never reports
        for indicator in site.indicators.all():
            for offset in range(DAYS):
                if rng.random() < 0.8:
                    day = FIRST + dt.timedelta(days=offset)
                    SentinelReport.objects.create(site=site, indicator=indicator, date=day, count=1,
                                                  region_id=site.region_id, reported_at=_at(day, rng.uniform(0, 20)))
    reporting_summary_rebuild()  # the reports were written around the services
    sites[2].active = False  # an inactive site is not expected to report
    sites[2].save()
    shenzhen = make_user("sz", ("440300", Role.EPIDEMIOLOGIST))
    first, last = FIRST + dt.timedelta(days=1), FIRST + dt.timedelta(days=4)

    result = reporting_status(user=shenzhen, region="440300", first=first, last=last, only_incomplete=False)

    reference = _reference("4403", first, last)
    assert {r.site.code: (r.expected, r.received, r.late) for r in result.sites} == reference
    assert (result.expected, result.received, result.late) == tuple(map(sum, zip(*reference.values(), strict=True)))
    assert "S3" not in reference  # Guangzhou: not the Shenzhen user's
    counties = {c["region"].code: (c["sites"], c["expected"], c["received"], c["late"], c["missing"])
                for c in result.by_region}
    for code, (n, expected, received, late, missing) in counties.items():
        in_county = [v for k, v in reference.items() if SentinelSite.objects.get(code=k).region_id == code]
        assert (n, expected, received, late) == (len(in_county), *map(sum, zip(*in_county, strict=True)))
        assert missing == expected - received
    incomplete = reporting_status(user=shenzhen, region="440300", first=first, last=last)
    assert {r.site.code for r in incomplete.sites} == {k for k, (e, r, late) in reference.items() if r < e or late}
    futian = reporting_status(user=make_user("ft", ("440304", Role.LOCAL_COMMANDER)), region="440300",
                              first=first, last=last, only_incomplete=False)
    assert {r.site.code for r in futian.sites} == {"S0", "S1"}  # a county user: their county only


def _region_rows() -> set[tuple]:
    return set(DailyRegionReporting.objects.values_list("region_id", "day", "received", "late"))


def _region_rows_from_sites() -> set[tuple]:
    rows: dict[tuple, list[int]] = {}
    for region, day, received, late in DailySiteReporting.objects.values_list("region_id", "day", "received", "late"):
        row = rows.setdefault((region, day), [0, 0])
        row[0] += received
        row[1] += late
    return {(*key, received, late) for key, (received, late) in rows.items()}


def test_region_rows_follow_every_kind_of_write(network, province_commander):
    """The region-day rows stay the sums of the site-day rows through saves, corrections, deletes and imports."""
    sites, reporter = network
    rng = random.Random(161)
    for step in range(30):
        site = rng.choice(sites)
        indicator = site.indicators.order_by("?").first()
        day = FIRST + dt.timedelta(days=rng.randrange(DAYS))
        stored = SentinelReport.objects.filter(site=site, indicator=indicator, date=day).first()
        if stored is None:
            SentinelReport.objects.create(site=site, indicator=indicator, date=day, count=step,
                                          region_id=site.region_id, reported_at=_at(day, rng.uniform(-10, 40)))
        elif step % 3:
            stored.reported_at = _at(day, rng.uniform(-10, 60))
            stored.save()
        else:
            stored.delete()
        reporting_summary_refresh([(site.pk, day)])  # written around the services: the writer refreshes
        if step % 5 == 0:
            rows = [{"site": s.code, "indicator": s.indicators.first().code, "date": str(day), "count": "1",
                     "denominator": ""} for s in rng.sample(sites, 3)]
            reports_import(actor=province_commander, rows=rows, reported_at=_at(day, rng.uniform(-10, 40)))
        assert _region_rows() == _region_rows_from_sites(), step
    assert _region_rows()
    DailyRegionReporting.objects.all().delete()
    reporting_summary_rebuild()
    assert _region_rows() == _region_rows_from_sites()


def _straight(sites: list[tuple], reports: list[tuple], user_prefix: str, region: str, first: dt.date,
              last: dt.date, only_incomplete: bool, limit: int):
    """The late and missing reports counted the straightforward way, in Python: every active site in scope
    (``sites``: code, region, active, number of indicators), its indicators × days expected, its reports of
    the period (``reports``: site code, date, received at) counted one by one and judged against the deadline."""
    days = (last - first).days + 1
    prefix = subtree_prefix(region) if region else ""
    counties: dict[str, list[int]] = {}
    listed = []
    for code, county, active, n_indicators in sorted(sites, key=lambda s: (s[1], s[0])):
        if not (active and county.startswith(user_prefix) and county.startswith(prefix)):
            continue
        mine = [(day, at) for site, day, at in reports if site == code and first <= day <= last]
        expected, received, late = n_indicators * days, len(mine), sum(at > report_due(day) for day, at in mine)
        totals = counties.setdefault(county, [0, 0, 0, 0])
        for i, value in enumerate((1, expected, received, late)):
            totals[i] += value
        if (not only_incomplete or received < expected or late) and len(listed) < limit:
            listed.append((code, expected, received, late))
    return listed, {code: tuple(v) for code, v in counties.items()}


@pytest.mark.parametrize("walk_cost", [0, 10**9], ids=["walk", "period-sum"])
def test_fast_late_and_missing_equal_the_straightforward_count_on_random_data(indicators, walk_cost, monkeypatch):
    """Random networks: sites opened (first report) and closed (deactivated) within the period, days on which
    nobody reported (but two sites that never miss: one of them late, listed for that alone, the other on
    time, never listed), late receipts, a site with no indicator, one whose indicators were cut after it
    reported; scope by province, city and county; all sites or the incomplete ones, with small limits. Both
    ways of finding the listed sites (the walk and the period's sum per site) are forced in turn."""
    monkeypatch.setattr(selectors, "WALK_COST_PER_SITE", walk_cost)
    codes = list(indicators)
    regions = ("440304", "440304", "440303", "440305", "440106", "440106")
    first_day, n_days = dt.date(2022, 5, 1), 12
    users = {"44": make_user("gd", ("440000", Role.PROVINCIAL_COMMANDER)),
             "4403": make_user("szx", ("440300", Role.EPIDEMIOLOGIST)),
             "440304": make_user("ftx", ("440304", Role.LOCAL_COMMANDER))}
    for seed in range(2):
        rng = random.Random(seed)
        SentinelReport.objects.all().delete()
        SentinelSite.objects.all().delete()
        reporting_summary_rebuild()  # deleted around the services: the writer refreshes the summaries
        silent = {first_day + dt.timedelta(days=d) for d in rng.sample(range(n_days), 2)}  # nobody reported
        reports, keys = [], set()
        for i in range(16):
            site = make_site(f"R{seed}{i:02d}", rng.choice(regions), indicators,
                             codes=rng.sample(codes, 0 if i == 5 else rng.randint(1, 4)))
            opened, closed = sorted(rng.sample(range(n_days + 1), 2))  # reports from ``opened`` to before ``closed``
            diligent = i in (3, 4)  # every report every day (S3 some of them late, S4 all on time)
            if diligent:
                opened, closed = 0, n_days
            for indicator in site.indicators.all():
                for d in range(opened, closed):
                    day = first_day + dt.timedelta(days=d)
                    if not diligent and (day in silent or rng.random() < 0.15):
                        continue
                    hours = rng.uniform(0, 11) if i == 4 else rng.uniform(0, 16)
                    reports.append(SentinelReport(site=site, indicator=indicator, date=day, count=1,
                                                  region_id=site.region_id, reported_at=_at(day, hours)))
                    keys.add((site.pk, day))
            if closed < n_days and not diligent and rng.random() < 0.6:  # closed mid-period
                site.active = False
                site.save()
            if i == 7 and site.indicators.count() > 1:  # indicators cut after reporting: more received than due
                site.indicators.remove(site.indicators.first())
                site_indicator_counts_refresh([site.pk])
        SentinelReport.objects.bulk_create(reports)
        reporting_summary_refresh(keys)
        sites = [(s.code, s.region_id, s.active, s.indicators.count()) for s in SentinelSite.objects.all()]
        stored = list(SentinelReport.objects.values_list("site__code", "date", "reported_at"))
        for _ in range(3):
            a, b = sorted(rng.sample(range(-1, n_days + 1), 2))
            first, last = first_day + dt.timedelta(days=a), first_day + dt.timedelta(days=b)
            for prefix, user in users.items():
                for region in {"": [""], "44": ["", "440300", "440100", "440304"], "4403": ["440300", "440304", "440000"],
                               "440304": ["440304", "440300"]}[prefix]:  # the region wider than the reach too
                    for only_incomplete, limit in ((False, 200), (True, 200), (True, 3)):
                        got = reporting_status(user=user, region=region, first=first, last=last,
                                               only_incomplete=only_incomplete, limit=limit)
                        listed, counties = _straight(sites, stored, prefix, region, first, last, only_incomplete,
                                                     limit)
                        case = (seed, str(first), str(last), prefix, region, only_incomplete, limit)
                        assert [(r.site.code, r.expected, r.received, r.late) for r in got.sites] == listed, case
                        assert {c["region"].code: (c["sites"], c["expected"], c["received"], c["late"])
                                for c in got.by_region} == counties, case
                        assert [c["region"].code for c in got.by_region] == sorted(counties), case
                        assert all(c["missing"] == c["expected"] - c["received"] for c in got.by_region)
                        assert (got.expected, got.received, got.late) == tuple(
                            sum(v[i] for v in counties.values()) for i in (1, 2, 3)), case
                        slow = reporting_status_by_site(user=user, region=region, first=first, last=last,
                                                         only_incomplete=only_incomplete, limit=limit)
                        assert [(r.site.code, r.expected, r.received, r.late) for r in slow.sites] == listed, case
