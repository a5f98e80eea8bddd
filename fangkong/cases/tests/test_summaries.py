"""The daily tracing summary equals the figures computed directly from the rows, after every kind of write.

The expected figures are computed here in Python from the contacts and cases themselves (listing day from
``listed_at`` in local time, the 24-hour rules from the times, "under management" from the person's
contacts) — not from the stored flags or the summary's SQL — and compared with the ``DailyTracing`` rows
and with ``tracing_timeliness`` after each write of a seeded random sequence of writes.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.utils import timezone

from fangkong.cases import selectors, summaries
from fangkong.cases.models import Case, Contact, ContactStatus, DailyTracing
from fangkong.cases.services import (
    case_reclassify,
    case_update,
    contact_convert_to_case,
    contact_update,
)
from fangkong.cases.tests.builders import at, make_case, make_contact
from fangkong.regions.models import Region

pytestmark = pytest.mark.django_db

REGIONS = ("440304", "440303", "440106", "441900")  # Futian, Luohu (Shenzhen), Tianhe (Guangzhou), Dongguan
DAYS = ("2022-03-10", "2022-03-11", "2022-03-12")
FIELDS = ("close_contacts", "listed_24h", "quarantined", "quarantined_24h", "secondary_contacts", "in_quarantine",
          "new_cases", "under_management")
DAY = dt.timedelta(days=1)


def expected_summary() -> dict[tuple[str, dt.date], dict[str, int]]:
    """{(region, day): figures} computed from the rows, independently of the summary and the stored flags."""
    out: dict = defaultdict(Counter)
    for c in Contact.objects.select_related("source_case"):
        key = (c.region_id, timezone.localtime(c.listed_at).date())
        if c.category == "close":
            out[key]["close_contacts"] += 1
            out[key]["listed_24h"] += c.listed_at - c.source_case.reported_at <= DAY
            out[key]["quarantined"] += c.quarantined_at is not None
            out[key]["quarantined_24h"] += c.quarantined_at is not None and c.quarantined_at - c.listed_at <= DAY
        else:
            out[key]["secondary_contacts"] += 1
        out[key]["in_quarantine"] += c.status == ContactStatus.QUARANTINED
    for case in Case.objects.all():
        key = (case.report_region_id, timezone.localtime(case.reported_at).date())
        out[key]["new_cases"] += 1
        out[key]["under_management"] += Contact.objects.filter(person_id=case.person_id,
                                                               listed_at__lte=case.reported_at).exists()
    return {key: {f: int(counts[f]) for f in FIELDS} for key, counts in out.items()}


def stored_summary() -> dict[tuple[str, dt.date], dict[str, int]]:
    return {(r["region_id"], r["day"]): {f: r[f] for f in FIELDS}
            for r in DailyTracing.objects.values("region_id", "day", *FIELDS)}


def assert_summary_matches(user, step: str) -> None:
    expected = expected_summary()
    assert stored_summary() == expected, step
    report = selectors.tracing_timeliness(user=user, region=Region.objects.get(code="440000"))
    total = report["total"]
    for name in FIELDS:
        assert getattr(total, name) == sum(v[name] for v in expected.values()), (step, name)
    shenzhen = next(row for row in report["children"] if row.key == "440300")
    assert shenzhen.close_contacts == sum(v["close_contacts"] for k, v in expected.items() if k[0].startswith("4403"))
    assert shenzhen.new_cases == sum(v["new_cases"] for k, v in expected.items() if k[0].startswith("4403"))
    for row in report["days"]:
        day = dt.date.fromisoformat(row.key)
        assert row.listed_24h == sum(v["listed_24h"] for k, v in expected.items() if k[1] == day), step


def test_summary_equals_the_rows_after_every_kind_of_write(province_commander):
    rng = random.Random(20221129)
    cases: list[Case] = []
    contacts: list[Contact] = []
    counts = Counter()
    for step in range(36):
        kinds = ["case"] if not cases else ["case", "contact", "contact"]
        if contacts:
            kinds += ["quarantine", "status", "convert"]
        if cases:
            kinds += ["reclassify", "edit"]
        kind = rng.choice(kinds)
        if kind == "case":
            cases.append(make_case(province_commander, region=rng.choice(REGIONS), day=rng.choice(DAYS),
                                   hour=rng.randint(0, 20), name=f"病例{step}"))
        elif kind == "contact":
            source = rng.choice(cases)
            reported = timezone.localtime(source.reported_at)
            listed = reported + dt.timedelta(hours=rng.choice((2, 20, 30, 50)))
            quarantined = listed + dt.timedelta(hours=rng.choice((3, 30))) if rng.random() < 0.5 else None
            contacts.append(make_contact(
                province_commander, source_case=source, region=rng.choice(REGIONS), name=f"密接{step}",
                category=rng.choice(("close", "close", "secondary")), listed=listed.date().isoformat(),
                hour=listed.hour, quarantined_hour=None))
            if quarantined is not None:  # the same contact quarantined later the same day or the next
                contact = contacts[-1]
                contact_update(actor=province_commander, contact=contact, expected_version=contact.version,
                               changes={"quarantined_at": contact.listed_at + (quarantined - listed)})
        elif kind == "quarantine":
            open_ = [c for c in contacts if c.quarantined_at is None and c.status != ContactStatus.CONVERTED]
            if not open_:
                continue
            contact = rng.choice(open_)
            contact_update(actor=province_commander, contact=contact, expected_version=contact.version,
                           changes={"quarantined_at": contact.listed_at + dt.timedelta(hours=rng.choice((5, 40)))})
        elif kind == "status":
            open_ = [c for c in contacts if c.status != ContactStatus.CONVERTED]
            if not open_:
                continue
            contact = rng.choice(open_)
            contact_update(actor=province_commander, contact=contact, expected_version=contact.version,
                           changes={"status": rng.choice(("released", "lost", "listed", "quarantined"))})
        elif kind == "convert":
            open_ = [c for c in contacts if c.status != ContactStatus.CONVERTED]
            if not open_:
                continue
            contact = rng.choice(open_)
            moment = contact.listed_at + dt.timedelta(hours=rng.choice((6, 30)))
            cases.append(contact_convert_to_case(
                actor=province_commander, contact=contact, expected_version=contact.version,
                diagnosed_at=moment - dt.timedelta(hours=1), reported_at=moment,
                report_region=rng.choice(REGIONS)))
        elif kind == "reclassify":
            case = rng.choice(cases)
            case.refresh_from_db()
            target = "asymptomatic" if case.classification == "confirmed" else "confirmed"
            case_reclassify(actor=province_commander, case=case, classification=target,
                            expected_version=case.version)
        elif kind == "edit":
            case = rng.choice(cases)
            case.refresh_from_db()
            case_update(actor=province_commander, case=case, expected_version=case.version,
                        changes={"onset_date": timezone.localtime(case.diagnosed_at).date() - dt.timedelta(days=2)})
        counts[kind] += 1
        assert_summary_matches(province_commander, f"step {step}: {kind}")
    # every kind of write was exercised, and the rows are not trivial
    assert set(counts) == {"case", "contact", "quarantine", "status", "convert", "reclassify", "edit"}, counts
    stored = stored_summary()
    assert sum(v["close_contacts"] for v in stored.values()) > 3
    assert sum(v["under_management"] for v in stored.values()) >= 1
    assert sum(v["in_quarantine"] for v in stored.values()) >= 1


def test_a_row_moved_to_another_region_and_day_refreshes_both_keys(province_commander):
    source = make_case(province_commander, region="440304", day="2022-03-10")
    contact = make_contact(province_commander, source_case=source, region="440304", listed="2022-03-10",
                           quarantined_hour=None)
    old = (contact.region_id, contact.listed_date)
    assert DailyTracing.objects.get(region_id="440304", day=dt.date(2022, 3, 10)).close_contacts == 1
    # a correction made around the services (as a bulk path would): the caller passes old and new keys
    Contact.objects.filter(pk=contact.pk).update(region_id="440106", listed_at=at("2022-03-11", 8),
                                                 listed_date=dt.date(2022, 3, 11))
    summaries.tracing_summary_refresh([old, ("440106", dt.date(2022, 3, 11))])
    assert stored_summary() == expected_summary()
    assert DailyTracing.objects.get(region_id="440106", day=dt.date(2022, 3, 11)).close_contacts == 1
    row = DailyTracing.objects.get(region_id="440304", day=dt.date(2022, 3, 10))
    assert (row.close_contacts, row.new_cases) == (0, 1)  # the case stays; the contact has left the key
    # a key with nothing left has no row at all
    Case.objects.filter(pk=source.pk).update(report_region_id="440303")
    summaries.tracing_summary_refresh([("440304", dt.date(2022, 3, 10)), ("440303", dt.date(2022, 3, 10))])
    assert not DailyTracing.objects.filter(region_id="440304").exists()
    assert stored_summary() == expected_summary()


def test_refresh_in_small_batches_and_rebuild_give_the_same_rows(province_commander, monkeypatch):
    sources = [make_case(province_commander, region=r, day=d) for r in REGIONS for d in DAYS[:2]]
    for i, source in enumerate(sources):
        make_contact(province_commander, source_case=source, region=REGIONS[i % 4], name=f"密接{i}",
                     listed=DAYS[i % 3], quarantined_hour=None if i % 2 else 18)
    expected = expected_summary()
    assert stored_summary() == expected
    DailyTracing.objects.all().delete()
    monkeypatch.setattr(summaries, "BATCH_KEYS", 2)
    assert summaries.tracing_summary_refresh(list(expected) + [(None, dt.date(2022, 3, 10)), ("440304", None)]) \
        == len(expected)
    assert stored_summary() == expected
    DailyTracing.objects.all().delete()
    assert summaries.tracing_summary_rebuild() == len(expected)
    assert stored_summary() == expected
    assert summaries.tracing_summary_refresh([]) == 0
    with pytest.raises(TypeError):
        summaries.tracing_summary_refresh([("440304", at("2022-03-10"))])


def test_rebuild_command_catches_up_rows_written_around_the_services(province_commander, capsys):
    source = make_case(province_commander, region="440304", day="2022-03-10")
    contact = make_contact(province_commander, source_case=source, region="440304", listed="2022-03-10")
    Contact.objects.filter(pk=contact.pk).update(status=ContactStatus.RELEASED)  # no refresh: now stale
    assert stored_summary() != expected_summary()
    call_command("tracing_summary_rebuild")
    assert stored_summary() == expected_summary()
    assert "daily tracing summary: 1 rows" in capsys.readouterr().out


def test_a_guangzhou_user_sees_none_of_shenzhens_summary(province_commander, guangzhou_epi, shenzhen_epi):
    sz = make_case(province_commander, region="440304", day="2022-03-10")
    make_contact(province_commander, source_case=sz, region="440304", listed="2022-03-10")
    gz = make_case(province_commander, region="440106", day="2022-03-10", name="广州病例")
    province = Region.objects.get(code="440000")

    rows = selectors.tracing_summary_rows(user=guangzhou_epi, region=province)
    assert {r.region_id for r in rows} == {"440106"}
    report = selectors.tracing_timeliness(user=guangzhou_epi, region=province)
    assert [c.key for c in report["children"]] == ["440100"]
    assert (report["total"].new_cases, report["total"].close_contacts) == (1, 0)
    assert selectors.contacts_in_quarantine(user=guangzhou_epi, region=province) == 0
    # asked for Shenzhen directly, the Guangzhou user still gets nothing of it
    shenzhen = Region.objects.get(code="440300")
    assert not selectors.tracing_summary_rows(user=guangzhou_epi, region=shenzhen).exists()
    assert selectors.tracing_timeliness(user=guangzhou_epi, region=shenzhen)["total"].close_contacts == 0
    # the Shenzhen user sees Shenzhen's contact and case, not Guangzhou's case
    mine = selectors.tracing_timeliness(user=shenzhen_epi, region=province)["total"]
    assert (mine.new_cases, mine.close_contacts, mine.in_quarantine) == (1, 1, 1)
    assert selectors.contacts_in_quarantine(user=shenzhen_epi, region=province) == 1
    assert gz.report_region_id == "440106"


def test_a_case_counts_as_found_under_management_once_its_earlier_listing_is_entered(province_commander):
    """Data entry lags the field work: a contact listed before the case's report but entered after the case
    makes the case one found under management, in the case and in the summary; a later listing does not."""
    from fangkong.audit.models import AuditEvent

    user = province_commander
    source = make_case(user, region="441900", day="2022-03-10")
    late = make_case(user, region="440304", name="后录入", day="2022-03-11", hour=15)  # reported at 16:00
    other = make_case(user, region="440304", name="未管控", day="2022-03-11", hour=15)
    assert not late.found_under_management
    contact = make_contact(user, source_case=source, region="440304", person=late.person, listed="2022-03-11",
                           hour=10)
    make_contact(user, source_case=source, region="440304", person=other.person, listed="2022-03-11", hour=17)
    late.refresh_from_db()
    other.refresh_from_db()
    assert late.found_under_management and not other.found_under_management
    assert_summary_matches(user, "listing entered after the case")
    created = AuditEvent.objects.get(action="create", object_type="cases.contact", object_id=str(contact.pk))
    assert created.detail["cases_now_found_under_management"] == [late.pk]
