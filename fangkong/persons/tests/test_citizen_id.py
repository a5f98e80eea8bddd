"""GB 11643 citizen IDs: check character, legacy upgrade, impossible dates, masking."""

import datetime as dt

import pytest
from django.utils import translation

from fangkong.persons.citizen_id import CitizenIdError, check_character, mask_citizen_id, parse_citizen_id
from fangkong.persons.protection import mask_phone


def test_check_character_of_the_standards_worked_example():
    # GB 11643-1999 appendix example: 11010519491231002X
    assert check_character("11010519491231002") == "X"
    parsed = parse_citizen_id("11010519491231002x")
    assert parsed.number == "11010519491231002X"
    assert parsed.birth_date == dt.date(1949, 12, 31)
    assert parsed.sex == "F"


def test_legacy_fifteen_digits_become_the_eighteen_character_form():
    parsed = parse_citizen_id("440304900101123")
    assert parsed.number[:17] == "44030419900101123"
    assert parsed.number[17] == check_character("44030419900101123")
    assert parsed.sex == "M"


@pytest.mark.parametrize(("raw", "reason"), [
    ("11010519491231002Y", "17 digits followed"),
    ("110105194912310021", "check character"),
    ("1101051949123100", "18 characters"),
    ("110105194902300027", "not a real date"),  # 30 February
    ("990105194912310027", "province code"),
    ("", "18 characters"),
])
def test_invalid_ids_are_refused_with_the_reason(raw, reason):
    if reason in {"not a real date", "province code"}:
        raw = raw[:17] + check_character(raw[:17])
    with translation.override("en"), pytest.raises(CitizenIdError, match=reason):
        parse_citizen_id(raw)


def test_a_birth_date_in_the_future_is_impossible():
    future = dt.date.today() + dt.timedelta(days=400)
    first17 = f"440304{future:%Y%m%d}123"
    with translation.override("en"), pytest.raises(CitizenIdError, match="impossible"):
        parse_citizen_id(first17 + check_character(first17))


def test_mask_keeps_the_region_digits_only():
    """The birth date is shown beside the mask: any digit after it would narrow the number down (issue 13)."""
    assert mask_citizen_id("44030419900101123X") == "440304************"
    assert mask_phone("+8613812345678") == "+86 *******5678"
    assert mask_phone("+447911123456") == "+********3456"


def test_the_reasons_are_translated():
    with translation.override("zh-hans"), pytest.raises(CitizenIdError, match="校验码错误"):
        parse_citizen_id("110105194912310021")
