"""Publishing: only approved records, four eyes at every step, deterministic files, a signed manifest whose
key stays outside the site; notices drafted and approved through the page."""

from __future__ import annotations

import csv
import html
import io
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.bulletins import services as bulletin_services
from fangkong.cases.models import RiskArea

from .. import conf, services, signing
from ..models import Notice, Publication
from .conftest import DAY

pytestmark = pytest.mark.django_db

NOTICE = {"region": "440000", "title_zh": "关于核酸检测的通告", "title_en": "Notice on nucleic acid testing",
          "body_zh": "请于3月18日前完成核酸检测。\n检测免费。", "body_en": "Please be tested by 18 March.\nTesting is free."}


def _tree(base, *, edition: bool = True) -> dict[str, bytes]:
    """The files under ``base``; without the edition record (which publication: its number and time) if asked."""
    left_out = () if edition else (signing.EDITION, signing.EDITION_SIGNATURE)
    files = {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}
    return {path: body for path, body in files.items() if path not in left_out}


def _published(actor, publisher, **kwargs) -> Publication:
    return services.publication_publish(actor=publisher, publication=services.publication_prepare(actor=actor, **kwargs))


def test_a_notice_needs_another_person_to_approve_it(province_epi, province_commander):
    notice = services.notice_create(actor=province_epi, **NOTICE)
    with pytest.raises(PermissionDenied) as refused:
        services.notice_approve(actor=province_epi, notice=notice)  # the epidemiologist may not approve at all
    assert not isinstance(refused.value, services.FourEyesError)
    notice_by_commander = services.notice_create(actor=province_commander, **NOTICE)
    with pytest.raises(services.FourEyesError):
        services.notice_approve(actor=province_commander, notice=notice_by_commander)
    assert Notice.objects.filter(status=Notice.Status.APPROVED).count() == 0
    services.notice_approve(actor=province_commander, notice=notice)
    assert Notice.objects.get(pk=notice.pk).approved_by == province_commander


def test_the_preparer_may_not_publish_alone(site, province_commander, deputy, approved_bulletins):
    publication = services.publication_prepare(actor=province_commander)
    with pytest.raises(services.FourEyesError):
        services.publication_publish(actor=province_commander, publication=publication)
    assert not site["site"].exists() and Publication.objects.get().status == Publication.Status.PREPARED
    services.publication_publish(actor=deputy, publication=publication)
    assert (site["site"] / "index.html").exists()
    with pytest.raises(services.PublicationStateError):  # published once only
        services.publication_publish(actor=deputy, publication=Publication.objects.get())


def test_unapproved_records_are_refused_and_never_published(site, province_epi, province_commander, deputy,
                                                            approved_bulletins):
    draft = bulletin_services.bulletin_generate(actor=province_epi, region_code="440000", day=DAY, language="en")
    notice = services.notice_create(actor=province_epi, **NOTICE)
    with pytest.raises(ValidationError) as refused:
        services.publication_prepare(actor=province_commander, bulletin_ids=[draft.pk])
    assert str(draft.pk) in str(refused.value)
    with pytest.raises(ValidationError):
        services.publication_prepare(actor=province_commander, notice_ids=[notice.pk])
    assert Publication.objects.count() == 0
    publication = _published(province_commander, deputy)  # all approved content: the draft is not in it
    assert [b["id"] for b in publication.snapshot["bulletins"]] == [b.pk for b in approved_bulletins]
    assert publication.snapshot["notices"] == []
    assert NOTICE["title_zh"] not in (site["site"] / "notices.html").read_text()


def test_who_may_prepare_and_publish(site, province_epi, shenzhen_epi, analyst, futian_commander):
    for actor in (province_epi, shenzhen_epi, analyst, futian_commander):
        with pytest.raises(PermissionDenied):
            services.publication_prepare(actor=actor)
    assert Publication.objects.count() == 0


def test_the_same_approved_records_give_the_same_files_and_hashes(site, province_commander, deputy, province_epi,
                                                                  approved_bulletins):
    notice = services.notice_create(actor=province_epi, **NOTICE)
    services.notice_approve(actor=province_commander, notice=notice)
    first = _published(province_commander, deputy)
    files_first = _tree(site["site"], edition=False)
    second = _published(deputy, province_commander)
    assert first.manifest_sha256 == second.manifest_sha256 and first.snapshot_sha256 == second.snapshot_sha256
    # every page, dataset, asset, the manifest and its signature byte-identical; only the edition record
    # (which publication it is: number 2, published later) is new
    assert _tree(site["site"], edition=False) == files_first == _tree(site["snapshot"], edition=False)
    assert (first.serial, second.serial) == (1, 2)
    key = signing.public_key_load(conf.verify_key_path())
    edition = signing.edition_verify(key, (site["site"] / signing.EDITION).read_bytes(),
                                     (site["site"] / signing.EDITION_SIGNATURE).read_bytes())
    assert edition.serial == 2 and edition.manifest_sha256 == second.manifest_sha256
    assert Publication.objects.get(pk=first.pk).status == Publication.Status.SUPERSEDED
    # a change of approved content changes the edition
    services.notice_withdraw(actor=province_commander, notice=notice)
    third = _published(province_commander, deputy)
    assert third.manifest_sha256 != first.manifest_sha256


def test_the_manifest_lists_every_file_and_is_signed_with_the_key_outside_the_site(site, province_commander, deputy,
                                                                                    approved_bulletins):
    publication = _published(province_commander, deputy)
    files = _tree(site["site"])
    manifest = signing.manifest_verify(signing.public_key_load(conf.verify_key_path()),
                                       files["manifest.json"], files["manifest.sig"])
    assert manifest is not None
    assert set(manifest.files) | set(signing.SIGNED_SELF) == set(files)
    assert all(signing.sha256(files[p]) == h for p, h in manifest.files.items())
    assert signing.sha256(files["manifest.json"]) == publication.manifest_sha256
    assert not any(b"PRIVATE KEY" in body for body in files.values())
    assert site["key"].parent not in site["site"].parents
    assert files["public-key.pem"] == site["key"].with_name("signing.pem.pub").read_bytes()
    assert {"index.html", "en/index.html", "bulletins.html", "en/risk-areas.html", "rules.html", "notices.html",
            "data/bulletins.json", "data/bulletins.csv", "data/risk-areas.csv", "assets/site.css"} <= set(files)
    event = AuditEvent.objects.filter(object_type="public.publication", detail__to="published").get()
    assert event.detail["manifest_sha256"] == publication.manifest_sha256


def test_pages_json_and_csv_carry_the_approved_text(site, province_commander, deputy, approved_bulletins):
    _published(province_commander, deputy)
    zh, en = approved_bulletins
    paragraphs_zh = services.report_text(zh.html)["paragraphs"]
    assert paragraphs_zh and paragraphs_zh[0].startswith("3月17日0—24时，全省新增本土确诊病例")
    page = (site["site"] / "bulletins.html").read_text()
    assert all(p in page for p in paragraphs_zh) and '<html lang="zh-Hans">' in page
    assert all(p in html.unescape((site["site"] / "en" / "bulletins.html").read_text())
               for p in services.report_text(en.html)["paragraphs"])
    data = json.loads((site["site"] / "data" / "bulletins.json").read_text())
    assert [b["paragraphs"] for b in data["bulletins"] if b["language"] == "zh-hans"] == [paragraphs_zh]
    rows = list(csv.DictReader(io.StringIO((site["site"] / "data" / "bulletins.csv").read_text(encoding="utf-8-sig"))))
    assert [r["paragraphs"].split("\n") for r in rows if r["language"] == "zh-hans"] == [paragraphs_zh]
    assert "广东省疫情防控指挥部" in page  # approved by whom: the headquarters, never a person's own name
    assert province_commander.display_name not in page if province_commander.display_name else True


def test_risk_areas_in_force_with_their_lifting_dates(site, province_commander, deputy):
    RiskArea.objects.create(region_id="440304", kind=RiskArea.Kind.COMPOUND, area_name="福田区某小区", address="福华路1号",
                            level=RiskArea.Level.HIGH, designated_from=DAY)
    RiskArea.objects.create(region_id="440304", area_name="已解除", level=RiskArea.Level.HIGH, designated_from=DAY,
                            lifted_on=DAY)
    publication = _published(province_commander, deputy, day=DAY)
    [area] = publication.snapshot["risk_areas"]
    assert area["area_name"] == "福田区某小区" and area["lift_on"] > DAY.isoformat()
    page = (site["site"] / "risk-areas.html").read_text()
    assert "福田区某小区" in page and area["lift_on"] in page and "已解除" not in page
    assert publication.snapshot["rules"]["code"]


def test_notice_page_drafts_and_another_commander_approves(client, site, province_epi, province_commander):
    client.force_login(province_epi)
    assert client.post("/public/manage/notices/new/", NOTICE).status_code == 302
    notice = Notice.objects.get()
    assert client.post(f"/public/manage/notices/{notice.pk}/approve/").status_code == 403  # no capability
    bad = client.post("/public/manage/notices/new/", {**NOTICE, "title_zh": ""})
    assert bad.status_code == 400 and Notice.objects.count() == 1
    client.force_login(province_commander)
    assert client.post(f"/public/manage/notices/{notice.pk}/approve/").status_code == 302
    assert Notice.objects.get().status == Notice.Status.APPROVED
    page = client.get("/public/manage/")
    assert page.status_code == 200 and NOTICE["title_zh"] in page.content.decode()


def test_prepare_and_publish_through_the_pages(client, site, province_commander, deputy, analyst,
                                               approved_bulletins):
    client.force_login(analyst)
    assert client.post("/public/manage/prepare/").status_code == 403
    client.force_login(province_commander)
    response = client.post("/public/manage/prepare/")
    publication = Publication.objects.get()
    assert response.status_code == 302
    detail = client.get(f"/public/manage/publications/{publication.pk}/").content.decode()
    assert "/publish/" not in detail  # the preparer is not offered the button
    assert client.post(f"/public/manage/publications/{publication.pk}/publish/").status_code == 403
    client.force_login(deputy)
    assert "/publish/" in client.get(f"/public/manage/publications/{publication.pk}/").content.decode()
    assert client.post(f"/public/manage/publications/{publication.pk}/publish/").status_code == 302
    assert Publication.objects.get().status == Publication.Status.PUBLISHED
    client.logout()
    assert client.get("/public/").status_code == 200
