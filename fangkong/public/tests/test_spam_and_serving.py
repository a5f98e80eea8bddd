"""The spam test of issue 23 and the server's verification.

The injected spam lines of the source report (``data/spam_lines.txt``) are put into every field that feeds
the public side — drafts, notices, names — and directly into the published files on disk (appended,
prepended, a new file, a changed asset, a changed manifest without the key, a manifest re-signed with
another key): in no case does a client of the public server receive the injected text; each tampering is
recorded (audit) and raised (three lists), the watcher reports it in one run and restores the snapshot.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.exceptions import ValidationError

from fangkong.audit.models import AuditEvent
from fangkong.bulletins import services as bulletin_services
from fangkong.bulletins.models import Bulletin
from fangkong.cases.models import RiskArea
from fangkong.regions.models import Region
from fangkong.worklists.models import Problem

from .. import services, signing, views
from ..apps import PROBLEM_SOURCE
from ..models import Notice, Publication
from ..models import TestingSite as Site
from ..watcher import watch
from .conftest import DAY, SPAM

pytestmark = pytest.mark.django_db
BASE = "http://testserver/public/"


def _publish(preparer, publisher) -> Publication:
    return services.publication_publish(actor=publisher, publication=services.publication_prepare(actor=preparer))


def _urls(site) -> list[str]:
    manifest = json.loads((site["snapshot"] / "manifest.json").read_bytes())
    return ["", "en/", *manifest["files"], *signing.SIGNED_SELF]


def _everything_served(client, site, extra=()) -> bytes:
    bodies = []
    for path in [*_urls(site), *extra]:
        response = client.get("/public/" + path)
        assert response.status_code in (200, 404, 503), path
        bodies.append(response.content)
    return b"\n".join(bodies)


def _no_spam(body: bytes) -> None:
    text = body.decode("utf-8", errors="replace")
    for line in SPAM:
        assert line not in text
        assert line.split("|")[0] not in text


def _client_fetch(client):
    def fetch(url: str) -> tuple[int, bytes]:
        response = client.get(urlsplit(url).path)
        return response.status_code, response.content
    return fetch


@pytest.fixture
def published(site, province_commander, deputy, approved_bulletins):
    _publish(province_commander, deputy)
    return site


# --- serving ---------------------------------------------------------------------------------------------


def test_the_site_is_served_from_the_files_alone_with_strict_headers(client, published, django_assert_num_queries):
    with django_assert_num_queries(0):  # the public side reads no database
        response = client.get("/public/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert response.content == (published["site"] / "index.html").read_bytes()
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    body = response.content.decode()
    assert 'integrity="sha384-' in body and "<script" not in body and "style=" not in body
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in body
    assert client.get("/public/en/").content == (published["site"] / "en" / "index.html").read_bytes()
    assert client.get("/public/data/bulletins.csv")["Content-Type"].startswith("text/csv")
    for bad in ("../manifest.json", "data/../../keys/signing.pem", ".hidden.html", "x.py", "manage"):
        assert client.get("/public/" + bad).status_code == 404, bad


def test_the_sign_in_page_links_to_the_public_site(client):
    assert 'href="/public/"' in client.get("/accounts/login/").content.decode()


# --- spam into every field that feeds the public side ----------------------------------------------------


def test_spam_in_a_notice_is_refused_when_drafted(province_epi):
    for line in SPAM:
        for field in ("title_zh", "body_zh", "body_en"):
            values = {"region": "440000", "title_zh": "通告", "title_en": "Notice", "body_zh": "正文。",
                      "body_en": "Text.", field: line}
            with pytest.raises(ValidationError):
                services.notice_create(actor=province_epi, **values)
    for bad in ("<script>x</script>", "见 http://spam.example.com", "a\u202eb"):
        with pytest.raises(ValidationError):
            services.notice_create(actor=province_epi, region="440000", title_zh="通告", title_en="Notice",
                                   body_zh=bad, body_en="Text.")
    assert Notice.objects.count() == 0


SITE_TEXT_FIELDS = ("name_zh", "name_en", "address_zh", "address_en", "hours_note_zh", "hours_note_en")
SITE = {"region": "440304", "name_zh": "福田区核酸采样点", "name_en": "Futian testing site", "address_zh": "福华路1号",
        "address_en": "1 Fuhua Road", "weekdays": [1, 2, 3, 4, 5, 6, 7], "opens_at": dt.time(8),
        "closes_at": dt.time(20), "services": ["nucleic_acid"], "hours_note_zh": "", "hours_note_en": ""}


def test_spam_in_a_testing_site_is_refused_when_drafted(futian_commander):
    for line in SPAM:
        for field in SITE_TEXT_FIELDS:
            with pytest.raises(ValidationError) as refused:
                services.testing_site_create(actor=futian_commander, **{**SITE, field: line})
            assert field in refused.value.message_dict
    assert not Site.objects.exists()


def test_spam_in_an_approved_testing_site_stops_the_edition_and_never_reaches_a_client(
        client, site, province_commander, deputy, futian_commander, approved_bulletins):
    """Every field of a testing site, each spam line, written past the screen straight into the database as
    an approved record (and a draft carrying all of them): the edition is refused, naming the site; the
    site keeps the signed edition; no client receives the text."""
    fields = {k: v for k, v in SITE.items() if k != "region"}
    Site.objects.create(region_id="440304", **{**fields, **{f: SPAM[0][:60] for f in SITE_TEXT_FIELDS}},
                        created_by=futian_commander)  # a draft: never collected
    first = _publish(province_commander, deputy)
    assert first.snapshot["testing_sites"] == []
    from django.db import transaction

    for n, line in enumerate(SPAM):
        for field in SITE_TEXT_FIELDS:
            with transaction.atomic():
                bad = Site.objects.create(region_id="440304", **{**fields, field: line[:80]},
                                          created_by=futian_commander, review=Site.Review.APPROVED,
                                          approved_by=province_commander)
                with pytest.raises(ValidationError) as refused:
                    services.publication_prepare(actor=province_commander, day=DAY)
                assert str(bad.pk) in str(refused.value), (n, field)
                transaction.set_rollback(True)
    assert Publication.objects.get().pk == first.pk
    _no_spam(_everything_served(client, site))


def test_spam_in_drafts_notices_and_names_never_reaches_a_client(client, site, province_epi, province_commander,
                                                                   deputy, approved_bulletins):
    spam = SPAM[0]
    # drafts: an unapproved notice and an unapproved report version carrying spam (written past the screen)
    Notice.objects.create(region_id="440000", title_zh=spam, title_en=spam, body_zh=spam, body_en=spam,
                          created_by=province_epi)
    draft = bulletin_services.bulletin_generate(actor=province_epi, region_code="440000", day=DAY, language="en")
    Bulletin.objects.filter(pk=draft.pk).update(html=draft.html.replace("</article>", f"<p class=\"report-text\">{spam}</p></article>"))
    # names: the drafter's and the approver's display names
    type(province_epi).objects.filter(pk__in=[province_epi.pk, province_commander.pk]).update(display_name=spam[:60])
    first = _publish(province_commander, deputy)
    _no_spam(_everything_served(client, site))
    # an approved notice changed in the database afterwards, an approved report's text changed, a region's and
    # a risk area's name: each stops the next edition (screen, fingerprint) — the site keeps the signed one
    attempts = [
        lambda: Notice.objects.create(region_id="440000", title_zh="通告", title_en="Notice", body_zh=SPAM[1],
                                      body_en="x", created_by=province_epi, status=Notice.Status.APPROVED,
                                      approved_by=province_commander),
        lambda: Bulletin.objects.filter(pk=approved_bulletins[0].pk).update(
            html=approved_bulletins[0].html.replace("</article>", f"<p class=\"report-text\">{SPAM[2]}</p></article>")),
        lambda: Region.objects.filter(code="440304").update(name_zh=SPAM[3]),
        lambda: RiskArea.objects.create(region_id="440304", area_name=SPAM[4], level=RiskArea.Level.HIGH,
                                        designated_from=DAY),
        lambda: RiskArea.objects.create(region_id="440304", area_name="某小区", address=SPAM[6],
                                        level=RiskArea.Level.MEDIUM, designated_from=DAY),
    ]
    from django.db import transaction

    for attempt in attempts:
        with transaction.atomic():
            attempt()
            if attempt is attempts[2]:  # a region name reaches the site through a risk area or notice there
                RiskArea.objects.create(region_id="440304", level=RiskArea.Level.HIGH, designated_from=DAY)
            with pytest.raises(ValidationError):
                services.publication_prepare(actor=province_commander, day=DAY)
            transaction.set_rollback(True)
    assert Publication.objects.get().pk == first.pk
    _no_spam(_everything_served(client, site))


# --- spam into the published files on disk ---------------------------------------------------------------


def _append(site):
    with (site["site"] / "index.html").open("ab") as f:
        f.write(("\n".join(SPAM)).encode())


def _prepend(site):
    path = site["site"] / "en" / "bulletins.html"
    path.write_bytes(("".join(SPAM)).encode() + path.read_bytes())


def _new_file(site):
    (site["site"] / "news.html").write_text(f"<html><body>{SPAM[0]}</body></html>", encoding="utf-8")
    (site["site"] / "data" / "extra.json").write_text(json.dumps({"x": SPAM[1]}, ensure_ascii=False), encoding="utf-8")


def _changed_asset(site):
    with (site["site"] / "assets" / "site.css").open("ab") as f:
        f.write(f'\nbody::after {{ content: "{SPAM[2]}"; }}\n'.encode())


def _manifest_without_key(site):
    index = site["site"] / "index.html"
    index.write_bytes(index.read_bytes().replace(b"</main>", SPAM[3].encode() + b"</main>"))
    manifest = json.loads((site["site"] / "manifest.json").read_bytes())
    manifest["files"]["index.html"] = {"bytes": index.stat().st_size, "sha256": signing.sha256(index.read_bytes())}
    (site["site"] / "manifest.json").write_bytes(json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())


def _manifest_with_another_key(site):
    index = site["site"] / "notices.html"
    index.write_bytes(index.read_bytes().replace(b"</main>", SPAM[4].encode() + b"</main>"))
    files = {p: (site["site"] / p).read_bytes()
             for p in json.loads((site["site"] / "manifest.json").read_bytes())["files"]}
    manifest = signing.manifest_bytes(files, site="440000", content_sha256="0" * 64, as_of="2099-01-01 00:00")
    intruder = Ed25519PrivateKey.generate()
    (site["site"] / "manifest.json").write_bytes(manifest)
    (site["site"] / "manifest.sig").write_bytes(signing.sign(intruder, manifest))
    (site["site"] / "public-key.pem").write_bytes(signing.public_pem(intruder.public_key()))


def _deleted(site):
    (site["site"] / "rules.html").unlink()


TAMPERINGS = {"appended": (_append, {"disk-changed"}), "prepended": (_prepend, {"disk-changed"}),
              "new file": (_new_file, {"disk-unlisted"}), "changed asset": (_changed_asset, {"disk-changed"}),
              "manifest without the key": (_manifest_without_key, {"disk-manifest", "disk-changed"}),
              "manifest with another key": (_manifest_with_another_key, {"disk-manifest", "disk-changed", "disk-key"}),
              "deleted": (_deleted, {"disk-missing"})}


@pytest.mark.parametrize("name", list(TAMPERINGS))
def test_a_tampered_file_is_never_sent_and_is_reported(client, published, name):
    tamper, kinds = TAMPERINGS[name]
    good = {p: (published["snapshot"] / p).read_bytes() for p in _urls(published)[2:] if (published["snapshot"] / p).exists()}
    tamper(published)
    served = _everything_served(client, published, extra=["news.html", "data/extra.json"])
    _no_spam(served)
    for path, body in good.items():  # every listed file is still answered with its signed version
        if path != "public-key.pem":
            assert client.get("/public/" + path).content == body, path
    events = AuditEvent.objects.filter(object_type="public.site")
    assert events.exists() and Problem.objects.filter(source=PROBLEM_SOURCE).exists()
    # the watcher, in one run: reports each tampering and restores the signed snapshot
    report = watch(base_url=BASE, fetch=_client_fetch(client))
    assert kinds <= {kind for kind, _path, _detail in report.findings}, report.findings
    assert report.restored
    assert {p.relative_to(published["site"]).as_posix(): p.read_bytes() for p in published["site"].rglob("*")
            if p.is_file()} == {p.relative_to(published["snapshot"]).as_posix(): p.read_bytes()
                                for p in published["snapshot"].rglob("*") if p.is_file()}
    assert watch(base_url=BASE, fetch=_client_fetch(client)).findings == []


def test_with_the_snapshot_tampered_too_a_plain_notice_is_sent(client, published):
    for base in (published["site"], published["snapshot"]):
        with (base / "index.html").open("ab") as f:
            f.write(SPAM[0].encode())
    response = client.get("/public/")
    assert response.status_code == 503 and "暂时无法提供" in response.content.decode()
    _no_spam(_everything_served(client, published))
    report = watch(base_url=BASE, fetch=_client_fetch(client))
    assert {"http-missing", "disk-changed"} <= {kind for kind, _p, _d in report.findings}


def test_without_verification_the_spam_goes_out_and_the_watcher_sees_it_over_http(client, published, settings):
    """The control: the same tampering with verification off reaches the client — so the tests above would
    fail if the server stopped verifying — and the watcher, fetching over HTTP, reports it."""
    settings.PUBLIC_VERIFY = False
    _append(published)
    assert SPAM[0] in client.get("/public/").content.decode()
    report = watch(base_url=BASE, fetch=_client_fetch(client), restore=False)
    assert ("http-changed", "index.html") in {(kind, path) for kind, path, _d in report.findings}


def test_a_clean_site_gives_the_watcher_nothing_to_report(client, published):
    report = watch(base_url=BASE, fetch=_client_fetch(client))
    assert report.findings == [] and report.restored == [] and report.checked > 20
    assert not Problem.objects.filter(source=PROBLEM_SOURCE).exists()


# --- the file cache: a file is read and hashed again whenever it changed -------------------------------------


def test_a_kept_file_changed_in_place_with_its_times_put_back_is_not_sent(client, published, monkeypatch):
    """The server keeps the bytes and hash of files unchanged since it read them (device, inode, size, mtime,
    ctime). An intruder who rewrites a page in place, same size, and sets its modification time back still
    changes its ctime: the page is hashed again, refused, and the snapshot's copy sent."""
    from .. import store

    monkeypatch.setattr(store, "RACY_NS", 0)  # keep files at once (by default: only those unchanged for 2 s)
    time.sleep(0.05)
    good = client.get("/public/").content
    assert any(path.endswith("index.html") for path in views.site_reader()._files._known)
    index = published["site"] / "index.html"
    before = index.stat()
    spam = SPAM[0].encode()
    with index.open("r+b") as f:
        f.seek(before.st_size // 2)
        f.write(spam)
    os.utime(index, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = index.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    response = client.get("/public/")
    assert response.status_code == 200 and response.content == good and spam not in response.content
    assert Problem.objects.filter(source=PROBLEM_SOURCE).exists()


def test_a_file_changed_moments_ago_is_not_kept(client, published):
    """Just published: every file is younger than the racy window, so each request reads and hashes it."""
    client.get("/public/")
    assert views.site_reader()._files._known == {}


def test_a_public_host_serves_the_site_alone_verified_with_the_same_headers(client, published, settings):
    """``host_settings``: only /public/, through three middlewares; the same verification and headers."""
    from .. import host_settings

    settings.MIDDLEWARE, settings.ROOT_URLCONF = host_settings.MIDDLEWARE, host_settings.ROOT_URLCONF
    response = client.get("/public/")
    assert response.status_code == 200 and response.content == (published["site"] / "index.html").read_bytes()
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"
    for elsewhere in ("/public/manage/", "/accounts/login/", "/api/v1/public-notices/", "/admin/", "/"):
        assert client.get(elsewhere).status_code == 404, elsewhere
    _append(published)
    _no_spam(_everything_served(client, published))
