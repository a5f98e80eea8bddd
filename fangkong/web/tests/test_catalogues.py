"""The zh-hans and en catalogues are complete and compiled; the vendored assets match their manifest."""

import importlib.util
from pathlib import Path

import pytest

from fangkong.checks import translations

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.skipif(not (ROOT / "scripts" / "vendor_assets.py").exists(), reason="source checkout only")
def test_vendored_assets_match_their_manifest():
    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "scripts" / "vendor_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.check() == []


def test_catalogues_compile_and_have_no_untranslated_message(tmp_path):
    for language in translations.LANGUAGES:
        po = translations.catalogue(language)
        translated, untranslated, fuzzy = translations.statistics(po, tmp_path / f"{language}.mo")
        assert translated > 100 and untranslated == 0 and fuzzy == 0, language
