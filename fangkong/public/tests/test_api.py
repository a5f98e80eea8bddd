"""The public module's API: notices, testing sites and editions through the same services and schemas as
the pages — capability-gated, region-scoped, four eyes, audited. Denied paths are tested as carefully as
the allowed ones, and each leaves the records as they were."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.testing.builders import make_user

from .. import services
from ..models import Notice, Publication
from ..models import TestingSite as Site

pytestmark = pytest.mark.django_db

NOTICE = {"region": "440304", "title_zh": "关于核酸检测的通告", "title_en": "Notice on testing",
          "body_zh": "请于3月18日前完成核酸检测。", "body_en": "Please be tested by 18 March."}
SITE = {"region": "440304", "name_zh": "福田区核酸采样点", "name_en": "Futian testing site", "address_zh": "福华路1号",
        "address_en": "1 Fuhua Road", "weekdays": [1, 2, 3, 4, 5], "opens_at": "08:00", "closes_at": "20:00",
        "services": ["nucleic_acid", "antigen"]}


def _rows(response) -> list[dict]:
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def shenzhen_commander(db):
    return make_user("sz_commander", ("440300", Role.LOCAL_COMMANDER))


@pytest.fixture
def guangzhou_commander(db):
    return make_user("gz_commander", ("440100", Role.LOCAL_COMMANDER))


def test_a_notice_drafted_and_approved_over_the_api(english, futian_commander, shenzhen_commander):
    client = english
    client.force_login(futian_commander)
    created = client.post(reverse("public-api:notice-list"), NOTICE, content_type="application/json")
    assert created.status_code == 201 and created.json()["status"] == "draft"
    pk = created.json()["id"]
    assert created.json()["created_by"] == "futian_commander"
    transition = reverse("public-api:notice-transition", kwargs={"pk": pk})
    own = client.post(transition, {"to": "approved"}, content_type="application/json")  # four eyes
    assert own.status_code == 403 and "four eyes" in own.json()["error"]["message"]
    assert Notice.objects.get(pk=pk).status == Notice.Status.DRAFT
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCESS_REFUSED, actor=futian_commander).exists()
    client.force_login(shenzhen_commander)
    approved = client.post(transition, {"to": "approved"}, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "sz_commander"
    again = client.post(transition, {"to": "approved"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    assert [n["id"] for n in _rows(client.get(reverse("public-api:notice-list")))] == [pk]
    assert client.get(reverse("public-api:notice-detail", kwargs={"pk": pk})).json()["title_zh"] == NOTICE["title_zh"]
    events = AuditEvent.objects.filter(object_type="public.notice", object_id=str(pk))
    assert {(e.actor.username, e.action) for e in events} == {("futian_commander", AuditEvent.Action.CREATE),
                                                               ("sz_commander", AuditEvent.Action.UPDATE)}


def test_the_api_refuses_what_the_page_refuses(english, futian_commander, province_epi):
    client = english
    client.force_login(futian_commander)
    url = reverse("public-api:notice-list")
    spam = client.post(url, {**NOTICE, "body_zh": "亚洲一区免费视频"}, content_type="application/json")
    assert spam.status_code == 400 and "body_zh" in spam.json()["error"]["fields"]
    too_long = client.post(url, {**NOTICE, "title_zh": "通" * 121}, content_type="application/json")
    assert too_long.status_code == 400 and "title_zh" in too_long.json()["error"]["fields"]
    elsewhere = client.post(url, {**NOTICE, "region": "440305"}, content_type="application/json")
    assert elsewhere.status_code == 403
    assert not Notice.objects.exists()
    # an epidemiologist may draft but not approve
    client.force_login(province_epi)
    pk = client.post(url, {**NOTICE, "region": "440000"}, content_type="application/json").json()["id"]
    refused = client.post(reverse("public-api:notice-transition", kwargs={"pk": pk}), {"to": "approved"},
                          content_type="application/json")
    assert refused.status_code == 403 and Notice.objects.get(pk=pk).status == Notice.Status.DRAFT


def test_another_citys_notice_is_not_found_over_the_api(english, futian_commander, guangzhou_commander):
    notice = services.notice_create(actor=futian_commander, **NOTICE)
    client = english
    client.force_login(guangzhou_commander)
    assert _rows(client.get(reverse("public-api:notice-list"))) == []
    assert client.get(reverse("public-api:notice-detail", kwargs={"pk": notice.pk})).status_code == 404
    for to in ("approved", "withdrawn"):
        response = client.post(reverse("public-api:notice-transition", kwargs={"pk": notice.pk}), {"to": to},
                               content_type="application/json")
        assert response.status_code == 404
    assert Notice.objects.get().status == Notice.Status.DRAFT


def test_unauthenticated_calls_are_refused(english, futian_commander):
    notice = services.notice_create(actor=futian_commander, **NOTICE)
    client = english
    calls = [("get", reverse("public-api:notice-list"), None),
             ("get", reverse("public-api:notice-detail", kwargs={"pk": notice.pk}), None),
             ("post", reverse("public-api:notice-list"), NOTICE),
             ("post", reverse("public-api:notice-transition", kwargs={"pk": notice.pk}), {"to": "approved"}),
             ("get", reverse("public-api:testing-site-list"), None),
             ("post", reverse("public-api:testing-site-list"), SITE),
             ("get", reverse("public-api:edition-list"), None),
             ("post", reverse("public-api:edition-list"), {}),
             ("post", reverse("public-api:edition-publish", kwargs={"pk": 1}), {})]
    for method, url, data in calls:
        response = getattr(client, method)(url, data, content_type="application/json") if data is not None \
            else getattr(client, method)(url)
        assert response.status_code in (401, 403), (method, url, response.status_code)
    assert Notice.objects.get().status == Notice.Status.DRAFT and not Publication.objects.exists()
    assert Notice.objects.count() == 1 and not Site.objects.exists()


def test_editions_prepared_and_published_over_the_api(english, site, province_commander, deputy, analyst,
                                                      approved_bulletins):
    client = english
    client.force_login(analyst)
    assert client.post(reverse("public-api:edition-list"), {}, content_type="application/json").status_code == 403
    client.force_login(province_commander)
    prepared = client.post(reverse("public-api:edition-list"), {}, content_type="application/json")
    assert prepared.status_code == 201 and prepared.json()["status"] == "prepared"
    pk = prepared.json()["id"]
    assert [b["id"] for b in prepared.json()["snapshot"]["bulletins"]] == [b.pk for b in approved_bulletins]
    publish = reverse("public-api:edition-publish", kwargs={"pk": pk})
    own = client.post(publish, content_type="application/json")  # the preparer alone: four eyes
    assert own.status_code == 403 and not site["site"].exists()
    assert Publication.objects.get().status == Publication.Status.PREPARED
    client.force_login(deputy)
    published = client.post(publish, content_type="application/json")
    assert published.status_code == 200 and published.json()["serial"] == 1
    assert published.json()["manifest_sha256"] == Publication.objects.get().manifest_sha256
    assert (site["site"] / "index.html").exists()
    assert client.post(publish, content_type="application/json").status_code == 409
    listed = _rows(client.get(reverse("public-api:edition-list")))
    assert [(e["id"], e["status"], e["serial"]) for e in listed] == [(pk, "published", 1)]
    assert AuditEvent.objects.filter(object_type="public.publication", actor=deputy, detail__serial=1).exists()


def test_another_citys_edition_is_not_found_over_the_api(english, site, shenzhen_epi, guangzhou_commander):
    edition = Publication.objects.create(region_id="440300", snapshot={}, snapshot_sha256="0" * 64,
                                         prepared_by=shenzhen_epi)
    client = english
    client.force_login(guangzhou_commander)
    assert _rows(client.get(reverse("public-api:edition-list"))) == []
    assert client.get(reverse("public-api:edition-detail", kwargs={"pk": edition.pk})).status_code == 404
    assert client.post(reverse("public-api:edition-publish", kwargs={"pk": edition.pk}),
                       content_type="application/json").status_code == 404
    assert Publication.objects.get().status == Publication.Status.PREPARED and not site["site"].exists()


def test_testing_sites_over_the_api(english, futian_commander, shenzhen_commander, guangzhou_commander):
    client = english
    client.force_login(futian_commander)
    url = reverse("public-api:testing-site-list")
    assert client.post(url, {**SITE, "region": "440305"}, content_type="application/json").status_code == 403
    created = client.post(url, SITE, content_type="application/json")
    assert created.status_code == 201 and created.json()["weekdays"] == [1, 2, 3, 4, 5]
    pk = created.json()["id"]
    transition = reverse("public-api:testing-site-transition", kwargs={"pk": pk})
    assert client.post(transition, {"to": "approved"}, content_type="application/json").status_code == 403
    client.force_login(guangzhou_commander)
    assert client.post(transition, {"to": "approved"}, content_type="application/json").status_code == 404
    assert Site.objects.get().review == Site.Review.DRAFT
    client.force_login(shenzhen_commander)
    approved = client.post(transition, {"to": "approved"}, content_type="application/json")
    assert approved.status_code == 200 and approved.json()["review"] == "approved"
    change = client.post(url, {**SITE, "closes_at": "18:00", "replaces": pk}, content_type="application/json")
    assert change.status_code == 201 and change.json()["replaces"] == pk
