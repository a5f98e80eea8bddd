"""Pages of the public module.

- ``site_file`` (no sign-in): the public site, read only from the published files. A file is sent only if
  its SHA-256 is the one the verified, signed manifest lists (from the site directory, else from the last
  good snapshot); otherwise a fixed notice. Whatever was found wrong is recorded and raised
  (``services.tampering_report``), once per finding per process.
- ``manage`` and the rest under ``manage/`` (signed-in staff): notices (draft, approve, withdraw), editions
  (prepare, look at, publish). Thin: selectors to read, one service per action.
"""

from __future__ import annotations

import threading
from pathlib import PurePosixPath

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong.accounts.access import can, memberships_of, public, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.cases.models import RiskArea
from fangkong.inputs import NON_FIELD, PageForm, error_messages, error_summary
from fangkong.request_params import query_params

from . import conf, selectors, services, signing, store
from .apps import NOTICE_APPROVE, NOTICE_DRAFT, PUBLISH, TESTING_SITE_APPROVE, TESTING_SITE_DRAFT
from .inputs import WEEKDAYS, NoticeInput, TestingSiteInput, TestingSiteNewQuery
from .models import TestingSite

UNAVAILABLE = ("<!DOCTYPE html>\n<html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
               "content=\"width=device-width, initial-scale=1\"><title>暂时无法提供 · Temporarily unavailable</title>"
               "</head><body><main><h1>此页面暂时无法提供</h1><p>发布的内容未通过校验，正在恢复。请稍后再试。</p>"
               "<h2 lang=\"en\">This page is temporarily unavailable</h2><p lang=\"en\">The published content did not "
               "pass verification and is being restored. Please try again later.</p></main></body></html>\n")
NOT_FOUND = ("<!DOCTYPE html>\n<html lang=\"zh-Hans\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
             "content=\"width=device-width, initial-scale=1\"><title>未找到 · Not found</title></head><body><main>"
             "<h1>未找到此页面</h1><p><a href=\"/public/\">返回首页</a></p><p lang=\"en\">Page not found. "
             "<a href=\"/public/en/\">Home</a></p></main></body></html>\n")

_readers: dict[tuple, store.SiteReader] = {}
_reported: set[tuple[str, str]] = set()
_lock = threading.Lock()


def site_reader() -> store.SiteReader:
    """The reader for the configured directories and key (one per configuration, per process)."""
    key = conf.fingerprint()
    reader = _readers.get(key)
    if reader is not None:
        return reader
    with _lock:
        reader = _readers.get(key)
        if reader is None:
            reader = _readers[key] = store.SiteReader(site_dir=conf.site_dir(), snapshot_dir=conf.snapshot_dir(),
                                                      public_key=signing.public_key_load(conf.verify_key_path()),
                                                      mark=store.EditionMark(conf.state_dir()))
            reader.verify = conf.verify_enabled()
        return reader


def _report(problems: list[tuple[str, str]], path: str, request) -> None:
    for kind, detail in problems:
        with _lock:
            if (kind, detail) in _reported:
                continue
            if len(_reported) > 10_000:
                _reported.clear()
            _reported.add((kind, detail))
        services.tampering_report(kind=kind, path=path, detail=detail, found_by="server", request=request)


def _plain(body: str, status: int) -> HttpResponse:
    response = HttpResponse(body, content_type="text/html; charset=utf-8", status=status)
    response["Cache-Control"] = "no-store"
    return response


@public
@require_http_methods(["GET", "HEAD"])
def site_file(request, path: str = ""):
    if not path or path.endswith("/"):
        path += "index.html"
    relative = store.safe_relative(path)
    if relative is None:
        return _plain(NOT_FOUND, 404)
    try:
        reader = site_reader()
    except FileNotFoundError:
        if not conf.site_dir().exists() and not conf.snapshot_dir().exists():
            return _plain(NOT_FOUND, 404)  # nothing published yet, no key yet
        _report([("key", "the verification key cannot be read")], relative, request)
        return _plain(UNAVAILABLE, 503)
    except (OSError, ValueError):
        _report([("key", "the verification key cannot be read")], relative, request)
        return _plain(UNAVAILABLE, 503)
    if not reader.published():
        return _plain(NOT_FOUND, 404)  # nothing published yet
    fetched = reader.fetch(relative) if reader.verify else reader.fetch_unverified(relative)
    if fetched.problems:
        _report(fetched.problems, relative, request)
    if fetched.body is None:
        return _plain(NOT_FOUND, 404) if not fetched.listed or not fetched.problems else _plain(UNAVAILABLE, 503)
    response = HttpResponse(fetched.body, content_type=store.CONTENT_TYPES[PurePosixPath(relative).suffix])
    response["Cache-Control"] = "public, max-age=60"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    if relative.startswith("data/"):
        response["Access-Control-Allow-Origin"] = "*"  # open data: readable by any researcher's script
    return response


# --- staff pages -----------------------------------------------------------------------------------------


def _fail(request, exc: Exception, status: int = 400):
    message = error_summary(error_messages(exc)) if isinstance(exc, ValidationError) else str(exc)
    return render(request, "public/error.html", {"message": message}, status=status)


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def manage(request):
    return render(request, "public/manage.html", {
        "notices": selectors.notice_list(user=request.user)[:100],
        "testing_sites": selectors.testing_site_list(user=request.user).filter(
            review__in=[TestingSite.Review.DRAFT, TestingSite.Review.APPROVED])[:200],
        "may_draft_sites": can(request.user, TESTING_SITE_DRAFT),
        "may_approve_sites": can(request.user, TESTING_SITE_APPROVE),
        "publications": selectors.publication_list(user=request.user)[:30],
        "may_draft": can(request.user, NOTICE_DRAFT), "may_approve": can(request.user, NOTICE_APPROVE),
        "may_publish": can(request.user, PUBLISH, conf.site_region()), "site_region": conf.site_region(),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def notice_new(request):
    if not can(request.user, NOTICE_DRAFT):
        raise PermissionDenied(_("Your role may not draft notices."))
    form = PageForm(NoticeInput, request, initial={"region": next(iter(memberships_of(request.user)), ("",))[0]})
    notice = form.submit(services.notice_create, actor=request.user, request=request)
    if notice is not None:
        messages.success(request, _("Notice drafted: another person must approve it."))
        return redirect("public:manage")
    return render(request, "public/notice_new.html", {"form": form}, status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def notice_approve(request, notice_id: int):
    notice = selectors.notice_get(user=request.user, notice_id=notice_id)
    try:
        services.notice_approve(actor=request.user, notice=notice, request=request)
    except PermissionDenied as exc:
        return _fail(request, exc, 403)
    except services.PublicationStateError as exc:
        return _fail(request, exc)
    messages.success(request, _("Notice approved."))
    return redirect("public:manage")


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def notice_withdraw(request, notice_id: int):
    notice = selectors.notice_get(user=request.user, notice_id=notice_id)
    try:
        services.notice_withdraw(actor=request.user, notice=notice, request=request)
    except PermissionDenied as exc:
        return _fail(request, exc, 403)
    except services.PublicationStateError as exc:
        return _fail(request, exc)
    messages.success(request, _("Notice withdrawn: the next edition no longer shows it."))
    return redirect("public:manage")


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def publication_prepare(request):
    try:
        publication = services.publication_prepare(actor=request.user, request=request)
    except PermissionDenied as exc:
        return _fail(request, exc, 403)
    except ValidationError as exc:
        return _fail(request, exc)
    messages.success(request, _("Edition prepared: another person must publish it."))
    return redirect("public:publication", publication_id=publication.pk)


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def publication_detail(request, publication_id: int):
    publication = selectors.publication_get(user=request.user, publication_id=publication_id)
    levels = dict(RiskArea.Level.choices)
    return render(request, "public/publication.html", {
        "publication": publication, "snapshot": publication.snapshot,
        "risk_areas": [{**a, "level_label": levels.get(a.get("level"), "")} for a in publication.snapshot.get("risk_areas", [])],
        "may_publish": can(request.user, PUBLISH, publication.region_id)
        and publication.prepared_by_id != request.user.pk and publication.status == publication.Status.PREPARED,
        "is_preparer": publication.prepared_by_id == request.user.pk, "non_field": NON_FIELD,
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def publication_publish(request, publication_id: int):
    publication = selectors.publication_get(user=request.user, publication_id=publication_id)
    try:
        services.publication_publish(actor=request.user, publication=publication, request=request)
    except PermissionDenied as exc:
        return _fail(request, exc, 403)
    except services.PublicationStateError as exc:
        return _fail(request, exc)
    messages.success(request, _("Published: the public site now shows this edition."))
    return redirect("public:publication", publication_id=publication.pk)


@region_scoped
@shows(Category.AGGREGATES)
@query_params(TestingSiteNewQuery)
@require_http_methods(["GET", "POST"])
def testing_site_new(request):
    """Draft a testing site, or (``?replaces=<id>``) a new version of an approved one, its values filled in."""
    if not can(request.user, TESTING_SITE_DRAFT):
        raise PermissionDenied(_("Your role may not draft testing sites."))
    initial: dict = {"region": next(iter(memberships_of(request.user)), ("",))[0], "status": TestingSite.Status.OPEN,
                     "opens_at": "08:00", "closes_at": "20:00"}
    checked = {"weekdays": [str(d) for d, _label in WEEKDAYS], "services": [TestingSite.Service.NUCLEIC_ACID]}
    replaces = request.params["replaces"]
    if replaces is not None:
        previous = selectors.testing_site_get(user=request.user, site_id=replaces)
        initial = {f: getattr(previous, f) for f in ("name_zh", "name_en", "address_zh", "address_en",
                                                    "hours_note_zh", "hours_note_en", "status")}
        initial |= {"region": previous.region_id, "replaces": previous.pk,
                    "opens_at": previous.opens_at.strftime("%H:%M"), "closes_at": previous.closes_at.strftime("%H:%M")}
        checked = {"weekdays": [str(d) for d in previous.weekdays], "services": list(previous.services)}
    form = PageForm(TestingSiteInput, request, initial=initial)
    if form.bound:  # the boxes ticked, as posted
        checked = {name: form.lists.get(name, []) for name in checked}
    site = form.submit(services.testing_site_create, actor=request.user, request=request)
    if site is not None:
        messages.success(request, _("Testing site drafted: another person must approve it."))
        return redirect("public:manage")
    return render(request, "public/testing_site_new.html", {
        "form": form, "weekdays": [(str(d), label, str(d) in checked["weekdays"]) for d, label in WEEKDAYS],
        "services": [(value, label, value in checked["services"]) for value, label in TestingSite.Service.choices],
        "statuses": TestingSite.Status.choices,
    }, status=form.status)


def _site_step(request, site_id: int, step, done: str):
    site = selectors.testing_site_get(user=request.user, site_id=site_id)
    try:
        step(actor=request.user, site=site, request=request)
    except PermissionDenied as exc:
        return _fail(request, exc, 403)
    except services.PublicationStateError as exc:
        return _fail(request, exc)
    messages.success(request, done)
    return redirect("public:manage")


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def testing_site_approve(request, site_id: int):
    return _site_step(request, site_id, services.testing_site_approve, _("Testing site approved."))


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def testing_site_withdraw(request, site_id: int):
    return _site_step(request, site_id, services.testing_site_withdraw,
                      _("Testing site withdrawn: the next edition no longer shows it."))
