"""Writes of the public site, each one service, audited:

- ``notice_create`` (draft) and ``notice_approve`` (by somebody else: four eyes), ``notice_withdraw``;
- ``publication_prepare``: the approved content frozen into a snapshot — approved bulletins (latest approved
  version of each report, its stored HTML checked against its fingerprint), the risk areas in force with
  their lifting dates, the rules in force, approved notices; unapproved records named explicitly are
  refused, and every text passes the plain-text screen (``screen.py``);
- ``publication_publish``: by somebody other than the preparer (four eyes): renders the snapshot
  (``render.site_files``), writes the manifest signed with the Ed25519 key and the files into the snapshot
  and site directories (``store.edition_write``);
- ``tampering_report``: what the server or the watcher found, into the audit trail and the three lists.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record, audit_record_bounded
from fangkong.bulletins.models import Bulletin
from fangkong.cases.models import RiskArea
from fangkong.cases.services import risk_area_lift_date
from fangkong.protocols.selectors import NoProtocolInForce, protocol_in_force
from fangkong.regions.codes import city_code, covers, subtree_prefix
from fangkong.regions.models import Region

from . import conf, render, screen, signing, store
from .apps import (
    NOTICE_APPROVE,
    NOTICE_DRAFT,
    PROBLEM_SOURCE,
    PUBLISH,
    TESTING_SITE_APPROVE,
    TESTING_SITE_DRAFT,
)
from .models import (
    ADDRESS_MAX,
    BODY_MAX,
    HOURS_NOTE_MAX,
    SITE_NAME_MAX,
    TITLE_MAX,
    Notice,
    Publication,
    TestingSite,
)

log = logging.getLogger("fangkong.public")
SITE_OBJECT = "public.site"


class FourEyesError(PermissionDenied):
    """The drafter of a record, or the preparer of an edition, tried to approve or publish it alone."""


class PublicationStateError(Exception):
    """The step does not apply to the record as it now stands."""


# --- notices ---------------------------------------------------------------------------------------------


def _screen_fields(values: dict[str, tuple[str, int, bool]]) -> None:
    errors = {name: problems for name, (value, limit, multiline) in values.items()
              if (problems := screen.text_problems(value, max_length=limit, multiline=multiline))}
    if errors:
        raise ValidationError(errors)


def notice_create(*, actor, region: str, title_zh: str, title_en: str, body_zh: str, body_en: str,
                  request=None) -> Notice:
    """Draft a notice (input validated by ``inputs.NoticeInput``); plain text, screened."""
    if not can(actor, NOTICE_DRAFT, region):
        raise PermissionDenied(_("You may not draft notices for this region."))
    place = Region.objects.filter(code=region).first()
    if place is None or not covers(conf.site_region(), region):
        raise ValidationError({"region": [_("No region of this public site has this code.")]})
    body_zh, body_en = body_zh.replace("\r\n", "\n"), body_en.replace("\r\n", "\n")
    _screen_fields({"title_zh": (title_zh, TITLE_MAX, False), "title_en": (title_en, TITLE_MAX, False),
                    "body_zh": (body_zh, BODY_MAX, True), "body_en": (body_en, BODY_MAX, True)})
    with transaction.atomic():
        notice = Notice(region=place, title_zh=title_zh, title_en=title_en, body_zh=body_zh, body_en=body_en,
                        created_by=actor)
        notice.full_clean()
        notice.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=notice, region_code=region, request=request)
    return notice


def notice_approve(*, actor, notice: Notice, request=None) -> Notice:
    if not can(actor, NOTICE_APPROVE, notice.region_id):
        raise PermissionDenied(_("You may not approve notices for this region."))
    if actor.pk == notice.created_by_id:
        raise FourEyesError(_("You drafted this notice: another person must approve it (four eyes)."))
    with transaction.atomic():
        changed = Notice.objects.filter(pk=notice.pk, status=Notice.Status.DRAFT).update(
            status=Notice.Status.APPROVED, approved_at=timezone.now(), approved_by=actor)
        if changed != 1:
            raise PublicationStateError(_("The notice is no longer a draft."))
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=notice, region_code=notice.region_id,
                     request=request, detail={"from": "draft", "to": "approved"})
    notice.refresh_from_db()
    return notice


def notice_withdraw(*, actor, notice: Notice, request=None) -> Notice:
    """Withdraw a notice: the next edition no longer shows it."""
    if not can(actor, NOTICE_APPROVE, notice.region_id):
        raise PermissionDenied(_("You may not withdraw notices for this region."))
    with transaction.atomic():
        previous = notice.status
        if Notice.objects.filter(pk=notice.pk).exclude(status=Notice.Status.WITHDRAWN).update(
                status=Notice.Status.WITHDRAWN) != 1:
            raise PublicationStateError(_("The notice is already withdrawn."))
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=notice, region_code=notice.region_id,
                     request=request, detail={"from": previous, "to": "withdrawn"})
    notice.refresh_from_db()
    return notice


# --- testing sites ---------------------------------------------------------------------------------------


COUNTY_LEVELS = (Region.Level.COUNTY, Region.Level.TOWNSHIP)  # a township: of a city without counties (Dongguan)


def testing_site_create(*, actor, region: str, name_zh: str, name_en: str, address_zh: str, address_en: str,
                        weekdays: list[int], opens_at: dt.time, closes_at: dt.time, services: list[str],
                        status: str = TestingSite.Status.OPEN, hours_note_zh: str = "", hours_note_en: str = "",
                        replaces: int | None = None, request=None) -> TestingSite:
    """Draft a testing site, or a new version of an approved one (``replaces``: its id, same county); input
    validated by ``inputs.TestingSiteInput``; plain text, screened. Another person approves it."""
    if not can(actor, TESTING_SITE_DRAFT, region):
        raise PermissionDenied(_("You may not draft testing sites for this region."))
    place = Region.objects.filter(code=region).only("code", "level").first()
    if place is None or not covers(conf.site_region(), region) or place.level not in COUNTY_LEVELS:
        raise ValidationError({"region": [_("Enter the code of a county of this public site.")]})
    previous = None
    if replaces is not None:
        previous = TestingSite.objects.filter(pk=replaces, region_id=region,
                                              review=TestingSite.Review.APPROVED).first()
        if previous is None:
            raise ValidationError({"replaces": [_("No approved testing site of this county has this number.")]})
    _screen_fields({"name_zh": (name_zh, SITE_NAME_MAX, False), "name_en": (name_en, SITE_NAME_MAX, False),
                    "address_zh": (address_zh, ADDRESS_MAX, False), "address_en": (address_en, ADDRESS_MAX, False),
                    "hours_note_zh": (hours_note_zh, HOURS_NOTE_MAX, False),
                    "hours_note_en": (hours_note_en, HOURS_NOTE_MAX, False)})
    with transaction.atomic():
        site = TestingSite(region=place, name_zh=name_zh, name_en=name_en, address_zh=address_zh,
                           address_en=address_en, weekdays=sorted(weekdays), opens_at=opens_at, closes_at=closes_at,
                           hours_note_zh=hours_note_zh, hours_note_en=hours_note_en, services=list(services),
                           status=status, replaces=previous, created_by=actor)
        site.full_clean()
        site.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=site, region_code=region, request=request,
                     detail={"replaces": replaces} if replaces else None)
    return site


def testing_site_approve(*, actor, site: TestingSite, request=None) -> TestingSite:
    """Approve a drafted testing site (somebody other than its drafter); the version it replaces is superseded."""
    if not can(actor, TESTING_SITE_APPROVE, site.region_id):
        raise PermissionDenied(_("You may not approve testing sites for this region."))
    if actor.pk == site.created_by_id:
        raise FourEyesError(_("You drafted this testing site: another person must approve it (four eyes)."))
    with transaction.atomic():
        if TestingSite.objects.filter(pk=site.pk, review=TestingSite.Review.DRAFT).update(
                review=TestingSite.Review.APPROVED, approved_at=timezone.now(), approved_by=actor) != 1:
            raise PublicationStateError(_("The testing site is no longer a draft."))
        if site.replaces_id is not None and TestingSite.objects.filter(
                pk=site.replaces_id, review=TestingSite.Review.APPROVED).update(
                review=TestingSite.Review.SUPERSEDED) != 1:
            raise PublicationStateError(_("The version this draft replaces is no longer the approved one: "
                                          "draft the change again."))
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=site, region_code=site.region_id,
                     request=request, detail={"from": "draft", "to": "approved", "supersedes": site.replaces_id})
    site.refresh_from_db()
    return site


def testing_site_withdraw(*, actor, site: TestingSite, request=None) -> TestingSite:
    """Withdraw a testing site (a draft, or the approved version): the next edition no longer shows it."""
    if not can(actor, TESTING_SITE_APPROVE, site.region_id):
        raise PermissionDenied(_("You may not withdraw testing sites for this region."))
    with transaction.atomic():
        previous = site.review
        if TestingSite.objects.filter(pk=site.pk, review__in=[TestingSite.Review.DRAFT, TestingSite.Review.APPROVED]) \
                .update(review=TestingSite.Review.WITHDRAWN) != 1:
            raise PublicationStateError(_("The testing site is already withdrawn or superseded."))
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=site, region_code=site.region_id,
                     request=request, detail={"from": previous, "to": "withdrawn"})
    site.refresh_from_db()
    return site


# --- the snapshot ----------------------------------------------------------------------------------------


_REPORT_PARTS = {"issuer": re.compile(r'<p class="report-issuer">(.*?)</p>', re.S),
                 "title": re.compile(r"<h1[^>]*>(.*?)</h1>", re.S),
                 "date_line": re.compile(r'<p class="report-date">(.*?)</p>', re.S)}
_REPORT_TEXT = re.compile(r'<p class="report-text">(.*?)</p>', re.S)
_TAG = re.compile(r"<[^>]*>")


def _plain_text(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", fragment)).split())


def report_text(report_html: str) -> dict:
    """The issuer, title, date line and paragraphs of a stored report (the bulletins module's own HTML:
    ``report_<language>.html``), as plain text."""
    found: dict = {key: (_plain_text(m.group(1)) if (m := pattern.search(report_html)) else "")
                   for key, pattern in _REPORT_PARTS.items()}
    found["paragraphs"] = [_plain_text(p) for p in _REPORT_TEXT.findall(report_html)]
    return found


def _stamp(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _approving_body(user, region_code: str, known: dict) -> tuple[str, str]:
    """The headquarters in whose name ``user`` approved (their membership covering the record's region);
    ``known`` remembers the answers of one collection."""
    if (user.pk, region_code) not in known:
        codes = sorted((code for code in user.memberships.values_list("region_id", flat=True)
                        if covers(code, region_code)), key=len)
        region = Region.objects.filter(code=codes[0] if codes else region_code).only("name_zh", "name_en").first()
        known[user.pk, region_code] = ("", "") if region is None else (
            f"{region.name_zh}疫情防控指挥部", f"{region.name_en} Epidemic Prevention and Control Headquarters")
    return known[user.pk, region_code]


def _approved_bulletins(site: str, ids: list[int] | None) -> list[Bulletin]:
    qs = Bulletin.objects.select_related("region", "approved_by").defer("content", "region__geometry") \
        .filter(region__code__startswith=subtree_prefix(site))
    if ids is not None:
        chosen = list(qs.filter(pk__in=ids))
        refused = sorted({*ids} - {b.pk for b in chosen if b.status == Bulletin.Status.APPROVED})
        if refused:
            raise ValidationError({"bulletins": [_("Not approved or not of this site: %(ids)s.") % {
                "ids": ", ".join(map(str, refused))}]})
        return chosen
    latest = qs.filter(status=Bulletin.Status.APPROVED).values("region_id", "date", "language") \
        .annotate(v=Max("version"))
    keys = {(r["region_id"], r["date"], r["language"], r["v"]) for r in latest}
    return [b for b in qs.filter(status=Bulletin.Status.APPROVED)
            if (b.region_id, b.date, b.language, b.version) in keys]


def _approved_notices(site: str, ids: list[int] | None) -> list[Notice]:
    qs = Notice.objects.select_related("region", "approved_by").defer("region__geometry") \
        .filter(region__code__startswith=subtree_prefix(site))
    if ids is not None:
        chosen = list(qs.filter(pk__in=ids))
        refused = sorted({*ids} - {n.pk for n in chosen if n.status == Notice.Status.APPROVED})
        if refused:
            raise ValidationError({"notices": [_("Not approved or not of this site: %(ids)s.") % {
                "ids": ", ".join(map(str, refused))}]})
        return chosen
    return list(qs.filter(status=Notice.Status.APPROVED))


def _approved_testing_sites(site: str) -> list[TestingSite]:
    return list(TestingSite.objects.select_related("region", "approved_by").defer("region__geometry")
                .filter(region__code__startswith=subtree_prefix(site), review=TestingSite.Review.APPROVED))


def snapshot_collect(*, site: str, day: dt.date, bulletin_ids: list[int] | None = None,
                     notice_ids: list[int] | None = None) -> dict:
    """The approved content of the site on ``day`` (sorted, JSON-ready), screened; ValidationError naming
    every record that may not go out."""
    bodies: dict = {}
    region = Region.objects.only("code", "name_zh", "name_en").get(code=site)
    errors: list[str] = []
    bulletins = []
    for b in _approved_bulletins(site, bulletin_ids):
        if signing.sha256(b.html.encode("utf-8")) != b.fingerprint:
            errors.append(_("Report %(id)s: its text no longer matches its approved fingerprint.") % {"id": b.pk})
            continue
        text = report_text(b.html)
        zh, en = _approving_body(b.approved_by, b.region_id, bodies)
        bulletins.append({"id": b.pk, "region": b.region_id, "region_zh": b.region.name_zh,
                          "region_en": b.region.name_en, "date": b.date.isoformat(), "language": b.language,
                          "version": b.version, "fingerprint": b.fingerprint, **text,
                          "approved_at": _stamp(b.approved_at), "approved_by_zh": zh, "approved_by_en": en})
    bulletins.sort(key=lambda b: (b["date"], b["region"], b["language"]), reverse=True)
    bulletins.sort(key=lambda b: (len(b["region"].rstrip("0")),))  # the site's own report first, then its areas'
    notices = []
    for n in _approved_notices(site, notice_ids):
        zh, en = _approving_body(n.approved_by, n.region_id, bodies)
        notices.append({"id": n.pk, "region": n.region_id, "region_zh": n.region.name_zh,
                        "region_en": n.region.name_en, "title_zh": n.title_zh, "title_en": n.title_en,
                        "body_zh": n.body_zh, "body_en": n.body_en, "approved_at": _stamp(n.approved_at),
                        "approved_by_zh": zh, "approved_by_en": en})
    notices.sort(key=lambda n: (n["approved_at"], n["id"]), reverse=True)
    testing = []
    approved_sites = _approved_testing_sites(site)
    cities = {r.code: r for r in Region.objects.only("code", "name_zh", "name_en").filter(
        code__in={city_code(t.region_id) for t in approved_sites})}
    for t in approved_sites:
        zh, en = _approving_body(t.approved_by, t.region_id, bodies)
        city = cities.get(city_code(t.region_id))
        testing.append({"id": t.pk, "region": t.region_id, "region_zh": t.region.name_zh, "region_en": t.region.name_en,
                        "city_zh": city.name_zh if city else "", "city_en": city.name_en if city else "",
                        "name_zh": t.name_zh, "name_en": t.name_en, "address_zh": t.address_zh,
                        "address_en": t.address_en, "weekdays": list(t.weekdays),
                        "opens_at": t.opens_at.strftime("%H:%M"), "closes_at": t.closes_at.strftime("%H:%M"),
                        "hours_note_zh": t.hours_note_zh, "hours_note_en": t.hours_note_en,
                        "services": list(t.services), "status": t.status, "approved_at": _stamp(t.approved_at),
                        "approved_by_zh": zh, "approved_by_en": en})
    status_order = {value: n for n, value in enumerate(TestingSite.Status.values)}  # open, suspended, closed
    testing.sort(key=lambda t: (t["region"], status_order.get(t["status"], 9), t["name_zh"], t["id"]))
    areas = []
    lift_dates: dict[tuple, tuple] = {}  # the rule gives the same date for the same dates
    for a in RiskArea.objects.select_related("region").defer("region__geometry").filter(
            region__code__startswith=subtree_prefix(site), lifted_on__isnull=True, designated_from__lte=day) \
            .order_by("region_id", "level", "area_name", "id"):
        lift_on, protocol = lift_dates.get((a.designated_from, a.last_infection_on, a.negative_screen_on)) or \
            lift_dates.setdefault((a.designated_from, a.last_infection_on, a.negative_screen_on), risk_area_lift_date(a))
        areas.append({"id": a.pk, "region": a.region_id, "region_zh": a.region.name_zh,
                      "region_en": a.region.name_en, "kind": a.kind, "level": a.level, "area_name": a.area_name,
                      "address": a.address, "designated_from": a.designated_from.isoformat(),
                      "lift_on": lift_on.isoformat() if lift_on else "", "protocol": protocol.code})
    try:
        p = protocol_in_force(day)
        rules = {"code": p.code, "name_zh": p.name_zh, "name_en": p.name_en,
                 "effective_from": p.effective_from.isoformat(),
                 **{f: getattr(p, f) for f in (
                     "close_contact_centralised_days", "close_contact_home_days", "close_contact_test_days",
                     "inbound_centralised_days", "inbound_home_days", "secondary_contacts_traced",
                     "secondary_contact_days", "secondary_contact_centralised", "risk_levels",
                     "risk_area_lift_days", "risk_area_lift_needs_screen")}}
    except NoProtocolInForce:
        rules = {}
    snapshot = {"site": {"region": region.code, "name_zh": region.name_zh, "name_en": region.name_en},
                "as_of": max([b["approved_at"] for b in bulletins] + [n["approved_at"] for n in notices]
                             + [t["approved_at"] for t in testing], default=""),
                "day": day.isoformat(), "bulletins": bulletins, "notices": notices, "risk_areas": areas,
                "testing_sites": testing, "rules": rules}
    errors.extend(_screen_snapshot(snapshot))
    if errors:
        raise ValidationError(errors)
    return snapshot


def _screen_snapshot(snapshot: dict) -> list[str]:
    """Every text of the snapshot through the plain-text screen; the refusals, naming the record."""
    found = []

    def check(where: str, value, limit: int, multiline: bool = False) -> None:
        for problem in screen.text_problems(str(value), max_length=limit, multiline=multiline):
            found.append(f"{where}: {problem}")

    check(_("site name"), snapshot["site"]["name_zh"] + " " + snapshot["site"]["name_en"], 200)
    for b in snapshot["bulletins"]:
        where = _("report %(id)s") % {"id": b["id"]}
        for key in ("issuer", "title", "date_line", "region_zh", "region_en", "approved_by_zh", "approved_by_en"):
            check(where, b[key], 300)
        for paragraph in b["paragraphs"]:
            check(where, paragraph, 2000)
    for n in snapshot["notices"]:
        where = _("notice %(id)s") % {"id": n["id"]}
        for key in ("title_zh", "title_en"):
            check(where, n[key], TITLE_MAX)
        for key in ("body_zh", "body_en"):
            check(where, n[key], BODY_MAX, multiline=True)
        for key in ("region_zh", "region_en", "approved_by_zh", "approved_by_en"):
            check(where, n[key], 300)
    for a in snapshot["risk_areas"]:
        where = _("risk area %(id)s") % {"id": a["id"]}
        for key in ("area_name", "address", "region_zh", "region_en"):
            check(where, a[key], 200)
    for t in snapshot["testing_sites"]:
        where = _("testing site %(id)s") % {"id": t["id"]}
        for key, limit in (("name_zh", SITE_NAME_MAX), ("name_en", SITE_NAME_MAX), ("address_zh", ADDRESS_MAX),
                           ("address_en", ADDRESS_MAX), ("hours_note_zh", HOURS_NOTE_MAX),
                           ("hours_note_en", HOURS_NOTE_MAX), ("region_zh", 300), ("region_en", 300),
                           ("city_zh", 300), ("city_en", 300), ("approved_by_zh", 300), ("approved_by_en", 300)):
            check(where, t[key], limit)
    if snapshot["rules"]:
        check(_("rules"), snapshot["rules"]["name_zh"] + " " + snapshot["rules"]["name_en"], 200)
    return found


def _canonical(snapshot: dict) -> bytes:
    return json.dumps(snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# --- publications ----------------------------------------------------------------------------------------


def publication_prepare(*, actor, bulletin_ids: list[int] | None = None, notice_ids: list[int] | None = None,
                        day: dt.date | None = None, request=None) -> Publication:
    """Freeze the approved content into the next edition (not yet public)."""
    site = conf.site_region()
    if not can(actor, PUBLISH, site):
        raise PermissionDenied(_("You may not prepare the public site."))
    snapshot = snapshot_collect(site=site, day=day or timezone.localdate(), bulletin_ids=bulletin_ids,
                                notice_ids=notice_ids)
    with transaction.atomic():
        publication = Publication(region_id=site, snapshot=snapshot, snapshot_sha256=signing.sha256(_canonical(snapshot)),
                                  prepared_by=actor)
        publication.full_clean()
        publication.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=publication, region_code=site,
                     request=request, detail={"content_sha256": publication.snapshot_sha256,
                                              "bulletins": [b["id"] for b in snapshot["bulletins"]],
                                              "notices": [n["id"] for n in snapshot["notices"]],
                                              "risk_areas": [a["id"] for a in snapshot["risk_areas"]]})
    return publication


def edition_build(snapshot: dict) -> tuple[dict[str, bytes], bytes, bytes]:
    """(files, manifest, signature) of a snapshot, signed with the configured key."""
    files = render.site_files(snapshot)
    manifest = signing.manifest_bytes(files, site=snapshot["site"]["region"],
                                      content_sha256=signing.sha256(_canonical(snapshot)),
                                      as_of=snapshot["as_of"])
    key = signing.private_key_load(conf.signing_key_path())
    return files, manifest, signing.sign(key, manifest)


def _edition_write(publication: Publication, files: dict[str, bytes], manifest: bytes, signature: bytes) -> None:
    """The edition's files, signed manifest and signed edition record into the snapshot and site directories;
    the edition mark raised to its number (the server on this host will refuse anything older)."""
    key = signing.private_key_load(conf.signing_key_path())
    record = signing.edition_bytes(serial=publication.serial, manifest_sha256=signing.sha256(manifest),
                                   published_at=publication.published_at.isoformat(), site=publication.region_id)
    store.edition_write(files=files, manifest=manifest, signature=signature,
                        public_pem=signing.public_pem(key.public_key()), edition=record,
                        edition_signature=signing.sign(key, record), site_dir=conf.site_dir(),
                        snapshot_dir=conf.snapshot_dir())
    store.EditionMark(conf.state_dir()).raise_to(publication.serial, signing.sha256(manifest))


def publication_latest(region: str | None = None) -> Publication | None:
    """The edition now published for the site (the highest edition number)."""
    return Publication.objects.filter(region_id=region or conf.site_region(), status=Publication.Status.PUBLISHED,
                                      serial__isnull=False).order_by("-serial").first()


def publication_publish(*, actor, publication: Publication, request=None) -> Publication:
    """Publish a prepared edition: somebody other than its preparer; the files written, signed, swapped in,
    with the next edition number."""
    if not can(actor, PUBLISH, publication.region_id):
        raise PermissionDenied(_("You may not publish the public site."))
    if actor.pk == publication.prepared_by_id:
        raise FourEyesError(_("You prepared this edition: another person must publish it (four eyes)."))
    if publication.status != Publication.Status.PREPARED:
        raise PublicationStateError(_("This edition is not waiting to be published."))
    if signing.sha256(_canonical(publication.snapshot)) != publication.snapshot_sha256:
        raise PublicationStateError(_("This edition's content changed after it was prepared; prepare it again."))
    files, manifest, signature = edition_build(publication.snapshot)
    with transaction.atomic():
        # every edition of the site locked: the numbers are given one at a time
        editions = list(Publication.objects.select_for_update().filter(region_id=publication.region_id)
                        .values_list("pk", "serial", "status"))
        locked = Publication.objects.get(pk=publication.pk)
        if locked.status != Publication.Status.PREPARED:
            raise PublicationStateError(_("This edition is not waiting to be published."))
        Publication.objects.filter(region_id=locked.region_id, status=Publication.Status.PUBLISHED) \
            .update(status=Publication.Status.SUPERSEDED)
        locked.status, locked.published_at, locked.published_by = Publication.Status.PUBLISHED, timezone.now(), actor
        locked.serial = max((serial or 0 for _pk, serial, _status in editions), default=0) + 1
        locked.manifest_sha256, locked.file_count = signing.sha256(manifest), len(files)
        locked.save(update_fields=["status", "published_at", "published_by", "manifest_sha256", "file_count",
                                   "serial"])
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=locked, region_code=locked.region_id,
                     request=request, detail={"from": "prepared", "to": "published", "serial": locked.serial,
                                              "manifest_sha256": locked.manifest_sha256, "files": len(files)})
        _edition_write(locked, files, manifest, signature)
    return locked


def edition_rewrite(publication: Publication) -> int:
    """Write a published edition again from its stored snapshot (after losing a directory, on a new host, or
    after a rollback was found): byte-identical files, manifest, signature and edition record. The number of
    files; PublicationStateError if it no longer renders to the manifest recorded at publication."""
    files, manifest, signature = edition_build(publication.snapshot)
    if signing.sha256(manifest) != publication.manifest_sha256:
        raise PublicationStateError(_("The edition renders differently from when it was published; "
                                      "prepare a new one."))
    _edition_write(publication, files, manifest, signature)
    return len(files)


# --- tampering -------------------------------------------------------------------------------------------


def tampering_report(*, kind: str, path: str, detail: str, found_by: str, request=None) -> None:
    """Record what was found (audit, at most 20 events an hour per path and kind) and raise it once per
    path, kind and finding in the three lists. Never fails the caller: a public host without the database
    still logs it."""
    from fangkong.worklists.models import Severity
    from fangkong.worklists.services import problem_raise

    log.error("public site tampering (%s, found by %s): %s", kind, found_by, detail)
    site = conf.site_region()
    try:
        audit_record_bounded(limits=[(20, dt.timedelta(hours=1), {"object_type": SITE_OBJECT, "object_id": path,
                                                                   "detail__kind": kind})],
                             actor=None, action=AuditEvent.Action.ACCESS_REFUSED, object_type=SITE_OBJECT,
                             object_id=path, region_code=site, request=request,
                             detail={"kind": kind, "detail": detail[:500], "found_by": found_by})
        problem_raise(actor=None, source=PROBLEM_SOURCE, source_key=signing.sha256(
            f"{kind}|{path}|{detail}".encode())[:40], region=site, severity=Severity.CRITICAL,
            title=(_("Public site: %(kind)s — %(path)s") % {"kind": kind, "path": path})[:200],
            evidence=detail[:1000], request=request)
    except Exception:  # noqa: BLE001 - the public host may have no database: the log above is the record
        log.exception("could not record the tampering in the database")
