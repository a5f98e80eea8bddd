"""Co-visitors of a case turned into its contacts in one action (page and API): through the cases module's
contact service, the exposure kept, audited, idempotent; refused for a role that may not trace, a case of
another city and a person not on the candidate list — with nothing registered."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.cases.models import Contact
from fangkong.cases.tests.builders import make_case

from .. import services
from ..models import CoVisitContact

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(scanned, shenzhen_epi):
    return make_case(shenzhen_epi, region="440304", person=scanned["people"]["病例本人"])


def test_chosen_co_visitors_become_contacts_with_their_exposure_through_the_contacts_service(case, scanned,
                                                                                            shenzhen_epi):
    people = scanned["people"]
    result = services.co_visitors_enlist(actor=shenzhen_epi, case=case.pk,
                                         persons=[people["同时段甲"].pk, people["同时段乙"].pk])
    assert result.already == [] and len(result.created) == 2
    contacts = {c.person_id: c for c in Contact.objects.filter(source_case=case)}
    assert set(contacts) == {people["同时段甲"].pk, people["同时段乙"].pk}
    first = contacts[people["同时段甲"].pk]
    # registered by the contacts service: numbered, with the protocol's test schedule, same place and time
    assert first.contact_no and first.protocol_id and first.test_schedule
    assert (first.category, first.exposure_type, first.region_id) == ("close", "spacetime", "440304")
    day = timezone.localtime(scanned["at"]).date()
    assert first.exposure_start <= day + timezone.timedelta(days=1) and first.exposure_end >= first.exposure_start
    exposure = CoVisitContact.objects.get(contact=first)
    assert (exposure.place_id, exposure.case_scan_at, exposure.overlap_minutes, exposure.window_minutes) == (
        scanned["place"].pk, scanned["at"], 20, 30)
    assert exposure.their_scan_at == scanned["at"] + timezone.timedelta(minutes=10)
    # each contact audited by the contacts service, and the action itself once
    assert AuditEvent.objects.filter(object_type="cases.contact", action=AuditEvent.Action.CREATE).count() == 2
    action = AuditEvent.objects.get(object_type="places.covisitcontact")
    assert action.detail["case"] == case.pk and sorted(action.detail["contacts"]) == sorted(c.pk for c in result.created)


def test_a_candidate_already_a_contact_of_the_case_is_not_doubled(client, case, scanned, shenzhen_epi):
    people = scanned["people"]
    services.co_visitors_enlist(actor=shenzhen_epi, case=case.pk, persons=[people["同时段甲"].pk])
    client.force_login(shenzhen_epi)
    again = client.post("/api/v1/places-co-visits/", {"case": case.pk, "persons": [people["同时段甲"].pk,
                                                                                    people["同时段乙"].pk]},
                        content_type="application/json")
    assert again.status_code == 201, again.content
    assert again.json()["already_contacts"] == [people["同时段甲"].pk]
    assert [c["person"] for c in again.json()["created"]] == [people["同时段乙"].pk]
    third = client.post("/api/v1/places-co-visits/", {"case": case.pk, "persons": [people["同时段甲"].pk]},
                        content_type="application/json")
    assert third.status_code == 200 and third.json()["created"] == []
    assert Contact.objects.filter(source_case=case).count() == 2 and CoVisitContact.objects.count() == 2


def test_the_page_ticks_candidates_and_shows_those_already_contacts(client, case, scanned, shenzhen_epi):
    people = scanned["people"]
    client.force_login(shenzhen_epi)
    page = client.get(reverse("places:co-visits"), {"case": case.pk}).content.decode()
    assert f'name="persons" value="{people["同时段甲"].pk}"' in page and "隔天丙" not in page
    answer = client.post(reverse("places:co-visits"), {"case": case.pk, "window": 30, "category": "close",
                                                       "persons": [people["同时段甲"].pk]})
    assert answer.status_code == 302
    assert list(Contact.objects.filter(source_case=case).values_list("person_id", flat=True)) == [people["同时段甲"].pk]
    page = client.get(answer["Location"]).content.decode()
    assert f'name="persons" value="{people["同时段甲"].pk}"' not in page  # now marked as a contact
    assert f'name="persons" value="{people["同时段乙"].pk}"' in page


def test_a_person_not_on_the_candidate_list_is_refused_and_nothing_is_registered(client, case, scanned,
                                                                                 shenzhen_epi):
    people = scanned["people"]
    # the next day's visitor is outside the window; the one at the other market never met the case
    for stranger in (people["隔天丙"], people["别处丁"]):
        with pytest.raises(ValidationError) as caught:
            services.co_visitors_enlist(actor=shenzhen_epi, case=case.pk, persons=[people["同时段甲"].pk, stranger.pk])
        assert "persons" in caught.value.message_dict
    with pytest.raises(ValidationError):  # a narrower window than the overlap: 同时段乙 (25 minutes away) is out
        services.co_visitors_enlist(actor=shenzhen_epi, case=case.pk, persons=[people["同时段乙"].pk], window=15)
    client.force_login(shenzhen_epi)
    page = client.post(reverse("places:co-visits"), {"case": case.pk, "window": 30, "category": "close",
                                                     "persons": [people["别处丁"].pk]})
    assert page.status_code == 400 and "别处丁" not in page.content.decode().split("<tbody>")[0]
    api = client.post("/api/v1/places-co-visits/", {"case": case.pk, "persons": [people["隔天丙"].pk]},
                      content_type="application/json")
    assert api.status_code == 400 and "persons" in api.json()["error"]["fields"]
    bad = client.post("/api/v1/places-co-visits/", {"case": case.pk, "persons": []}, content_type="application/json")
    assert bad.status_code == 400
    assert not Contact.objects.exists() and not CoVisitContact.objects.exists()
    assert not AuditEvent.objects.filter(object_type="places.covisitcontact").exists()


def test_roles_that_may_not_trace_and_other_cities_are_refused(client, case, scanned, sz_inspector, guangzhou_epi,
                                                             analyst):
    chosen = [scanned["people"]["同时段甲"].pk]
    with pytest.raises((PermissionDenied, Http404)):
        services.co_visitors_enlist(actor=sz_inspector, case=case.pk, persons=chosen)
    with pytest.raises(Http404):  # may trace, but the case is Shenzhen's
        services.co_visitors_enlist(actor=guangzhou_epi, case=case.pk, persons=chosen)
    for user in (sz_inspector, analyst):
        client.force_login(user)
        assert client.post("/api/v1/places-co-visits/", {"case": case.pk, "persons": chosen},
                           content_type="application/json").status_code == 403
        assert client.post(reverse("places:co-visits"), {"case": case.pk, "window": 30, "category": "close",
                                                         "persons": chosen}).status_code == 403
    client.force_login(guangzhou_epi)
    assert client.post("/api/v1/places-co-visits/", {"case": case.pk, "persons": chosen},
                       content_type="application/json").status_code == 404
    assert client.post(reverse("places:co-visits"), {"case": case.pk, "window": 30, "category": "close",
                                                     "persons": chosen}).status_code == 404
    assert not Contact.objects.exists() and not CoVisitContact.objects.exists()


def _next_cursor(html: str) -> str:
    """The cursor of the page's "next" link (``web/_pager.html``)."""
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    href = unescape(html.split('rel="next"')[0].rsplit('href="', 1)[1].split('"', 1)[0])
    return parse_qs(urlsplit(href).query)["cursor"][0]


def test_the_co_visitors_are_paged_longest_overlap_first_and_enlisted_from_any_page(client, case, scanned,
                                                                                   shenzhen_epi, monkeypatch):
    from .. import views

    people = scanned["people"]
    first, second = people["同时段甲"].pk, people["同时段乙"].pk  # overlaps 20 and 5 minutes
    client.force_login(shenzhen_epi)
    # the API: the platform's keyset paging, the longest overlap first
    body = client.get("/api/v1/places-co-visits/", {"case": case.pk, "limit": 1}).json()
    assert [r["person"] for r in body["results"]] == [first] and body["count"] == 2 and body["previous"] is None
    body = client.get(body["next"]).json()
    assert [r["person"] for r in body["results"]] == [second] and body["next"] is None and body["previous"]
    # the page, one co-visitor a page
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    page = client.get(reverse("places:co-visits"), {"case": case.pk}).content.decode()
    assert f'name="persons" value="{first}"' in page and f'value="{second}"' not in page
    assert 'data-count="2"' in page
    cursor = _next_cursor(page)
    page = client.get(reverse("places:co-visits"), {"case": case.pk, "cursor": cursor}).content.decode()
    assert f'name="persons" value="{second}"' in page and f'value="{first}"' not in page
    assert f'name="cursor" value="{cursor}"' in page  # posted with the ticks
    # ticked on the second page: registered, and the second page shown again with it marked
    answer = client.post(reverse("places:co-visits"), {"case": case.pk, "window": 30, "category": "close",
                                                       "persons": [second], "cursor": cursor})
    assert answer.status_code == 302 and "cursor=" in answer["Location"]
    assert list(Contact.objects.filter(source_case=case).values_list("person_id", flat=True)) == [second]
    page = client.get(answer["Location"]).content.decode()
    assert f'name="persons" value="{second}"' not in page and "同时段乙" in page
    # the first page still offers the other one
    page = client.get(reverse("places:co-visits"), {"case": case.pk}).content.decode()
    assert f'name="persons" value="{first}"' in page


def test_a_forged_or_foreign_cursor_is_refused_on_the_co_visits(client, case, scanned, shenzhen_epi, monkeypatch):
    from fangkong import paging
    from fangkong.cases.models import Case

    from .. import views

    client.force_login(shenzhen_epi)
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    assert client.get(reverse("places:co-visits"), {"case": case.pk, "cursor": "forged"}).status_code == 400
    assert client.get("/api/v1/places-co-visits/", {"case": case.pk, "cursor": "forged"}).status_code == 400
    make_case(shenzhen_epi, region="440304")  # two cases: the case list's first page has a next cursor
    foreign = paging.page_of(Case.objects.all(), order=("id",), size=1, cursor=None).next_cursor
    assert foreign
    assert client.get(reverse("places:co-visits"), {"case": case.pk, "cursor": foreign}).status_code == 400
    assert client.get("/api/v1/places-co-visits/", {"case": case.pk, "cursor": foreign}).status_code == 400
    # a forged cursor posted with the ticks: the action is done, and the first page comes back
    chosen = scanned["people"]["同时段甲"].pk
    answer = client.post(reverse("places:co-visits"), {"case": case.pk, "window": 30, "category": "close",
                                                       "persons": [chosen], "cursor": "forged"})
    assert answer.status_code == 302 and "cursor" not in answer["Location"]
    assert client.get(answer["Location"]).status_code == 200
    assert list(Contact.objects.filter(source_case=case).values_list("person_id", flat=True)) == [chosen]
