"""Check that the zh-hans and en catalogues are complete and compiled.

1. ``makemessages`` is run for both languages (without source locations, so the catalogues only change
   when strings do); a new string shows up as untranslated.
2. ``msgfmt --check --statistics`` must report no untranslated and no fuzzy message, and format
   placeholders must agree.
3. The committed ``.mo`` files must hold exactly the catalogue that the ``.po`` files compile to.

``python -m fangkong.checks.translations --fill-en`` copies every English msgid into the en catalogue
(the source strings are English) and compiles both catalogues.
"""

from __future__ import annotations

import gettext
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = PACKAGE_DIR / "locale"
LANGUAGES = ("zh_Hans", "en")
HEADER_DATE = re.compile(r'^"POT-Creation-Date: .*\\n"$', re.M)


def catalogue(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def make_messages() -> None:
    import django
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    django.setup()
    before = {lang: catalogue(lang).read_text("utf-8") if catalogue(lang).exists() else "" for lang in LANGUAGES}
    cwd = Path.cwd()
    os.chdir(PACKAGE_DIR)
    try:
        call_command("makemessages", locale=list(LANGUAGES), no_location=True, no_obsolete=True,
                     no_wrap=True, verbosity=0, ignore_patterns=["static/*", "epi/*", "testing/*"])
    finally:
        os.chdir(cwd)
    for lang, old in before.items():  # keep the old creation date when nothing else changed
        new = catalogue(lang).read_text("utf-8")
        old_date = HEADER_DATE.search(old)
        if old_date and HEADER_DATE.sub("", new) == HEADER_DATE.sub("", old):
            catalogue(lang).write_text(old, "utf-8")


def statistics(po: Path, mo: Path) -> tuple[int, int, int]:
    out = subprocess.run(["msgfmt", "--check", "--statistics", "-o", str(mo), str(po)],
                         capture_output=True, text=True, check=True).stderr
    numbers = {kind: int(m.group(1)) if (m := re.search(rf"(\d+) {kind}", out)) else 0
               for kind in ("translated", "untranslated", "fuzzy")}
    return numbers["translated"], numbers["untranslated"], numbers["fuzzy"]


def compile_catalogues() -> None:
    for lang in LANGUAGES:
        subprocess.run(["msgfmt", "--check", "-o", str(catalogue(lang).with_suffix(".mo")), str(catalogue(lang))],
                       check=True)


def check() -> list[str]:
    problems = []
    make_messages()
    with tempfile.TemporaryDirectory() as tmp:
        for lang in LANGUAGES:
            po, fresh = catalogue(lang), Path(tmp) / f"{lang}.mo"
            translated, untranslated, fuzzy = statistics(po, fresh)
            print(f"{lang}: {translated} translated, {untranslated} untranslated, {fuzzy} fuzzy")
            if untranslated or fuzzy:
                problems.append(f"{po}: {untranslated} untranslated and {fuzzy} fuzzy messages")
            committed = po.with_suffix(".mo")
            if not committed.exists():
                problems.append(f"{committed} is missing: compile the catalogue")
                continue
            with fresh.open("rb") as a, committed.open("rb") as b:
                compiled = gettext.GNUTranslations(a)._catalog
                if compiled != gettext.GNUTranslations(b)._catalog:
                    problems.append(f"{committed} is stale: recompile the catalogue")
            if lang == "en":
                problems += english_identity_problems(compiled)
    return problems


def english_identity_problems(compiled: dict) -> list[str]:
    """The English catalogue translates every message to itself (the source strings are English): a
    message that reads differently is a leftover fuzzy guess of makemessages."""
    wrong = [key for key, text in compiled.items()
             if isinstance(key, str) and key and key.split("\x04")[-1] != text]  # "context\x04msgid"
    return [f"en catalogue: {key!r} reads {compiled[key]!r} (run --fill-en)" for key in wrong[:20]] + (
        [f"en catalogue: {len(wrong) - 20} more messages read differently"] if len(wrong) > 20 else [])


def fill_english() -> None:
    """Make every English msgstr its msgid. makemessages pre-fills new entries with a *fuzzy guess* from a
    similar old message ("Contacts" -> "Cases and contacts"): the translations are emptied first, so that
    no guess survives, then ``msgen`` copies every msgid."""
    make_messages()
    po = catalogue("en")
    subprocess.run(["msgfilter", "--keep-header", "--no-wrap", "-i", str(po), "-o", str(po), "sed", "-e", "d"],
                   check=True)
    subprocess.run(["msgen", "--force-po", "--no-wrap", "-o", str(po), str(po)], check=True)
    subprocess.run(["msgattrib", "--clear-fuzzy", "--no-wrap", "-o", str(po), str(po)], check=True)
    compile_catalogues()


def main(argv: list[str]) -> int:
    if "--fill-en" in argv:
        fill_english()
        return 0
    if "--compile" in argv:
        compile_catalogues()
        return 0
    problems = check()
    for problem in problems:
        print("translation problem:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
