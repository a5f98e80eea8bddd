"""Group, roster and result files through the platform's import jobs (``cases.jobs``, ``import_kinds``): all
rows or none, every refused row named with its column, the same file twice idempotent, the upload sealed
while the job may run and dropped when it ends, the importing role checked before the file is read."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from fangkong.accounts.roles import Role
from fangkong.cases.jobs import import_job_submit, payload_open
from fangkong.cases.models import ImportJob
from fangkong.persons.models import Person
from fangkong.testing.builders import citizen_id as any_citizen_id
from fangkong.testing.builders import make_user

from ..imports import GROUPS, RESULTS, ROSTER
from ..models import GroupFrequency, KeyGroup, KeyTest, RosterEntry
from ..services import group_create

pytestmark = pytest.mark.django_db
D = dt.date
_born = iter(range(10_000))
ROSTER_HEADER = ["group", "name", "citizen_id", "address_region", "start", "end"]
GROUP_HEADER = ["name", "population", "region", "employer_name", "employer_code", "frequency_days", "effective_from"]


def citizen_id() -> str:
    return any_citizen_id("440304", born=D(1975, 1, 1) + dt.timedelta(days=next(_born)))


def _csv(rows) -> bytes:
    return ("\n".join(",".join(str(cell) for cell in row) for row in rows) + "\n").encode()


def _run(actor, kind, rows, name="名单.csv") -> ImportJob:
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = import_job_submit(actor=actor, kind=kind, upload=SimpleUploadedFile(name, _csv(rows)))
    job.refresh_from_db()
    return job


def _group(actor):
    return group_create(actor=actor, name="冷库员工", population="cold_chain", region="440304", frequency_days=2,
                        effective_from=D(2022, 4, 1))


def _state():
    return (KeyGroup.objects.count(), GroupFrequency.objects.count(), RosterEntry.objects.count(),
            Person.objects.count(), KeyTest.objects.count())


def test_a_roster_imported_twice_as_a_job_adds_nothing_the_second_time_and_keeps_no_file(shenzhen_epi):
    group = _group(shenzhen_epi)
    ids = [citizen_id() for _ in range(3)]
    rows = [ROSTER_HEADER] + [[group.pk, f"员工{i}", cid, "440304", "2022-04-01", ""] for i, cid in enumerate(ids)]
    first = _run(shenzhen_epi, ROSTER, rows, name=f"{ids[0]}.csv")
    assert (first.status, first.created_count, first.existing_count) == ("done", 3, 0)
    second = _run(shenzhen_epi, ROSTER, rows)
    assert (second.status, second.created_count, second.existing_count) == ("done", 0, 3)
    assert RosterEntry.objects.count() == 3 and Person.objects.count() == 3
    # the upload is dropped when the job ends; its name (here a citizen ID) is kept sealed only
    assert bytes(first.data) == b"" and bytes(second.data) == b""
    assert ids[0] not in first.file_name and first.shown_file_name == f"{ids[0]}.csv"


def test_a_job_still_to_run_keeps_its_file_sealed(shenzhen_epi):
    group = _group(shenzhen_epi)
    cid = citizen_id()
    job = import_job_submit(actor=shenzhen_epi, kind=ROSTER, upload=SimpleUploadedFile(
        "r.csv", _csv([ROSTER_HEADER, [group.pk, "员工", cid, "440304", "2022-04-01", ""]])))  # not committed: not run
    assert bytes(job.data).startswith(b"v2:") and cid.encode() not in bytes(job.data)
    assert cid.encode() in payload_open(job)  # under the job's own data key (crypto-shredding)


@pytest.mark.parametrize(("bad_row", "column"), [
    (["999999", "员工X", None, "440304", "2022-04-01", ""], "group"),          # unknown group
    (["{group}", "员工Y", None, "440304", "2022-04-05", "2022-04-01"], "end"),  # end before start
    (["{group}", "员工Z", None, "440304", "2022-13-01", ""], "start"),         # not a date
])
def test_a_bad_roster_row_fails_the_job_naming_its_row_and_nothing_changes(shenzhen_epi, bad_row, column):
    group = _group(shenzhen_epi)
    good = [[group.pk, f"员工{i}", citizen_id(), "440304", "2022-04-01", ""] for i in range(2)]
    bad = [cell.format(group=group.pk) if isinstance(cell, str) else citizen_id() for cell in bad_row]
    before = _state()
    job = _run(shenzhen_epi, ROSTER, [ROSTER_HEADER, *good, bad, good[0]])
    assert job.status == "failed" and bytes(job.data) == b""
    assert {(e["row"], e["column"]) for e in job.errors} == {(4, column)}  # the header is row 1
    assert all(e["message"] and bad[2] not in e["message"] for e in job.errors)  # said, never the value
    assert _state() == before


def test_groups_a_frequency_the_protocol_does_not_allow_is_refused_naming_its_row(shenzhen_epi):
    rows = [GROUP_HEADER, ["福田冷库", "cold_chain", "440304", "", "", "2", "2022-04-01"],
            ["南山冷库", "cold_chain", "440305", "", "", "7", "2022-04-01"]]  # Shenzhen: every 1 or 2 days
    before = _state()
    job = _run(shenzhen_epi, GROUPS, rows)
    assert job.status == "failed" and [(e["row"], e["column"]) for e in job.errors] == [(3, "frequency_days")]
    assert "sz-2022-03-cold_chain" in job.errors[0]["message"]  # names the rule that refuses it
    assert _state() == before
    rows[2][5] = "1"
    done = _run(shenzhen_epi, GROUPS, rows)
    assert (done.status, done.created_count) == ("done", 2)
    again = _run(shenzhen_epi, GROUPS, rows)
    assert (again.status, again.created_count, again.existing_count) == ("done", 0, 2)
    assert KeyGroup.objects.count() == 2 and GroupFrequency.objects.count() == 2


def test_results_through_the_api_as_a_job_and_roles_refused_before_the_file_is_read(client, shenzhen_epi):
    group = _group(shenzhen_epi)
    cid = citizen_id()
    _run(shenzhen_epi, ROSTER, [ROSTER_HEADER, [group.pk, "员工", cid, "440304", "2022-04-01", ""]])
    data = _csv([["group", "citizen_id", "sampled_on", "result"], [group.pk, cid, "2022-04-11", "阴性"]])
    client.force_login(shenzhen_epi)
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post("/api/v1/keypopulation-tests/import/", {"file": SimpleUploadedFile("t.csv", data)})
    assert answer.status_code == 202 and answer.json()["kind"] == RESULTS
    job = client.get(f"/api/v1/import-jobs/{answer.json()['id']}/").json()
    assert (job["status"], job["created_count"]) == ("done", 1) and KeyTest.objects.count() == 1
    before = _state()
    for user in (make_user("kp_analyst", ("440300", Role.ANALYST)),
                 make_user("kp_contact", ("440300", Role.ENTERPRISE_CONTACT)),
                 make_user("kp_inspector", ("440300", Role.INSPECTOR))):
        client.force_login(user)
        for url in ("/api/v1/keypopulation-tests/import/", "/api/v1/keypopulation-groups/roster-import/",
                    "/api/v1/keypopulation-groups/import/", "/keypopulations/import/"):
            refused = client.post(url, {"kind": "roster", "file": SimpleUploadedFile("t.csv", data)})
            assert refused.status_code == 403, (user.username, url)
    assert _state() == before and ImportJob.objects.count() == 2
