"""Rollback: an attacker puts an older, validly signed edition back in place of the served files (the site
directory alone, or both the site and the snapshot). Every file of it verifies against its own signed
manifest; what gives it away is the signed edition number, lower than the highest already seen — which
the server keeps outside the served directories, and the watcher compares with the database."""

from __future__ import annotations

import json
import shutil
from urllib.parse import urlsplit

import pytest

from fangkong.worklists.models import Problem

from .. import services, signing, views
from ..apps import PROBLEM_SOURCE
from ..watcher import watch
from .conftest import DAY, SPAM

pytestmark = pytest.mark.django_db
BASE = "http://testserver/public/"
NOTICE = {"region": "440000", "title_zh": "关于第二版的通告", "title_en": "Notice of the second edition",
          "body_zh": "第二版。", "body_en": "Second edition."}


def _fetch(client):
    def fetch(url: str) -> tuple[int, bytes]:
        response = client.get(urlsplit(url).path)
        return response.status_code, response.content
    return fetch


@pytest.fixture
def two_editions(client, site, tmp_path, province_commander, deputy, province_epi, approved_bulletins):
    """Edition 1 published and kept aside (as an attacker would), then edition 2 — with a notice more —
    published and served once."""
    first = services.publication_publish(actor=deputy, publication=services.publication_prepare(
        actor=province_commander, day=DAY))
    old = {name: tmp_path / "old" / name for name in ("site", "snapshot")}
    for name, copy in old.items():
        shutil.copytree(site[name], copy)
    notice = services.notice_create(actor=province_epi, **NOTICE)
    services.notice_approve(actor=province_commander, notice=notice)
    second = services.publication_publish(actor=province_commander, publication=services.publication_prepare(
        actor=deputy, day=DAY))
    assert (first.serial, second.serial) == (1, 2)
    assert NOTICE["title_zh"] in client.get("/public/notices.html").content.decode()
    return {**site, "old": old, "first": first, "second": second}


def _put_back(paths: dict, *names: str) -> None:
    for name in names:
        shutil.rmtree(paths[name])
        shutil.copytree(paths["old"][name], paths[name])


def _manifest_files(base) -> list[str]:
    return list(json.loads((base / signing.MANIFEST).read_bytes())["files"])


def test_an_older_signed_edition_in_both_directories_is_not_served_and_is_reported(client, two_editions):
    _put_back(two_editions, "site", "snapshot")
    key = signing.public_key_load(two_editions["key"].with_name("signing.pem.pub"))
    old = signing.manifest_verify(key, (two_editions["site"] / signing.MANIFEST).read_bytes(),
                                  (two_editions["site"] / signing.SIGNATURE).read_bytes())
    assert old is not None  # validly signed: only its number gives it away
    for path in ["", "notices.html", *_manifest_files(two_editions["site"]), signing.MANIFEST, signing.EDITION]:
        response = client.get("/public/" + path)
        assert response.status_code == 503, path
        assert "暂时无法提供" in response.content.decode()
    problem = Problem.objects.filter(source=PROBLEM_SOURCE, title__contains="rollback").get()
    assert "older than edition 2" in problem.evidence
    # a new process (a restart, another worker) still knows: the mark is on disk, outside the site
    views._readers.clear()
    assert client.get("/public/").status_code == 503
    mark = json.loads((two_editions["state"] / "edition-mark.json").read_text())
    assert mark["serial"] == 2 and mark["manifest_sha256"] == two_editions["second"].manifest_sha256


def test_the_watcher_reports_the_rollback_and_writes_the_latest_edition_again(client, two_editions):
    _put_back(two_editions, "site", "snapshot")
    report = watch(base_url=BASE, fetch=_fetch(client))
    kinds = {kind for kind, _path, _detail in report.findings}
    assert {"disk-rollback", "http-manifest"} <= kinds, report.findings
    assert any("rewrote edition 2" in line for line in report.restored)
    assert NOTICE["title_zh"] in client.get("/public/notices.html").content.decode()
    assert watch(base_url=BASE, fetch=_fetch(client)).findings == []


def test_an_older_edition_in_the_site_directory_alone_gives_way_to_the_snapshot(client, two_editions):
    _put_back(two_editions, "site")
    response = client.get("/public/notices.html")
    assert response.status_code == 200 and NOTICE["title_zh"] in response.content.decode()
    assert client.get("/public/" + signing.EDITION).content == \
        (two_editions["snapshot"] / signing.EDITION).read_bytes()
    assert Problem.objects.filter(source=PROBLEM_SOURCE, title__contains="rollback").exists()
    report = watch(base_url=BASE, fetch=_fetch(client))
    assert "disk-rollback" in {kind for kind, _p, _d in report.findings}
    assert json.loads((two_editions["site"] / signing.EDITION).read_bytes())["serial"] == 2


def test_a_public_host_without_the_database_remembers_the_highest_edition_it_served(client, two_editions,
                                                                                       settings, tmp_path):
    """A separate public host: its own state directory, no publication there. Having served edition 2, it
    refuses edition 1 when that is put back."""
    settings.PUBLIC_STATE_DIR = str(tmp_path / "public-host-state")
    views._readers.clear()
    assert client.get("/public/").status_code == 200  # edition 2, first seen here
    assert json.loads((tmp_path / "public-host-state" / "edition-mark.json").read_text())["serial"] == 2
    _put_back(two_editions, "site", "snapshot")
    assert client.get("/public/").status_code == 503


def test_without_verification_the_older_edition_goes_out_and_the_watcher_sees_it_over_http(client, two_editions,
                                                                                            settings):
    """The control: with verification off the server sends edition 1; the watcher, reading the served
    edition record, reports it as a rollback against the database's latest edition."""
    settings.PUBLIC_VERIFY = False
    _put_back(two_editions, "site", "snapshot")
    assert NOTICE["title_zh"] not in client.get("/public/notices.html").content.decode()
    report = watch(base_url=BASE, fetch=_fetch(client), restore=False)
    assert ("http-rollback", signing.EDITION) in {(kind, path) for kind, path, _d in report.findings}
    assert not any(line in client.get("/public/").content.decode() for line in SPAM)
