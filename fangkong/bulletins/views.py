"""Pages of the daily situation report. Thin: scoped selectors to read, one service to write, render.

- ``/bulletins/``: the reports in scope (by region, date) and the form to generate one;
- ``/bulletins/generate/`` (POST): a new version for a region, date and language;
- ``/bulletins/<id>/``: one version: the report, its workflow (review, approve), its versions and the
  differences to the previous one;
- ``/bulletins/<id>/report/`` and ``/bulletins/<id>/report.pdf``: the report alone, as HTML and as PDF.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fangkong import paging
from fangkong.accounts.access import can, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.bulletins import selectors, services
from fangkong.bulletins.api import BulletinListQuery
from fangkong.bulletins.differences import report_differences
from fangkong.bulletins.inputs import BulletinGenerateInput, BulletinTransitionInput
from fangkong.bulletins.models import Bulletin
from fangkong.inputs import NON_FIELD, PageForm, error_summary
from fangkong.regions import selectors as region_selectors
from fangkong.regions.models import Region
from fangkong.request_params import query_params
from fangkong.web.day import chosen_day


@region_scoped
@shows(Category.AGGREGATES)
@query_params(BulletinListQuery)
@require_GET
def bulletin_list(request):
    region = request.params["region"] or ""
    day = request.params["date"]
    regions = region_selectors.region_list(user=request.user).exclude(level=Region.Level.TOWNSHIP) \
        .only("code", "name_zh", "name_en", "level").order_by("code")
    return render(request, "bulletins/list.html", {
        "bulletins": paging.page_of(selectors.bulletin_list(user=request.user, region=region, day=day),
                                    order=tuple(Bulletin._meta.ordering), size=50, cursor=request.params["cursor"]),
        "region": region, "day": day, "regions": regions, "languages": Bulletin.Language.choices,
        "generate_day": day or chosen_day(request),
        "can_generate": can(request.user, Capability.BULLETIN_DRAFT),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def bulletin_generate(request):
    form = PageForm(BulletinGenerateInput, request)
    try:
        bulletin = form.submit(services.bulletin_generate, actor=request.user, request=request,
                               refusals={services.BulletinStateError: NON_FIELD})
    except PermissionDenied as exc:
        return render(request, "bulletins/error.html", {"message": str(exc)}, status=403)
    if bulletin is None:
        return render(request, "bulletins/error.html", {"message": error_summary(form.errors)}, status=400)
    messages.success(request, _("Version %(v)d generated.") % {"v": bulletin.version})
    return redirect("bulletins:detail", bulletin_id=bulletin.pk)


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def bulletin_detail(request, bulletin_id: int):
    bulletin = selectors.bulletin_get(user=request.user, bulletin_id=bulletin_id)
    previous = selectors.bulletin_previous(bulletin=bulletin)
    versions = list(selectors.bulletin_versions(bulletin=bulletin))
    latest = versions[0].version if versions else bulletin.version
    return render(request, "bulletins/detail.html", {
        "bulletin": bulletin, "previous": previous, "versions": versions, "is_latest": bulletin.version == latest,
        "changes": report_differences(previous, bulletin),
        "can_review": can(request.user, Capability.BULLETIN_REVIEW, bulletin.region_id),
        "can_approve": can(request.user, Capability.BULLETIN_APPROVE, bulletin.region_id),
        "is_drafter": bulletin.created_by_id == request.user.pk,
        "can_generate": can(request.user, Capability.BULLETIN_DRAFT, bulletin.region_id),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def bulletin_transition(request, bulletin_id: int):
    bulletin = selectors.bulletin_get(user=request.user, bulletin_id=bulletin_id)
    form = PageForm(BulletinTransitionInput, request)
    if not form.is_valid():
        return render(request, "bulletins/error.html", {"message": error_summary(form.errors)}, status=400)
    try:
        bulletin = services.BULLETIN_STEPS[form.data["to"]](actor=request.user, bulletin=bulletin, request=request)
    except PermissionDenied as exc:
        return render(request, "bulletins/error.html", {"message": str(exc)}, status=403)
    except services.BulletinStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The report is now: %(status)s.") % {"status": bulletin.get_status_display()})
    return redirect("bulletins:detail", bulletin_id=bulletin.pk)


def _document(bulletin: Bulletin, *, for_browser: bool) -> str:
    return render_to_string("bulletins/report_document.html", {"bulletin": bulletin, "for_browser": for_browser})


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def bulletin_report(request, bulletin_id: int):
    bulletin = selectors.bulletin_get(user=request.user, bulletin_id=bulletin_id)
    return HttpResponse(_document(bulletin, for_browser=True))


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def bulletin_pdf(request, bulletin_id: int):
    bulletin = selectors.bulletin_get(user=request.user, bulletin_id=bulletin_id)
    # the report of a version never changes: its PDF is rendered once and stored with the version
    pdf = services.bulletin_pdf(bulletin=bulletin, document_html=_document(bulletin, for_browser=False))
    audit_record(actor=request.user, action=AuditEvent.Action.EXPORT, obj=bulletin, region_code=bulletin.region_id,
                 request=request, detail={"format": "pdf", "version": bulletin.version,
                                          "fingerprint": bulletin.fingerprint})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (f'inline; filename="bulletin-{bulletin.region_id}-{bulletin.date:%Y%m%d}-'
                                       f'{bulletin.language}-v{bulletin.version}.pdf"')
    return response
