"""The protocol table against the editions' own words: the numbers are read back out of the quotations
stored with each edition (``editions.CITATIONS``) and must be the installed rules."""

from __future__ import annotations

import re

import pytest

from fangkong.protocols.editions import CITATIONS
from fangkong.protocols.models import ProtocolVersion

pytestmark = pytest.mark.django_db

# "14天集中隔离医学观察+7天居家健康监测", "5天集中隔离+3天居家隔离"
PERIOD = re.compile(r"(\d+)天集中隔离(?:医学观察)?\+(\d+)天居家(?:健康监测|隔离)")
CENTRALISED_TESTS = re.compile(r"集中隔离医学观察的?第([\d、]+)天")
HOME_TESTS = re.compile(r"居家(?:健康监测|隔离医学观察)的?第([\d、]+)天")
SECONDARY = re.compile(r"密接的密接(?:管控措施从“|采取)(\d+)天(集中|居家)隔离医学观察")
ANY_TESTS = re.compile(r"第([\d、]+)天")


def _days(text: str) -> list[int]:
    return [int(d) for d in text.split("、")]


def _clause(code: str, rule: str) -> str | None:
    texts = [c["text"] for c in CITATIONS[code]["clauses"] if c["rule"] == rule]
    assert len(texts) <= 1, (code, rule)
    return texts[0] if texts else None


def _only(pattern: re.Pattern, text: str) -> re.Match:
    found = list(pattern.finditer(text))
    assert len(found) == 1, (pattern.pattern, text)  # one reading only: the quotation is not ambiguous
    return found[0]


@pytest.mark.parametrize("code", ["8th", "9th", "nov-2022"])
def test_each_edition_cites_its_document_and_the_rules_that_fix_a_period(code):
    citation = CITATIONS[code]
    assert citation["document"] and citation["issued_as"].startswith("联防联控机制综发")
    rules = {c["rule"] for c in citation["clauses"]}
    assert {"close", "close_tests", "secondary", "inbound"} <= rules
    assert "counted_from" in rules or CITATIONS[citation["counted_as"]]
    assert all(c["text"] and c["source"] for c in citation["clauses"])


@pytest.mark.parametrize("code", ["8th", "9th", "nov-2022"])
def test_the_table_is_what_the_edition_says(code):
    protocol = ProtocolVersion.objects.get(code=code)
    assert protocol.citations == CITATIONS[code]  # installed with the rules by the migration

    close = _only(PERIOD, _clause(code, "close"))
    assert (int(close[1]), int(close[2])) == (protocol.close_contact_centralised_days,
                                              protocol.close_contact_home_days)
    inbound_text = _clause(code, "inbound")
    assert "入境人员" in inbound_text
    inbound = _only(PERIOD, inbound_text)
    assert (int(inbound[1]), int(inbound[2])) == (protocol.inbound_centralised_days, protocol.inbound_home_days)

    tests = _clause(code, "close_tests")
    assert _days(_only(CENTRALISED_TESTS, tests)[1]) == protocol.close_contact_test_days
    home = list(HOME_TESTS.finditer(tests))
    if home:  # the 8th edition's home test days are not in the quoted revision list
        assert _days(home[0][1]) == protocol.close_contact_home_test_days

    secondary = _clause(code, "secondary")
    if "不再判定密接的密接" in secondary:
        assert not protocol.secondary_contacts_traced
    else:
        found = _only(SECONDARY, secondary)
        assert protocol.secondary_contacts_traced
        assert int(found[1]) == protocol.secondary_contact_days
        assert (found[2] == "集中") == protocol.secondary_contact_centralised
    secondary_tests = _clause(code, "secondary_tests")
    if secondary_tests:
        assert _days(_only(ANY_TESTS, secondary_tests)[1]) == protocol.secondary_contact_test_days


@pytest.mark.parametrize("code", ["8th", "9th"])
def test_the_editions_count_from_the_last_exposure(code):
    text = _clause(code, "counted_from")
    assert "最后一次" in text or "末次暴露" in text
    assert CITATIONS["nov-2022"]["counted_as"] == "9th"


def test_the_citations_are_not_editable_rules():
    from fangkong.protocols.services import EDITABLE_FIELDS

    assert "citations" not in EDITABLE_FIELDS


def test_the_protocol_page_quotes_the_edition(client, shenzhen_epi):
    client.force_login(shenzhen_epi)
    page = client.get("/protocols/9th/").content.decode()
    assert "隔离管理期限自末次暴露后算起" in page and "联防联控机制综发〔2022〕71号" in page
