"""Readable case numbers (county code, year, sequence: ``440304-2022-00123``), unique when drawn at the same
time from several threads on PostgreSQL; imported numbers kept as they are."""

from __future__ import annotations

import datetime as dt
import os
import re
import threading

import pytest
from django.db import connection, transaction

from fangkong.cases.case_numbers import case_number_draw
from fangkong.cases.models import Case, NumberSequence
from fangkong.cases.services import case_register, contact_convert_to_case
from fangkong.cases.tests.builders import at, covid, make_case, make_contact, make_person

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="PostgreSQL only")


def test_cases_are_numbered_by_county_year_and_sequence(shenzhen_epi):
    first = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    second = make_case(shenzhen_epi, region="440304", day="2022-03-11")
    other_county = make_case(shenzhen_epi, region="440305", day="2022-03-11")
    next_year = make_case(shenzhen_epi, region="440304", day="2023-01-02")
    assert [first.case_no, second.case_no, other_county.case_no, next_year.case_no] == [
        "440304-2022-00001", "440304-2022-00002", "440305-2022-00001", "440304-2023-00001"]
    assert all(re.fullmatch(r"\d{6}-\d{4}-\d{5}", c.case_no) for c in Case.objects.all())


def test_the_year_is_the_year_of_report(shenzhen_epi):
    # diagnosed on New Year's Eve, reported after midnight (local time)
    case = case_register(actor=shenzhen_epi, person=make_person(shenzhen_epi, name="跨年", region="440304"),
                         disease=covid(), classification="confirmed", diagnosed_at=at("2022-12-31", 23),
                         reported_at=at("2023-01-01", 0), report_region="440304", detection_route="screening")
    assert case.case_no == "440304-2023-00001"


def test_a_number_taken_by_an_imported_case_is_skipped_and_imported_numbers_are_kept(shenzhen_epi):
    imported = make_case(shenzhen_epi, region="440304", case_no="440304-2022-00002")
    legacy = make_case(shenzhen_epi, region="440304", case_no="SZ/FT 2022 第17号")
    drawn = [make_case(shenzhen_epi, region="440304").case_no for _ in range(2)]
    assert imported.case_no == "440304-2022-00002" and legacy.case_no == "SZ/FT 2022 第17号"
    assert drawn == ["440304-2022-00001", "440304-2022-00003"]


def test_a_converted_contact_gets_a_readable_number(shenzhen_epi):
    source = make_case(shenzhen_epi, region="440304", day="2022-04-10")
    contact = make_contact(shenzhen_epi, source_case=source, region="440305", listed="2022-04-11")
    case = contact_convert_to_case(actor=shenzhen_epi, contact=contact, expected_version=1,
                                   diagnosed_at=at("2022-04-17", 10), reported_at=at("2022-04-17", 11))
    assert case.case_no == "440305-2022-00001"


def test_a_rolled_back_registration_leaves_no_gap(shenzhen_epi):
    make_case(shenzhen_epi, region="440304")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert case_number_draw(region_code="440304", report_date=dt.date(2022, 3, 10)) == "440304-2022-00002"
        raise RuntimeError("rolled back")
    assert make_case(shenzhen_epi, region="440304").case_no == "440304-2022-00002"


@postgresql
def test_threads_drawing_at_once_never_get_the_same_number():
    """Eight sessions draw ten numbers each, every draw in its own transaction held open a moment after
    the draw (so that the sessions wait on each other): eighty different numbers, 1 to 80."""
    county, year = "999999", 2031  # a counter no other test uses; committed by the threads, removed below
    start = threading.Barrier(8)
    drawn: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work():
        try:
            start.wait()
            for _ in range(10):
                with transaction.atomic():
                    number = case_number_draw(region_code=county, report_date=dt.date(year, 5, 1))
                    connection.cursor().execute("SELECT pg_sleep(0.005)")
                with lock:
                    drawn.append(number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not failures, failures
        assert sorted(drawn) == [f"{county}-{year}-{n:05d}" for n in range(1, 81)]
        assert NumberSequence.objects.get(kind="case", county=county, year=year).last == 80
    finally:
        def clean():
            NumberSequence.objects.filter(county=county).delete()
            connection.close()
        cleaner = threading.Thread(target=clean)
        cleaner.start()
        cleaner.join()


def test_contacts_are_numbered_by_managing_county_year_and_sequence(shenzhen_epi):
    """Like cases, with an M (密接) before the sequence; a contact bringing its own number keeps it."""
    from fangkong.cases.case_numbers import contact_number_draw

    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    first = make_contact(shenzhen_epi, source_case=source, region="440304", listed="2022-03-10")
    second = make_contact(shenzhen_epi, source_case=source, region="440304", name="乙", listed="2022-03-11")
    other = make_contact(shenzhen_epi, source_case=source, region="440305", name="丙", listed="2022-03-11")
    own = make_contact(shenzhen_epi, source_case=source, region="440304", name="丁", contact_no="SZ-K-17")
    assert [first.contact_no, second.contact_no, other.contact_no, own.contact_no] == [
        "440304-2022-M00001", "440304-2022-M00002", "440305-2022-M00001", "SZ-K-17"]
    assert NumberSequence.objects.get(kind="contact", county="440304", year=2022).last == 2
    assert source.case_no == "440304-2022-00001"  # cases count apart
    make_contact(shenzhen_epi, source_case=source, region="440304", name="戊", contact_no="440304-2022-M00003")
    with transaction.atomic():
        assert contact_number_draw(region_code="440304", listed_date=dt.date(2022, 5, 1)) == "440304-2022-M00004"


def test_the_migration_renumbers_old_generated_contact_numbers_only(shenzhen_epi):
    import importlib

    from django.apps import apps

    from fangkong.cases.models import Contact

    migration = importlib.import_module("fangkong.cases.migrations.0017_number_sequence_kind_contact_release")
    source = make_case(shenzhen_epi, region="440304", day="2022-03-10")
    old = [make_contact(shenzhen_epi, source_case=source, region="440304", name=name, listed=day,
                        contact_no=f"K-2026120501071788510{i}-{i + 1}")
           for i, (name, day) in enumerate((("甲", "2022-03-11"), ("乙", "2022-03-10"), ("丙", "2023-01-02")))]
    kept = make_contact(shenzhen_epi, source_case=source, region="440304", name="丁", contact_no="K-17")
    drawn = make_contact(shenzhen_epi, source_case=source, region="440304", name="戊", listed="2022-03-12")
    migration.renumber_and_release(apps, None)
    numbers = dict(Contact.objects.values_list("pk", "contact_no"))
    assert drawn.contact_no == "440304-2022-M00001" and numbers[kept.pk] == "K-17"
    assert [numbers[c.pk] for c in old] == ["440304-2022-M00003", "440304-2022-M00002", "440304-2023-M00001"]
    assert NumberSequence.objects.get(kind="contact", county="440304", year=2022).last == 3
