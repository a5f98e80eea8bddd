"""The bulletins API: generate, read, move on; denied paths change nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fangkong.accounts.roles import Role
from fangkong.bulletins.models import Bulletin
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db


def test_generate_review_approve_over_the_api(client, province_commander, shenzhen_epi):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages asserted below are the English ones
    client.force_login(shenzhen_epi)
    created = client.post(reverse("bulletins-api:bulletin-list"),
                          {"region": "440300", "date": "2022-03-10", "language": "en"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["version"] == 1
    pk = created.json()["id"]
    assert "From 0:00 to 24:00 on 10 March 2022" in created.json()["html"]
    url = reverse("bulletins-api:bulletin-transition", kwargs={"pk": pk})
    # four eyes: the drafter may not review its own report
    own = client.post(url, {"to": "reviewed"}, content_type="application/json")
    assert own.status_code == 403 and "four eyes" in own.json()["error"]["message"]
    assert Bulletin.objects.get(pk=pk).status == "draft"
    client.force_login(make_user("sz_epi_2", ("440300", Role.EPIDEMIOLOGIST)))
    assert client.post(url, {"to": "reviewed"}, content_type="application/json").json()["status"] == "reviewed"
    refused = client.post(url, {"to": "approved"}, content_type="application/json")
    assert refused.status_code == 403 and Bulletin.objects.get(pk=pk).status == "reviewed"
    client.force_login(province_commander)
    assert client.post(url, {"to": "approved"}, content_type="application/json").json()["status"] == "approved"
    again = client.post(url, {"to": "approved"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    listed = client.get(reverse("bulletins-api:bulletin-list"), {"region": "440300"}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [b["id"] for b in rows] == [pk]


def test_generate_outside_the_scope_is_not_found(client, guangzhou_epi):
    client.force_login(guangzhou_epi)
    response = client.post(reverse("bulletins-api:bulletin-list"),
                           {"region": "440300", "date": "2022-03-10", "language": "zh-hans"},
                           content_type="application/json")
    assert response.status_code == 404 and not Bulletin.objects.exists()
