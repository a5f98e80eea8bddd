"""Testing sites and their hours: drafted by one person, approved by another, scoped by county, a change a
new version; hours structured enough to say "08:00–20:00 daily" in both languages and whether the site is
open on the edition's day; page and API read the same schema and reach the same service."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.testing.builders import make_user

from .. import services
from ..models import TestingSite as Site
from ..render import hours_label
from .conftest import DAY

pytestmark = pytest.mark.django_db

SITE = {"region": "440304", "name_zh": "福田区人民医院核酸采样点", "name_en": "Futian People's Hospital testing site",
        "address_zh": "福田区福华路1号", "address_en": "1 Fuhua Road, Futian", "weekdays": [1, 2, 3, 4, 5, 6, 7],
        "opens_at": dt.time(8), "closes_at": dt.time(20), "services": ["nucleic_acid", "antigen"]}
FORM = {**SITE, "weekdays": ["1", "2", "3", "4", "5", "6", "7"], "opens_at": "08:00", "closes_at": "20:00",
        "status": "open"}


@pytest.fixture
def shenzhen_commander(db):
    return make_user("sz_commander", ("440300", Role.LOCAL_COMMANDER))


@pytest.fixture
def guangzhou_commander(db):
    return make_user("gz_commander", ("440100", Role.LOCAL_COMMANDER))


def _approved(drafter, approver, **changes) -> Site:
    return services.testing_site_approve(actor=approver, site=services.testing_site_create(
        actor=drafter, **{**SITE, **changes}))


@pytest.mark.parametrize(("days", "opens", "closes", "en", "zh"), [
    ([1, 2, 3, 4, 5, 6, 7], "08:00", "20:00", "08:00–20:00 daily", "每天 08:00—20:00"),
    ([1, 2, 3, 4, 5], "09:00", "17:00", "09:00–17:00, Monday to Friday", "周一至周五 09:00—17:00"),
    ([6, 7], "09:00", "17:00", "09:00–17:00, Saturday, Sunday", "周六、周日 09:00—17:00"),
    ([1, 3, 5], "07:30", "12:00", "07:30–12:00, Monday, Wednesday, Friday", "周一、周三、周五 07:30—12:00"),
    ([1, 2, 3, 4, 5, 6, 7], "00:00", "00:00", "24 hours daily", "每天 24小时"),
])
def test_the_hours_in_both_languages(days, opens, closes, en, zh):
    with translation.override("en"):
        assert hours_label(days, opens, closes) == en
    with translation.override("zh-hans"):
        assert hours_label(days, opens, closes) == zh


def test_a_county_drafts_its_own_and_another_person_approves(futian_commander, shenzhen_commander,
                                                              guangzhou_commander, analyst):
    site = services.testing_site_create(actor=futian_commander, **SITE)
    with pytest.raises(PermissionDenied):  # another county of the same city
        services.testing_site_create(actor=futian_commander, **{**SITE, "region": "440305"})
    with pytest.raises(PermissionDenied):  # read-only role
        services.testing_site_create(actor=analyst, **SITE)
    with pytest.raises(services.FourEyesError):
        services.testing_site_approve(actor=futian_commander, site=site)
    with pytest.raises(PermissionDenied):  # another city
        services.testing_site_approve(actor=guangzhou_commander, site=site)
    assert Site.objects.get().review == Site.Review.DRAFT
    services.testing_site_approve(actor=shenzhen_commander, site=site)
    assert Site.objects.get().approved_by == shenzhen_commander
    with pytest.raises(services.PublicationStateError):
        services.testing_site_approve(actor=shenzhen_commander, site=site)
    assert AuditEvent.objects.filter(object_type="public.testingsite").count() == 2


def test_a_site_is_a_county_of_this_public_site_with_sound_hours(futian_commander, province_commander):
    for region in ("440300", "440000", "450103", "440399"):
        with pytest.raises((ValidationError, PermissionDenied)):
            services.testing_site_create(actor=province_commander, **{**SITE, "region": region})
    for bad in ({"closes_at": dt.time(7)}, {"closes_at": dt.time(8)}, {"weekdays": []}, {"weekdays": [0, 8]},
                {"services": []}, {"services": ["vaccination"]}):
        with pytest.raises(ValidationError):
            services.testing_site_create(actor=futian_commander, **{**SITE, **bad})
    assert not Site.objects.exists()


def test_a_change_is_a_new_version_that_replaces_the_approved_one_when_approved(
        site, futian_commander, shenzhen_commander, province_commander, deputy):
    first = _approved(futian_commander, shenzhen_commander)
    change = services.testing_site_create(actor=futian_commander, **{**SITE, "opens_at": dt.time(9),
                                                                    "replaces": first.pk})
    publication = services.publication_prepare(actor=province_commander, day=DAY)
    assert [(t["id"], t["opens_at"]) for t in publication.snapshot["testing_sites"]] == [(first.pk, "08:00")]
    services.testing_site_approve(actor=shenzhen_commander, site=change)
    assert Site.objects.get(pk=first.pk).review == Site.Review.SUPERSEDED
    with pytest.raises(ValidationError):  # only an approved version can be replaced
        services.testing_site_create(actor=futian_commander, **{**SITE, "replaces": first.pk})
    publication = services.publication_prepare(actor=province_commander, day=DAY)
    assert [(t["id"], t["opens_at"]) for t in publication.snapshot["testing_sites"]] == [(change.pk, "09:00")]
    services.publication_publish(actor=deputy, publication=publication)
    page = (site["site"] / "testing-sites.html").read_text()
    assert "每天 09:00—20:00" in page and "08:00—20:00" not in page


def test_the_public_page_says_what_is_open_on_the_editions_day(site, futian_commander, shenzhen_commander,
                                                               province_commander, deputy):
    assert DAY.isoweekday() == 4  # a Thursday
    daily = _approved(futian_commander, shenzhen_commander)
    weekend = _approved(futian_commander, shenzhen_commander, name_zh="周末采样点", name_en="Weekend site",
                        weekdays=[6, 7], hours_note_zh="节假日照常。", hours_note_en="Open on public holidays too.")
    suspended = _approved(futian_commander, shenzhen_commander, name_zh="暂停采样点", name_en="Suspended site",
                          status=Site.Status.SUSPENDED)
    services.publication_publish(actor=deputy, publication=services.publication_prepare(actor=province_commander,
                                                                                         day=DAY))
    zh = (site["site"] / "testing-sites.html").read_text()
    en = (site["site"] / "en" / "testing-sites.html").read_text()

    def item(page: str, pk: int) -> str:
        return page.split(f'data-testing-site="{pk}"')[1].split("</li>")[0]

    assert "每天 08:00—20:00" in item(zh, daily.pk) and "2022-03-17开放" in item(zh, daily.pk)
    assert "核酸采样、抗原检测" in item(zh, daily.pk) and "深圳市 · 福田区" in zh
    assert "周六、周日 08:00—20:00" in item(zh, weekend.pk) and "2022-03-17不开放" in item(zh, weekend.pk)
    assert "节假日照常。" in item(zh, weekend.pk)
    assert "暂停服务" in item(zh, suspended.pk)
    assert "08:00–20:00 daily" in item(en, daily.pk) and "Open on 2022-03-17" in item(en, daily.pk)
    assert "Nucleic-acid sampling, Antigen test" in item(en, daily.pk)
    assert "Not open on 2022-03-17" in item(en, weekend.pk) and "Suspended" in item(en, suspended.pk)
    assert "深圳市疫情防控指挥部" in item(zh, daily.pk)  # approved by the city's headquarters
    assert "1 个核酸采样点于2022-03-17开放" in (site["site"] / "index.html").read_text()
    data = json.loads((site["site"] / "data" / "testing-sites.json").read_text())
    assert data["day"] == "2022-03-17" and [t["id"] for t in data["testing_sites"]] == \
        [weekend.pk, daily.pk, suspended.pk]  # by county, open first, then by name
    rows = list(csv.DictReader(io.StringIO((site["site"] / "data" / "testing-sites.csv").read_text("utf-8-sig"))))
    assert rows[1]["weekdays"] == "1, 2, 3, 4, 5, 6, 7" and rows[1]["opens_at"] == "08:00"


def test_the_page_and_the_api_read_one_schema_and_reach_one_service(client, futian_commander, shenzhen_commander):
    client.force_login(futian_commander)
    assert client.get("/public/manage/testing-sites/new/").status_code == 200
    assert client.post("/public/manage/testing-sites/new/", FORM).status_code == 302
    bad = client.post("/public/manage/testing-sites/new/", {**FORM, "closes_at": "07:00"})
    assert bad.status_code == 400 and 'name="closes_at"' in bad.content.decode()
    elsewhere = client.post("/public/manage/testing-sites/new/", {**FORM, "region": "440305"})
    assert elsewhere.status_code == 403
    created = client.post("/api/v1/public-testing-sites/", {**FORM, "weekdays": [1, 2, 3, 4, 5, 6, 7]},
                          content_type="application/json")
    assert created.status_code == 201, created.content
    refused = client.post("/api/v1/public-testing-sites/", {**FORM, "closes_at": "07:00"},
                          content_type="application/json")
    assert refused.status_code == 400 and "closes_at" in refused.json()["error"]["fields"]
    by_page, by_api = Site.objects.order_by("pk")
    fields = ("region_id", "name_zh", "name_en", "address_zh", "address_en", "weekdays", "opens_at", "closes_at",
              "services", "status", "hours_note_zh", "hours_note_en")
    assert [getattr(by_page, f) for f in fields] == [getattr(by_api, f) for f in fields]
    # a change through the page: the form filled in from the approved version
    services.testing_site_approve(actor=shenzhen_commander, site=by_page)
    form = client.get(f"/public/manage/testing-sites/new/?replaces={by_page.pk}").content.decode()
    assert f'name="replaces" value="{by_page.pk}"' in form and SITE["address_zh"] in form
    for bad in ("x", "-1", "1.5"):  # a declared parameter: refused, not ignored
        assert client.get(f"/public/manage/testing-sites/new/?replaces={bad}").status_code == 400
    kept = client.post("/public/manage/testing-sites/new/", {**FORM, "weekdays": ["2", "4"], "closes_at": "07:00"})
    ticked = [day for day, _label, on in kept.context["weekdays"] if on]
    assert kept.status_code == 400 and ticked == ["2", "4"]  # the ticks shown again, as posted
    assert client.post("/public/manage/testing-sites/new/", {**FORM, "replaces": by_page.pk,
                                                            "closes_at": "18:00"}).status_code == 302
    assert Site.objects.latest("pk").replaces_id == by_page.pk
    client.force_login(shenzhen_commander)
    manage = client.get("/public/manage/").content.decode()
    assert f'action="/public/manage/testing-sites/{by_api.pk}/approve/"' in manage
    assert client.post(f"/public/manage/testing-sites/{by_api.pk}/approve/").status_code == 302
    assert Site.objects.get(pk=by_api.pk).review == Site.Review.APPROVED
