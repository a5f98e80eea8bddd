"""GB/T 2260 codes: levels and the prefix that selects a region's subtree.

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
