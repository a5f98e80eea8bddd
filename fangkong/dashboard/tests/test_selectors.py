"""The dashboard's figures equal counts made independently from the scenario's raw rows, and the line lists."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from fangkong.cases.selectors import case_list
from fangkong.dashboard import selectors
from fangkong.regions.models import Region

pytestmark = pytest.mark.django_db


def raw_counts(scenario, codes, prefix: str, day: int, *, cumulative: bool) -> dict[str, int]:
    c = scenario.cases
    inside = np.array([codes[r].startswith(prefix) for r in c.region])
    when = c.report_day <= day if cumulative else c.report_day == day
    out = {}
    for figure, asym in (("confirmed", False), ("asymptomatic", True)):
        for origin, imp in (("local", False), ("imported", True)):
            out[f"{figure}_{origin}"] = int((inside & when & (c.asymptomatic == asym) & (c.imported == imp)).sum())
    return out


def test_situation_equals_raw_rows_and_line_lists(demo_wave, province_commander):
    scenario, codes = demo_wave
    start = scenario.params.start_date
    busiest = int(np.bincount(scenario.cases.report_day).argmax())
    day = start + dt.timedelta(days=busiest)
    province = Region.objects.get(code="440000")

    s = selectors.situation(user=province_commander, region=province, day=day)

    assert s["new"] == raw_counts(scenario, codes, "44", busiest, cumulative=False)
    assert s["cumulative"] == raw_counts(scenario, codes, "44", busiest, cumulative=True)
    assert s["new_total"] == int((scenario.cases.report_day == busiest).sum()) > 0
    shenzhen = next(ch for ch in s["children"] if ch["code"] == "440300")
    assert shenzhen["new"] == raw_counts(scenario, codes, "4403", busiest, cumulative=False)
    assert shenzhen["cumulative"] == raw_counts(scenario, codes, "4403", busiest, cumulative=True)
    # each figure is the length of the line list it links to
    for figure in selectors.FIGURES:
        for cumulative, value in ((False, s["new"][figure]), (True, s["cumulative"][figure])):
            filters = selectors.figure_filters("440000", day, figure, cumulative=cumulative)
            assert case_list(user=province_commander, filters=filters).count() == value
    # the curve by report date ends with the day's infections; by onset counts onsets on each day
    curve = s["curve"]
    assert sum(v[-1] for v in curve["by_report"].values()) == s["new_total"]
    c = scenario.cases
    onset_today = int(((c.onset_day == busiest) & (c.report_day <= busiest)).sum())
    assert sum(v[-1] for v in curve["by_onset"].values()) == onset_today
    assert s["rt"]["dates"] and s["totals"]["rt"] is not None
    assert s["totals"]["rt"]["lower"] <= s["totals"]["rt"]["mean"] <= s["totals"]["rt"]["upper"]
    local_7d = int(((c.report_day > busiest - 7) & (c.report_day <= busiest) & ~c.imported.astype(bool)).sum())
    assert s["totals"]["local_7d"] == local_7d


def test_outlook_projects_from_the_current_rt(demo_wave, province_commander):

    scenario, _codes = demo_wave
    day = scenario.params.start_date + dt.timedelta(days=int(np.bincount(scenario.cases.report_day).argmax()))
    province = Region.objects.get(code="440000")

    outlook = selectors.situation(user=province_commander, region=province, day=day)["outlook"]

    assert outlook["contacts_in_quarantine"] == in_quarantine_from_dates("44", day) > 0
    projected = outlook["projected"]
    assert projected is not None and len(projected["daily_median"]) == selectors.OUTLOOK_DAYS
    assert projected["infections"]["lower"] <= projected["infections"]["median"] <= projected["infections"]["upper"]
    assert projected["quarantine_rooms"]["median"] > 0 and outlook["capacity_known"] is False


def test_outlook_contact_counts_equal_the_contact_line_list(demo_wave, province_commander):
    from fangkong.cases.selectors import contact_list

    scenario, _codes = demo_wave
    day = scenario.params.start_date + dt.timedelta(days=int(np.bincount(scenario.cases.report_day).argmax()))
    data = selectors.situation(user=province_commander, region=Region.objects.get(code="440300"), day=day)

    week = {"region": "440300", "date_from": (day - dt.timedelta(days=6)).isoformat(), "date_to": day.isoformat()}
    close = contact_list(user=province_commander, filters={**week, "category": "close"}).count()
    secondary = contact_list(user=province_commander, filters={**week, "category": "secondary"}).count()
    assert data["tracing"]["close_contacts"] == close
    if data["outlook"]["projected"] is not None and close:
        assert data["outlook"]["projected"]["secondary_per_close_contact"] == round(secondary / close, 2)
    assert data["outlook"]["contacts_in_quarantine"] == in_quarantine_from_dates("4403", day)


def in_quarantine_from_dates(prefix: str, day: dt.date) -> int:
    """Contacts under ``prefix`` in quarantine on ``day``, counted one by one from their own dates: quarantined
    by the end of the day (local time), release due after it, not released early or lost by then, not
    converted to a case reported by then."""
    from django.utils import timezone

    from fangkong.cases.models import Contact

    n = 0
    for contact in Contact.objects.filter(region__code__startswith=prefix).select_related("converted_case"):
        if contact.quarantined_at is None or contact.release_due is None:
            continue
        entered = timezone.localtime(contact.quarantined_at).date()
        case = contact.converted_case
        ended = contact.released_at and timezone.localtime(contact.released_at).date() <= day
        n += entered <= day < contact.release_due and not ended and (case is None or case.report_date > day)
    return n


def test_contacts_in_quarantine_follow_the_chosen_day(demo_wave, province_commander):
    """Two days of the wave: the figure (and the outlook panel's starting point) is each day's own count from
    the contacts' dates, not the contacts' status now; a city reader gets the city's."""
    from fangkong.accounts.roles import Role
    from fangkong.testing.builders import make_user

    scenario, _codes = demo_wave
    busiest = scenario.params.start_date + dt.timedelta(days=int(np.bincount(scenario.cases.report_day).argmax()))
    days = (busiest - dt.timedelta(days=12), busiest + dt.timedelta(days=5))
    province, shenzhen = Region.objects.get(code="440000"), Region.objects.get(code="440300")
    counts = []
    for day in days:
        outlook = selectors.situation(user=province_commander, region=province, day=day)["outlook"]
        assert outlook["contacts_in_quarantine"] == in_quarantine_from_dates("44", day), day
        counts.append(outlook["contacts_in_quarantine"])
    assert counts[0] != counts[1] and all(counts)
    shenzhen_epi = make_user("sz_epi_q", ("440300", Role.EPIDEMIOLOGIST))
    assert selectors.contacts_in_quarantine_on(user=shenzhen_epi, region=province, day=days[1]) == \
        in_quarantine_from_dates("4403", days[1])  # the province asked, the city's contacts counted
    assert selectors.contacts_in_quarantine_on(user=shenzhen_epi, region=shenzhen, day=days[1]) == \
        in_quarantine_from_dates("4403", days[1])


def test_outlook_counts_quarantine_from_the_contacts_last_exposure(demo_wave, province_commander):
    """The demand projection counts the periods as the contacts' stored dates do: from the last exposure, the
    median number of days before the source case's report among the week's close contacts; the demo's
    stored release dates are each edition's table counted from that exposure (or the listing date)."""
    from fangkong.cases.models import Contact

    scenario, _codes = demo_wave
    day = scenario.params.start_date + dt.timedelta(days=int(np.bincount(scenario.cases.report_day).argmax()))
    province = Region.objects.get(code="440000")
    week = Contact.objects.filter(category="close", listed_date__gte=day - dt.timedelta(days=6),
                                  listed_date__lte=day, exposure_end__isnull=False)
    lead = round(float(np.median([(k.source_case.report_date - k.exposure_end).days for k in week])))
    projected = selectors.situation(user=province_commander, region=province, day=day)["outlook"]["projected"]
    assert projected is not None and projected["exposure_to_report_days"] == lead >= 0
    # the arithmetic of the projection with that lead: fangkong/epi/tests/test_projection.py

    totals = {"8th": 21, "9th": 10, "nov-2022": 8}
    unknown = 0
    for contact in Contact.objects.filter(category="close").select_related("protocol")[:500]:
        counted_from = contact.exposure_end or contact.listed_date
        unknown += contact.exposure_end is None
        assert contact.release_due == counted_from + dt.timedelta(days=totals[contact.protocol.code] + 1)
    assert unknown > 0  # the demo shows contacts whose last exposure is unknown


def test_an_early_release_leaves_the_count_on_the_day_it_happened(province_commander):
    """Released (or lost) before the due date: counted in quarantine up to the day before, not from that day
    on, whatever the due date; taken back, counted again."""
    from fangkong.cases.models import ContactStatus
    from fangkong.cases.services import contact_update
    from fangkong.cases.tests.builders import at, make_case, make_contact

    source = make_case(province_commander, region="440304", day="2022-03-10")
    released = make_contact(province_commander, source_case=source, region="440304", listed="2022-03-10")
    lost = make_contact(province_commander, source_case=source, region="440304", name="乙", listed="2022-03-10")
    assert released.release_due > dt.date(2022, 3, 20)
    shenzhen = Region.objects.get(code="440300")

    def count(day):
        return selectors.contacts_in_quarantine_on(user=province_commander, region=shenzhen, day=day)

    assert count(dt.date(2022, 3, 15)) == count(dt.date(2022, 3, 20)) == 2
    released = contact_update(actor=province_commander, contact=released, expected_version=released.version,
                              changes={"status": ContactStatus.RELEASED, "released_at": at("2022-03-16", 9)})
    lost = contact_update(actor=province_commander, contact=lost, expected_version=lost.version,
                          changes={"status": ContactStatus.LOST, "released_at": at("2022-03-18", 9)})
    assert [count(dt.date(2022, 3, d)) for d in (15, 16, 17, 18, 20)] == [2, 1, 1, 0, 0]
    for day in (15, 16, 18):
        assert count(dt.date(2022, 3, day)) == in_quarantine_from_dates("4403", dt.date(2022, 3, day))
    contact_update(actor=province_commander, contact=lost, expected_version=lost.version,
                   changes={"status": ContactStatus.QUARANTINED})
    lost.refresh_from_db()
    assert lost.released_at is None and count(dt.date(2022, 3, 20)) == 1
