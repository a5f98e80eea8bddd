"""The testing rules against their sources' words (as ``protocols/tests/test_citations.py`` holds the editions'
periods to their quotations): every frequency a rule allows is read back out of its citation.

No quotation of the key-population testing clauses is in the repository or in ``/work/shared/data`` (the
editions' quotations in ``fangkong.protocols.editions`` cover periods and test days of contacts and
travellers only), so none is invented here: every rule's citation says so (``"quoted": False``) and states
the rule in our words (``summary``), and the rules without a quotation are pinned by name below — a new rule
comes with its quotation (``"quoted": True``, ``"text"`` the clause as published, ``"source"`` where it was
read), or joins that list on purpose. What holds for every rule, quoted or not: the frequencies the data
allows are exactly those its citation's text states, and the default is the loosest of them.
"""

from __future__ import annotations

import re

import pytest

from ..rules import LADDER, RULES

#: Rules whose citation is our summary, not the source's words: to be checked against the published clause.
#: The Shenzhen rules (sz-2022-03-*) are local choices of the demo: no Shenzhen document is quoted for them.
UNQUOTED = frozenset({
    *(f"8th-{p}" for p in ("port_frontline", "cross_border_driver", "cold_chain", "quarantine_hotel",
                           "designated_hospital", "fever_clinic", "delivery")),
    *(f"sz-2022-03-{p}" for p in ("port_frontline", "cold_chain", "quarantine_hotel", "delivery")),
    *(f"9th-{p}" for p in ("port_frontline", "cross_border_driver", "cold_chain", "quarantine_hotel",
                           "designated_hospital", "fever_clinic", "delivery")),
})
LOCAL_CHOICES = frozenset(code for code in UNQUOTED if code.startswith("sz-"))

# The phrasings of a frequency, each with the days it allows: "隔天或每天一次" allows 1 and 2.
PHRASES = (
    (re.compile(r"隔天或每天"), (1, 2)),
    (re.compile(r"至少每周一次"), (1, 2, 3, 7)),
    (re.compile(r"(?<!或)每天一[次检]"), (1,)),
    (re.compile(r"两天一检|隔天一次"), (1, 2)),
)


def stated_days(text: str) -> tuple[int, ...]:
    """The frequencies a clause allows, read from its words; one phrasing exactly (not ambiguous)."""
    found = [days for pattern, days in PHRASES if pattern.search(text)]
    assert len(found) == 1, text
    return found[0]


def _text(rule: dict) -> str:
    citation = rule["citation"]
    return citation["text"] if citation.get("quoted") else citation["summary"]


@pytest.mark.parametrize("rule", RULES, ids=[rule["code"] for rule in RULES])
def test_each_frequency_is_what_its_source_says(rule):
    citation = rule["citation"]
    assert citation["document"], rule["code"]
    if citation.get("quoted"):
        assert citation["text"] and citation["source"], rule["code"]  # the words, and where they were read
        assert rule["code"] not in UNQUOTED
    else:
        assert rule["code"] in UNQUOTED, f"{rule['code']}: quote the clause, or list the rule as unquoted"
        assert citation["summary"]
    assert tuple(rule["allowed_days"]) == stated_days(_text(rule)), rule["code"]
    assert set(rule["allowed_days"]) <= set(LADDER)
    assert rule["default_days"] == max(rule["allowed_days"])  # a new group takes the loosest the rule allows


def test_the_list_of_unquoted_rules_is_the_data_and_the_local_choices_are_shenzhens():
    codes = {rule["code"] for rule in RULES}
    assert codes >= UNQUOTED  # no stale name
    assert {rule["code"] for rule in RULES if rule["region"]} == LOCAL_CHOICES
    assert all(rule["edition"] in ("8th", "9th") for rule in RULES)


def test_the_reading_of_the_words_is_not_blind():
    assert stated_days("口岸一线人员定期核酸检测，隔天或每天一次。") == (1, 2)
    assert stated_days("口岸一线人员每天一检。") == (1,)
    with pytest.raises(AssertionError):
        stated_days("口岸一线人员定期核酸检测。")  # a clause without a frequency is not read as one
