"""Foreign keys of the bulk import checked by set (``fangkong.bulk_copy.foreign_keys_checked_by_set``).

On PostgreSQL the contact import writes without the per-row foreign-key triggers when the database role
may turn them off, and checks every key of the rows written once per key instead: a referenced row that
does not exist is refused and nothing is kept, the referenced rows stay locked against deletion until
the transaction ends, and without the privilege (or with a trigger of our own on the table) the
triggers stay on and the import gives the same result.
"""

from __future__ import annotations

import os

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from fangkong.accounts.roles import Role
from fangkong.bulk_copy import foreign_keys_checked_by_set
from fangkong.cases.imports import contacts as contact_imports
from fangkong.cases.imports import contacts_import
from fangkong.cases.models import Contact
from fangkong.cases.tests.builders import make_case
from fangkong.cases.tests.test_imports_scale import _contact
from fangkong.persons.models import Person
from fangkong.testing.builders import make_user

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="PostgreSQL only")


@pytest.fixture
def dongguan_epi(db):
    return make_user("dg_fk_epi", ("441900", Role.EPIDEMIOLOGIST))


@pytest.fixture
def source(dongguan_epi):
    return make_case(dongguan_epi, region="441900", name="源病例", day="2022-03-12", hour=9)


def _role() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        return cursor.fetchone()[0]


def _roles_seen_by_copy(monkeypatch) -> list[str]:
    seen = []
    original = contact_imports.copy_rows
    monkeypatch.setattr(contact_imports, "copy_rows", lambda *args: (seen.append(_role()), original(*args))[1])
    return seen


def _insert_contact(*, person_id: int, source_case_id: int, region: str = "441900") -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO cases_contact (contact_no, person_id, region_id, category, source_case_id, exposure_type, "
            "listed_at, quarantine_place, protocol_id, test_schedule, status, version, created_at, updated_at) "
            "SELECT %s, %s, %s, 'close', %s, 'other', now(), '', id, '[]', 'listed', 1, now(), now() "
            "FROM protocols_protocolversion LIMIT 1", ["FK-1", person_id, region, source_case_id])


@pytest.fixture
def plain_role():
    """A database role without superuser rights, allowed to use the tables (created in the test's
    transaction, so gone with it); ``SET LOCAL ROLE`` to it for the rest of the test."""
    name = f"fangkong_plain_{os.getpid()}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name} NOSUPERUSER")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}")
        cursor.execute(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}")
    return name


def _become(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {name}")


@postgresql
def test_the_import_writes_without_row_triggers_and_turns_them_back_on(dongguan_epi, source, monkeypatch):
    seen = _roles_seen_by_copy(monkeypatch)
    rows = [_contact(f"FKA{n}", source_case_no=source.case_no) for n in range(3)]
    assert contacts_import(actor=dongguan_epi, rows=rows).created == 3
    assert seen == ["replica"]
    assert _role() == "origin"
    assert Contact.objects.filter(contact_no__startswith="FKA", source_case=source).count() == 3


@postgresql
@pytest.mark.parametrize("missing", ["source case", "person"])
def test_a_referenced_row_that_does_not_exist_is_refused_and_nothing_is_kept(dongguan_epi, source, missing):
    person = Person.objects.create(name="某人", address_region_id="441900")
    contacts, persons = Contact.objects.count(), Person.objects.count()
    with pytest.raises(IntegrityError) as refused, transaction.atomic(), foreign_keys_checked_by_set(Contact):
        _insert_contact(person_id=person.pk + 10**9 if missing == "person" else person.pk,
                        source_case_id=source.pk + 10**9 if missing == "source case" else source.pk)
    column = "person_id" if missing == "person" else "source_case_id"
    assert f"cases_contact.{column}: 1 value(s) not present" in str(refused.value)
    assert (Contact.objects.count(), Person.objects.count()) == (contacts, persons)
    assert _role() == "origin"


@postgresql
def test_referenced_rows_stay_locked_against_deletion_until_the_transaction_ends(dongguan_epi, source):
    """A region is a committed row (the test database's migrations): another session trying to delete the
    region a new contact refers to waits for this transaction, as it would behind the per-row check."""
    person = Person.objects.create(name="某人", address_region_id="441900")
    settings = connection.settings_dict
    with psycopg.connect(host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"],
                         dbname=settings["NAME"]) as other:
        other.execute("SET lock_timeout = '300ms'")
        other.execute("DELETE FROM regions_region WHERE code = '441900'")  # before: no wait (rolled back)
        other.rollback()
        with transaction.atomic():
            with foreign_keys_checked_by_set(Contact) as triggers_off:
                _insert_contact(person_id=person.pk, source_case_id=source.pk, region="441900")
            assert triggers_off
            other.execute("SET lock_timeout = '300ms'")
            with pytest.raises(psycopg.errors.LockNotAvailable):
                other.execute("DELETE FROM regions_region WHERE code = '441900'")
            other.rollback()


@postgresql
def test_without_the_privilege_the_triggers_stay_on_and_the_import_is_the_same(dongguan_epi, source, plain_role,
                                                                               monkeypatch):
    seen = _roles_seen_by_copy(monkeypatch)
    _become(plain_role)
    rows = [_contact(f"FKP{n}", source_case_no=source.case_no) for n in range(3)]
    assert contacts_import(actor=dongguan_epi, rows=rows).created == 3
    assert seen == ["origin"]
    assert Contact.objects.filter(contact_no__startswith="FKP", source_case=source).count() == 3
    person = Person.objects.create(name="某人", address_region_id="441900")
    with pytest.raises(IntegrityError), transaction.atomic(), foreign_keys_checked_by_set(Contact) as triggers_off:
        assert not triggers_off
        _insert_contact(person_id=person.pk, source_case_id=source.pk + 10**9)
        with connection.cursor() as cursor:  # the per-row trigger refuses (at once rather than at commit)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@postgresql
def test_the_grant_on_the_parameter_is_enough(dongguan_epi, plain_role):
    with connection.cursor() as cursor:
        cursor.execute(f"GRANT SET ON PARAMETER session_replication_role TO {plain_role}")
    _become(plain_role)
    with transaction.atomic(), foreign_keys_checked_by_set(Contact, Person) as triggers_off:
        assert triggers_off and _role() == "replica"
    assert _role() == "origin"


@postgresql
def test_a_table_with_a_trigger_of_its_own_keeps_the_row_triggers(dongguan_epi):
    with connection.cursor() as cursor:
        cursor.execute("CREATE FUNCTION fk_test_noop() RETURNS trigger LANGUAGE plpgsql AS "
                       "'BEGIN RETURN NEW; END'")
        cursor.execute("CREATE TRIGGER fk_test_noop BEFORE INSERT ON persons_person "
                       "FOR EACH ROW EXECUTE FUNCTION fk_test_noop()")
    with transaction.atomic(), foreign_keys_checked_by_set(Contact, Person) as triggers_off:
        assert not triggers_off and _role() == "origin"


@pytest.mark.skipif(os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="SQLite only")
def test_on_sqlite_the_block_changes_nothing():
    with transaction.atomic(), foreign_keys_checked_by_set(Contact) as triggers_off:
        assert triggers_off is False
