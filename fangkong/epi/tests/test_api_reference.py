"""The API reference (``API.md``) is generated from the code and current; every public name is documented
and says which R function it agrees with; every detector parameter is documented where it is declared."""

from __future__ import annotations

import dataclasses
import importlib
import inspect

from fangkong.epi import api_reference
from fangkong.epi.detection import DETECTORS


def test_api_md_is_current():
    """If this fails: python -m fangkong.epi.api_reference (and read the diff)."""
    assert api_reference.API_MD.read_text(encoding="utf-8") == api_reference.render()


def test_every_public_name_of_the_statistical_modules_says_what_it_agrees_with_in_r():
    assert api_reference.missing_r_equivalents() == []


def test_every_public_function_and_class_has_a_docstring():
    undocumented = []
    for module_name in api_reference.MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and not inspect.getdoc(obj):
                undocumented.append(f"{module_name}.{name}")
    assert undocumented == []


def test_every_detector_parameter_is_documented_where_it_is_declared():
    for control in DETECTORS.values():
        comments = api_reference.field_comments(control)
        assert {f.name for f in dataclasses.fields(control)} == set(comments), control.__name__
        assert all(len(text) > 10 for text in comments.values())


def test_the_reference_shows_signatures_defaults_fields_and_r():
    text = api_reference.render()
    assert "ears_c(observed: object, *, timepoints: object = None, **control: object) -> DetectionResult" in text
    assert "| `baseline` | `int` | `7` | number of time points in the baseline, >= 3 (R ``baseline``) |" in text
    assert "**R:** `EpiEstim::discr_si(k, mu, sigma)`" in text
    assert "**R:** `surveillance::farringtonFlexible` (its `control` list)" in text
