"""GB 32100-2015: the check character of the unified social credit code, against the standard's algorithm
text (weights 3^(i-1) mod 31, C18 = 31 − MOD(Σ, 31), 31 written 0) and published valid codes."""

import pytest

from ..credit_code import ALPHABET, WEIGHTS, CreditCodeError, check_character, parse_credit_code

#: Codes published on the enterprises' own sites and the national enterprise credit information system.
PUBLISHED = [
    "914403001922038216",  # Huawei Technologies Co., Ltd. (Shenzhen)
    "9144030071526726XG",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "911000001000013428",  # Bank of China Limited
    "91330100799655058B",  # Alibaba (China) Co., Ltd.
    "91440300708461136T",  # a published code of a company registered in Shenzhen (440300)
    "91350100M000100Y43",  # the example code of the standard's explanatory material
]


def test_the_weights_and_alphabet_are_the_standards():
    assert WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert ALPHABET == "0123456789ABCDEFGHJKLMNPQRTUWXY" and len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code):
    assert parse_credit_code(code.lower()) == code
    assert parse_credit_code(f" {code[:9]} {code[9:]} ") == code


def test_the_check_character_follows_the_formula_by_hand():
    first17 = "91350100M000100Y4"
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    assert check_character(first17) == ALPHABET[(31 - total % 31) % 31] == "3"
    # a remainder of 0 gives 31, written 0: find a prefix with Σ ≡ 0 (mod 31)
    prefix = "9144030071526726X"
    for c in ALPHABET:
        candidate = prefix[:16] + c
        if sum(ALPHABET.index(x) * w for x, w in zip(candidate, WEIGHTS, strict=True)) % 31 == 0:
            assert check_character(candidate) == "0"
            break
    else:
        pytest.fail("no prefix with a zero remainder tried")


@pytest.mark.parametrize(("code", "fault"), [
    ("914403001922038217", "check"), ("9144030019220382", "length"), ("9144030019220382I6", "characters"),
    ("91A40300192203821X", "region"), ("9144030071526726XH", "check"), ("914403007152672X6G", "check"),
])
def test_mistyped_codes_are_refused_naming_the_fault(code, fault):
    with pytest.raises(CreditCodeError) as caught:
        parse_credit_code(code)
    assert str(caught.value) == fault


def test_any_single_substitution_is_caught():
    code = PUBLISHED[0]
    for position in range(17):
        for c in ALPHABET:
            if c != code[position]:
                changed = code[:position] + c + code[position + 1:]
                with pytest.raises(CreditCodeError):
                    parse_credit_code(changed)
