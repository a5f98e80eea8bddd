"""The zh-hans and en catalogues are complete, compiled and the Chinese one written in Chinese; the vendored
assets match their manifest."""

import gettext
import importlib.util
import re
from pathlib import Path

import pytest

from fangkong.checks import translations
from fangkong.testing.chinese import english_words, mixed_punctuation

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


#: Column names of the sentinel-report file, quoted as they must be written in the file.
FILE_COLUMNS = frozenset({"site", "indicator", "date", "count", "denominator"})


def test_the_chinese_catalogue_writes_chinese():
    """Every Chinese message: no English word outside the allowed list (names, codes, units, the file
    columns it quotes), and full-width punctuation next to Chinese characters."""
    with translations.catalogue("zh_Hans").with_suffix(".mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog  # ours only, not Django's own messages
    english, punctuation = {}, {}
    for key, message in catalogue.items():
        if not isinstance(message, str) or not message or key == "":
            continue
        text = re.sub(r"%\(\w+\)[sdf]|%[sdf]|\{\w+\}", "0", message)  # a placeholder stands for a value
        if words := english_words(text, also_allowed=FILE_COLUMNS):
            english[message] = words
        if places := mixed_punctuation(text):
            punctuation[message] = places
    assert english == {}
    assert punctuation == {}


def test_every_model_names_itself_for_the_audit_trail():
    """The audit trail labels an object by its model's verbose name; one left to Django's default is the
    English class name in the Chinese interface (inspection, rectification)."""
    from django.apps import apps

    unnamed = [m._meta.label for m in apps.get_models()
               if m.__module__.startswith("fangkong.") and "verbose_name" not in m._meta.original_attrs]
    assert unnamed == []
