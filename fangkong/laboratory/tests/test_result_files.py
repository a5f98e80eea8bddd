"""A laboratory's result file, read by set (``services.results_import``): every bad row named by its row and
column with nothing stored, whichever rule refuses it (the schema's fields, the rule across them, the samples
in the database, a code listed twice); pools and single specimens in one file; the plain-code shortcut reads a
code as the schema's field does."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.inputs import ColumnReader

from ..inputs import ResultInput
from ..models import Pool, PoolMember, Result, ResultImport, ScreeningRound
from ..services import _code_plain, result_record, results_import
from .test_laboratory import RECEIVED, RESULTED, SAMPLED, _pool, _single

pytestmark = pytest.mark.django_db

HEADER = "code,outcome,ct_values,received_at,resulted_at\n"


def _row(code, outcome="negative", ct="", received=None, resulted=None):
    return f"{code},{outcome},{ct},{(received or RECEIVED).isoformat()},{(resulted or RESULTED).isoformat()}\n"


@pytest.fixture
def pools(lab_user, lab, screening, people):
    for i in range(4):
        _pool(lab_user, screening, lab, [people[i * 3 + k][1] for k in range(3)], code=f"T{i}", size=5)
    result_record(actor=lab_user, laboratory=lab, code="T3", outcome="negative", ct_values={},
                  received_at=RECEIVED, resulted_at=RESULTED)


def _state():
    return (Result.objects.count(), ResultImport.objects.count(),
            list(ScreeningRound.objects.values_list("pools_tested", "pools_positive")),
            PoolMember.objects.filter(controlled_at__isnull=False).count(),
            AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT).count())


def test_every_bad_row_is_named_by_row_and_column_and_nothing_is_stored(lab_user, lab, pools):
    before = _state()
    content = HEADER + "".join([
        _row("T0", "positive", "N:31"),                                 # row 2: good
        _row("NOPE"),                                                   # row 3: no such sample
        _row("T3", "positive", "N:30"),                                 # row 4: already resulted, otherwise
        _row("T1", "positive", "ORF1ab:46"),                            # row 5: Ct out of range
        _row("T2", received=SAMPLED - dt.timedelta(hours=1)),           # row 6: received before sampled
    ])
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=lab, content=content.encode())
    # the schema's faults first (the rows the form would refuse), before the database is asked
    assert refused.value.message_dict["file"] == ["row 5: ct_values: A Ct value lies above 0 and at most 45."]
    assert _state() == before
    content = content.replace("ORF1ab:46", "ORF1ab:30")
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=lab, content=content.encode())
    assert refused.value.message_dict["file"] == [
        "row 3: code: No sample with this code in this laboratory.",
        "row 4: code: This sample already has another result.",
        "row 6: received_at: A sample cannot be received before it was taken.",
    ]
    assert _state() == before


# The rows are made when the test runs, not when it is collected: their times are relative to now (two workers
# collecting at different instants would see different tests, and a collection just before midnight in
# Beijing would date them on the day before).
@pytest.mark.parametrize(("make_rows", "expected"), [
    (lambda: _row("T0") + _row("T1") + _row("T0", "positive", "N:30"),
     ["row 4: code: This sample is listed twice in the file."]),
    (lambda: _row("T0", "positive"), ["row 2: ct_values: A positive result gives its Ct values."]),
    (lambda: _row("T0", resulted=RECEIVED - dt.timedelta(minutes=1)),
     ["row 2: resulted_at: A result cannot come before the sample was received."]),
    (lambda: _row("T0", "maybe"), ["row 2: outcome: \"maybe\" is not a valid choice."]),
    (lambda: _row("X" * 33), ["row 2: code: Ensure this field has no more than 32 characters."]),
    (lambda: _row("T0", received=RECEIVED, resulted=RECEIVED).replace(RECEIVED.isoformat(), "yesterday", 1),
     ["row 2: received_at: Datetime has wrong format."]),
], ids=["listed twice", "positive without Ct", "resulted before received", "unknown outcome", "code too long",
        "received not a time"])
def test_a_refused_row_changes_nothing(lab_user, lab, pools, make_rows, expected):
    rows = make_rows()
    before = _state()
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=lab, content=(HEADER + rows).encode())
    shown = refused.value.message_dict["file"]
    assert len(shown) == 1 and shown[0].startswith(expected[0])
    assert _state() == before


def test_a_file_with_many_bad_rows_shows_the_first_and_counts_the_rest(lab_user, lab, pools):
    content = HEADER + "".join(_row(f"NOPE{i}") for i in range(25))
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=lab, content=content.encode())
    shown = refused.value.message_dict["file"]
    assert len(shown) == 21 and shown[0].startswith("row 2: code:") and shown[-1] == "5 more row(s) refused."


@pytest.mark.parametrize("header", ["code,outcome,received_at\n", "code,outcome,ct_value,received_at,resulted_at\n",
                                    "code,code,outcome,ct_values,received_at,resulted_at\n"])
def test_a_file_without_its_columns_is_refused_before_any_row(lab_user, lab, pools, header):
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=lab, content=(header + "T0,negative,,x,y\n").encode())
    assert refused.value.message_dict["file"][0].startswith("Row 1: the columns are code, outcome")
    assert not ResultImport.objects.exists()


def test_blank_rows_keep_the_numbers_of_the_others(lab_user, lab, pools):
    content = HEADER + _row("T0") + "\n,,,,\n" + _row("NOPE")
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=lab, content=content.encode())
    assert refused.value.message_dict["file"] == ["row 5: code: No sample with this code in this laboratory."]


def test_pools_and_single_specimens_in_one_file(lab_user, lab, pools):
    results_import(actor=lab_user, laboratory=lab, content=(HEADER + _row("T0", "positive", "N:31")).encode())
    members = list(PoolMember.objects.filter(pool__code="T0").order_by("pk"))
    assert all(m.controlled_at for m in members)
    for i, member in enumerate(members):
        _single(lab_user, lab, member, f"S{i}")
    later = {"received": RESULTED + dt.timedelta(hours=1), "resulted": RESULTED + dt.timedelta(hours=2)}
    content = HEADER + _row("T1", **later) + "".join(_row(f"S{i}", **later) for i in range(3))
    batch = results_import(actor=lab_user, laboratory=lab, content=content.encode())
    assert (batch.rows, batch.recorded, batch.unchanged) == (4, 4, 0)
    assert set(PoolMember.objects.filter(pool__code="T0").values_list("verdict", flat=True)) == {"negative"}
    assert Pool.objects.get(code="T0").resolution == Pool.Resolution.NOT_CONFIRMED
    assert Result.objects.filter(source=batch).count() == 4
    screening = ScreeningRound.objects.get()
    assert (screening.pools_tested, screening.pools_positive, screening.pools_resolved) == (3, 1, 1)


def test_a_result_for_a_sample_of_another_laboratory_is_refused(lab_user, lab, pools, shenzhen_epi):
    from ..services import laboratory_create

    other = laboratory_create(actor=shenzhen_epi, name="另一实验室", region="440300", daily_capacity=10,
                              staff=[lab_user])
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=other, content=(HEADER + _row("T0")).encode())
    assert refused.value.message_dict["file"] == ["row 2: code: No sample with this code in this laboratory."]
    assert not Result.objects.filter(pool__code="T0").exists()


@pytest.mark.parametrize("text", ["T0", "FT-0001", "a" * 32, "x.y_z/1", "P@1", "0", "~"])
def test_a_plain_code_reads_as_the_schema_reads_it(text):
    reader = ColumnReader(ResultInput)
    assert _code_plain([text], 32)
    assert reader.read("code", text) == (text, ())


@pytest.mark.parametrize("text", ["", " T0", "T 0", "a" * 33, "T\\0", "管码1", "T\t0"])
def test_a_code_not_plain_goes_through_the_field(text):
    assert not _code_plain([text], ResultInput().fields["code"].max_length)
    assert not _code_plain(["T0", text, "T1"], 32)


def test_the_times_are_those_of_the_file(lab_user, lab, pools):
    received = timezone.localtime(RECEIVED).replace(microsecond=0)
    results_import(actor=lab_user, laboratory=lab, content=(HEADER + _row("T0", received=received)).encode())
    result = Result.objects.get(pool__code="T0")
    assert (result.received_at, result.resulted_at) == (received, RESULTED)
    assert result.recorded_by == lab_user and result.source is not None


@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="PostgreSQL only")
@pytest.mark.parametrize(("pool_id", "laboratory_offset", "refused"), [(10**9, 0, False), (None, 10**9, True)])
def test_a_proven_key_is_not_checked_and_the_others_are(lab_user, lab, pools, pool_id, laboratory_offset, refused):
    """``bulk_copy.foreign_keys_checked_by_set(proven=...)``: the results' pool is proven by the ingest's join
    (and left unchecked: a pool id that does not exist passes here, which is why the ingest only writes ids it
    read); the laboratory is still checked."""
    from django.db import IntegrityError, connection, transaction

    from fangkong.bulk_copy import foreign_keys_checked_by_set

    from ..services import PROVEN_POOL

    pool_id = pool_id or Pool.objects.get(code="T0").pk

    def write():
        with foreign_keys_checked_by_set(Result, proven={"laboratory.result.pool": PROVEN_POOL}) as off:
            assert off
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO laboratory_result (laboratory_id, pool_id, outcome, ct_values, received_at, "
                               "resulted_at, recorded_at) VALUES (%s, %s, 'negative', '{}', now(), now(), now())",
                               [lab.pk + laboratory_offset, pool_id])

    with transaction.atomic():
        if refused:
            with pytest.raises(IntegrityError, match="laboratory_id"):
                write()
        else:
            write()
        transaction.set_rollback(True)


def test_a_sample_resulted_meanwhile_refuses_the_file_with_a_clear_error(lab_user, lab, pools, monkeypatch):
    """Between the file's checks and its INSERT another entry gives T0 a result (as a concurrent page or file
    would): the unique key on the result's pool refuses the INSERT, the file is refused as a whole."""
    from .. import services

    checked = services._staged_check

    def meanwhile(cursor):
        checked(cursor)
        Result.objects.create(laboratory=lab, pool=Pool.objects.get(code="T0"), outcome="negative",
                              received_at=RECEIVED, resulted_at=RESULTED)

    monkeypatch.setattr(services, "_staged_check", meanwhile)
    before = _state()
    with pytest.raises(ValidationError) as refused:
        results_import(actor=lab_user, laboratory=lab, content=(HEADER + _row("T0") + _row("T1")).encode())
    assert "meanwhile" in refused.value.message_dict["file"][0]
    assert _state() == before
