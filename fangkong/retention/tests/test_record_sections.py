"""The scheduled deletion on every record a policy covers (issue 25): the page of a case, a contact, an inbound
traveller, a specimen and a sentinel report shows it (``record_sections`` of the module kit), and so does the
record's API detail (``sections["scheduled_deletion"]``) — the date the policy in force gives from the record's
own clock (computed here from the record's dates, not by the selector), an approved change of the policy moves
it, a legal hold replaces it by "held", no policy says so; a reader outside the record's scope gets the 404 they
always got, and nothing of it. The person page lists only the records its reader may see."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.cases.services import contact_status_record
from fangkong.cases.tests.builders import at, make_case, make_contact
from fangkong.retention.models import RetentionPolicy
from fangkong.retention.selectors import scheduled_deletion
from fangkong.retention.services import hold_place, policies_seed, policy_change_decide, policy_change_propose
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db

SECTION = re.compile(r'<section class="card" id="retention-schedule" data-retention="(\w+)">(.*?)</section>', re.S)


@pytest.fixture
def records(shenzhen_epi):
    """One record of each covered kind in Shenzhen, with the day its policy's clock starts (from its own dates)."""
    from fangkong.inbound.tests.scope import shenzhen_loop
    from fangkong.laboratory.models import Specimen
    from fangkong.laboratory.tests.scope import other_city_records as laboratory_records
    from fangkong.surveillance.models import SentinelReport
    from fangkong.surveillance.tests.builders import make_shenzhen_surveillance

    policies_seed()
    case = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    contact = make_contact(shenzhen_epi, source_case=case, region="440304", listed="2022-03-10")
    contact = contact_status_record(actor=shenzhen_epi, contact=contact, expected_version=contact.version,
                                    action="release", released_at=at("2022-03-24"))
    traveller = shenzhen_loop(shenzhen_epi)["travellers"][0]  # arrived an hour ago
    specimen = Specimen.objects.get(pk=laboratory_records(shenzhen_epi)["specimen_id"][0])
    make_shenzhen_surveillance()
    report = SentinelReport.objects.get(site__code="SZTEST1")
    return {
        "case": (case, "cases", dt.date(2022, 3, 10), reverse("cases:case-detail", args=[case.pk]),
                 reverse("cases-api:case-detail", args=[case.pk])),
        "contact": (contact, "contacts", dt.date(2022, 3, 24), reverse("cases:contact-detail", args=[contact.pk]),
                    reverse("cases-api:contact-detail", args=[contact.pk])),
        "traveller": (traveller, "travellers", timezone.localtime(traveller.arrived_at).date(),
                      reverse("inbound:traveller-detail", args=[traveller.pk]),
                      reverse("inbound-api:traveller-detail", args=[traveller.pk])),
        "specimen": (specimen, "samples", timezone.localtime(specimen.sampled_at).date(),
                     reverse("laboratory:specimen-detail", args=[specimen.pk]),
                     reverse("laboratory-api:specimen-detail", args=[specimen.pk])),
        "report": (report, "sentinel_reports", dt.date(2022, 3, 10),
                   reverse("surveillance:report-detail", args=[report.pk]),
                   reverse("surveillance-api:report-detail", args=[report.pk])),
    }


KINDS = ("case", "contact", "traveller", "specimen", "report")


def _section(client, url) -> tuple[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    found = SECTION.findall(page.content.decode())
    assert len(found) == 1, found
    return found[0]


def _api(client, url):
    answer = client.get(url)
    assert answer.status_code == 200
    return answer.json()["sections"]["scheduled_deletion"]


@pytest.fixture
def admins(db):
    return (make_user("ret_admin_a", ("440000", Role.SYSTEM_ADMINISTRATOR)),
            make_user("ret_admin_b", ("440000", Role.SYSTEM_ADMINISTRATOR)))


@pytest.mark.parametrize("kind", KINDS)
def test_the_page_and_the_api_detail_show_the_date_the_policy_gives(client, shenzhen_epi, records, kind):
    record, category, clock_day, page_url, api_url = records[kind]
    policy = RetentionPolicy.objects.get(category=category)
    due = clock_day + dt.timedelta(days=policy.period_days)
    assert scheduled_deletion(category, record)["date"] == due  # the selector agrees with the dates
    client.force_login(shenzhen_epi)
    state, body = _section(client, page_url)
    assert state == "date" and f'<time datetime="{due.isoformat()}">' in body
    assert ("data-due" in body) is (due <= timezone.localdate())  # a date passed: due at the next purge
    assert policy.get_action_display() in body and str(policy.period_days) in body
    assert _api(client, api_url) == {"category": category, "date": due.isoformat(), "action": policy.action,
                                     "held": False, "waiting": False}


def test_an_approved_change_of_the_policy_moves_the_date(client, shenzhen_epi, records, admins):
    contact, _category, _day, page_url, api_url = records["contact"]
    change = policy_change_propose(actor=admins[0], category="contacts", clock="management_ended",
                                   period_days=365, action="delete", legal_basis="PIPL art. 47",
                                   reason="缩短保存期限")
    client.force_login(shenzhen_epi)
    assert "2024-03-23" in _section(client, page_url)[1]  # proposed only: the policy in force still counts
    policy_change_decide(actor=admins[1], change=change, approve=True)
    state, body = _section(client, page_url)
    assert state == "date" and '<time datetime="2023-03-24">' in body and "2024-03-23" not in body
    assert _api(client, api_url)["date"] == "2023-03-24"


def test_a_legal_hold_shows_held_instead_of_a_date(client, shenzhen_epi, records, admins):
    case, _category, _day, case_url, case_api = records["case"]
    report, _category, _day, report_url, report_api = records["report"]
    client.force_login(shenzhen_epi)
    assert _section(client, case_url)[0] == "date" and _section(client, report_url)[0] == "date"
    hold_place(actor=admins[0], target="case", object_id=case.pk, reason="司法协查")
    state, body = _section(client, case_url)
    assert state == "held" and "<time" not in body and "司法协查" not in body  # that it is held, not why
    assert _api(client, case_api) == {"category": "cases", "date": None, "action": "anonymise", "held": True,
                                      "waiting": False}
    assert _section(client, report_url)[0] == "date"  # a hold on a case holds no sentinel report
    hold_place(actor=admins[0], target="region", region="440304", reason="复核")
    assert _section(client, report_url)[0] == "held" and _api(client, report_api)["held"] is True


def test_a_record_whose_clock_has_not_started_waits(client, shenzhen_epi, records):
    case = records["case"][0]
    listed = make_contact(shenzhen_epi, source_case=case, region="440304", name="未解除密接", listed="2022-03-12")
    client.force_login(shenzhen_epi)
    state, body = _section(client, reverse("cases:contact-detail", args=[listed.pk]))
    assert state == "waiting" and "<time" not in body
    assert _api(client, reverse("cases-api:contact-detail", args=[listed.pk])) == {
        "category": "contacts", "date": None, "action": "delete", "held": False, "waiting": True}


def test_without_a_policy_the_page_says_so_and_the_api_says_nothing(client, shenzhen_epi, records):
    _specimen, _category, _day, page_url, api_url = records["specimen"]
    RetentionPolicy.objects.filter(category="samples").delete()
    client.force_login(shenzhen_epi)
    assert _section(client, page_url)[0] == "none"
    assert _api(client, api_url) is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_reader_outside_the_scope_gets_the_same_404_and_no_date(client, guangzhou_epi, records, kind):
    _record, _category, _day, page_url, api_url = records[kind]
    client.force_login(guangzhou_epi)
    for url in (page_url, api_url):
        answer = client.get(url)
        assert answer.status_code == 404 and b"retention-schedule" not in answer.content
        assert b"scheduled_deletion" not in answer.content


def test_the_retention_endpoint_answers_an_administrator_only_in_their_scope(client, records, admins):
    case = records["case"][0]
    guangzhou_admin = make_user("ret_admin_gz", ("440100", Role.SYSTEM_ADMINISTRATOR))
    client.force_login(guangzhou_admin)
    assert client.get("/api/v1/retention-schedule/", {"category": "cases", "id": case.pk}).status_code == 404
    client.force_login(admins[0])
    answer = client.get("/api/v1/retention-schedule/", {"category": "cases", "id": case.pk}).json()
    policy = RetentionPolicy.objects.get(category="cases")
    assert answer["date"] == (dt.date(2022, 3, 10) + dt.timedelta(days=policy.period_days)).isoformat()


def test_the_policies_are_linked_only_for_readers_their_page_lets_in(client, shenzhen_epi, records):
    from fangkong.surveillance.models import SentinelSite

    report, _category, _day, page_url, _api_url = records["report"]
    reporter = make_user("ret_sentinel", ("440304", Role.SENTINEL_REPORTER))
    SentinelSite.objects.get(pk=report.site_id).reporters.add(reporter)
    for user, linked in ((shenzhen_epi, True), (reporter, False)):
        client.force_login(user)
        assert (client.get("/retention/").status_code == 200) is linked
        state, body = _section(client, page_url)
        assert state == "date" and ('href="/retention/"' in body) is linked


def test_the_person_page_lists_only_the_records_its_reader_may_see(client, shenzhen_epi, province_commander,
                                                                    records):
    case = records["case"][0]
    guangzhou_case = make_case(province_commander, region="440106", name="广州病例", day="2022-03-11")
    elsewhere = make_contact(province_commander, source_case=guangzhou_case, region="440106", person=case.person,
                             listed="2022-03-11")
    person_page = reverse("web:person-detail", args=[case.person_id])
    client.force_login(shenzhen_epi)
    section = re.search(r'id="retention-schedule">(.*?)</section>', client.get(person_page).content.decode(), re.S)
    assert case.case_no in section[1] and elsewhere.contact_no not in section[1]
    assert reverse("cases:case-detail", args=[case.pk]) in section[1]
    client.force_login(province_commander)
    section = re.search(r'id="retention-schedule">(.*?)</section>', client.get(person_page).content.decode(), re.S)
    assert case.case_no in section[1] and elsewhere.contact_no in section[1]


def test_the_sections_read_in_english_too(client, shenzhen_epi, records):
    client.force_login(shenzhen_epi)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    state, body = _section(client, records["case"][3])
    assert state == "date" and "Scheduled deletion" in body and "days (starts at: Report date)" in body


@pytest.mark.parametrize("kind", KINDS)
def test_a_section_costs_a_bounded_number_of_queries(rf, shenzhen_epi, records, kind,
                                                     django_assert_max_num_queries):
    from django.contrib.sessions.backends.db import SessionStore

    from fangkong import modules

    record = records[kind][0]
    request = rf.get("/")
    request.user, request.session = shenzhen_epi, SessionStore()
    from fangkong.retention.sections import record_section

    # retention's own section: the policy, the active holds, whether one reaches the record; and the reader's
    # memberships (for the link)
    with django_assert_max_num_queries(4):
        assert record_section(request, record)
    # every module's sections of the page: on a contact's or traveller's the laboratory's too (the person's
    # temporary controls: one query, nothing to show here)
    with django_assert_max_num_queries(5 if kind in ("contact", "traveller") else 4):
        assert len(modules.record_sections(request, record)) == 1
    with django_assert_max_num_queries(3):
        assert modules.record_data(request, record)["scheduled_deletion"]["category"] == records[kind][1]
