"""Pages of the laboratory module (核酸检测): read through the selectors, write through the services, input
through each action's schema (``inputs.py``, the same one the API and the result file use)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangkong.accounts.access import can, memberships_of, region_scoped
from fangkong.accounts.need_to_know import Category, Reach, shows
from fangkong.accounts.roles import Capability
from fangkong.cases.jobs import import_job_submit
from fangkong.inputs import PageForm, error_messages, error_summary

from . import selectors, services
from .apps import MANAGE, RESULT_FILE, TEST
from .inputs import (
    CaseFromResultInput,
    GoodsLotInput,
    InvestigationCloseInput,
    LaboratoryInput,
    LotStopInput,
    PoolInput,
    ResultFileInput,
    ResultInput,
    RoundCloseInput,
    RoundInput,
    SpecimenInput,
)
from .models import LotStop, Outcome, ScreeningRound, Specimen

OWN = (Reach.REGION, Reach.OWN_SAMPLES)  # pages naming persons: named readers, and a laboratory's own samples


def _home(user) -> str:
    return next(iter(memberships_of(user)), ("",))[0]


def _form_page(request, form, title: str, fields, status=None):
    return render(request, "laboratory/form.html", {"form": form, "title": title, "fields": fields},
                  status=status or form.status)


def _field(name, label, kind="text", choices=None):
    return {"name": name, "label": label, "type": kind, "choices": choices}


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def overview(request):
    user = request.user
    return render(request, "laboratory/overview.html", {
        "laboratories": selectors.laboratory_list(user=user)[:50],
        "rounds": selectors.round_list(user=user)[:50],
        "may_manage": can(user, MANAGE), "may_test": can(user, TEST),
        "may_see_persons": selectors.may_see_persons(user),
    })


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def laboratory_new(request):
    if not can(request.user, MANAGE):
        raise PermissionDenied(_("Your role may not record laboratories."))
    form = PageForm(LaboratoryInput, request, initial={"region": _home(request.user)})
    lab = form.submit(services.laboratory_create, actor=request.user, request=request)
    if lab is not None:
        messages.success(request, _("Laboratory recorded."))
        return redirect("laboratory:overview")
    return _form_page(request, form, _("Record a laboratory"), [
        _field("name", _("Name")), _field("region", _("Service area (region code)")),
        _field("daily_capacity", _("Daily capacity (tubes)"), "number"), _field("tests", _("Tests run"))])


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def round_new(request):
    if not can(request.user, MANAGE):
        raise PermissionDenied(_("Your role may not open screening rounds."))
    form = PageForm(RoundInput, request, initial={"county": _home(request.user), "pool_sizes": "10,20", "days": 1})
    screening = form.submit(services.round_create, actor=request.user, request=request)
    if screening is not None:
        messages.success(request, _("Screening round opened."))
        return redirect("laboratory:round-detail", round_id=screening.pk)
    return _form_page(request, form, _("Open a screening round"), [
        _field("county", _("County (region code)")), _field("name", _("Name")),
        _field("starts_on", _("Starts on"), "date"), _field("population", _("Population to test"), "number"),
        _field("expected_prevalence", _("Expected prevalence (0–1)")),
        _field("pool_sizes", _("Pool sizes allowed (5, 10, 20)")),
        _field("days", _("Sampling days"), "number")])


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def round_detail(request, round_id: int):
    screening = selectors.round_get(user=request.user, round_id=round_id)
    progress = selectors.round_progress(screening)
    return render(request, "laboratory/round.html", {
        "round": screening, **progress, "may_test": can(request.user, TEST),
        "may_close": screening.status == ScreeningRound.Status.OPEN and can(request.user, MANAGE, screening.county_id),
        "supply": selectors.round_resources(user=request.user, screening=screening, plan=progress["plan"])})


@region_scoped
@shows(Category.AGGREGATES)
@require_POST
def round_close(request, round_id: int):
    """Finish or cancel a round: its kits and samplers leave the resources forecast."""
    screening = selectors.round_get(user=request.user, round_id=round_id)
    form = PageForm(RoundCloseInput, request)
    closed = form.submit(services.round_close, actor=request.user, round=screening, request=request)
    if closed is None:
        messages.error(request, error_summary(form.errors))
    else:
        messages.success(request, _("Screening round closed: %(status)s.") % {"status": closed.get_status_display()})
    return redirect("laboratory:round-detail", round_id=screening.pk)


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def pool_detail(request, pool_id: int):
    pool = selectors.pool_get(user=request.user, pool_id=pool_id)
    return render(request, "laboratory/pool.html", {
        "pool": pool, "members": selectors.member_list(user=request.user, pool=pool),
        "member_count": pool.members.count(), "result": getattr(pool, "result", None)})


def _lab_or_refuse(user, laboratory_id):
    lab = selectors.laboratory_list(user=user).filter(pk=laboratory_id).first()
    return lab


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_http_methods(["GET", "POST"])
def pool_new(request):
    if not can(request.user, TEST):
        raise PermissionDenied(_("Your role may not record samples."))
    form = PageForm(PoolInput, request, initial={"size": 10})
    pool = None
    if form.is_valid():
        data = dict(form.data)
        lab = _lab_or_refuse(request.user, data.pop("laboratory"))
        screening = selectors.round_list(user=request.user).filter(pk=data.pop("round")).first()
        if lab is None or screening is None:
            form.errors.setdefault("laboratory" if lab is None else "round", []).append(_("Not found in your area."))
        else:
            try:
                pool = services.pool_record(actor=request.user, request=request, laboratory=lab, round=screening,
                                            **data)
            except services.ValidationError as exc:
                form.add_errors(exc)
    if pool is not None:
        messages.success(request, _("Pool recorded."))
        return redirect("laboratory:pool-detail", pool_id=pool.pk)
    return _form_page(request, form, _("Record a pool"), [
        _field("round", _("Screening round (number)"), "number"),
        _field("laboratory", _("Laboratory (number)"), "number"), _field("code", _("Tube code")),
        _field("size", _("Pool size"), "number"), _field("sampled_at", _("Sampled at"), "datetime-local"),
        _field("sampling_point", _("Sampling point")), _field("sampler", _("Sampler")),
        _field("citizen_ids", _("Members' citizen IDs, one per line"), "textarea")])


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_GET
def specimen_list(request):
    rows = selectors.specimen_list(user=request.user).order_by("-sampled_at", "-id")[:100]
    return render(request, "laboratory/specimens.html", {"specimens": rows, "may_test": can(request.user, TEST)})


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_GET
def specimen_detail(request, specimen_id: int):
    specimen = selectors.specimen_get(user=request.user, specimen_id=specimen_id)
    result = getattr(specimen, "result", None)
    may_case = (result is not None and result.outcome == Outcome.POSITIVE and specimen.person_id is not None
                and can(request.user, Capability.CASE_WRITE, specimen.region_id))
    return render(request, "laboratory/specimen.html", {"specimen": specimen, "result": result,
                                                        "may_case": may_case})


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_http_methods(["GET", "POST"])
def specimen_new(request):
    if not can(request.user, TEST):
        raise PermissionDenied(_("Your role may not record samples."))
    form = PageForm(SpecimenInput, request, initial={"subject": Specimen.Subject.PERSON,
                                                     "kind": Specimen.Kind.THROAT, "condition": "good"})
    specimen = None
    if form.is_valid():
        data = dict(form.data)
        lab = _lab_or_refuse(request.user, data.pop("laboratory"))
        if lab is None:
            form.errors["laboratory"] = [_("Not found in your area.")]
        else:
            try:
                specimen = services.specimen_record_by_ids(actor=request.user, request=request, laboratory=lab,
                                                           **data)
            except services.ValidationError as exc:
                form.add_errors(exc)
    if specimen is not None:
        messages.success(request, _("Specimen recorded."))
        return redirect("laboratory:specimen-detail", specimen_id=specimen.pk)
    return _form_page(request, form, _("Record a specimen"), [
        _field("laboratory", _("Laboratory (number)"), "number"), _field("code", _("Specimen code")),
        _field("subject", _("Subject"), "select", Specimen.Subject.choices),
        _field("kind", _("Specimen type"), "select", Specimen.Kind.choices),
        _field("sampled_at", _("Sampled at"), "datetime-local"), _field("sampling_point", _("Sampling point")),
        _field("sampler", _("Sampler")), _field("condition", _("Condition on arrival"), "select",
                                                Specimen.Condition.choices),
        _field("citizen_id", _("Citizen ID (a person)")), _field("goods_lot", _("Goods lot (number)"), "number"),
        _field("place", _("Place (number)"), "number"),
        _field("pool_member", _("Re-sample of pool member (number)"), "number")])


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_http_methods(["GET", "POST"])
def result_new(request, laboratory_id: int):
    lab = selectors.laboratory_get(user=request.user, laboratory_id=laboratory_id)
    if not services.may_test(request.user, lab):
        raise PermissionDenied(_("You may not record results of this laboratory."))
    form = PageForm(ResultInput, request)
    result = form.submit(services.result_record, actor=request.user, laboratory=lab, request=request)
    if result is not None:
        messages.success(request, _("Result recorded."))
        return redirect("laboratory:result-new", laboratory_id=lab.pk)
    return _form_page(request, form, _("Record a result: %(lab)s") % {"lab": lab.name}, [
        _field("code", _("Sample code (pool or specimen)")),
        _field("outcome", _("Result"), "select", Outcome.choices),
        _field("ct_values", _("Ct values (ORF1ab:31.2;N:30)")),
        _field("received_at", _("Received at"), "datetime-local"),
        _field("resulted_at", _("Resulted at"), "datetime-local")])


@region_scoped
@shows(Category.NAMED, reaches_served=OWN)
@require_http_methods(["GET", "POST"])
def result_import(request, laboratory_id: int):
    lab = selectors.laboratory_get(user=request.user, laboratory_id=laboratory_id)
    if not services.may_test(request.user, lab):
        raise PermissionDenied(_("You may not import results of this laboratory."))
    error = ""
    if request.method == "POST":
        posted = request.POST.copy()
        posted.update(request.FILES)  # the form and its file, as DRF reads a multipart body
        posted["laboratory"] = str(lab.pk)
        submitted = ResultFileInput(data=posted)
        if not submitted.is_valid():
            error = error_summary(error_messages(submitted.errors))
        else:
            try:  # an import job (``imports.py``): its page follows the progress and lists every refused row
                job = import_job_submit(actor=request.user, request=request, kind=RESULT_FILE, target=str(lab.pk),
                                        upload=submitted.validated_data["file"])
            except services.ValidationError as exc:
                error = error_summary(error_messages(exc))
            else:
                return redirect("cases:import-job", job_id=job.pk)
    return render(request, "laboratory/import.html", {"laboratory": lab, "error": error},
                  status=400 if error else 200)


@region_scoped
@shows(Category.NAMED)
@require_POST
def case_from_result(request, specimen_id: int):
    specimen = selectors.specimen_get(user=request.user, specimen_id=specimen_id)
    form = PageForm(CaseFromResultInput, request)
    case = form.submit(services.case_from_result, actor=request.user, specimen=specimen, request=request)
    if case is None:
        messages.error(request, error_summary(form.errors))
        return redirect("laboratory:specimen-detail", specimen_id=specimen.pk)
    messages.success(request, _("Case %(no)s.") % {"no": case.case_no})
    return redirect("cases:case-detail", case_id=case.pk)


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def goods_lot_new(request):
    if not can(request.user, TEST):
        raise PermissionDenied(_("Your role may not record goods lots."))
    form = PageForm(GoodsLotInput, request, initial={"region": _home(request.user)})
    lot = form.submit(services.goods_lot_create, actor=request.user, request=request)
    if lot is not None:
        messages.success(request, _("Goods lot recorded."))
        return redirect("laboratory:goods-lot-detail", lot_id=lot.pk)
    return _form_page(request, form, _("Record a goods lot"), [
        _field("region", _("Region code")), _field("lot_no", _("Lot number")), _field("description", _("Goods")),
        _field("origin_country", _("Country of origin")), _field("port", _("Port of entry")),
        _field("container_no", _("Container number")), _field("warehouse", _("Cold store or warehouse")),
        _field("owner_name", _("Owner enterprise")), _field("owner_credit_code", _("Unified social credit code"))])



@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def goods_lot_list(request):
    lots = selectors.goods_lot_list(user=request.user).order_by("-created_at", "-id")[:100]
    return render(request, "laboratory/lots.html", {"lots": lots, "may_test": can(request.user, TEST)})


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def goods_lot_detail(request, lot_id: int):
    """A goods lot's path — port, cold store, distributors, markets: the places and enterprises it touched — its
    specimens and the investigations they opened."""
    lot = selectors.goods_lot_get(user=request.user, lot_id=lot_id)
    return render(request, "laboratory/lot.html", {
        "lot": lot, "path": selectors.lot_path(lot),
        "specimens": lot.specimens.select_related("result", "investigation").order_by("sampled_at", "id"),
        "may_add": can(request.user, TEST, lot.region_id)})


@region_scoped
@shows(Category.AGGREGATES)
@require_http_methods(["GET", "POST"])
def lot_stop_new(request, lot_id: int):
    lot = selectors.goods_lot_get(user=request.user, lot_id=lot_id)
    if not can(request.user, TEST, lot.region_id):
        raise PermissionDenied(_("You may not record the path of this goods lot."))
    form = PageForm(LotStopInput, request, initial={"kind": LotStop.Kind.MARKET})
    stop = form.submit(services.lot_stop_add, actor=request.user, lot=lot, request=request)
    if stop is not None:
        messages.success(request, _("Stop added to the lot's path."))
        return redirect("laboratory:goods-lot-detail", lot_id=lot.pk)
    return _form_page(request, form, _("Add a stop: %(lot)s") % {"lot": lot}, [
        _field("kind", _("Kind of stop"), "select", LotStop.Kind.choices),
        _field("place", _("Place (number)"), "number"), _field("enterprise", _("Enterprise (number)"), "number"),
        _field("upstream", _("Came from stop (number)"), "number"),
        _field("arrived_at", _("Arrived at"), "datetime-local"), _field("left_at", _("Left at"), "datetime-local")])


@region_scoped
@shows(Category.AGGREGATES)
@require_GET
def investigation_list(request):
    rows = selectors.investigation_list(user=request.user)[:100]
    return render(request, "laboratory/investigations.html", {"investigations": rows})


@region_scoped
@shows(Category.NAMED)
@require_GET
def investigation_detail(request, investigation_id: int):
    """The persons exposed to a positive goods lot or environment specimen, as far as the reader may see them."""
    investigation = selectors.investigation_get(user=request.user, investigation_id=investigation_id)
    specimen = investigation.specimen
    return render(request, "laboratory/investigation.html", {
        "investigation": investigation, "specimen": specimen,
        "path": selectors.lot_path(specimen.goods_lot) if specimen.goods_lot_id else [],
        **selectors.exposed_persons(user=request.user, investigation=investigation),
        "may_close": investigation.status == "open" and can(request.user, Capability.CASE_WRITE,
                                                              investigation.region_id)})


@region_scoped
@shows(Category.NAMED)
@require_POST
def investigation_close(request, investigation_id: int):
    investigation = selectors.investigation_get(user=request.user, investigation_id=investigation_id)
    form = PageForm(InvestigationCloseInput, request)
    if form.submit(services.investigation_close, actor=request.user, investigation=investigation,
                   request=request) is None:
        messages.error(request, error_summary(form.errors))
    else:
        messages.success(request, _("Investigation closed."))
    return redirect("laboratory:investigation-detail", investigation_id=investigation.pk)


def record_section(request, record) -> str:
    """A contact's or an inbound traveller's page (``ModuleConfig.record_sections``): the temporary controls of
    the record's person, as on the person's page (a traveller not yet registered as a person has none)."""
    person = getattr(record, "person", None)
    return person_section(request, person) if person is not None else ""


def person_section(request, person) -> str:
    """The person page's section (``ModuleConfig.person_sections``): the person's open temporary controls after a
    positive or inconclusive pool, as far as the reader may see them."""
    from django.template.loader import render_to_string

    controls = list(selectors.controlled_members(user=request.user, person=person))
    if not controls:
        return ""
    return render_to_string("laboratory/_person_control.html", {"controls": controls}, request=request)
