"""Problem sources are declared by the modules that raise them (``ModuleConfig.problem_sources``): the lists
accept, label and feed a source a module declares, with no edit and no migration in the worklists module, and
refuse a source nobody declared."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong import modules
from fangkong.worklists.feeds import already_raised, feed
from fangkong.worklists.models import Problem, Severity
from fangkong.worklists.services import problem_raise

pytestmark = pytest.mark.django_db

FED: list[dt.datetime] = []


def overdue_entries_feed(now: dt.datetime) -> int:
    """A module's feed: raises one problem per run key it has not raised yet."""
    FED.append(now)
    if "entry:1" in already_raised("kitdemo"):
        return 0
    _problem, created = problem_raise(actor=None, source="kitdemo", source_key="entry:1", region="440304",
                                      severity=Severity.MODERATE, title="逾期条目 #1")
    return int(created)


@pytest.fixture
def declared(monkeypatch):
    """The places module declares one more source (as a new module would), with a feed."""
    config = type(apps.get_app_config("places"))
    source = modules.ProblemSource("kitdemo", "Overdue entry", f"{__name__}.overdue_entries_feed")
    monkeypatch.setattr(config, "problem_sources", (*config.problem_sources, source))
    modules.problem_sources.cache_clear()
    yield source
    monkeypatch.undo()
    modules.problem_sources.cache_clear()


def test_the_sources_of_the_installed_modules_are_declared_by_them():
    declared = modules.problem_sources()
    assert {"manual", "surveillance", "sentinel_reports", "inbound", "crossregion", "public", "resources",
            "stalled_import"} <= set(declared)
    assert declared["inbound"].feed == "fangkong.inbound.problems.feed"
    assert declared["manual"].feed is None  # found by staff: nothing to feed
    owners = {source.code: module.label for module in modules.installed_modules()
              for source in module.problem_sources}
    assert owners["inbound"] == "inbound" and owners["manual"] == "worklists"


def test_a_declared_source_is_accepted_labelled_and_fed_without_an_edit_of_the_lists(declared):
    FED.clear()
    now = timezone.now()
    assert feed(now=now)["kitdemo"] == 1
    assert feed(now=now)["kitdemo"] == 0  # once
    assert FED == [now, now]
    problem = Problem.objects.get(source="kitdemo")
    assert problem.get_source_display() == "Overdue entry"
    problem.full_clean(validate_constraints=False)  # the model's choices know the declared source
    assert problem.tasks.get().owner_unit.region_id == "440304"


def test_a_source_nobody_declares_is_refused_and_nothing_is_written():
    before = Problem.objects.count()
    with pytest.raises(ValidationError) as refused:
        problem_raise(actor=None, source="kitdemo", source_key="entry:1", region="440304",
                      severity=Severity.MODERATE, title="逾期条目 #1")
    assert "source" in refused.value.message_dict
    assert Problem.objects.count() == before
    assert "kitdemo" not in feed(now=timezone.now())


def test_a_source_declared_twice_or_too_long_is_an_error(monkeypatch):
    config = type(apps.get_app_config("places"))
    for wrong, message in ((modules.ProblemSource("inbound", "again"), "more than one module"),
                           (modules.ProblemSource("x" * 17, "too long"), "1 to 16 characters")):
        monkeypatch.setattr(config, "problem_sources", (wrong,))
        modules.problem_sources.cache_clear()
        try:
            with pytest.raises(ValueError, match=message):
                modules.problem_sources()
        finally:
            monkeypatch.undo()
            modules.problem_sources.cache_clear()


def test_the_worklists_model_names_no_module():
    """The choices are read from the declarations when used: the model and its last migration hold a
    reference to that reading, not a list of modules (a new module adds no migration here)."""
    from pathlib import Path

    from fangkong.worklists import models

    field = Problem._meta.get_field("source")
    assert field.deconstruct()[3]["choices"] is models.source_choices
    source = Path(models.__file__).read_text()
    for other in ("inbound", "crossregion", "surveillance", "public", "resources", "places", "keypop"):
        assert f'"{other}"' not in source
