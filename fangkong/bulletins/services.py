"""Writes of the daily situation report: generate (a new version), review, approve — each audited.

- ``bulletin_generate``: the snapshot of the dashboard's figures for the region and day
  (``fangkong.dashboard.selectors.situation``, read with the actor's scope), rendered in the language,
  fingerprinted, saved as the next version in draft;
- ``bulletin_review`` (draft → reviewed) and ``bulletin_approve`` (reviewed → approved): only the latest
  version of a report moves on; a step taken by somebody else in between is refused
  (``BulletinStateError``), never applied twice. Four eyes: the person who generated a version may
  neither review nor approve it (``FourEyesError``, a ``PermissionDenied``); somebody else must.
- ``bulletin_pdf``: the PDF of a version, rendered once and stored with it (``BulletinPdf``), so every
  process and every server serves the same file without rendering it again.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.bulletins import report
from fangkong.bulletins.models import Bulletin, BulletinPdf
from fangkong.dashboard import selectors as dashboard_selectors
from fangkong.regions import selectors as region_selectors


class BulletinStateError(Exception):
    """The step does not apply to the bulletin as it now stands."""


class FourEyesError(PermissionDenied):
    """The drafter of a report tried to review or approve it."""


def bulletin_generate(*, actor, region_code: str, day: dt.date, language: str, request=None) -> Bulletin:
    region = region_selectors.region_get(user=actor, code=region_code)  # 404 outside the scope
    if not can(actor, Capability.BULLETIN_DRAFT, region.code):
        raise PermissionDenied(_("You may not generate reports for this region."))
    if language not in Bulletin.Language.values:
        raise ValidationError({"language": [_("Choose Chinese or English.")]})
    content = {**dashboard_selectors.situation(user=actor, region=region, day=day, fresh=True),
               "sections": report.section_figures(user=actor, region=region, day=day)}
    features = dashboard_selectors.region_geometry(user=actor, region=region)["features"]
    body = report.render_report_html(content, features, language)
    for _attempt in range(3):
        try:
            with transaction.atomic():
                latest = Bulletin.objects.filter(region=region, date=day, language=language) \
                    .aggregate(v=Max("version"))["v"] or 0
                bulletin = Bulletin(region=region, date=day, language=language, version=latest + 1,
                                    content=content, html=body, created_by=actor,
                                    fingerprint=hashlib.sha256(body.encode("utf-8")).hexdigest())
                bulletin.full_clean()
                bulletin.save()
                audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=bulletin, region_code=region.code,
                             request=request, detail={"date": day.isoformat(), "language": language,
                                                      "version": bulletin.version,
                                                      "fingerprint": bulletin.fingerprint})
                return bulletin
        except IntegrityError:  # somebody generated the same version at the same moment: take the next
            continue
    raise BulletinStateError(_("Could not allocate a version number; try again."))


def _latest_version(bulletin: Bulletin) -> int:
    return Bulletin.objects.filter(region_id=bulletin.region_id, date=bulletin.date,
                                   language=bulletin.language).aggregate(v=Max("version"))["v"]


def _step(*, actor, bulletin: Bulletin, capability: str, before: str, after: str, stamp: str, request) -> Bulletin:
    if not can(actor, capability, bulletin.region_id):
        raise PermissionDenied(_("You may not take this step for this region."))
    if actor.pk == bulletin.created_by_id:
        raise FourEyesError(_("You generated this version of the report: another person must review and "
                              "approve it (four eyes)."))
    if bulletin.version != _latest_version(bulletin):
        raise BulletinStateError(_("A newer version of this report exists: only the latest version moves on."))
    now = timezone.now()
    with transaction.atomic():
        changed = Bulletin.objects.filter(pk=bulletin.pk, status=before).update(
            status=after, **{f"{stamp}_at": now, f"{stamp}_by": actor})
        if changed != 1:
            raise BulletinStateError(_("The report is no longer %(status)s.") % {
                "status": Bulletin.Status(before).label})
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=bulletin, region_code=bulletin.region_id,
                     request=request, detail={"from": before, "to": after, "version": bulletin.version,
                                              "fingerprint": bulletin.fingerprint})
    bulletin.refresh_from_db()
    return bulletin


def bulletin_review(*, actor, bulletin: Bulletin, request=None) -> Bulletin:
    return _step(actor=actor, bulletin=bulletin, capability=Capability.BULLETIN_REVIEW,
                 before=Bulletin.Status.DRAFT, after=Bulletin.Status.REVIEWED, stamp="reviewed", request=request)


def bulletin_approve(*, actor, bulletin: Bulletin, request=None) -> Bulletin:
    return _step(actor=actor, bulletin=bulletin, capability=Capability.BULLETIN_APPROVE,
                 before=Bulletin.Status.REVIEWED, after=Bulletin.Status.APPROVED, stamp="approved", request=request)


def bulletin_pdf(*, bulletin: Bulletin, document_html: str) -> bytes:
    """The PDF of ``bulletin`` rendered from ``document_html``: read from the database when this very
    document was rendered before with the same stylesheet (by any process), otherwise rendered now and
    stored with the version."""
    digest = hashlib.sha256(document_html.encode("utf-8") + report.report_css_path().read_bytes()).hexdigest()
    stored = BulletinPdf.objects.filter(bulletin=bulletin, document_sha256=digest).first()
    if stored is not None:
        return bytes(stored.pdf)
    pdf = report.render_pdf(document_html)
    try:
        with transaction.atomic():
            BulletinPdf.objects.update_or_create(bulletin=bulletin,
                                                 defaults={"document_sha256": digest, "pdf": pdf})
    except IntegrityError:  # another process stored the same version at the same moment: theirs is as good
        pass
    return pdf


#: The steps of a report after its draft, by the status they lead to (the page's buttons, the API's ``to``).
BULLETIN_STEPS = {Bulletin.Status.REVIEWED: bulletin_review, Bulletin.Status.APPROVED: bulletin_approve}
