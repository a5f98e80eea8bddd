"""One explicit way to bump the data generation: the services call ``bump_data_generation``, no signal does.

- No fangkong app connects a model signal (``pre_save``/``post_save``/``pre_delete``/``post_delete``/
  ``m2m_changed``…): a write does only what its service says.
- Every module that writes a model the dashboard's figures read (a module's ``figure_sources``) calls
  ``bump_data_generation`` (or ``tracing_summary_refresh``, which does) — read from the source, so a new
  writer that forgets it fails here.
- Each kind of write — a case, a contact, a sentinel report, a response to an alert, an import — changes
  the cached figure as soon as it commits (``django_capture_on_commit_callbacks(execute=True)`` runs what a
  commit runs: the tests' transaction never commits).
"""

from __future__ import annotations

import ast
import datetime as dt
import weakref
from pathlib import Path

import pytest
from django.db.models import signals as model_signals
from django.utils import timezone

from fangkong import modules
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.dashboard import selectors
from fangkong.data_generation import current_data_generation
from fangkong.regions.models import Region

DAY = dt.date(2022, 3, 10)
ROOT = Path(__file__).resolve().parents[2]  # the fangkong package
MODEL_SIGNALS = (model_signals.pre_init, model_signals.post_init, model_signals.pre_save, model_signals.post_save,
                 model_signals.pre_delete, model_signals.post_delete, model_signals.m2m_changed)
WRITES = {"save", "delete", "create", "bulk_create", "bulk_update", "update", "get_or_create", "update_or_create"}
#: Calls that bump the generation for their caller.
BUMPS = {"bump_data_generation", "tracing_summary_refresh", "tracing_summary_rebuild"}
#: Modules that write figure sources without bumping, and why that is right.
EXEMPT = {
    # the demo loaders write in bulk; ``load_demo`` bumps once after all of them
    "demo.py",
}


def _receiver_functions(signal) -> list:
    found = []
    for entry in signal.receivers:
        ref = entry[1]
        target = ref() if isinstance(ref, weakref.ReferenceType) else ref
        if target is not None:
            found.append(getattr(target, "__func__", target))
    return found


def test_no_fangkong_app_connects_a_model_signal():
    from django.apps import apps

    apps.check_apps_ready()
    connected = [f"{signal_name}: {getattr(func, '__module__', '')}.{getattr(func, '__qualname__', func)}"
                 for signal_name, signal in ((s.__class__.__name__ + str(i), s) for i, s in enumerate(MODEL_SIGNALS))
                 for func in _receiver_functions(signal)
                 if getattr(func, "__module__", "").startswith("fangkong")]
    assert connected == []


def _writes_of(tree: ast.AST, models: set[str]) -> list[int]:
    """Lines of ``Model.objects….<write>(…)`` calls on a figure-source model."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            inner = node.func.value
            while isinstance(inner, ast.Call | ast.Attribute):
                if isinstance(inner, ast.Attribute) and inner.attr == "objects" and isinstance(inner.value, ast.Name) \
                        and inner.value.id in models:
                    lines.append(node.lineno)
                    break
                inner = inner.func if isinstance(inner, ast.Call) else inner.value
    return lines


def _calls(tree: ast.AST) -> set[str]:
    return {node.func.id if isinstance(node.func, ast.Name) else node.func.attr
            for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute)}


@pytest.mark.django_db
def test_every_module_writing_a_figure_source_bumps_the_generation():
    models = {model.__name__ for model in modules.figure_source_models()}
    assert {"Case", "Contact", "SentinelReport", "Alert", "Traveller", "Place", "Subject"} <= models
    forgot = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts or path.name in EXEMPT or parts[0] == "epi":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        writes = _writes_of(tree, models)
        if writes and not (_calls(tree) & BUMPS):
            forgot.append(f"{path.relative_to(ROOT)}:{writes}")
    assert forgot == [], "these modules write figure sources and never call bump_data_generation"


# --- each kind of write changes the cached figure at once -------------------------------------------------------


@pytest.fixture
def shenzhen(db):
    return Region.objects.get(code="440300")


@pytest.fixture
def computations(monkeypatch):
    """Counts the computations of ``situation`` (a cached figure served again computes nothing)."""
    counted = {"n": 0}
    compute = selectors.compute_situation

    def counting(**kwargs):
        counted["n"] += 1
        return compute(**kwargs)

    monkeypatch.setattr(selectors, "compute_situation", counting)
    return counted


def _served_again_then_recomputed_after(write, *, user, region, computations, commit) -> tuple[dict, dict]:
    """The figure before (computed, then served from the cache) and after ``write`` committed (recomputed)."""
    before = selectors.situation(user=user, region=region, day=DAY)
    assert selectors.situation(user=user, region=region, day=DAY) == before  # served from the cache
    n, generation = computations["n"], current_data_generation()
    with commit(execute=True):
        write()
    assert current_data_generation() == generation + 1
    after = selectors.situation(user=user, region=region, day=DAY)
    assert computations["n"] == n + 1
    return before, after


def test_a_case_and_a_contact_change_the_cached_figures(province_commander, shenzhen, computations,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        source = make_case(province_commander, region="440304", name="甲", day="2022-03-10")
    before, after = _served_again_then_recomputed_after(
        lambda: make_case(province_commander, region="440304", name="乙", day="2022-03-10"),
        user=province_commander, region=shenzhen, computations=computations, commit=django_capture_on_commit_callbacks)
    assert (before["new_total"], after["new_total"]) == (1, 2)
    before, after = _served_again_then_recomputed_after(
        lambda: make_contact(province_commander, source_case=source, region="440304", listed="2022-03-10"),
        user=province_commander, region=shenzhen, computations=computations, commit=django_capture_on_commit_callbacks)
    assert (before["tracing"]["close_contacts"], after["tracing"]["close_contacts"]) == (0, 1)


def test_a_case_import_changes_the_cached_figure(province_commander, computations,
                                                 django_capture_on_commit_callbacks):
    from fangkong.cases.imports import cases_import
    from fangkong.testing.builders import citizen_id

    dongguan = Region.objects.get(code="441900")
    row = {"case_no": "IMPORT1", "name": "导入", "citizen_id": citizen_id("441900", born=dt.date(1980, 1, 2)),
           "phone": "", "sex": "", "birth_date": "", "address_region": "441900", "disease": "covid-19",
           "classification": "confirmed", "onset_date": "2022-03-08", "sampling_date": "2022-03-09",
           "diagnosed_at": "2022-03-10 09:00", "reported_at": "2022-03-10 10:00", "detection_route": "screening",
           "imported": "", "origin": "", "severity": "", "outcome": "", "report_region": "441900",
           "infector_case_no": "", "first_visit_at": "", "isolated_at": "", "treatment_at": ""}
    before, after = _served_again_then_recomputed_after(
        lambda: cases_import(actor=province_commander, rows=[row], source="c.csv"),
        user=province_commander, region=dongguan, computations=computations, commit=django_capture_on_commit_callbacks)
    assert (before["new_total"], after["new_total"]) == (0, 1)


def _sentinel(province_commander):
    from fangkong.accounts.roles import Role
    from fangkong.surveillance.models import Alert, SentinelSite
    from fangkong.surveillance.services import indicators_ensure
    from fangkong.testing.builders import make_user

    fever = indicators_ensure()["fever_clinic_visits"]
    site = SentinelSite.objects.create(code="GEN1", name="代次哨点", kind="fever_clinic", region_id="440304")
    site.indicators.add(fever)
    reporter = make_user("gen_reporter", ("440304", Role.SENTINEL_REPORTER))
    site.reporters.add(reporter)
    alert = Alert.objects.create(level="county", region_id="440304", unit_key="region:440304", indicator=fever,
                                 method="ears_c2", first_day=DAY, last_day=DAY, peak_observed=10,
                                 raised_at=timezone.make_aware(dt.datetime(2022, 3, 10, 9)))
    return site, reporter, alert


def test_a_sentinel_report_its_import_and_an_alert_response_change_the_cached_figures(
        province_commander, shenzhen, computations, django_capture_on_commit_callbacks):
    from fangkong.surveillance.services import alert_transition, report_submit, reports_import

    with django_capture_on_commit_callbacks(execute=True):
        site, reporter, alert = _sentinel(province_commander)
    commit = django_capture_on_commit_callbacks
    _served_again_then_recomputed_after(
        lambda: report_submit(actor=reporter, site_id=site.pk, indicator_code="fever_clinic_visits",
                              date=DAY, count=7),
        user=province_commander, region=shenzhen, computations=computations, commit=commit)
    _served_again_then_recomputed_after(
        lambda: reports_import(actor=province_commander, source="day.csv", rows=[
            {"site": site.code, "indicator": "fever_clinic_visits", "date": DAY.isoformat(), "count": "9",
             "denominator": ""}]),
        user=province_commander, region=shenzhen, computations=computations, commit=commit)
    before, after = _served_again_then_recomputed_after(
        lambda: alert_transition(actor=province_commander, alert=alert, to_status="acknowledged",
                                 at=timezone.make_aware(dt.datetime(2022, 3, 10, 10))),
        user=province_commander, region=shenzhen, computations=computations, commit=commit)
    assert before["signals"]["by_status"]["new"] == after["signals"]["by_status"]["acknowledged"] == 1
