"""Pages of the UI shell. Thin: read through scoped selectors, write through one service, render."""

from __future__ import annotations

import csv
import io
import json

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from fangkong import modules, paging
from fangkong.accounts.access import can, public, region_scoped
from fangkong.accounts.need_to_know import Category, may_read, shows
from fangkong.accounts.roles import Capability
from fangkong.api.errors import error_body
from fangkong.api.views import AuditListQuery, PersonListQuery
from fangkong.audit.models import AuditEvent
from fangkong.audit.selectors import (
    FILTER_NAMES,
    audit_event_list,
    audit_filters_parse,
    audit_labels,
    object_names,
)
from fangkong.audit.services import audit_record, audit_refusal, export_watermark
from fangkong.inputs import NON_FIELD, PageForm, error_summary
from fangkong.persons import selectors as person_selectors
from fangkong.persons.inputs import PersonFindInput, PersonInput, RevealInput
from fangkong.persons.models import Person
from fangkong.persons.services import PersonElsewhereError, person_lookup, person_register, person_reveal
from fangkong.persons.services import looks_like_citizen_id as person_lookup_wanted
from fangkong.regions import selectors as region_selectors
from fangkong.request_params import Day, Query, RegionCode, Text, query_params
from fangkong.web.context import CURRENT_REGION_KEY, modules_open
from fangkong.web.day import remember_day
from fangkong.web.modules import module_by_slug


class RegionSwitchQuery(Query):
    code = RegionCode(required=True)


class DaySwitchQuery(Query):
    date = Day(help_text="the day of every page; not given: the last day with data")
    next = Text(max_length=2000, help_text="the page to go back to")


class SignInView(auth_views.LoginView):
    fangkong_access = "public"
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    fangkong_access = "public"


set_language = public(django_set_language)


@public
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


@region_scoped
@shows(Category.REFERENCE)
@require_GET
def home(request):
    roots = region_selectors.scope_roots(user=request.user)
    return render(request, "web/home.html", {
        "roots": roots,
        "person_count": person_selectors.person_list(user=request.user).count()
        if may_read(request.user, Category.NAMED) else None,
        "modules": modules_open(request.user),
    })


@region_scoped
@shows(Category.REFERENCE)
@require_GET
def region_home(request):
    code = request.session.get(CURRENT_REGION_KEY)
    roots = region_selectors.scope_roots(user=request.user)
    if not code and roots:
        code = roots[0].code
    if not code:
        return render(request, "web/no_scope.html", status=403)
    return redirect("web:region-detail", code=code)


@region_scoped
@shows(Category.REFERENCE)
@query_params(RegionSwitchQuery)
@require_GET
def region_switch(request):
    region = region_selectors.region_get(user=request.user, code=request.params["code"])
    request.session[CURRENT_REGION_KEY] = region.code
    return redirect("web:region-detail", code=region.code)


#: Query parameters naming the day or period a page shows: dropped from the page a day switch returns to,
#: which then shows the newly chosen day.
DAY_PARAMETERS = frozenset({"date", "first", "last", "date_from", "date_to"})


@region_scoped
@shows(Category.REFERENCE)
@query_params(DaySwitchQuery)
@require_GET
def day_switch(request):
    """Choose the day of every page (``?date=``; empty: the last day with data), back to the page ``next``."""
    remember_day(request, request.params["date"])
    target = request.params["next"] or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = "/"
    path, _sep, query = target.partition("?")
    kept = QueryDict(query, mutable=True)
    for name in DAY_PARAMETERS & set(kept):
        del kept[name]
    return redirect(f"{path}?{kept.urlencode()}" if kept else path)


@region_scoped
@shows(Category.REFERENCE)
@require_GET
def region_detail(request, code: str):
    region = region_selectors.region_get(user=request.user, code=code)
    children = list(region_selectors.region_list(user=request.user, parent=region.code))
    return render(request, "web/region_detail.html", {
        "region": region,
        "breadcrumb": region_selectors.ancestors_in_scope(user=request.user, region=region),
        "children": children,
        "children_population": sum(c.population for c in children),
        "estimated_children": sum(c.population_estimated for c in children),
        "synthetic_children": sum(c.geometry_synthetic for c in children),
    })


@region_scoped
@shows(Category.REFERENCE)
@require_GET
def region_map(request, code: str):
    """GeoJSON of the children of a region in scope (for the map), names in the active language; schematic
    shapes are left out, and when no child has a real boundary the map is the region's own outline."""
    region = region_selectors.region_get(user=request.user, code=code)
    children = [c for c in region_selectors.region_list(user=request.user, parent=region.code).defer(None)
                if c.geometry and not c.geometry_synthetic]
    if not children and region.geometry is not None and not region.geometry_synthetic:
        children = [region]  # region_get reads the geometry
    features = [
        {"type": "Feature", "id": c.code,
         "properties": {"name": c.name, "code": c.code, "population": c.population,
                        "synthetic": c.geometry_synthetic},
         "geometry": c.geometry}
        for c in children
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@region_scoped
@shows(Category.NAMED)
@query_params(PersonListQuery)
@require_http_methods(["GET", "POST"])
def person_list(request):
    query = request.params["q"] or ""
    page = paging.page_of(person_selectors.person_list(user=request.user, search=query),
                          order=tuple(Person._meta.ordering), size=25, cursor=request.params["cursor"])
    form = PageForm(PersonInput, request)
    registration = form.submit(person_register, actor=request.user, request=request,
                               refusals={PersonElsewhereError: "citizen_id", PermissionDenied: NON_FIELD})
    if registration is not None:
        if registration.created:
            messages.success(request, _("Person registered."))
        else:
            messages.info(request, _("This citizen ID is already registered: here is the existing person."))
        return redirect("web:person-detail", person_id=registration.person.pk)
    return render(request, "web/person_list.html", {
        "page": page, "query": query, "form": form,
        "sexes": Person.Sex.choices,
        "address_regions": region_selectors.region_list(user=request.user).only("code", "name_zh", "name_en"),
        "can_register": can(request.user, Capability.PERSON_REGISTER),
    }, status=form.status)


@region_scoped
@shows(Category.NAMED)
@require_POST
def person_find(request):
    """Find a person by citizen ID — posted, so that the number never sits in a URL, a log or the history.

    The registry's search box and the case and contact forms (htmx, ``purpose`` case/contact: a fragment
    under the ID field) post here. A number is looked up by its keyed hash among the persons the user may
    see, audited (``person_lookup``); the answer shows only what the registry list shows (name, masked ID,
    region). Anything else typed in the registry's box is a name: back to the list, searched by name."""
    form = PageForm(PersonFindInput, request)
    htmx = request.headers.get("HX-Request") == "true"
    if not form.is_valid():  # a purpose no form of ours posts, a text too long to be a number or a name
        if htmx:
            return render(request, "web/_person_found.html", {"error": error_summary(form.errors)}, status=400)
        messages.error(request, error_summary(form.errors))
        return redirect("web:person-list")
    raw, purpose = form.data["citizen_id"] or form.data["q"], form.data["purpose"]
    if not htmx and not person_lookup_wanted(raw):
        return redirect(f"{reverse('web:person-list')}?{urlencode({'q': raw})}" if raw else "web:person-list")
    person, error = None, ""
    if not raw:
        error = _("Enter the citizen ID to look for.")
    else:
        try:
            person = person_lookup(actor=request.user, citizen_id=raw, purpose=purpose, request=request)
        except ValidationError as exc:
            error = " ".join(exc.message_dict.get("citizen_id", exc.messages))
    if htmx:
        return render(request, "web/_person_found.html", {"person": person, "error": error, "purpose": purpose})
    if person is not None:
        return redirect("web:person-detail", person_id=person.pk)
    messages.info(request, error or _("No person with this citizen ID is registered in your area."))
    return redirect("web:person-list")


@region_scoped
@shows(Category.NAMED)
@require_GET
def person_detail(request, person_id: int):
    person = person_selectors.person_get(user=request.user, person_id=person_id)
    return render(request, "web/person_detail.html", {
        "person": person,
        "can_reveal": can(request.user, Capability.PERSON_REVEAL, person.address_region_id),
        "module_sections": modules.person_sections(request, person),
    })


@region_scoped
@shows(Category.IDENTIFIERS)
@require_POST
def person_reveal_fragment(request, person_id: int):
    person = person_selectors.person_get(user=request.user, person_id=person_id)
    form = PageForm(RevealInput, request)
    revealed = form.submit(person_reveal, actor=request.user, person=person, request=request)
    if revealed is None:  # no reason, or not a sentence: nothing revealed
        return render(request, "web/_revealed.html", {"errors": [m for ms in form.errors.values() for m in ms]},
                      status=400)
    return render(request, "web/_revealed.html", {"revealed": revealed})


@region_scoped
@shows(Category.AUDIT)
@query_params(AuditListQuery)
@require_GET
def audit_list(request):
    if not can(request.user, Capability.AUDIT_BROWSE):
        raise PermissionDenied(_("Only system administrators may browse the audit trail."))
    raw = {name: request.GET.get(name, "") for name in FILTER_NAMES}
    try:
        filters = audit_filters_parse(request.GET)
    except ValidationError as exc:
        errors, events = exc.message_dict, AuditEvent.objects.none()
    else:
        errors, events = {}, audit_event_list(user=request.user, filters=filters)
    page = paging.page_of(events, order=tuple(AuditEvent._meta.ordering), size=50, cursor=request.params["cursor"])
    names = object_names(page)
    rows = [(event, audit_labels(event, names)) for event in page]
    return render(request, "web/audit_list.html", {
        "page": page, "rows": rows, "filters": raw, "errors": errors, "actions": AuditEvent.Action.choices,
    }, status=400 if errors else 200)


@region_scoped
@shows(Category.AUDIT)
@query_params(AuditListQuery)
@require_GET
def audit_export(request):
    """The filtered trail as CSV: a watermark row first (who exported, when, which filters); itself audited."""
    if not can(request.user, Capability.AUDIT_BROWSE):
        raise PermissionDenied(_("Only system administrators may export the audit trail."))
    try:
        filters = audit_filters_parse(request.GET)
    except ValidationError as exc:
        return JsonResponse(error_body("invalid", "The input is not valid.", exc.message_dict), status=400)
    events = audit_event_list(user=request.user, filters=filters).order_by("id")
    exported_at = timezone.localtime()
    audit_record(actor=request.user, action=AuditEvent.Action.EXPORT, object_type="audit.auditevent",
                 request=request, detail={"filters": filters.as_text(), "count": events.count()})

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([export_watermark(user=request.user, exported_at=exported_at, filters=filters.as_text())])
        writer.writerow(["id", "occurred_at", "user", "action", "action_label", "object_type", "object",
                         "object_id", "region", "source_ip", "reason", "detail", "event_hash"])
        for event in events.iterator(chunk_size=2000):
            labels = audit_labels(event)
            writer.writerow([event.pk, timezone.localtime(event.occurred_at).isoformat(), event.actor_username,
                             event.action, labels["action"], event.object_type, labels["object"], event.object_id,
                             event.region_code, event.source_ip or "", labels["reason"],
                             json.dumps(event.detail, ensure_ascii=False, sort_keys=True), event.event_hash])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{exported_at:%Y%m%d-%H%M%S}.csv"'
    return response


@region_scoped
@shows(Category.REFERENCE)
@require_GET
def module_placeholder(request, slug: str):
    module = module_by_slug(slug)
    if module is None or module.url_name:
        raise Http404("no such module")
    return render(request, "web/module_placeholder.html", {"module": module})


def forbidden(request, exception=None):
    audit_refusal(actor=getattr(request, "user", None), object_id=request.path[:64], request=request,
                  detail={"method": request.method, "path": request.path[:200], "message": str(exception or "")[:200]})
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("permission_denied", str(exception or "") or "Not allowed."), status=403)
    return HttpResponse(render(request, "web/403.html").content, status=403)


def bad_request(request, exception=None):
    """A request Django refuses before any view (a malformed upload, a body over the size allowed)."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("bad_request", str(exception or "") or "Bad request."), status=400)
    return HttpResponse(render(request, "web/400.html", {"message": _("The request could not be read.")}).content,
                        status=400)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return HttpResponse(render(request, "web/404.html").content, status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Internal error; it has been logged."), status=500)
    return HttpResponse("<h1>500</h1>", status=500)
