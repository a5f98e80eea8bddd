"""A day's checks imported from a file (issue 26, "What must hold": bad input and scale): every row through the
check's schema and the service's rules, refused by row with clear errors and then nothing stored; a second
check for the same person, day and slot a correction with history, never a silent double; the same file
imported twice changes nothing; audited once per import; run by the platform's import jobs. Run on SQLite
and on PostgreSQL (``DATABASE_URL``): the writes are set-based SQL (a staging table, then INSERT … SELECT and
UPDATE … FROM)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone

from fangkong.accounts.models import Membership, User
from fangkong.audit.models import AuditEvent
from fangkong.cases.jobs import import_job_submit
from fangkong.cases.models import ImportJob
from fangkong.worklists.models import Problem

from ..imports import CHECKS, checks_import
from ..models import CheckVersion, HealthCheck, Subject
from ..services import health_check_record
from .builders import days_ago, managed_contact
from .test_who_records import world  # noqa: F401 - the fixture of two sites, a community worker and their persons

pytestmark = pytest.mark.django_db
HEADER = "subject,day,slot,temperature,symptoms,not_possible,note,checked_at,reason"


def _file(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join((header, *lines)) + "\n").encode()


def _import(actor, data: bytes):
    return checks_import(actor=actor, data=data, name="checks.csv", source="test")


def _imports() -> int:
    return AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT, object_type="followup.healthcheck").count()


def _nothing_stored(events_before: int) -> None:
    assert not HealthCheck.objects.exists() and not CheckVersion.objects.exists()
    assert _imports() == 0 and AuditEvent.objects.count() == events_before
    assert not Subject.objects.exclude(symptomatic_since=None).exists()
    assert not Problem.objects.exists()


@pytest.fixture
def two(shenzhen_epi):
    """Two persons under management since two days ago (day 1 yesterday)."""
    return [managed_contact(shenzhen_epi, name=f"导入{i}")[1] for i in range(2)]


def test_a_good_file_stores_every_check_as_a_single_check_would_and_is_audited_once(shenzhen_epi, two):
    a, b = two
    today, yesterday = timezone.localdate().isoformat(), days_ago(1).isoformat()
    result = _import(shenzhen_epi, _file(
        f"{a.pk},{yesterday},morning,36.5,,,,{yesterday} 08:10,",
        f"{a.pk},{yesterday},evening,38.1,\"cough;fatigue\",,,,",
        f"{b.pk},{yesterday},morning,,,true,外出就医,,",
        f"{b.pk},{today},morning,36.6,,,,,"))
    assert result.errors == []
    assert (result.created, result.corrected, result.existing) == (4, 0, 0)
    checks = {(c.subject_id, c.day.isoformat(), c.slot): c for c in HealthCheck.objects.all()}
    assert len(checks) == 4
    well = checks[(a.pk, yesterday, "morning")]
    assert (well.outcome, well.temperature, well.symptoms, well.checked_by, well.channel, well.region_id) == (
        "ok", Decimal("36.5"), [], shenzhen_epi, "staff", a.region_id)
    assert timezone.localtime(well.checked_at).strftime("%Y-%m-%d %H:%M") == f"{yesterday} 08:10"
    sick = checks[(a.pk, yesterday, "evening")]
    assert (sick.outcome, sick.temperature, sick.symptoms) == ("symptomatic", Decimal("38.1"), ["cough", "fatigue"])
    not_possible = checks[(b.pk, yesterday, "morning")]
    assert (not_possible.outcome, not_possible.temperature, not_possible.note) == ("not_possible", None, "外出就医")
    # the fever reaches the epidemiologist at once, as a single check's does
    assert Subject.objects.get(pk=a.pk).symptomatic_since == days_ago(1)
    assert Subject.objects.get(pk=b.pk).symptomatic_since is None
    assert list(Problem.objects.values_list("source_key", flat=True)) == [f"sick:{a.pk}"]
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT, object_type="followup.healthcheck")
    assert event.actor == shenzhen_epi
    assert (event.detail["created"], event.detail["rows"], event.detail["source"]) == (4, 4, "test")
    assert not AuditEvent.objects.filter(object_type="followup.healthcheck").exclude(pk=event.pk).exists()


def test_bad_rows_are_refused_by_row_and_column_and_nothing_is_stored(shenzhen_epi, two):
    a, b = two
    events = AuditEvent.objects.count()
    today = timezone.localdate()
    tomorrow, before = (today + dt.timedelta(days=1)).isoformat(), (a.first_day - dt.timedelta(days=1)).isoformat()
    result = _import(shenzhen_epi, _file(
        f"{a.pk},{today},morning,36.5,,,,,",             # row 2: good, yet not stored
        f"{a.pk},{today},evening,43.5,,,,,",             # 3: temperature
        f"{b.pk},{tomorrow},morning,36.5,,,,,",          # 4: a day to come
        f"{b.pk},{before},morning,36.5,,,,,",            # 5: before the period
        f"{b.pk + 1000},{today},morning,36.5,,,,,",      # 6: nobody under management
        f"{b.pk},{today},evening,,,true,,,",             # 7: not possible without a reason
        f"{b.pk},{today},morning,36.5,headache,,,,",     # 8: not a symptom of the list
        f"{b.pk},{today},noon,36.5,,,,,",                # 9: not a slot
        f"{b.pk},{today},evening,,,,,,",                 # 10: no temperature
        f"{b.pk},{days_ago(1)},morning,36.5,,,,{tomorrow} 08:00,"))  # 11: checked in the future
    by_row = {(e["row"], e["column"]) for e in result.errors}
    assert by_row == {(3, "temperature"), (4, "day"), (5, "day"), (6, "subject"), (7, "note"), (8, "symptoms"),
                      (9, "slot"), (10, "temperature"), (11, "checked_at")}
    messages = {(e["row"]): e["message"] for e in result.errors}
    assert "34.0" in messages[3] and a.first_day.isoformat() in messages[5]
    assert all(str(b.pk + 1000) not in e["message"] for e in result.errors)  # no cell's value is repeated
    assert (result.created, result.corrected, result.existing) == (0, 0, 0)
    _nothing_stored(events)


def test_a_refused_file_stores_nothing(shenzhen_epi, two):
    a, _b = two
    events = AuditEvent.objects.count()
    today = timezone.localdate().isoformat()
    missing = _import(shenzhen_epi, _file(f"{a.pk},36.5", header="subject,temperature"))
    assert {(e["row"], e["column"]) for e in missing.errors} == {(1, "day"), (1, "slot")}
    unknown = _import(shenzhen_epi, _file(f"{a.pk},{today},morning,36.5", header="subject,day,slot,temprature"))
    assert {(e["row"], e["column"]) for e in unknown.errors} == {(1, "temprature")}
    empty = _import(shenzhen_epi, _file())
    assert [e["row"] for e in empty.errors] == [0]
    not_a_table = checks_import(actor=shenzhen_epi, data=b"PK\x03\x04 not a workbook", name="checks.xlsx")
    assert not_a_table.errors
    _nothing_stored(events)


def test_the_same_person_day_and_slot_twice_in_a_file_is_refused_never_a_silent_double(shenzhen_epi, two):
    a, b = two
    events = AuditEvent.objects.count()
    today = timezone.localdate().isoformat()
    result = _import(shenzhen_epi, _file(f"{a.pk},{today},morning,36.5,,,,,", f"{b.pk},{today},morning,36.5,,,,,",
                                         f"{a.pk},{today},morning,36.5,,,,,", f"{a.pk},{today},morning,37.9,,,,,"))
    assert [(e["row"], e["column"]) for e in result.errors] == [(4, "slot"), (5, "slot")]
    assert all("2" in e["message"] for e in result.errors)  # the row it repeats
    _nothing_stored(events)


def test_a_second_import_of_the_same_file_changes_nothing(shenzhen_epi, two):
    a, b = two
    today = timezone.localdate().isoformat()
    data = _file(f"{a.pk},{today},morning,36.5,,,,,", f"{b.pk},{today},morning,38.0,cough,,,,")
    first = _import(shenzhen_epi, data)
    assert (first.created, first.existing) == (2, 0)
    stored = list(HealthCheck.objects.order_by("pk").values())
    problems = Problem.objects.count()
    second = _import(shenzhen_epi, data)
    assert second.errors == [] and (second.created, second.corrected, second.existing) == (0, 0, 2)
    assert list(HealthCheck.objects.order_by("pk").values()) == stored
    assert not CheckVersion.objects.exists() and Problem.objects.count() == problems
    assert AuditEvent.objects.get(action=AuditEvent.Action.IMPORT, detail__existing=2).detail["created"] == 0


def test_a_different_check_for_a_recorded_slot_is_a_correction_with_history(shenzhen_epi, two):
    a, b = two
    today = timezone.localdate()
    recorded = health_check_record(actor=shenzhen_epi, subject=a, day=today, slot="morning",
                                   temperature=Decimal("38.6"), note="体温枪")
    assert Subject.objects.get(pk=a.pk).symptomatic_since == today
    events = AuditEvent.objects.count()
    line = f"{a.pk},{today},morning,36.8,,,,,"
    refused = _import(shenzhen_epi, _file(line, f"{b.pk},{today},morning,36.5,,,,,"))
    assert [(e["row"], e["column"]) for e in refused.errors] == [(2, "reason")]
    assert HealthCheck.objects.get().temperature == Decimal("38.6") and not CheckVersion.objects.exists()
    assert AuditEvent.objects.count() == events
    corrected = _import(shenzhen_epi, _file(line + "录入错误", f"{b.pk},{today},morning,36.5,,,,,"))
    assert (corrected.created, corrected.corrected, corrected.existing) == (1, 1, 0)
    now = HealthCheck.objects.get(pk=recorded.pk)
    assert (now.temperature, now.outcome, now.note) == (Decimal("36.8"), "ok", "")
    [version] = CheckVersion.objects.all()
    assert (version.check_row_id, version.temperature, version.outcome, version.note, version.reason,
            version.replaced_by) == (recorded.pk, Decimal("38.6"), "symptomatic", "体温枪", "录入错误", shenzhen_epi)
    assert Subject.objects.get(pk=a.pk).symptomatic_since is None  # the fever was a typing error
    assert HealthCheck.objects.count() == 2


def test_a_missed_mark_is_corrected_by_a_late_check_with_its_reason(shenzhen_epi, two):
    from ..services import followups_sweep

    a, _b = two
    yesterday = days_ago(1)
    followups_sweep(day=yesterday)
    result = _import(shenzhen_epi, _file(f"{a.pk},{yesterday},morning,36.6,,,,,补录：纸质记录"))
    assert (result.created, result.corrected) == (0, 1)
    check = HealthCheck.objects.get(subject=a, day=yesterday, slot="morning")
    assert check.outcome == "ok" and check.versions.get().outcome == "missed"


def test_a_site_manager_imports_only_for_the_persons_of_its_sites(world):  # noqa: F811
    manager, today = world["manager"], timezone.localdate().isoformat()
    events = AuditEvent.objects.count()
    lines = [f"{world[key].pk},{today},morning,36.5,,,,," for key in ("in_a", "in_b", "home", "luohu")]
    refused = _import(manager, _file(*lines))
    assert [(e["row"], e["column"]) for e in refused.errors] == [(3, "subject"), (4, "subject"), (5, "subject")]
    # a person elsewhere reads as one that does not exist
    assert len({e["message"] for e in refused.errors}) == 1
    _nothing_stored(events)
    done = _import(manager, _file(lines[0]))
    assert done.created == 1 and HealthCheck.objects.get().subject_id == world["in_a"].pk


def test_a_community_worker_imports_only_for_the_persons_at_home_in_its_area(world):  # noqa: F811
    worker, today = world["worker"], timezone.localdate().isoformat()
    events = AuditEvent.objects.count()
    lines = [f"{world[key].pk},{today},morning,36.5,,,,," for key in ("home", "in_a", "luohu")]
    refused = _import(worker, _file(*lines))
    assert [(e["row"], e["column"]) for e in refused.errors] == [(3, "subject"), (4, "subject")]
    _nothing_stored(events)
    assert _import(worker, _file(lines[0])).created == 1


def test_another_city_imports_nothing_and_a_role_without_the_capability_is_refused(shenzhen_epi, guangzhou_epi, two):
    a, _b = two
    events = AuditEvent.objects.count()
    refused = _import(guangzhou_epi, _file(f"{a.pk},{timezone.localdate()},morning,36.5,,,,,"))
    assert [(e["row"], e["column"]) for e in refused.errors] == [(2, "subject")]
    analyst = User.objects.create(username="fu_analyst")
    Membership.objects.create(user=analyst, region_id="440300", role="analyst")
    upload = SimpleUploadedFile("checks.csv", _file(f"{a.pk},{timezone.localdate()},morning,36.5,,,,,"))
    with pytest.raises(PermissionDenied):
        import_job_submit(actor=analyst, kind=CHECKS, upload=upload)
    with pytest.raises(PermissionDenied):
        _import(analyst, _file(f"{a.pk},{timezone.localdate()},morning,36.5,,,,,"))
    assert not ImportJob.objects.exists()
    _nothing_stored(events)


def _job(actor, data: bytes) -> ImportJob:
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = import_job_submit(actor=actor, kind=CHECKS, upload=SimpleUploadedFile("checks.csv", data))
    job.refresh_from_db()
    return job


def test_the_import_job_runs_the_file_and_reports_refused_rows(shenzhen_epi, two):
    a, b = two
    today = timezone.localdate()
    good = _job(shenzhen_epi, _file(f"{a.pk},{today},morning,36.5,,,,,", f"{b.pk},{today},morning,36.7,,,,,"))
    assert (good.status, good.created_count, good.existing_count) == (ImportJob.Status.DONE, 2, 0)
    again = _job(shenzhen_epi, _file(f"{a.pk},{today},morning,36.5,,,,,", f"{b.pk},{today},morning,36.7,,,,,"))
    assert (again.status, again.created_count, again.existing_count) == (ImportJob.Status.DONE, 0, 2)
    bad = _job(shenzhen_epi, _file(f"{a.pk},{today},evening,45,,,,,"))
    assert bad.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"]) for e in bad.errors] == [(2, "temperature")]
    assert HealthCheck.objects.count() == 2


@pytest.mark.parametrize("text", ["1", "42", "999999999999999999", "9223372036854775807", "9223372036854775808", "0",
                                  "007", "-1", "+3", "1.0", " 5 ", "٣", "1e3", ""])
def test_a_plain_number_reads_as_the_schema_reads_it(text):
    """The import's fast path for the ``subject`` column gives what the page's schema gives, for every text."""
    from fangkong.inputs import validate_row

    from ..imports import rows_read
    from ..inputs import CheckInput

    today = timezone.localdate().isoformat()
    staged, errors = rows_read(["subject", "day", "slot", "temperature"], [[text, today, "morning", "36.5"]])
    data, schema_errors = validate_row(CheckInput, {"subject": text, "day": today, "slot": "morning",
                                                    "temperature": "36.5"})
    if schema_errors:
        assert not staged and {e["column"] for e in errors} == set(schema_errors)
        assert [e["message"] for e in errors] == schema_errors["subject"]
    else:
        assert errors == [] and [row[1] for row in staged] == [data["subject"]]


def test_the_page_and_the_api_submit_the_file_as_an_import_job_and_refuse_other_roles(shenzhen_epi, two, client):
    a, b = two
    today = timezone.localdate()
    client.force_login(shenzhen_epi)
    assert client.get("/followup/import/").status_code == 200
    with TestCase.captureOnCommitCallbacks(execute=True):
        page = client.post("/followup/import/", {"file": SimpleUploadedFile(
            "checks.csv", _file(f"{a.pk},{today},morning,36.5,,,,,"))})
    job = ImportJob.objects.get()
    assert page.status_code == 302 and page["Location"].endswith(f"/{job.pk}/")
    job.refresh_from_db()
    assert (job.kind, job.status, job.created_count) == (CHECKS, ImportJob.Status.DONE, 1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        api = client.post("/api/v1/followup/checks/import/", {"file": SimpleUploadedFile(
            "checks.csv", _file(f"{b.pk},{today},morning,36.5,,,,,"))})
    assert api.status_code == 202
    assert HealthCheck.objects.count() == 2
    assert client.post("/followup/import/", {}).status_code == 400  # no file
    analyst = User.objects.create(username="fu_analyst2")
    Membership.objects.create(user=analyst, region_id="440300", role="analyst")
    client.force_login(analyst)
    upload = {"file": SimpleUploadedFile("checks.csv", _file(f"{a.pk},{today},evening,36.5,,,,,"))}
    assert client.post("/api/v1/followup/checks/import/", upload).status_code == 403
    assert client.post("/followup/import/", upload).status_code == 403
    assert ImportJob.objects.count() == 2 and HealthCheck.objects.count() == 2
