"""The kit's record sections (``ModuleConfig.record_sections``): what modules add to the page and the API detail
of other modules' records is read from their declarations — the retention module's scheduled deletion on every
record a policy covers — and a declaration that would make two modules write one key of a detail, name a model
no app has, or give data without its key is refused."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from fangkong import modules
from fangkong.modules import RecordSection


@pytest.fixture
def declared(monkeypatch):
    """Replace the installed modules' record sections by the ones a test gives (the cache cleared around)."""

    def declare(*sections: tuple[RecordSection, ...]):
        fakes = [SimpleNamespace(record_sections=group) for group in sections]
        monkeypatch.setattr(modules, "installed_modules", lambda: fakes)
        modules.record_declarations.cache_clear()
        return modules.record_declarations()

    yield declare
    modules.record_declarations.cache_clear()


def test_the_installed_modules_declare_the_scheduled_deletion_of_every_covered_record():
    from fangkong.retention.sections import COVERED

    table = modules.record_declarations()
    keys = {label: [d.key for d in found] for label, found in table.items()}
    assert {label for label, found in keys.items() if "scheduled_deletion" in found} == set(COVERED)


def test_two_modules_may_not_write_one_key_of_a_detail(declared):
    first = RecordSection(("cases.Case",), "a.section", key="schedule", data="a.data")
    assert declared((first,), (RecordSection(("cases.Case",), "b.section"),))["cases.Case"][0] == first
    assert declared((first,), (RecordSection(("cases.Contact",), "b.section", "schedule", "b.data"),))
    with pytest.raises(ValueError, match="declared twice"):
        declared((first,), (RecordSection(("cases.Case",), "b.section", key="schedule", data="b.data"),))


@pytest.mark.parametrize("bad", [RecordSection(("cases.Nothing",), "a.section"),
                                 RecordSection(("cases.Case",), "a.section", data="a.data"),
                                 RecordSection(("cases.Case",), "a.section", key="schedule")])
def test_a_model_no_app_has_or_data_without_its_key_is_refused(declared, bad):
    with pytest.raises((LookupError, ValueError)):
        declared((bad,))
