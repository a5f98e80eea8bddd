"""The follow-up pages and API: the worker's day list of their region, a check recorded in one step from
the page and from the API with one schema (same refusals, nothing changed), the overdue list, the counts;
who may open what (need to know) and the denied paths (another city, a role without the capability)."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from fangkong.inputs import validate_row
from fangkong.testing.builders import make_user

from ..inputs import CheckInput
from ..models import HealthCheck, Subject
from ..services import followups_sweep, health_check_record
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


def _post(subject, **fields):
    return {"subject": subject.pk, "day": timezone.localdate().isoformat(), "slot": "morning",
            "temperature": "36.6", **fields}


def test_the_day_list_shows_the_regions_persons_with_their_next_slot(client, shenzhen_epi, guangzhou_epi):
    contact, subject = managed_contact(shenzhen_epi, name="随访页甲")
    client.force_login(shenzhen_epi)
    page = client.get("/followup/")
    text = page.content.decode()
    assert page.status_code == 200 and "随访页甲" in text and f'data-subject="{subject.pk}"' in text
    assert 'name="slot"' in text and 'value="morning" selected' in text
    api = client.get("/api/v1/followup/due/").json()
    [row] = api["results"]
    assert (row["id"], row["name"], row["open_slots"]) == (subject.pk, "随访页甲", ["morning", "evening"])
    client.force_login(guangzhou_epi)
    assert "随访页甲" not in client.get("/followup/").content.decode()
    assert client.get("/api/v1/followup/due/").json()["results"] == []
    assert client.get(f"/followup/subjects/{subject.pk}/").status_code == 404


def test_the_day_list_is_paged_with_the_projects_cursors(client, shenzhen_epi, monkeypatch):
    """A phone shows one page of cards (``PAGE``), the pager's cursor the next ones, each person once."""
    from fangkong.followup import views

    monkeypatch.setattr(views, "PAGE", 2)
    subjects = [managed_contact(shenzhen_epi, name=n)[1] for n in "甲乙丙"]
    client.force_login(shenzhen_epi)
    first = client.get("/followup/").content.decode()
    following = re.search(r'href="(\?[^"]*cursor=[^"]+)" rel="next"', first)
    assert first.count("data-subject=") == 2 and following
    second = client.get("/followup/" + html.unescape(following.group(1))).content.decode()
    assert second.count("data-subject=") == 1 and 'rel="next"' not in second
    shown = re.findall(r'data-subject="(\d+)"', first + second)
    assert sorted(map(int, shown)) == sorted(s.pk for s in subjects)
    assert client.get("/followup/", {"cursor": "forged"}).status_code == 400


def test_page_api_and_import_row_record_the_same_check(client, shenzhen_epi):
    subjects = [managed_contact(shenzhen_epi, name=n)[1] for n in "甲乙丙"]
    client.force_login(shenzhen_epi)
    page = client.post(f"/followup/subjects/{subjects[0].pk}/check/",
                       {**_post(subjects[0], temperature=" 37.5 "), "symptoms": ["cough", "fatigue"], "next": "/followup/"})
    assert page.status_code == 302 and page["Location"] == "/followup/"
    api = client.post("/api/v1/followup/checks/", {**_post(subjects[1], temperature="37.5"),
                                                   "symptoms": ["fatigue", "cough"]}, content_type="application/json")
    assert api.status_code == 201 and api.json()["outcome"] == "symptomatic"
    data, errors = validate_row(CheckInput, {**_post(subjects[2], temperature="37.5"), "symptoms": ["cough", "fatigue"]})
    assert errors == {}
    data.pop("subject")
    health_check_record(actor=shenzhen_epi, subject=subjects[2], **data)
    rows = list(HealthCheck.objects.order_by("subject_id").values_list("temperature", "symptoms", "outcome", "checked_by"))
    assert rows == [(Decimal("37.5"), ["cough", "fatigue"], "symptomatic", shenzhen_epi.pk)] * 3


def test_bad_checks_are_refused_alike_by_page_and_api_and_change_nothing(client, shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi)
    client.force_login(shenzhen_epi)
    for fields, field in (({"temperature": "45"}, "temperature"), ({"day": days_ago(30).isoformat()}, "day")):
        page = client.post(f"/followup/subjects/{subject.pk}/check/", _post(subject, **fields))
        api = client.post("/api/v1/followup/checks/", _post(subject, **fields), content_type="application/json")
        assert page.status_code == api.status_code == 400
        assert field in api.json()["error"]["fields"]
        assert 'aria-invalid="true"' in page.content.decode()
    assert client.post("/api/v1/followup/checks/", _post(subject), content_type="application/json").status_code == 201
    again = client.post("/api/v1/followup/checks/", _post(subject), content_type="application/json")
    assert again.status_code == 400 and set(again.json()["error"]["fields"]) == {"reason"}
    assert HealthCheck.objects.count() == 1


def test_other_region_and_roles_without_the_capability_are_refused(client, shenzhen_epi, guangzhou_epi, analyst):
    _contact, subject = managed_contact(shenzhen_epi)
    inspector = make_user("fu_inspector", ("440300", "inspector"))
    client.force_login(guangzhou_epi)  # another city: the person does not exist for them
    assert client.post(f"/followup/subjects/{subject.pk}/check/", _post(subject)).status_code == 404
    assert client.post("/api/v1/followup/checks/", _post(subject), content_type="application/json").status_code == 404
    for user in (analyst, inspector):  # no named data: the lists and the form are closed
        client.force_login(user)
        for url in ("/followup/", "/followup/overdue/", f"/followup/subjects/{subject.pk}/",
                    "/api/v1/followup/due/", "/api/v1/followup/overdue/"):
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(f"/followup/subjects/{subject.pk}/check/", _post(subject)).status_code == 403
        assert client.post("/api/v1/followup/checks/", _post(subject), content_type="application/json").status_code == 403
    client.force_login(inspector)  # aggregates: the counts only
    assert client.get("/api/v1/followup/counts/").json()["due"] == 1
    assert HealthCheck.objects.count() == 0


def test_the_overdue_list_and_the_suspected_case_from_the_page(client, shenzhen_epi):
    _c1, silent = managed_contact(shenzhen_epi, name="漏检者", listed=days_ago(3))
    _c2, feverish = managed_contact(shenzhen_epi, name="发热者", listed=days_ago(3))
    health_check_record(actor=shenzhen_epi, subject=feverish, day=days_ago(1), slot="morning",
                        temperature=Decimal("38.4"))
    followups_sweep(day=days_ago(1))
    client.force_login(shenzhen_epi)
    text = client.get("/followup/overdue/").content.decode()
    assert "漏检者" in text and "发热者" in text
    overdue = client.get("/api/v1/followup/overdue/").json()
    assert [s["name"] for s in overdue["symptomatic"]] == ["发热者"]
    assert {m["subject"]["name"] for m in overdue["missed"]} == {"漏检者", "发热者"}
    detail = client.get(f"/followup/subjects/{feverish.pk}/").content.decode()
    assert "data-strip" in detail and f"/followup/subjects/{feverish.pk}/suspected/" in detail
    assert client.post(f"/followup/subjects/{silent.pk}/suspected/").status_code == 302  # refused: no symptom
    assert Subject.objects.get(pk=silent.pk).status == "active"
    assert client.post(f"/followup/subjects/{feverish.pk}/suspected/").status_code == 302
    feverish.refresh_from_db()
    assert feverish.status == "converted" and feverish.outcome_ref


def test_a_test_sample_and_result_from_the_page(client, shenzhen_epi, guangzhou_epi):
    _contact, subject = managed_contact(shenzhen_epi)
    test = subject.tests.order_by("due_date").first()
    client.force_login(guangzhou_epi)
    assert client.post(f"/followup/tests/{test.pk}/sample/", {"taken_on": test.due_date.isoformat()}).status_code == 404
    client.force_login(shenzhen_epi)
    client.post(f"/followup/tests/{test.pk}/sample/", {"taken_on": test.due_date.isoformat(), "result": "negative"})
    test.refresh_from_db()
    assert (test.status, test.result) == ("taken", "negative")


CARELESS_CHECKS = [
    {"subject": None},  # an empty form (but for the person)
    {"day": "2022-02-30"},
    {"day": ""},
    {"temperature": "1e400"},
    {"temperature": "nan"},
    {"temperature": ""},  # a check that was possible needs its temperature
    {"slot": "midnight"},
    {"symptoms": ["cough", "hiccups"]},
    {"not_possible": "true", "temperature": ""},  # not possible, and no reason given
]


@pytest.mark.parametrize("fields", CARELESS_CHECKS, ids=range(len(CARELESS_CHECKS)))
def test_a_careless_check_gets_the_same_refusal_from_page_and_api_and_changes_nothing(client, shenzhen_epi, fields):
    _contact, subject = managed_contact(shenzhen_epi)
    client.force_login(shenzhen_epi)
    body = {"subject": subject.pk} if fields == {"subject": None} else _post(subject, **fields)
    page = client.post(f"/followup/subjects/{subject.pk}/check/", body)
    api = client.post("/api/v1/followup/checks/", body)  # the same form body
    assert page.status_code == api.status_code == 400
    assert page.context["form"].errors == api.json()["error"]["fields"]
    assert not HealthCheck.objects.exists()


def test_a_check_posted_twice_is_refused_the_second_time_alike(client, shenzhen_epi):
    _contact, subject = managed_contact(shenzhen_epi)
    client.force_login(shenzhen_epi)
    body = {**_post(subject, temperature="37.5"), "symptoms": ["cough"]}
    assert client.post(f"/followup/subjects/{subject.pk}/check/", body).status_code == 302
    page = client.post(f"/followup/subjects/{subject.pk}/check/", body)
    api = client.post("/api/v1/followup/checks/", body)
    assert page.status_code == api.status_code == 400
    assert page.context["form"].errors == api.json()["error"]["fields"]
    assert page.context["checked"] == ["cough"]  # the ticked boxes shown again
    assert HealthCheck.objects.count() == 1


def test_the_lists_open_on_the_headers_day_when_somebody_was_under_management_then(client, shenzhen_epi):
    """The header's day (the last day with data, every page's) inside a period: the day list opens there, as
    the other pages do, not on the period's last day, which nobody has recorded yet (the demo's contacts were
    listed up to the scenario's last day and their periods run on after it)."""
    import datetime as dt

    from fangkong.cases.tests.builders import make_case

    from .builders import managed_contact

    _contact, subject = managed_contact(shenzhen_epi, listed=dt.date(2022, 7, 10), name="培训")
    make_case(shenzhen_epi, region="440304", day="2022-07-12", name="同期病例")
    assert subject.first_day <= dt.date(2022, 7, 12) < subject.last_day
    client.force_login(shenzhen_epi)
    page = client.get("/followup/").content.decode()
    assert "2022-07-12" in page and f'data-subject="{subject.pk}"' in page
    assert subject.last_day.isoformat() not in page.split("<main", 1)[1].split("</h1>", 1)[0]


def test_the_lists_open_on_the_users_day_not_on_an_empty_today(client, shenzhen_epi):
    """A training installation on 2022's data: with nobody under management today and no day chosen, the day
    list opens on the last day somebody in the user's area was (not on an empty today, though a case was
    reported today); a day asked becomes the user's day for the next pages, as on every page."""
    import datetime as dt

    from fangkong.cases.tests.builders import make_case

    from .builders import managed_contact

    _contact, subject = managed_contact(shenzhen_epi, listed=dt.date(2022, 7, 10), name="培训")
    # another module's demo reports a case of these days (yesterday: 9:00 today may lie ahead when the test
    # runs just after midnight): the platform's last day with data is now, not 2022
    make_case(shenzhen_epi, region="440304", day=(timezone.localdate() - dt.timedelta(days=1)).isoformat(),
              name="近日病例")
    client.force_login(shenzhen_epi)
    page = client.get("/followup/").content.decode()
    last = subject.last_day.isoformat()
    assert last in page and f'data-subject="{subject.pk}"' in page
    client.get("/followup/?day=2022-07-14")
    page = client.get("/followup/").content.decode()
    assert "2022-07-14" in page and f'data-subject="{subject.pk}"' in page
    # the day the user chose holds on the follow-up pages as on the others
    assert "2022-07-14" in client.get("/followup/sites/").content.decode()
    # a day outside the person's period lists nobody
    assert f'data-subject="{subject.pk}"' not in client.get("/followup/?day=2022-07-30").content.decode()
