"""Pages of the interop module: the outbound queue (what left or is leaving the platform, the receivers'
answers, refusals first) and the destinations (administrators configure them). Read through the selectors,
write through the services, input through the action's schema (``inputs.py``, the same one the API uses)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong.accounts.access import can, in_scope, memberships_of, region_scoped
from fangkong.accounts.need_to_know import Category, shows
from fangkong.accounts.roles import Role
from fangkong.cases.jobs import import_job_submit
from fangkong.inputs import PageForm, error_messages, error_summary
from fangkong.regions.codes import covers
from fangkong.web.day import chosen_day

from . import dhis2, fhir, fhir_bulk, selectors, services
from .apps import CONFIGURE, SEND_AGGREGATES, SEND_CASES
from .inputs import (
    CaseReportSendInput,
    CaseReportsExportInput,
    CaseReportsFileInput,
    DestinationEditInput,
    DestinationInput,
    Dhis2ExportInput,
    Dhis2MappingInput,
    Dhis2OrgUnitInput,
)
from .models import Destination, MessageState

LIST_ROWS = 100


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def message_list(request):
    rows = selectors.message_list(user=request.user)
    return render(request, "interop/message_list.html", {
        "refused": list(rows.filter(state=MessageState.REFUSED)[:LIST_ROWS]),
        "messages_shown": list(rows[:LIST_ROWS]),
        "may_configure": can(request.user, CONFIGURE), "may_send": can(request.user, SEND_AGGREGATES),
        "may_send_cases": can(request.user, SEND_CASES),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def message_detail(request, message_id: int):
    message = selectors.message_get(user=request.user, message_id=message_id)
    return render(request, "interop/message_detail.html", {
        "message": message, "may_retry": message.state == MessageState.REFUSED
        and can(request.user, CONFIGURE, message.destination.region_id)})


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def message_retry(request, message_id: int):
    message = selectors.message_get(user=request.user, message_id=message_id)
    try:
        services.message_retry(actor=request.user, message=message, request=request)
    except ValidationError as refused:  # not a refused message: said on its page, nothing changed
        messages.error(request, " ".join(refused.messages))
        return render(request, "interop/message_detail.html", {"message": message, "may_retry": False}, status=400)
    messages.success(request, _("The message will be sent again."))
    return redirect("interop:message-detail", message_id=message.pk)


@region_scoped
@shows(Category.REFERENCE)
@require_GET
def destination_list(request):
    return render(request, "interop/destination_list.html", {
        "destinations": list(selectors.destination_list(user=request.user)[:LIST_ROWS]),
        "may_configure": can(request.user, CONFIGURE)})


def _admin_region(user) -> str:
    return next((code for code, role in memberships_of(user) if role == Role.SYSTEM_ADMINISTRATOR), "")


@region_scoped
@shows(Category.REFERENCE)
@require_http_methods(["GET", "POST"])
def destination_new(request):
    if not can(request.user, CONFIGURE):
        raise PermissionDenied(_("Only administrators may configure destinations."))
    form = PageForm(DestinationInput, request, initial={
        "region": _admin_region(request.user), "auth": Destination.Auth.NONE, "active": "1",
        "identifiers_entitled": "0"})
    destination = form.submit(services.destination_create, actor=request.user, request=request)
    if destination is not None:
        messages.success(request, _("Destination saved."))
        return redirect("interop:destination-edit", destination_id=destination.pk)
    return render(request, "interop/destination_form.html", _form_context(form, None), status=form.status)


@region_scoped
@shows(Category.REFERENCE)
@require_http_methods(["GET", "POST"])
def destination_edit(request, destination_id: int):
    destination = selectors.destination_get(user=request.user, destination_id=destination_id)
    may_configure = can(request.user, CONFIGURE, destination.region_id)
    if request.method == "POST" and not may_configure:
        raise PermissionDenied(_("Only administrators may configure destinations."))
    form = PageForm(DestinationEditInput, request, initial={
        "name": destination.name, "kind": destination.kind, "base_url": destination.base_url,
        "auth": destination.auth, "username": destination.username, "regions": " ".join(destination.regions),
        "identifiers_entitled": "1" if destination.identifiers_entitled else "0",
        "dhis2_data_set": destination.dhis2_data_set, "dhis2_period": destination.dhis2_period,
        "active": "1" if destination.active else "0"})
    if may_configure and form.submit(services.destination_update, actor=request.user, destination=destination,
                                     request=request) is not None:
        messages.success(request, _("Destination saved."))
        return redirect("interop:destination-edit", destination_id=destination.pk)
    return render(request, "interop/destination_form.html", _form_context(form, destination, may_configure),
                  status=form.status)


def _form_context(form, destination, may_configure: bool = True) -> dict:
    return {"form": form, "destination": destination, "may_configure": may_configure,
            "kinds": Destination.Kind.choices, "auths": Destination.Auth.choices,
            "periods": [("", "—"), ("daily", _("Daily")), ("weekly", _("Weekly"))],
            "yes_no": [("1", _("Yes")), ("0", _("No"))]}


# --- DHIS2 ----------------------------------------------------------------------------------------------------


def _dhis2_page(request, destination, *, figure_form=None, unit_form=None, status=200):
    figures = dhis2.figure_choices()
    labels = dict(figures)
    return render(request, "interop/dhis2_mapping.html", {
        "destination": destination,
        "mappings": [(m, labels.get(m.figure, m.figure)) for m in destination.dhis2_mappings.all()],
        "units": list(destination.dhis2_org_units.select_related("region")),
        "figures": figures,
        "may_configure": can(request.user, CONFIGURE, destination.region_id),
        "figure_form": figure_form or PageForm(Dhis2MappingInput, request),
        "unit_form": unit_form or PageForm(Dhis2OrgUnitInput, request)}, status=status)


@region_scoped
@shows(Category.REFERENCE)
@require_GET
def dhis2_mapping(request, destination_id: int):
    destination = selectors.destination_get(user=request.user, destination_id=destination_id)
    return _dhis2_page(request, destination)


def _dhis2_set(request, destination_id: int, schema, action, form_name: str):
    destination = selectors.destination_get(user=request.user, destination_id=destination_id)
    if not can(request.user, CONFIGURE, destination.region_id):
        raise PermissionDenied(_("Only administrators may edit the DHIS2 mapping."))
    form = PageForm(schema, request)
    if form.submit(action, actor=request.user, destination=destination, request=request) is None:
        return _dhis2_page(request, destination, **{form_name: form}, status=form.status)
    messages.success(request, _("Mapping saved."))
    return redirect("interop:dhis2-mapping", destination_id=destination.pk)


@region_scoped
@shows(Category.REFERENCE)
@require_POST
def dhis2_figure_set(request, destination_id: int):
    return _dhis2_set(request, destination_id, Dhis2MappingInput, dhis2.dhis2_mapping_set, "figure_form")


@region_scoped
@shows(Category.REFERENCE)
@require_POST
def dhis2_org_unit_set(request, destination_id: int):
    return _dhis2_set(request, destination_id, Dhis2OrgUnitInput, dhis2.dhis2_org_unit_set, "unit_form")


def _export(*, actor, destination: int, region: str, day, request=None):
    found = Destination.objects.filter(pk=destination, kind=Destination.Kind.DHIS2, active=True).first()
    if found is None or not any(covers(code, region) or covers(region, code) for code in found.regions):
        raise ValidationError({"destination": [_("No active DHIS2 destination with this number may receive "
                                                 "this region's data.")]})
    return dhis2.dhis2_export(actor=actor, destination=found, region=region, day=day, request=request)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def dhis2_export(request):
    if not can(request.user, SEND_AGGREGATES):
        raise PermissionDenied(_("Your role may not send data out of the platform."))
    form = PageForm(Dhis2ExportInput, request, initial={"region": next(iter(memberships_of(request.user)), ("",))[0]})
    queued = form.submit(_export, actor=request.user, request=request)
    if queued is not None:
        messages.success(request, _("%(count)d data value sets queued (a dry run first).") % {"count": len(queued)})
        return redirect("interop:message-list")
    destinations = [d for d in Destination.objects.filter(kind=Destination.Kind.DHIS2, active=True)
                    .defer("secret_sealed") if any(in_scope(request.user, code) for code in d.regions)]
    return render(request, "interop/dhis2_export.html", {"form": form, "destinations": destinations},
                  status=form.status)


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def case_report_send(request):
    """Send one case's report to a FHIR destination (the case chosen by its number)."""
    if not can(request.user, SEND_CASES):
        raise PermissionDenied(_("You may not send case reports out of the platform."))
    form = PageForm(CaseReportSendInput, request, initial={"case_no": request.GET.get("case", "")[:40]})
    message = form.submit(fhir.case_report_send, actor=request.user, request=request)
    if message is not None:
        messages.success(request, _("The case report is queued for %(destination)s.")
                         % {"destination": message.destination.name})
        return redirect("interop:message-detail", message_id=message.pk)
    return render(request, "interop/case_report_send.html", {"form": form,
                                                             "destinations": _fhir_destinations(request.user)},
                  status=form.status)


def _fhir_destinations(user, *, active_only: bool = True) -> list[Destination]:
    """The FHIR destinations (active ones only, unless a file is made for them) that may receive some of the
    user's regions' data."""
    found = Destination.objects.filter(kind=Destination.Kind.FHIR).defer("secret_sealed")
    if active_only:
        found = found.filter(active=True)
    return [d for d in found if any(in_scope(user, code) for code in d.regions)]


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def case_reports_export(request):
    """Export the case reports of a region and period for a FHIR destination: an NDJSON file of Bundles,
    streamed (never kept on the server); refused, the form again with the reasons (400), nothing read."""
    if not can(request.user, SEND_CASES):
        raise PermissionDenied(_("You may not send case reports out of the platform."))
    regions = [region for region, _role in memberships_of(request.user)]
    day = chosen_day(request)
    form = PageForm(CaseReportsExportInput, request, initial={"region": regions[0] if regions else "",
                                                              "reported_from": day, "reported_to": day})
    made = form.submit(fhir_bulk.case_reports_export, actor=request.user, request=request)
    if made is not None:
        response = StreamingHttpResponse(made.lines, content_type=f"{fhir_bulk.MEDIA_TYPE}; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
        response["X-Bundle-Count"] = str(made.count)
        return response
    choices = [(str(d.pk), f"{d.name} · {_('identifiers in clear')}" if d.identifiers_entitled else d.name)
               for d in _fhir_destinations(request.user, active_only=False)]
    return render(request, "interop/case_reports_export.html", {"form": form, "destinations": choices},
                  status=form.status)


@region_scoped
@shows(Category.NAMED)
@require_http_methods(["GET", "POST"])
def case_reports_import(request):
    """Upload an NDJSON file of FHIR case-report Bundles: it runs as one of the platform's import jobs, whose
    page shows the progress and every refused line with its element; all or none (``fhir_bulk``)."""
    fhir_bulk.allowed(request.user)  # before the upload is read
    refused = ""
    if request.method == "POST":
        posted = request.POST.copy()
        posted.update(request.FILES)
        submitted = CaseReportsFileInput(data=posted)
        if not submitted.is_valid():
            refused = error_summary(error_messages(submitted.errors))
        else:
            try:
                job = import_job_submit(actor=request.user, request=request, kind=fhir_bulk.KIND,
                                        upload=submitted.validated_data["file"])
            except ValidationError as exc:
                refused = error_summary(error_messages(exc))
            else:
                return redirect("cases:import-job", job_id=job.pk)
    return render(request, "interop/case_reports_import.html", {"refused": refused}, status=400 if refused else 200)
