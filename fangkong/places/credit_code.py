"""The unified social credit code (统一社会信用代码) of GB 32100-2015 and its check character.

The standard's text (clause 4 and annex, as published): the code has 18 characters — the registration
authority (1), the kind of organisation (1), the administrative division of registration (6, GB/T 2260),
the organisation's identification code (9, GB 11714) and a check character (1). The characters are the
digits and the capital letters without I, O, Z, S, V (31 characters, valued 0–30 in the order
``0123456789ABCDEFGHJKLMNPQRTUWXY``). The check character is

    C18 = 31 − MOD(Σ Ci × Wi, 31),  i = 1 … 17,

with the weight of position i ``Wi = 3^(i−1) mod 31`` (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24,
10, 30, 28); a result of 31 is written 0.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]


class CreditCodeError(ValueError):
    pass


def check_character(first17: str) -> str:
    """The check character of the first 17 characters."""
    total = sum(VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def parse_credit_code(raw: str) -> str:
    """The code, upper-cased and without spaces, when it is well formed and its check character holds;
    ``CreditCodeError`` naming the fault otherwise."""
    code = "".join(str(raw).split()).upper()
    if len(code) != 18:
        raise CreditCodeError("length")
    bad = [c for c in code if c not in VALUES]
    if bad:
        raise CreditCodeError("characters")
    if not code[2:8].isdigit():
        raise CreditCodeError("region")
    if check_character(code[:17]) != code[17]:
        raise CreditCodeError("check")
    return code
