"""What the Chinese interface may contain besides Chinese: the words allowed in it, and the checks the
catalogue test and the browser crawl apply to its text (``docs/glossary.md`` lists the official terms).

- ``english_words(text)``: Latin-script words that are not allowed. Allowed are codes (digits with capital
  or single letters: ``SIM-000123``, ``2022-W10``, ``v2`` — not ``8th`` or ``ears_c2``), single letters
  (symbols, the check character X), and the words of ``ALLOWED``: symbols, method and author names, file
  formats, standards and units.
- ``mixed_punctuation(text)``: ASCII punctuation written next to Chinese characters (``追踪及时性: 深圳市``,
  ``(集中隔离, 第1天)``): Chinese text takes full-width punctuation (，：；（）).
"""

from __future__ import annotations

import re

ALLOWED = frozenset({
    "Rt", "CrI",  # the reproduction number and its credible interval
    "EARS", "CUSUM", "CIDARS", "Farrington", "Noufaily", "Cori", "EpiEstim", "Bayes",  # methods and authors
    "CSV", "XLSX", "PDF", "HTML", "API", "JSON", "GeoJSON", "UTF", "BOM", "IP", "ID",  # formats
    "csv", "xlsx", "NUL",  # file extensions (".csv"), the NUL character
    "ECharts", "htmx", "Swagger", "OpenAPI", "Noto", "Sans", "SC",  # software named in the pages
    "sha", "GB", "ISO", "IEC", "km",  # standards and units
    "FHIR", "NDJSON", "HTTP", "HTTPS", "MB",  # data exchange (fangkong.interop): HL7 FHIR, the web's protocol, megabytes
    "ILI",  # influenza-like illness, as Chinese surveillance reports abbreviate it too
    "Ct", "ORF1ab",  # the cycle threshold (Ct值) and a gene target of the nucleic-acid test, as laboratories write them
    "English",  # the language switch (marked lang="en" anyway)
})
CJK = "\u3400-\u9fff"
TOKEN = re.compile(r"[A-Za-z0-9_\-.*/:+%]+")  # letters, digits and the signs of codes: "4403**********123X"
MIXED = re.compile(rf"[{CJK}]\s?[,;:!?()]|[,;:!?()]\s?[{CJK}]")


def english_words(text: str, *, also_allowed: frozenset = frozenset()) -> list[str]:
    """The Latin-script words of ``text`` that are neither codes nor allowed, sorted, each once."""
    allowed = ALLOWED | also_allowed
    words = set()
    for token in TOKEN.findall(text):
        token = token.strip(".-_:/*+%")
        if not re.search("[A-Za-z]", token) or len(token) == 1 or token in allowed:
            continue
        # a code: digits with capitals or single letters ("SIM-000123", "2022-W10", "v2"), not "8th", "ears_c2"
        if re.search(r"\d", token) and all(run.isupper() or len(run) == 1 or run in allowed
                                           for run in re.findall("[A-Za-z]+", token)):
            continue
        words.add(token)
    return sorted(words)


def mixed_punctuation(text: str) -> list[str]:
    """The places (with a few characters around) where ASCII punctuation touches Chinese characters."""
    return sorted({text[max(0, m.start() - 6):m.end() + 6].replace("\n", " ") for m in MIXED.finditer(text)})
