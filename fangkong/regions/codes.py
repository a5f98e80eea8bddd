"""GB/T 2260 codes: levels, the prefix that selects a region's subtree, and a code's city, county and
ancestors — the one place where region codes are taken apart.

A six-digit code is ``PPCCDD`` (province, prefecture, county); township codes extend a county (or a
prefecture without counties, such as Dongguan 441900) with three more digits, villages with three more.
The code is hierarchical, so every region below ``440300`` starts with ``4403``.
"""

from __future__ import annotations

import re

CODE_PATTERN = re.compile(r"^\d{6}(\d{3}(\d{3})?)?$")


def is_valid_code(code: str) -> bool:
    return bool(CODE_PATTERN.match(code or ""))


def subtree_prefix(code: str) -> str:
    """The prefix shared by ``code`` and everything below it: 440000→44, 440300→4403, 440304→440304."""
    if not is_valid_code(code):
        raise ValueError(f"not a GB/T 2260 region code: {code!r}")
    if len(code) > 6:
        return code
    if code[2:] == "0000":
        return code[:2]
    if code[4:] == "00":
        return code[:4]
    return code


def covers(ancestor_code: str, code: str) -> bool:
    """True when ``code`` is ``ancestor_code`` or lies in its subtree."""
    return code.startswith(subtree_prefix(ancestor_code))


def city_code(code: str) -> str:
    """The prefecture (city) containing ``code``: 440304 → 440300; 441900001 → 441900; 440000 → 440000."""
    return code[:4] + "00"


def county_code(code: str) -> str:
    """The county containing ``code``: 440304001 → 440304; a township of a city without counties
    (441900001, Dongguan) is its own unit; a six-digit code is itself."""
    county = code[:6]
    return code if county.endswith("00") and len(code) > 6 else county


def ancestor_codes(code: str) -> set[str]:
    """``code`` and the codes of every region above it: 440304 → {440000, 440300, 440304}."""
    return {c for c in (code[:2] + "0000", code[:4] + "00", code[:6], code) if covers(c, code)}


class RegionCodeConverter:
    """``<region:code>`` in a route: a code of 6, 9 or 12 digits (anything else is not a route: 404)."""

    regex = r"\d{6}(?:\d{3}){0,2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)
