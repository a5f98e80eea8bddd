"""The result file as one of the platform's import jobs (``imports.py``, the ``targeted`` kind ``lab_results``):
the page and the API submit the laboratory's file, the job runs the same set-based service and its page lists
every refused row; another city, a role without the capability and another laboratory's staff are refused
before the upload is read, and nothing is stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from fangkong.cases.jobs import import_job_submit
from fangkong.cases.models import ImportJob
from fangkong.testing.builders import make_user

from ..apps import RESULT_FILE
from ..imports import results_run
from ..models import Result, ResultImport
from .test_result_files import HEADER, _row, _state, pools  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def _upload(content: str, name: str = "results.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def test_the_page_imports_the_file_as_a_job_and_the_job_page_lists_refused_rows(client, lab_user, lab, pools):  # noqa: F811
    client.force_login(lab_user)
    assert client.get(f"/laboratory/labs/{lab.pk}/results/import/").status_code == 200
    good = HEADER + _row("T0", "positive", "N:31") + _row("T1")
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(f"/laboratory/labs/{lab.pk}/results/import/", {"file": _upload(good)})
    job = ImportJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/cases/import/{job.pk}/"
    job.refresh_from_db()
    assert (job.kind, job.target, job.status, job.created_count, job.existing_count) == (
        RESULT_FILE, str(lab.pk), ImportJob.Status.DONE, 2, 0)
    assert job.data == b""  # the file dropped once done
    assert Result.objects.filter(pool__code__in=["T0", "T1"]).count() == 2
    assert client.get(f"/cases/import/{job.pk}/").status_code == 200
    # a file with bad rows: the job fails, its page names each row and column, nothing is stored
    before = _state()
    bad = HEADER + _row("T2", "positive", "ORF1ab:46") + _row("NOPE")
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/laboratory/labs/{lab.pk}/results/import/", {"file": _upload(bad)})
    failed = ImportJob.objects.latest("id")
    assert failed.status == ImportJob.Status.FAILED
    assert [(e["row"], e["column"]) for e in failed.errors] == [(2, "ct_values")]
    page = client.get(f"/cases/import/{failed.pk}/").content.decode()
    assert "ct_values" in page
    assert _state() == before
    # the same good file again: every row existing, nothing doubled
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/laboratory/labs/{lab.pk}/results/import/", {"file": _upload(good)})
    again = ImportJob.objects.latest("id")
    assert (again.status, again.created_count, again.existing_count) == (ImportJob.Status.DONE, 0, 2)
    assert Result.objects.count() == 3 and ResultImport.objects.count() == 1
    # no file: the form's refusal, no job
    assert client.post(f"/laboratory/labs/{lab.pk}/results/import/", {}).status_code == 400
    assert ImportJob.objects.count() == 3


def test_the_api_submits_the_file_as_a_job(client, lab_user, lab, pools):  # noqa: F811
    client.force_login(lab_user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(f"/api/v1/laboratories/{lab.pk}/result-files/", {"file": _upload(HEADER + _row("T0"))})
    assert answer.status_code == 202 and answer.json()["kind"] == RESULT_FILE
    followed = client.get(f"/api/v1/import-jobs/{answer.json()['id']}/").json()
    assert (followed["status"], followed["created_count"]) == ("done", 1)
    many = HEADER + "".join(_row(f"NOPE{i}") for i in range(25))
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(f"/api/v1/laboratories/{lab.pk}/result-files/", {"file": _upload(many)})
    followed = client.get(f"/api/v1/import-jobs/{answer.json()['id']}/").json()
    assert followed["status"] == "failed" and len(followed["errors"]) == 21
    assert followed["errors"][0]["row"] == 2 and followed["errors"][-1]["row"] == 0  # "5 more row(s) refused."
    assert client.post(f"/api/v1/laboratories/{lab.pk}/result-files/", {}).status_code == 400
    spreadsheet = client.post(f"/api/v1/laboratories/{lab.pk}/result-files/",
                              {"file": SimpleUploadedFile("results.pdf", b"%PDF-1.4")})
    assert spreadsheet.status_code == 400
    assert ImportJob.objects.count() == 2


def test_other_cities_roles_and_laboratories_are_refused_before_the_upload(client, lab, pools, guangzhou_epi,  # noqa: F811
                                                                          analyst):
    from fangkong.accounts.roles import Role

    before = _state()
    other_staff = make_user("sz_lab_other", ("440300", Role.LABORATORY))  # a laboratory user, not of this one
    for user, page_status, api_status in ((guangzhou_epi, 404, 404), (analyst, 403, 403), (other_staff, 403, 403)):
        client.force_login(user)
        with TestCase.captureOnCommitCallbacks(execute=True):
            page = client.post(f"/laboratory/labs/{lab.pk}/results/import/", {"file": _upload(HEADER + _row("T0"))})
            api = client.post(f"/api/v1/laboratories/{lab.pk}/result-files/", {"file": _upload(HEADER + _row("T0"))})
        assert (page.status_code, api.status_code) == (page_status, api_status), user.username
    assert not ImportJob.objects.exists() and _state() == before


def test_a_job_keeps_its_laboratory_and_the_run_checks_it_again(lab_user, lab, pools, analyst):  # noqa: F811
    from fangkong.cases.imports import ImportRejected

    with pytest.raises(ValueError, match="target"):  # a targeted kind needs its laboratory
        import_job_submit(actor=lab_user, kind=RESULT_FILE, upload=_upload(HEADER + _row("T0")))
    with pytest.raises(ValueError, match="target"):  # and another kind takes none
        import_job_submit(actor=lab_user, kind="followup_checks", target=str(lab.pk),
                          upload=_upload(HEADER + _row("T0")))
    before = _state()
    for actor, target in ((lab_user, "999999"), (lab_user, ""), (analyst, str(lab.pk))):
        with pytest.raises(ImportRejected) as refused:
            results_run(actor=actor, data=(HEADER + _row("T0")).encode(), name="r.csv", source="t", target=target)
        assert refused.value.errors[0]["row"] == 0
    assert _state() == before
    outcome = results_run(actor=lab_user, data=(HEADER + _row("T0")).encode(), name="r.csv", source="t",
                          target=str(lab.pk))
    assert (outcome.created, outcome.existing) == (1, 0)
