"""Pages of the UI shell. Thin: read through scoped selectors, write through one service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from fangkong.accounts.access import can, public, region_scoped
from fangkong.accounts.roles import Capability
from fangkong.api.errors import error_body
from fangkong.audit.models import AuditEvent
from fangkong.audit.selectors import audit_event_list
from fangkong.persons import selectors as person_selectors
from fangkong.persons.models import Person
from fangkong.persons.services import PersonElsewhereError, person_register, person_reveal
from fangkong.regions import selectors as region_selectors
from fangkong.web.context import CURRENT_REGION_KEY
from fangkong.web.modules import MODULES, MODULES_BY_SLUG


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
@require_GET
def home(request):
    roots = region_selectors.scope_roots(user=request.user)
    return render(request, "web/home.html", {
        "roots": roots,
        "person_count": person_selectors.person_list(user=request.user).count(),
        "modules": MODULES,
    })


@region_scoped
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
@require_GET
def region_switch(request):
    region = region_selectors.region_get(user=request.user, code=request.GET.get("code", ""))
    request.session[CURRENT_REGION_KEY] = region.code
    return redirect("web:region-detail", code=region.code)


@region_scoped
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
@require_GET
def region_map(request, code: str):
    """GeoJSON of the children of a region in scope (for the map), names in the active language."""
    region = region_selectors.region_get(user=request.user, code=code)
    children = region_selectors.region_list(user=request.user, parent=region.code).defer(None)
    features = [
        {"type": "Feature", "id": c.code,
         "properties": {"name": c.name, "code": c.code, "population": c.population,
                        "synthetic": c.geometry_synthetic},
         "geometry": c.geometry}
        for c in children if c.geometry
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@region_scoped
@require_http_methods(["GET", "POST"])
def person_list(request):
    query = request.GET.get("q", "").strip()
    page = Paginator(person_selectors.person_list(user=request.user, search=query), 25).get_page(
        request.GET.get("page")
    )
    form_errors: dict = {}
    form_values = {}
    if request.method == "POST":
        form_values = {k: request.POST.get(k, "") for k in
                       ("name", "sex", "birth_date", "citizen_id", "phone", "address_region", "address_text")}
        try:
            birth = dt.date.fromisoformat(form_values["birth_date"]) if form_values["birth_date"] else None
        except ValueError:
            form_errors = {"birth_date": [_("Enter a date as YYYY-MM-DD.")]}
            birth = None
        if not form_errors:
            try:
                registration = person_register(
                    actor=request.user, request=request, birth_date=birth,
                    **{k: v for k, v in form_values.items() if k != "birth_date"},
                )
            except ValidationError as exc:
                form_errors = exc.message_dict
            except PersonElsewhereError as exc:
                form_errors = {"citizen_id": [str(exc)]}
            except PermissionDenied as exc:
                form_errors = {"__all__": [str(exc)]}
            else:
                if registration.created:
                    messages.success(request, _("Person registered."))
                else:
                    messages.info(request, _("This citizen ID is already registered: here is the existing person."))
                return redirect("web:person-detail", person_id=registration.person.pk)
    status = 400 if form_errors else 200
    non_field_errors = form_errors.pop("__all__", [])
    return render(request, "web/person_list.html", {
        "page": page, "query": query, "form_errors": form_errors, "form_values": form_values,
        "non_field_errors": non_field_errors,
        "sexes": Person.Sex.choices,
        "address_regions": region_selectors.region_list(user=request.user).only("code", "name_zh", "name_en"),
        "can_register": can(request.user, Capability.PERSON_REGISTER),
    }, status=status)


@region_scoped
@require_GET
def person_detail(request, person_id: int):
    person = person_selectors.person_get(user=request.user, person_id=person_id)
    return render(request, "web/person_detail.html", {
        "person": person,
        "can_reveal": can(request.user, Capability.PERSON_REVEAL, person.address_region_id),
    })


@region_scoped
@require_POST
def person_reveal_fragment(request, person_id: int):
    person = person_selectors.person_get(user=request.user, person_id=person_id)
    revealed = person_reveal(actor=request.user, person=person, request=request,
                             reason=request.POST.get("reason", ""))
    return render(request, "web/_revealed.html", {"revealed": revealed})


@region_scoped
@require_GET
def audit_list(request):
    if not can(request.user, Capability.AUDIT_BROWSE):
        raise PermissionDenied(_("Only system administrators may browse the audit trail."))
    filters = {k: request.GET.get(k, "") for k in ("action", "user", "object_type")}
    events = audit_event_list(user=request.user, action=filters["action"], username=filters["user"],
                              object_type=filters["object_type"])
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "web/audit_list.html", {
        "page": page, "filters": filters, "actions": AuditEvent.Action.choices,
    })


@region_scoped
@require_GET
def module_placeholder(request, slug: str):
    module = MODULES_BY_SLUG.get(slug)
    if module is None or module.url_name:
        raise Http404("no such module")
    return render(request, "web/module_placeholder.html", {"module": module})


def forbidden(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("permission_denied", str(exception or "") or "Not allowed."), status=403)
    return HttpResponse(render(request, "web/403.html").content, status=403)


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return HttpResponse(render(request, "web/404.html").content, status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("server_error", "Internal error; it has been logged."), status=500)
    return HttpResponse("<h1>500</h1>", status=500)
