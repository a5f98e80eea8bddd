"""Pages of the retention module (administrators only): the policies with the changes awaiting a second
administrator, legal holds, the ends of epidemics, purges (dry run, approval, progress) and their deletion
certificates (page and PDF). Read through the selectors, write through the services, input through the
action's schema (``inputs.py``, the same one the API uses)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong.accounts.access import can, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.inputs import PageForm

from . import selectors, services
from .apps import MANAGE
from .inputs import DecisionInput, EpidemicEndInput, HoldInput, PolicyChangeInput, PurgePlanInput
from .models import Action, Clock, DataCategory, LegalHold, PolicyChange
from .policies import COVERAGE


def _admin_only(request) -> None:
    if not can(request.user, MANAGE):
        raise PermissionDenied(_("Only an administrator may manage retention."))


def _home_context(request, **forms) -> dict:
    policies = selectors.policy_list()
    return {
        "policies": [(p, COVERAGE[p.category]) for p in policies],
        "changes": selectors.change_list()[:20],
        "holds": selectors.hold_list(),
        "ends": selectors.epidemic_end_list(),
        "purges": selectors.purge_list()[:20],
        "change_form": forms.get("change_form") or PageForm(PolicyChangeInput, request),
        "hold_form": forms.get("hold_form") or PageForm(HoldInput, request),
        "end_form": forms.get("end_form") or PageForm(EpidemicEndInput, request),
        "plan_form": forms.get("plan_form") or PageForm(PurgePlanInput, request, initial={"region": "440000"}),
        "categories": DataCategory.choices, "clocks": PolicyChange._meta.get_field("clock").choices,
        "actions": PolicyChange._meta.get_field("action").choices, "targets": LegalHold.Target.choices,
    }


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def home(request):
    """The administrators' page (policies, changes, holds, epidemic ends, purges); to everyone else the
    policies in force only — how long the platform keeps each kind of personal data is no secret (PIPL art. 17
    has it told to the persons themselves), what is held or purged is."""
    if not can(request.user, MANAGE):
        return render(request, "retention/policies.html",
                      {"policies": [(p, COVERAGE[p.category]) for p in selectors.policy_list()]})
    return render(request, "retention/home.html", _home_context(request))


def _posted(request, schema, service, form_key: str, done: str):
    """One form of the home page posted: the service's result, or the page again with the refusals."""
    _admin_only(request)
    form = PageForm(schema, request)
    result = form.submit(service, actor=request.user, request=request)
    if result is not None:
        messages.success(request, done)
        return result, None
    return None, render(request, "retention/home.html", _home_context(request, **{form_key: form}), status=form.status)


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def change_new(request):
    _result, page = _posted(request, PolicyChangeInput, services.policy_change_propose, "change_form",
                            _("Change proposed: a second administrator must approve it."))
    return page or redirect("retention:home")


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def change_decide(request, change_id: int):
    _admin_only(request)
    change = get_object_or_404(selectors.change_list(), pk=change_id)
    form = PageForm(DecisionInput, request)
    if form.submit(services.policy_change_decide, actor=request.user, change=change, request=request,
                   refusals={PermissionDenied: "approve"}) is None:
        for problem in form.errors.values():
            messages.error(request, " ".join(problem))
        return redirect("retention:home")
    messages.success(request, _("Decision recorded."))
    return redirect("retention:home")


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def hold_new(request):
    _result, page = _posted(request, HoldInput, services.hold_place, "hold_form", _("Legal hold placed."))
    return page or redirect("retention:home")


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def hold_release(request, hold_id: int):
    _admin_only(request)
    hold = get_object_or_404(selectors.hold_list(), pk=hold_id)
    services.hold_release(actor=request.user, hold=hold, request=request)
    messages.success(request, _("Legal hold released."))
    return redirect("retention:home")


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def epidemic_end_new(request):
    _result, page = _posted(request, EpidemicEndInput, services.epidemic_end_record, "end_form",
                            _("End of the epidemic recorded."))
    return page or redirect("retention:home")


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def purge_new(request):
    purge, page = _posted(request, PurgePlanInput, services.purge_plan, "plan_form",
                          _("Dry run done: a second administrator must approve the purge."))
    return page or redirect("retention:purge-detail", purge_id=purge.pk)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def purge_detail(request, purge_id: int):
    _admin_only(request)
    purge = selectors.purge_get(purge_id)
    form = PageForm(DecisionInput, request)
    if request.method == "POST":
        if form.submit(services.purge_decide, actor=request.user, purge=purge, request=request,
                       refusals={PermissionDenied: "approve"}) is not None:
            messages.success(request, _("Decision recorded."))
            return redirect("retention:purge-detail", purge_id=purge.pk)
        purge.refresh_from_db()
    actions, done_labels = dict(Action.choices), _done_labels()
    rows = [(label, actions.get(purge.plan.get(code, {}).get("action"), ""), purge.plan.get(code, {}),
             [(done_labels.get(what, what), n) for what, n in purge.progress.get("counts", {}).get(code, {}).items()])
            for code, label in DataCategory.choices]
    return render(request, "retention/purge_detail.html",
                  {"purge": purge, "rows": rows, "form": form, "certificate": selectors.certificate_of(purge)},
                  status=form.status)


def _done_labels() -> dict:
    return {"deleted": _("Deleted"), "anonymised": _("Anonymised"), "aggregated": _("Aggregated"),
            "redacted": _("Audit events redacted"), "kept": _("Kept"), "expired": _("Audit details expired"),
            "v1_kept": _("Audit events kept whole (hash chain version 1)")}


def _certificate_document(certificate, *, for_browser: bool) -> str:
    labels, clocks, actions = dict(DataCategory.choices), dict(Clock.choices), dict(Action.choices)
    counts = [(labels.get(code, code), values) for code, values in sorted(certificate.content.get("counts", {}).items())]
    policies = [(labels.get(code, code), {**values, "clock": clocks.get(values.get("clock"), ""),
                                          "action": actions.get(values.get("action"), "")})
                for code, values in sorted(certificate.content.get("policies", {}).items())]
    return render_to_string("retention/certificate_document.html",
                            {"certificate": certificate, "counts": counts, "policies": policies,
                             "for_browser": for_browser})


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def certificate(request, purge_id: int):
    _admin_only(request)
    found = selectors.certificate_of(selectors.purge_get(purge_id))
    if found is None:
        raise PermissionDenied(_("This purge has not finished: no certificate yet."))
    return HttpResponse(_certificate_document(found, for_browser=True))


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def certificate_pdf(request, purge_id: int):
    _admin_only(request)
    found = selectors.certificate_of(selectors.purge_get(purge_id))
    if found is None:
        raise PermissionDenied(_("This purge has not finished: no certificate yet."))
    pdf = services.certificate_pdf(actor=request.user, certificate=found, request=request,
                                   document_html=_certificate_document(found, for_browser=False))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="deletion-certificate-{purge_id}.pdf"'
    return response
