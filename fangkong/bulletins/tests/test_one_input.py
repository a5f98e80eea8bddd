"""One input schema per action (issue 15): generating a report and moving it on read what is posted through
the same schema on the page and over the API (``bulletins/inputs.py``): the same careless input gets the
same refusal from both with nothing stored, the same good input the same report."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.bulletins.models import Bulletin
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db

GOOD = {"region": "440300", "date": "2022-03-10", "language": "zh-hans"}
CARELESS = [
    {},  # an empty form
    {**GOOD, "date": "2022-02-30"},
    {**GOOD, "date": ""},
    {**GOOD, "date": "1e400"},
    {**GOOD, "region": ""},
    {**GOOD, "language": "fr"},
    {key: value for key, value in GOOD.items() if key != "language"},
]


def _api_messages(response) -> list[str]:
    error = response.json()["error"]
    return [m for messages in error["fields"].values() for m in messages] or [error["message"]]


@pytest.mark.parametrize("body", CARELESS, ids=range(len(CARELESS)))
def test_a_careless_report_request_gets_the_same_refusal_on_the_page_and_the_api(client, shenzhen_epi, body):
    client.force_login(shenzhen_epi)
    page = client.post(reverse("bulletins:generate"), body)
    api = client.post(reverse("bulletins-api:bulletin-list"), body)  # the same form body
    assert page.status_code == api.status_code == 400
    said = page.context["message"]
    assert all(m in said for m in _api_messages(api)), (said, _api_messages(api))
    assert not Bulletin.objects.exists() and not AuditEvent.objects.filter(object_type="bulletins.bulletin").exists()


def test_the_same_report_from_the_page_and_the_api_and_a_step_posted_twice(client, shenzhen_epi, province_commander):
    client.force_login(shenzhen_epi)
    assert client.post(reverse("bulletins:generate"), GOOD).status_code == 302
    assert client.post(reverse("bulletins-api:bulletin-list"), GOOD).status_code == 201
    first, second = Bulletin.objects.order_by("version")
    assert (first.version, second.version) == (1, 2)
    def stored(bulletin):  # the time of computing aside, the same figures
        return (bulletin.region_id, bulletin.date, bulletin.language, bulletin.created_by_id, bulletin.status,
                {key: value for key, value in bulletin.content.items() if key != "computed_at"})

    assert stored(first) == stored(second)
    client.force_login(make_user("sz_epi_2", ("440300", Role.EPIDEMIOLOGIST)))
    page_url = reverse("bulletins:transition", kwargs={"bulletin_id": second.pk})
    api_url = reverse("bulletins-api:bulletin-transition", kwargs={"pk": second.pk})
    for body in ({}, {"to": "draft"}, {"to": "published"}):
        page, api = client.post(page_url, body), client.post(api_url, body)
        assert page.status_code == api.status_code == 400
        assert all(m in page.context["message"] for m in _api_messages(api))
    assert client.post(page_url, {"to": "reviewed"}).status_code == 302
    twice_page, twice_api = client.post(page_url, {"to": "reviewed"}), client.post(api_url, {"to": "reviewed"})
    assert twice_api.status_code == 409  # the page goes back to the report, saying the same
    assert str(list(get_messages(twice_page.wsgi_request))[-1]) == twice_api.json()["error"]["message"]
    second.refresh_from_db()
    assert second.status == "reviewed"
