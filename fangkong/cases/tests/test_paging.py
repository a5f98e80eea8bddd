"""Keyset pagination (``fangkong.paging``) of the case and contact lists: every row exactly once, forwards
and backwards, in every ordering the list offers (with rows of equal keys and empty onset dates); stable
when rows are added before the page; filters kept; cursors of another ordering, another list, tampered or
garbage refused with 400 naming ``cursor``; the count capped; the onset filter the dashboard's curve links
to; the page's query count does not grow with the list."""

from __future__ import annotations

import base64
import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from fangkong import paging
from fangkong.cases import selectors
from fangkong.cases.models import Case
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.request_params import ParameterError

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def many(shenzhen_epi):
    """13 cases: several share a report time (ties broken by id), some have no onset date."""
    cases = []
    for n in range(13):
        day = f"2022-03-{10 + n % 4:02d}"
        onset = None if n % 3 == 0 else dt.date(2022, 3, 1 + n % 5)
        cases.append(make_case(shenzhen_epi, region="440304" if n % 2 else "440305", name=f"分页{n}", day=day,
                               hour=9, onset_date=onset, detection_route="screening" if n % 2 else "fever_clinic"))
    return cases


def _walk(queryset, ordering: str, size: int) -> tuple[list[int], list[list[int]]]:
    order = selectors.CASE_ORDERINGS.get(ordering) or selectors.CONTACT_ORDERINGS[ordering]
    pages, after = [], ""
    while True:
        page = paging.page_of(queryset, order=order, ordering=ordering, size=size, cursor=after)
        pages.append([r.pk for r in page])
        if not page.has_next:
            break
        after = page.next_cursor
    return [pk for p in pages for pk in p], pages


@pytest.mark.parametrize("ordering", list(selectors.CASE_ORDERINGS))
def test_every_case_exactly_once_in_every_ordering_forwards_and_backwards(shenzhen_epi, many, ordering):
    queryset = selectors.case_list(user=shenzhen_epi, ordering=ordering)
    order = selectors.CASE_ORDERINGS[ordering]
    walked, pages = _walk(queryset, ordering, size=4)
    assert sorted(walked) == sorted(c.pk for c in many) and len(pages) == 4
    # the order is the one the list promises (nulls last): compare with a sort in Python
    keys = paging.keys_of(Case, order)

    def sort_key(case):
        out = []
        for key in keys:
            value = getattr(case, key.name)
            missing = value is None
            if isinstance(value, dt.date | dt.datetime):
                value = value.toordinal() if not isinstance(value, dt.datetime) else value.timestamp()
            if isinstance(value, str):
                value = [-ord(ch) for ch in value] if key.descending else [ord(ch) for ch in value]
            elif value is not None and key.descending:
                value = -value
            out.append((missing, value if not missing else 0))
        return out

    assert walked == [c.pk for c in sorted(Case.objects.all(), key=sort_key)]
    # backwards from the last page gives back the same pages
    page = paging.page_of(queryset, order=order, ordering=ordering, size=4, cursor=_cursor_before_last(
        queryset, order, ordering, pages))
    back = [[r.pk for r in page]]
    while page.has_previous:
        page = paging.page_of(queryset, order=order, ordering=ordering, size=4, cursor=page.previous_cursor)
        back.insert(0, [r.pk for r in page])
    assert back == pages


def _cursor_before_last(queryset, order, ordering, pages) -> str:
    """The cursor that opens the last page (as the "next" link of the page before it)."""
    page = paging.page_of(queryset, order=order, ordering=ordering, size=4)
    for _ in range(len(pages) - 2):
        page = paging.page_of(queryset, order=order, ordering=ordering, size=4, cursor=page.next_cursor)
    return page.next_cursor


@pytest.fixture
def small_pages(monkeypatch):
    from fangkong.cases import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)


def test_a_page_does_not_shift_when_newer_cases_arrive(client, shenzhen_epi, many, small_pages):
    client.force_login(shenzhen_epi)
    first = client.get(reverse("cases:case-list"))
    second_url = _link(first, "next")
    before = [c.pk for c in client.get(second_url).context["page"]]
    make_case(shenzhen_epi, region="440304", name="新报告", day="2022-03-20")  # sorts first
    after = [c.pk for c in client.get(second_url).context["page"]]
    assert before == after


def _link(response, rel: str) -> str:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', response.content.decode())
    assert match, f"no {rel} link"
    return reverse("cases:case-list") + unescape(match.group(1))


def test_the_page_links_keep_the_filters_and_walk_the_list(client, shenzhen_epi, many, small_pages):
    client.force_login(shenzhen_epi)
    url = reverse("cases:case-list") + "?region=440304&ordering=-onset"
    expected = list(selectors.case_list(user=shenzhen_epi, filters={"region": "440304"}, ordering="-onset")
                    .values_list("pk", flat=True))
    seen, response = [], client.get(url)
    while True:
        seen += [c.pk for c in response.context["page"]]
        if not response.context["page"].has_next:
            break
        next_url = _link(response, "next")
        assert "region=440304" in next_url and "ordering=-onset" in next_url
        response = client.get(next_url)
    previous = client.get(_link(response, "prev"))
    assert [c.pk for c in previous.context["page"]] == seen[-4:-2]
    assert seen == expected and len(seen) == 6


def test_foreign_tampered_or_broken_cursors_are_refused_naming_the_cursor(client, shenzhen_epi, many):
    queryset = selectors.case_list(user=shenzhen_epi, ordering="-reported")
    first = paging.page_of(queryset, order=selectors.CASE_ORDERINGS["-reported"], ordering="-reported", size=4)
    onset_cursor = paging.page_of(
        selectors.case_list(user=shenzhen_epi, ordering="onset"), order=selectors.CASE_ORDERINGS["onset"],
        ordering="onset", size=4).next_cursor
    contact_cursor = paging._encode("cases.contact:-reported", [first.rows[0].reported_at, 1], backwards=False)
    payload, signature = first.next_cursor.rsplit(":", 1)
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "AB") + ":" + signature
    infinity = base64.urlsafe_b64encode(b'["cases.case:-reported",0,[Infinity,1]]').decode().rstrip("=")
    for cursor in (onset_cursor, contact_cursor, tampered, infinity, "garbage", "W10", "eyJ4Ijoz"):
        with pytest.raises(ParameterError) as refused:
            paging.page_of(queryset, order=selectors.CASE_ORDERINGS["-reported"], ordering="-reported", size=4,
                           cursor=cursor)
        assert set(refused.value.message_dict) == {"cursor"}, cursor
    client.force_login(shenzhen_epi)
    for cursor in (onset_cursor, tampered, infinity):
        api = client.get(reverse("cases-api:case-list"), {"cursor": cursor})
        assert api.status_code == 400 and set(api.json()["error"]["fields"]) == {"cursor"}, cursor
        page = client.get(reverse("cases:case-list"), {"cursor": cursor})
        assert page.status_code == 400 and "data-invalid-parameters" in page.content.decode(), cursor
        assert "cursor" in page.content.decode()
    # the cursor the server made still opens its page
    assert client.get(reverse("cases:case-list"), {"cursor": first.next_cursor}).status_code == 200


def test_the_count_is_capped(client, shenzhen_epi, many, monkeypatch):
    client.force_login(shenzhen_epi)
    page = client.get(reverse("cases:case-list")).content.decode()
    assert 'data-count="13"' in page and "13 cases" in page
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    response = client.get(reverse("cases:case-list"))
    assert response.context["page"].count_capped and response.context["page"].count == 10
    assert 'data-count="capped"' in response.content.decode()
    assert paging.capped_count(Case.objects.all(), cap=20) == (13, False)
    assert paging.capped_count(Case.objects.all(), cap=13) == (13, False)
    assert paging.capped_count(Case.objects.all(), cap=12) == (12, True)


def test_the_list_page_costs_the_same_queries_however_deep(client, shenzhen_epi, many, small_pages,
                                                           django_assert_max_num_queries):
    client.force_login(shenzhen_epi)
    first = client.get(reverse("cases:case-list"))
    with django_assert_max_num_queries(8):
        client.get(_link(first, "next"))


def test_the_onset_filter_gives_the_cases_of_an_onset_day(client, shenzhen_epi, many):
    expected = sorted(c.pk for c in many if c.onset_date == dt.date(2022, 3, 2))
    assert expected  # the fixture has some
    client.force_login(shenzhen_epi)
    page = client.get(reverse("cases:case-list"), {"onset_from": "2022-03-02", "onset_to": "2022-03-02"})
    assert sorted(c.pk for c in page.context["page"]) == expected
    api = client.get(reverse("cases-api:case-list"), {"onset_from": "2022-03-02", "onset_to": "2022-03-02"}).json()
    assert sorted(r["id"] for r in api["results"]) == expected and api["count"] == len(expected)
    # the dashboard's curve link: infections of a route, reported by a day, by onset day
    bar = client.get(reverse("cases:case-list"), {
        "classification": "confirmed,asymptomatic", "detection_route": "screening", "onset_from": "2022-03-02",
        "onset_to": "2022-03-02", "date_to": "2022-03-13"}).context["page"]
    assert sorted(c.pk for c in bar) == sorted(c.pk for c in many if c.onset_date == dt.date(2022, 3, 2)
                                               and c.detection_route == "screening")
    Case.objects.filter(pk=expected[0]).update(classification="suspected")
    assert expected[0] not in [c.pk for c in client.get(reverse("cases:case-list"), {
        "classification": "confirmed,asymptomatic", "onset_from": "2022-03-02", "onset_to": "2022-03-02"})
        .context["page"]]


def test_the_export_links_of_the_list_give_csv_and_xlsx(client, shenzhen_epi, many):
    client.force_login(shenzhen_epi)
    page = client.get(reverse("cases:case-list"), {"region": "440304"}).content.decode()
    links = [unescape(m) for m in re.findall(r'href="(/cases/export/[^"]+)"', page)]
    assert len(links) == 2 and all("??" not in link for link in links)
    csv_response, xlsx_response = (client.get(link) for link in links)
    assert csv_response["Content-Type"].startswith("text/csv")
    assert xlsx_response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert csv_response.content.decode("utf-8-sig").count("\n") == 2 + 6  # watermark, header, Futian's cases


def test_the_contact_list_pages_by_keyset_too(client, shenzhen_epi, many):
    for n in range(5):
        make_contact(shenzhen_epi, source_case=many[1], region="440304", name=f"分页密接{n}", listed="2022-03-11",
                     hour=12, quarantined_hour=None if n % 2 else 18)
    queryset = selectors.contact_list(user=shenzhen_epi, ordering="-quarantined")
    walked, pages = _walk(queryset, "-quarantined", size=2)
    assert len(walked) == len(set(walked)) == 5 and len(pages) == 3
    quarantined = [pk for pk in walked if queryset.get(pk=pk).quarantined_at]
    assert walked[:len(quarantined)] == quarantined  # the unquarantined sort last
    client.force_login(shenzhen_epi)
    response = client.get(reverse("cases:contact-list"))
    assert 'data-count="5"' in response.content.decode() and len(response.context["rows"]) == 5


def test_the_api_pages_by_cursor_with_a_capped_limit(client, shenzhen_epi, guangzhou_epi, many):
    client.force_login(shenzhen_epi)
    seen, url = [], reverse("cases-api:case-list") + "?limit=5&region=440304"
    while url:
        body = client.get(url).json()
        assert body["count"] == 6 and body["count_capped"] is False
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == list(selectors.case_list(user=shenzhen_epi, filters={"region": "440304"})
                        .values_list("pk", flat=True))
    back = client.get(body["previous"]).json()
    assert [row["id"] for row in back["results"]] == seen[:5]
    assert client.get(reverse("cases-api:case-list"), {"limit": 200}).json()["count"] == 13
    for limit in (0, 201, 2**63, "x"):
        refused = client.get(reverse("cases-api:case-list"), {"limit": limit})
        assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"limit"}, limit
    contacts = client.get(reverse("cases-api:contact-list"), {"limit": 2}).json()
    assert contacts["count"] == 0 and contacts["results"] == [] and contacts["next"] is None
    client.force_login(guangzhou_epi)  # another city: a cursor reveals nothing of Shenzhen's rows
    first = client.get(reverse("cases-api:case-list"), {"limit": 5}).json()
    assert first["results"] == []
    shenzhen_cursor = paging.page_of(selectors.case_list(user=shenzhen_epi), order=selectors.CASE_ORDERINGS["-reported"],
                                     ordering="-reported", size=5).next_cursor
    assert client.get(reverse("cases-api:case-list"), {"cursor": shenzhen_cursor}).json()["results"] == []
