"""The follow-up's dates against the editions' own words (``fangkong.protocols.editions.CITATIONS``): for a
contact listed under each edition, the days of the period on which a test is due in ``ScheduledTest`` —
counted from the last exposure (day 0), as the editions count ("隔离管理期限自末次暴露后算起") — and the
length of the period followed up are read back out of the quoted text and must be the same."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from fangkong.protocols.editions import CITATIONS

from .builders import managed_contact

pytestmark = pytest.mark.django_db

PERIOD = re.compile(r"(\d+)天集中隔离(?:医学观察)?\+(\d+)天居家(?:健康监测|隔离)")
CENTRALISED_TESTS = re.compile(r"集中隔离医学观察的?第([\d、]+)天")
HOME_TESTS = re.compile(r"居家(?:健康监测|隔离医学观察)的?第([\d、]+)天")
SECONDARY = re.compile(r"密接的密接采取(\d+)天居家隔离医学观察")
ANY_TESTS = re.compile(r"第([\d、]+)天")
#: A listing day under each edition (in force from 2021-05-11, 2022-06-27, 2022-11-11).
LISTED = {"8th": dt.date(2022, 3, 10), "9th": dt.date(2022, 7, 10), "nov-2022": dt.date(2022, 12, 1)}


def _clause(code: str, rule: str) -> str | None:
    return next((c["text"] for c in CITATIONS[code]["clauses"] if c["rule"] == rule), None)


def _days(match) -> list[int]:
    return [int(d) for d in match[1].split("、")]


def _tests_by_phase(subject) -> dict[str, list[int]]:
    """The day of the period of each test (day 1 = the day after the last exposure), by phase."""
    found: dict[str, list[int]] = {}
    for test in subject.tests.order_by("due_date"):
        found.setdefault(test.phase, []).append((test.due_date - subject.counted_from).days)
    return found


@pytest.mark.parametrize("code", ["8th", "9th", "nov-2022"])
def test_close_contacts_are_tested_on_the_days_the_edition_names(shenzhen_epi, code):
    listed = LISTED[code]
    _contact, subject = managed_contact(shenzhen_epi, listed=listed, exposure_end=listed - dt.timedelta(days=2))
    assert subject.protocol.code == code and subject.counted_from == listed - dt.timedelta(days=2)
    tests = _tests_by_phase(subject)
    text = _clause(code, "close_tests")
    assert tests["centralised"] == _days(CENTRALISED_TESTS.search(text))
    centralised, home = (int(n) for n in PERIOD.search(_clause(code, "close")).groups())
    home_cited = HOME_TESTS.search(text)
    if home_cited:  # the 8th edition's home test days are not in the quoted text
        assert [day - centralised for day in tests["home"]] == _days(home_cited)
    assert (subject.last_day - subject.counted_from).days == centralised + home
    assert (subject.centralised_until - subject.counted_from).days == centralised


def test_contacts_of_close_contacts_under_the_9th_edition(shenzhen_epi):
    listed = LISTED["9th"]
    _contact, subject = managed_contact(shenzhen_epi, listed=listed, category="secondary",
                                        exposure_end=listed - dt.timedelta(days=1))
    text = _clause("9th", "secondary_tests")
    assert _tests_by_phase(subject) == {"home": _days(ANY_TESTS.search(text))}
    assert (subject.last_day - subject.counted_from).days == int(SECONDARY.search(text)[1])
    assert subject.centralised_until is None
