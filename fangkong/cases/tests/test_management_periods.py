"""Management periods counted from the last exposure by each edition's own table (8th: 14 + 7, 9th: 7 + 3,
November 2022: 5 + 3; contacts of close contacts and inbound travellers by their own rows): computed here
from the table written out below, independently of the code, and compared with what is stored — through
the form, the API, the import and an edit of the exposure; unknown exposures count from the listing date
and say so on the contact's page and in the list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.cases.imports import ImportRejected, contacts_import
from fangkong.cases.models import Contact
from fangkong.cases.services import contact_update
from fangkong.cases.tests.builders import at, make_case, make_contact
from fangkong.protocols.models import ProtocolVersion

pytestmark = pytest.mark.django_db
D = dt.date.fromisoformat

# The editions' rows, in days: (centralised, home) and the centralised / home test days of close contacts.
CLOSE = {"8th": (14, 7, [1, 4, 7, 14], [2, 7]), "9th": (7, 3, [1, 2, 3, 5, 7], [3]),
         "nov-2022": (5, 3, [1, 2, 3, 5], [1, 3])}
SECONDARY = {"8th": ("centralised", 7), "9th": ("home", 7)}  # not traced under the November 2022 measures
INBOUND = {"8th": (14, 7), "9th": (7, 3), "nov-2022": (5, 3)}
# A case day and a last exposure under each edition (the edition in force on the listing day decides).
WHEN = {"8th": ("2022-03-10", "2022-03-06"), "9th": ("2022-07-10", "2022-07-08"),
        "nov-2022": ("2022-11-20", "2022-11-17")}


def expected_close(code: str, last_exposure: dt.date) -> tuple[dt.date, list[str]]:
    centralised, home, tests, home_tests = CLOSE[code]
    release = last_exposure + dt.timedelta(days=centralised + home + 1)  # the day after the last day
    dates = [last_exposure + dt.timedelta(days=d) for d in tests]
    dates += [last_exposure + dt.timedelta(days=centralised + d) for d in home_tests]
    return release, [d.isoformat() for d in dates]


@pytest.mark.parametrize("code", ["8th", "9th", "nov-2022"])
def test_a_close_contact_is_managed_from_the_last_exposure_by_its_editions_table(shenzhen_epi, code):
    day, exposure = WHEN[code]
    source = make_case(shenzhen_epi, region="440304", day=day)
    # listed two days after the case, quarantined later still: neither moves the period
    listed = (D(day) + dt.timedelta(days=2)).isoformat()
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed=listed, hour=9,
                           quarantined_hour=23, exposure_start=D(exposure),
                           exposure_end=D(exposure))
    release, tests = expected_close(code, D(exposure))
    stored = Contact.objects.get(pk=contact.pk)
    assert stored.protocol.code == code
    assert stored.release_due == release and [t["date"] for t in stored.test_schedule] == tests
    assert stored.management_counted_from == D(exposure) and not stored.last_exposure_unknown


@pytest.mark.parametrize("code", ["8th", "9th"])
def test_a_contact_of_a_close_contact_has_its_own_row(shenzhen_epi, code):
    day, exposure = WHEN[code]
    source = make_case(shenzhen_epi, region="440304", day=day)
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed=day, category="secondary",
                           exposure_end=D(exposure))
    phase, days = SECONDARY[code]
    assert contact.release_due == D(exposure) + dt.timedelta(days=days + 1)
    assert [(t["date"], t["phase"]) for t in contact.test_schedule] == [
        ((D(exposure) + dt.timedelta(days=d)).isoformat(), phase) for d in (1, 4, 7)]
    period = contact.protocol.management_period("secondary", D(exposure))
    assert (period.centralised_until is None) == (phase == "home")


def test_no_period_for_contacts_of_close_contacts_under_the_november_2022_measures():
    nov = ProtocolVersion.objects.get(code="nov-2022")
    assert nov.management_period("secondary", D("2022-11-20")) is None
    assert nov.contact_plan("secondary", exposure_end=D("2022-11-19"), listed_date=D("2022-11-20")) == ([], None)


@pytest.mark.parametrize("code", ["8th", "9th", "nov-2022"])
def test_an_inbound_traveller_is_managed_from_the_day_of_entry_by_the_inbound_row(code):
    protocol = ProtocolVersion.objects.get(code=code)
    entry = D("2022-12-01")
    period = protocol.management_period("inbound", entry)
    centralised, home = INBOUND[code]
    assert period.first_day == entry + dt.timedelta(days=1)
    assert period.centralised_until == entry + dt.timedelta(days=centralised)
    assert period.home_until == entry + dt.timedelta(days=centralised + home)
    assert period.release_due == entry + dt.timedelta(days=centralised + home + 1)


def test_the_late_traced_contact_of_the_field_review_is_released_three_weeks_after_the_exposure(shenzhen_epi):
    """Exposed 21 March, listed 2 April, quarantined 3 April (8th edition): the last day of management is
    11 April, not three weeks after the quarantine began."""
    source = make_case(shenzhen_epi, region="440304", day="2022-03-20")
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-04-02",
                           quarantined_hour=None, exposure_start=D("2022-03-21"), exposure_end=D("2022-03-21"))
    contact_update(actor=shenzhen_epi, contact=contact, expected_version=1,
                   changes={"quarantined_at": at("2022-04-03", 10), "quarantine_place": "福田酒店"})
    contact.refresh_from_db()
    period = contact.protocol.management_period("close", contact.management_counted_from)
    assert period.home_until == D("2022-04-11") and contact.release_due == D("2022-04-12")


def test_an_unknown_last_exposure_counts_from_the_listing_date_and_is_marked(client, shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    # a start alone does not say when the exposure ended
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-11",
                           exposure_start=D("2022-03-08"))
    release, tests = expected_close("8th", D("2022-03-11"))
    assert contact.last_exposure_unknown and contact.management_counted_from == D("2022-03-11")
    assert contact.release_due == release and [t["date"] for t in contact.test_schedule] == tests
    known = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-11",
                         exposure_end=D("2022-03-09"))

    client.force_login(shenzhen_epi)
    page = client.get(reverse("cases:contact-detail", kwargs={"contact_id": contact.pk})).content.decode()
    assert "data-exposure-unknown" in page
    other = client.get(reverse("cases:contact-detail", kwargs={"contact_id": known.pk})).content.decode()
    assert "data-exposure-unknown" not in other
    listing = client.get(reverse("cases:contact-list")).content.decode()
    assert listing.count("data-exposure-unknown") == 1
    api = client.get(f"/api/v1/contacts/{contact.pk}/").json()
    assert api["last_exposure_unknown"] is True and api["management_counted_from"] == "2022-03-11"


def test_editing_the_exposure_recounts_the_dates_and_is_audited(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-12")
    assert contact.release_due == expected_close("8th", D("2022-03-12"))[0]  # unknown: from the listing date

    contact_update(actor=shenzhen_epi, contact=contact, expected_version=1,
                   changes={"exposure_start": D("2022-03-05"), "exposure_end": D("2022-03-07")})

    stored = Contact.objects.get(pk=contact.pk)
    release, tests = expected_close("8th", D("2022-03-07"))
    assert stored.release_due == release and [t["date"] for t in stored.test_schedule] == tests
    assert not stored.last_exposure_unknown and stored.version == 2
    event = AuditEvent.objects.filter(object_type="cases.contact", action="update").get()
    assert event.detail["before"]["release_due"] == expected_close("8th", D("2022-03-12"))[0].isoformat()
    assert event.detail["after"]["release_due"] == release.isoformat()
    assert event.detail["after"]["exposure_end"] == "2022-03-07"

    # clearing the end makes the exposure unknown again: back to the listing date
    contact_update(actor=shenzhen_epi, contact=stored, expected_version=2, changes={"exposure_end": None})
    assert Contact.objects.get(pk=contact.pk).release_due == expected_close("8th", D("2022-03-12"))[0]


@pytest.mark.parametrize("changes", [
    {"exposure_end": D("2022-03-13")},  # after the listing day
    {"exposure_start": D("2022-03-09"), "exposure_end": D("2022-03-08")},  # ends before it starts
])
def test_a_bad_exposure_edit_changes_nothing(shenzhen_epi, changes):
    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-12",
                           exposure_end=D("2022-03-10"))
    before = Contact.objects.get(pk=contact.pk)
    with pytest.raises(ValidationError):
        contact_update(actor=shenzhen_epi, contact=contact, expected_version=1, changes=changes)
    after = Contact.objects.get(pk=contact.pk)
    assert (after.release_due, after.test_schedule, after.exposure_end, after.version) == (
        before.release_due, before.test_schedule, before.exposure_end, 1)
    assert not AuditEvent.objects.filter(object_type="cases.contact", action="update").exists()


def test_a_contact_cannot_be_registered_with_an_exposure_after_its_listing(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    with pytest.raises(ValidationError) as caught:
        make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-10",
                     exposure_end=D("2022-03-11"))
    assert "exposure_end" in caught.value.message_dict and not Contact.objects.exists()


def test_the_exposure_is_corrected_from_the_contact_page(client, shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-12")
    client.force_login(shenzhen_epi)
    url = reverse("cases:contact-status", kwargs={"contact_id": contact.pk})
    bad = client.post(url, {"version": 1, "action": "exposure", "exposure_end": "2022-03-20"})
    assert bad.status_code == 400 and Contact.objects.get(pk=contact.pk).version == 1
    response = client.post(url, {"version": 1, "action": "exposure", "exposure_start": "2022-03-08",
                                 "exposure_end": "2022-03-09"})
    assert response.status_code == 302
    stored = Contact.objects.get(pk=contact.pk)
    assert stored.release_due == expected_close("8th", D("2022-03-09"))[0]
    assert stored.status == contact.status  # an exposure correction is not a status change


def test_the_api_edits_the_exposure_and_the_dates_follow(client, shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-12")
    client.force_login(shenzhen_epi)
    response = client.patch(f"/api/v1/contacts/{contact.pk}/", {"version": 1, "exposure_end": "2022-03-10"},
                            content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["release_due"] == expected_close("8th", D("2022-03-10"))[0].isoformat()


def test_the_end_of_management_is_given_and_read_over_the_api_as_on_the_page(client, shenzhen_epi):
    """Released (or lost) at a time: entered on the page or over the API, read back by both; a time before
    the listing is refused by both and changes nothing."""
    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    contact = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-12")
    client.force_login(shenzhen_epi)
    api = f"/api/v1/contacts/{contact.pk}/"
    early = client.patch(api, {"version": 1, "status": "released", "released_at": "2022-03-11T10:00"},
                         content_type="application/json")
    assert early.status_code == 400 and "released_at" in early.json()["error"]["fields"]
    assert Contact.objects.get(pk=contact.pk).version == 1 and client.get(api).json()["released_at"] is None
    done = client.patch(api, {"version": 1, "status": "released", "released_at": "2022-03-30T10:00"},
                        content_type="application/json")
    assert done.status_code == 200 and done.json()["released_at"] == "2022-03-30T10:00:00+08:00"
    page = client.post(reverse("cases:contact-status", kwargs={"contact_id": contact.pk}),
                       {"version": 2, "action": "lost", "released_at": "2022-03-29T09:00"})
    assert page.status_code == 302
    assert client.get(api).json()["released_at"] == "2022-03-29T09:00:00+08:00"
    wrong = client.post(reverse("cases:contact-status", kwargs={"contact_id": contact.pk}),
                        {"version": 3, "action": "release", "released_at": "2022-03-29T25:00"})
    assert wrong.status_code == 400 and Contact.objects.get(pk=contact.pk).status == "lost"


def test_imported_contacts_are_managed_from_their_last_exposure(shenzhen_epi):
    from fangkong.testing.builders import citizen_id

    source = make_case(shenzhen_epi, region="440304", day="2022-03-12")
    base = {"name": "密接", "phone": "", "sex": "", "birth_date": "", "address_region": "440304",
            "category": "close", "source_case_no": source.case_no, "region": "440304",
            "exposure_type": "household", "exposure_start": "", "listed_at": "2022-03-13 12:00",
            "quarantined_at": "2022-03-14 18:00", "quarantine_place": ""}
    rows = [{**base, "contact_no": "IM1", "citizen_id": citizen_id("440304", born=dt.date(1990, 1, 1)),
             "exposure_end": "2022-03-11"},
            {**base, "contact_no": "IM2", "citizen_id": citizen_id("440304", born=dt.date(1990, 1, 2)),
             "exposure_end": ""}]
    assert contacts_import(actor=shenzhen_epi, rows=rows).created == 2
    known, unknown = Contact.objects.get(contact_no="IM1"), Contact.objects.get(contact_no="IM2")
    assert known.release_due == expected_close("8th", D("2022-03-11"))[0]
    assert [t["date"] for t in known.test_schedule] == expected_close("8th", D("2022-03-11"))[1]
    assert unknown.release_due == expected_close("8th", D("2022-03-13"))[0] and unknown.last_exposure_unknown

    late = [{**base, "contact_no": "IM3", "citizen_id": citizen_id("440304", born=dt.date(1990, 1, 3)),
             "exposure_end": "2022-03-14"}]
    with pytest.raises(ImportRejected) as caught:
        contacts_import(actor=shenzhen_epi, rows=late)
    assert [e["column"] for e in caught.value.errors] == ["exposure_end"]
    assert not Contact.objects.filter(contact_no="IM3").exists()
