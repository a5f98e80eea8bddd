"""Region-code arithmetic lives in ``fangkong.regions.codes`` only (issue 15: one of each)."""

import re
from pathlib import Path

import pytest

from fangkong.regions.codes import ancestor_codes, city_code, county_code

PACKAGE = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("code", "city", "county", "ancestors"), [
    ("440304", "440300", "440304", {"440000", "440300", "440304"}),
    ("440304001", "440300", "440304", {"440000", "440300", "440304", "440304001"}),
    ("441900001", "441900", "441900001", {"440000", "441900", "441900001"}),
    ("440300", "440300", "440300", {"440000", "440300"}),
    ("440000", "440000", "440000", {"440000"}),
])
def test_city_county_and_ancestors_of_a_code(code, city, county, ancestors):
    assert (city_code(code), county_code(code), ancestor_codes(code)) == (city, county, ancestors)


def test_no_other_file_slices_region_codes_into_their_parents():
    """A code cut to its city or province (``code[:4] + "00"``) anywhere else is a second definition."""
    pattern = re.compile(r"""\[:[246]\]\s*\+\s*["']0""")
    offenders = [str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.py")
                 if "epi" not in path.parts and path.name != "codes.py" and "tests" not in path.parts
                 and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
