"""Pages, API and exports of the cases app: the cross-city scope rule, optimistic locking over HTTP,
masked and formula-safe exports, row-validated idempotent imports.

Scope rule under test: a Dongguan epidemiologist sees Dongguan's cases and contacts; a Shenzhen infector
of a Dongguan case shows only as its case number and city (深圳市), never its person, on pages, in the
API and in exports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.cases import imports
from fangkong.cases.exports import formula_safe
from fangkong.cases.imports import CASE_COLUMNS, CONTACT_COLUMNS
from fangkong.cases.models import Case, Contact
from fangkong.cases.services import cluster_create
from fangkong.cases.tests.builders import make_case, make_contact, make_person
from fangkong.testing.builders import citizen_id, make_user

pytestmark = pytest.mark.django_db
SZ_NAME, DG_NAME, DG_CONTACT = "深圳源头", "东莞病例", "东莞密接"


@pytest.fixture
def dongguan_epi(db):
    return make_user("dg_epi", ("441900", Role.EPIDEMIOLOGIST))


@pytest.fixture
def dongguan_analyst(db):
    return make_user("dg_analyst", ("441900", Role.ANALYST))


@pytest.fixture
def outbreak(shenzhen_epi, dongguan_epi):
    """A Shenzhen case infects a Dongguan case, who has a Dongguan close contact; one cluster over both."""
    sz = make_case(shenzhen_epi, region="440304", name=SZ_NAME, day="2022-03-10")
    dg = make_case(dongguan_epi, region="441900", name=DG_NAME, day="2022-03-12", infector=sz)
    contact = make_contact(dongguan_epi, source_case=dg, region="441900", name=DG_CONTACT, listed="2022-03-12")
    sz_contact = make_contact(shenzhen_epi, source_case=dg, region="440304", name="深圳密接", listed="2022-03-12")
    province = make_user("gd_epi", ("440000", Role.EPIDEMIOLOGIST))
    cluster = cluster_create(actor=province, name="莞深链", region="440000", cases=[sz, dg])
    return {"sz": sz, "dg": dg, "contact": contact, "sz_contact": sz_contact, "cluster": cluster}


def test_dongguan_case_page_shows_the_shenzhen_infector_only_as_number_and_city(client, dongguan_epi, outbreak):
    client.force_login(dongguan_epi)
    page = client.get(reverse("cases:case-detail", kwargs={"case_id": outbreak["dg"].pk})).content.decode()
    assert DG_NAME in page and outbreak["sz"].case_no in page and "深圳市" in page
    assert SZ_NAME not in page
    assert reverse("cases:case-detail", kwargs={"case_id": outbreak["sz"].pk}) not in page
    # The cluster belongs to the province: named, but not a link for a Dongguan user.
    assert "莞深链" in page and reverse("cases:cluster-detail", kwargs={"cluster_id": outbreak["cluster"].pk}) \
        not in page
    assert client.get(reverse("cases:case-detail", kwargs={"case_id": outbreak["sz"].pk})).status_code == 404


def test_dongguan_lists_hold_only_dongguan_rows(client, dongguan_epi, outbreak, django_assert_max_num_queries):
    for n in range(6):  # more rows must not mean more queries
        extra = make_case(dongguan_epi, region="441900", name=f"东莞追加{n}", day="2022-03-13")
        make_contact(dongguan_epi, source_case=extra, region="441900", name=f"东莞追加密接{n}", listed="2022-03-13")
    client.force_login(dongguan_epi)
    # the first page after a write also finds the header's day, the last day with data (two aggregates, then
    # kept for the data's generation: ``fangkong.web.day.data_last_day``)
    with django_assert_max_num_queries(10):
        cases = client.get(reverse("cases:case-list")).content.decode()
    assert DG_NAME in cases and SZ_NAME not in cases
    with django_assert_max_num_queries(10):
        contacts = client.get(reverse("cases:contact-list")).content.decode()
    assert DG_CONTACT in contacts and "深圳密接" not in contacts
    with django_assert_max_num_queries(8):
        contacts_api = client.get(reverse("cases-api:contact-list")).json()
    assert contacts_api["count"] == 7 and DG_CONTACT in str(contacts_api) and "深圳密接" not in str(contacts_api)
    with django_assert_max_num_queries(8):
        api = client.get(reverse("cases-api:case-list")).json()
    assert outbreak["dg"].case_no in [c["case_no"] for c in api["results"]] and api["count"] == 7
    assert outbreak["sz"].case_no not in [c["case_no"] for c in api["results"]]


def test_the_api_shows_the_crossing_link_only_as_far_as_the_scope(client, dongguan_epi, shenzhen_epi, outbreak):
    client.force_login(dongguan_epi)
    body = client.get(reverse("cases-api:case-detail", kwargs={"pk": outbreak["dg"].pk})).json()
    assert body["infector"] == {"case_id": None, "case_no": outbreak["sz"].case_no, "city_code": "440300",
                                "city_name": "深圳市", "in_scope": False, "person_name": ""}
    assert client.get(reverse("cases-api:case-detail", kwargs={"pk": outbreak["sz"].pk})).status_code == 404
    client.force_login(shenzhen_epi)
    sz_body = client.get(reverse("cases-api:case-detail", kwargs={"pk": outbreak["sz"].pk})).json()
    assert [i["person_name"] for i in sz_body["infectees"]] == [""]
    contact = client.get(reverse("cases-api:contact-detail", kwargs={"pk": outbreak["sz_contact"].pk})).json()
    assert contact["source_case"]["case_no"] == outbreak["dg"].case_no and not contact["source_case"]["in_scope"]


def test_the_cluster_graph_hides_the_other_citys_person(client, dongguan_epi, outbreak):
    client.force_login(dongguan_epi)
    # The cluster belongs to the province: not Dongguan's to open.
    assert client.get(reverse("cases:cluster-detail", kwargs={"cluster_id": outbreak["cluster"].pk})).status_code \
        == 404
    dg_cluster = cluster_create(actor=dongguan_epi, name="东莞链", region="441900", cases=[outbreak["dg"]])
    Case.objects.filter(pk=outbreak["sz"].pk).update(cluster=dg_cluster)
    graph = client.get(reverse("cases:cluster-graph", kwargs={"cluster_id": dg_cluster.pk})).json()
    nodes = {n["case_no"]: n for n in graph["nodes"]}
    assert nodes[outbreak["sz"].case_no] == {"id": "x1", "case_no": outbreak["sz"].case_no,  # no database id
                                             "city": "深圳市", "in_scope": False, "generation": 0}
    assert graph["links"] == [{"source": "x1", "target": str(outbreak["dg"].pk)}]
    assert nodes[outbreak["dg"].case_no]["name"] == DG_NAME and nodes[outbreak["dg"].case_no]["generation"] == 1
    assert graph["stats"]["links"] == 1 and graph["stats"]["generations"] == 2
    page = client.get(reverse("cases:cluster-detail", kwargs={"cluster_id": dg_cluster.pk})).content.decode()
    assert SZ_NAME not in page and DG_NAME in page and "<script>" not in page


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_exports_hold_only_the_scope_and_are_audited(client, dongguan_epi, outbreak):
    client.force_login(dongguan_epi)
    rows = _csv(client.get(reverse("cases:case-export") + "?format=csv"))[1:]  # after the watermark
    assert len(rows) == 2 and rows[1][0] == outbreak["dg"].case_no
    assert rows[1][1] == DG_NAME  # an epidemiologist may reveal: the full name; identifiers masked
    assert rows[1][2] == outbreak["dg"].person.citizen_id_masked
    assert outbreak["sz"].case_no in rows[1] and "深圳市" in rows[1] and SZ_NAME not in str(rows)
    contacts = _csv(client.get(reverse("cases:contact-export") + "?format=csv"))
    assert [r[0] for r in contacts[2:]] == [outbreak["contact"].contact_no]
    events = AuditEvent.objects.filter(action="export").order_by("id")
    assert [(e.object_type, e.detail["rows"]) for e in events] == [("cases.cases", 1), ("cases.contacts", 1)]


def test_exports_mask_personal_data_for_a_role_that_may_not_reveal(client, dongguan_analyst, outbreak):
    """The analyst reads pseudonymised line lists (issue 13): the rows, without name, ID or phone."""
    client.force_login(dongguan_analyst)
    book = load_workbook(io.BytesIO(client.get(reverse("cases:case-export") + "?format=xlsx").content))
    _watermark, header, row = list(book.active.iter_rows(values_only=True))
    assert row[0] == outbreak["dg"].case_no and tuple(v or "" for v in row[1:4]) == ("", "", "")
    assert DG_NAME[0] not in str(row) and outbreak["dg"].person.citizen_id_masked[:6] + "*" not in str(row)
    assert AuditEvent.objects.get(action="export").detail["revealed_rows"] == 0


def test_cells_that_look_like_formulas_are_escaped(client, shenzhen_epi):
    make_case(shenzhen_epi, region="440304", imported=True, origin="=HYPERLINK(\"http://x\")")
    for start in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert formula_safe(start) == "'" + start
    assert formula_safe("深圳") == "深圳" and formula_safe(3) == 3
    client.force_login(shenzhen_epi)
    rows = _csv(client.get(reverse("cases:case-export") + "?format=csv"))
    assert "'=HYPERLINK(\"http://x\")" in rows[2]
    book = load_workbook(io.BytesIO(client.get(reverse("cases:case-export") + "?format=xlsx").content))
    assert "'=HYPERLINK(\"http://x\")" in list(book.active.iter_rows(values_only=True))[2]


def test_the_second_of_two_page_edits_is_refused_with_a_clear_message(client, dongguan_epi, outbreak):
    client.force_login(dongguan_epi)
    url = reverse("cases:case-edit", kwargs={"case_id": outbreak["dg"].pk})
    read = str(Case.objects.get(pk=outbreak["dg"].pk).version)  # both users opened the page at this version
    first = client.post(url, {"version": read, "severity": "severe", "outcome": "under_treatment"})
    second = client.post(url, {"version": read, "severity": "mild", "outcome": "recovered"})
    assert first.status_code == 302 and second.status_code == 409
    assert second.context["edit_error"].startswith("Someone else saved this record") or "保存" in \
        second.context["edit_error"]
    outbreak["dg"].refresh_from_db()
    assert (outbreak["dg"].severity, outbreak["dg"].outcome) == ("severe", "under_treatment")
    assert outbreak["dg"].version == int(read) + 1


def test_the_second_of_two_api_edits_is_refused_with_409(client, dongguan_epi, outbreak):
    client.force_login(dongguan_epi)
    url = reverse("cases-api:case-detail", kwargs={"pk": outbreak["dg"].pk})
    read = Case.objects.get(pk=outbreak["dg"].pk).version
    ok = client.patch(url, {"version": read, "outcome": "recovered"}, content_type="application/json")
    stale = client.patch(url, {"version": read, "outcome": "died"}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == read + 1
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_version"
    outbreak["dg"].refresh_from_db()
    assert outbreak["dg"].outcome == "recovered"


def test_bad_input_over_the_api_is_refused_and_nothing_changes(client, dongguan_epi, outbreak):
    client.force_login(dongguan_epi)
    before = Case.objects.count()
    soon = (timezone.now() + dt.timedelta(days=3)).isoformat()  # future, but within the plausible window
    response = client.post(reverse("cases-api:case-list"), {"person": outbreak["dg"].person_id,
                                                           "classification": "confirmed",
                                                           "diagnosed_at": soon,
                                                           "report_region": "440304"},
                           content_type="application/json")
    assert response.status_code == 400  # the service's rules: a future diagnosis, a region out of scope
    assert {"diagnosed_at", "report_region"} <= set(response.json()["error"]["fields"])
    implausible = client.post(reverse("cases-api:case-list"), {
        "person": outbreak["dg"].person_id, "classification": "confirmed", "diagnosed_at": "2099-01-01T00:00:00+08:00",
        "report_region": "441900"}, content_type="application/json")
    assert implausible.status_code == 400 and set(implausible.json()["error"]["fields"]) == {"diagnosed_at"}
    assert Case.objects.count() == before


def test_convert_over_the_api_keeps_the_infector(client, dongguan_epi, outbreak):
    client.force_login(dongguan_epi)
    response = client.post(reverse("cases-api:contact-convert", kwargs={"pk": outbreak["contact"].pk}),
                           {"version": 1, "diagnosed_at": "2022-03-14T10:00:00+08:00",
                            "reported_at": "2022-03-14T11:00:00+08:00"}, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["infector"]["case_no"] == outbreak["dg"].case_no
    assert Contact.objects.get(pk=outbreak["contact"].pk).status == "converted"


def _import_file(rows: list[dict], columns: list[str]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    data = io.BytesIO(out.getvalue().encode("utf-8"))
    data.name = "upload.csv"
    return data


def _upload(client, kind, rows, columns):
    """Submit an import through the page; the job runs after commit (in-process here); its page is returned."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("cases:import"), {"kind": kind, "file": _import_file(rows, columns)})
    assert response.status_code == 302
    return client.get(response["Location"])


def test_import_is_row_validated_atomic_and_idempotent(client, dongguan_epi):
    client.force_login(dongguan_epi)
    good = {"case_no": "DG-001", "name": "导入甲", "citizen_id": citizen_id("441900"), "address_region": "441900",
            "disease": "covid-19", "classification": "confirmed", "diagnosed_at": "2022-03-15 09:00",
            "reported_at": "2022-03-15 10:00", "detection_route": "screening", "report_region": "441900"}
    child = {**good, "case_no": "DG-002", "name": "导入乙", "citizen_id": citizen_id("441900", male=False),
             "infector_case_no": "DG-001"}
    bad = {**good, "case_no": "DG-003", "name": "导入丙", "citizen_id": "123", "classification": "maybe",
           "report_region": "440304"}
    page = _upload(client, "cases", [good, child, bad], CASE_COLUMNS)
    assert page.context["job"].status == "failed"
    errors = {(e["row"], e["column"]) for e in page.context["job"].errors}
    assert {(4, "citizen_id"), (4, "classification"), (4, "report_region")} <= errors
    assert not Case.objects.exists()
    for _attempt in range(2):
        page = _upload(client, "cases", [good, child], CASE_COLUMNS)
        assert page.context["job"].status == "done"
    assert page.context["job"].existing_count == 2 and page.context["job"].created_count == 0
    assert Case.objects.count() == 2 and Case.objects.get(case_no="DG-002").infector.case_no == "DG-001"
    contact = {"contact_no": "DGK-1", "name": "导入密接", "citizen_id": citizen_id("441900", male=True),
               "address_region": "441900", "category": "close", "source_case_no": "DG-001", "region": "441900",
               "exposure_type": "household", "listed_at": "2022-03-15 12:00", "quarantined_at": "2022-03-15 20:00"}
    page = _upload(client, "contacts", [contact], CONTACT_COLUMNS)
    assert page.context["job"].status == "done" and Contact.objects.get().protocol.code == "8th"
    assert AuditEvent.objects.filter(action="import", object_type__startswith="cases.").count() == 3


def test_an_import_job_is_private_to_its_submitter(client, dongguan_epi, shenzhen_epi):
    client.force_login(dongguan_epi)
    response = client.post(reverse("cases:import"), {"kind": "cases", "file": _import_file([], CASE_COLUMNS)})
    client.force_login(shenzhen_epi)
    assert client.get(response["Location"]).status_code == 404


def test_the_job_page_says_when_every_row_is_checked_and_the_rows_are_being_saved(client, dongguan_epi):
    from fangkong.cases.models import ImportJob

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(dongguan_epi)
    job = ImportJob.objects.create(kind="contacts", file_name="big.csv", data=b"", created_by=dongguan_epi,
                                   status=ImportJob.Status.RUNNING, total_rows=1000, processed_rows=400)
    page = client.get(reverse("cases:import-job", args=[job.pk]), {"fragment": 1}).content.decode()
    assert "400 of 1000 rows checked (40%)" in page and 'value="40"' in page and "Saving" not in page
    ImportJob.objects.filter(pk=job.pk).update(processed_rows=1000)
    page = client.get(reverse("cases:import-job", args=[job.pk]), {"fragment": 1}).content.decode()
    assert "Every row is checked. Saving" in page and 'value="100"' not in page
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.DONE, created_count=1000)
    page = client.get(reverse("cases:import-job", args=[job.pk]), {"fragment": 1}).content.decode()
    assert "Saving" not in page and "1000 created, 0 already there." in page


def _case_row(case_no: str) -> dict:
    return {"case_no": case_no, "name": "重跑", "citizen_id": citizen_id("441900"), "address_region": "441900",
            "disease": "covid-19", "classification": "confirmed", "diagnosed_at": "2022-03-15 09:00",
            "reported_at": "2022-03-15 10:00", "detection_route": "screening", "report_region": "441900"}


def test_a_stalled_import_is_offered_to_be_run_again_and_runs_only_then(client, dongguan_epi, shenzhen_epi):
    import datetime as dt

    from django.test import TestCase
    from django.utils import timezone

    from fangkong.cases.jobs import job_sealed
    from fangkong.cases.models import ImportJob

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    sealed = job_sealed(_import_file([_case_row("RR-1"), _case_row("RR-2")], CASE_COLUMNS).getvalue(), "rr.csv")
    job = ImportJob.objects.create(kind="cases", **sealed, created_by=dongguan_epi,
                                   status=ImportJob.Status.RUNNING, total_rows=2, processed_rows=1,
                                   heartbeat_at=timezone.now() - dt.timedelta(minutes=5))
    page_url, rerun_url = reverse("cases:import-job", args=[job.pk]), reverse("cases:import-job-rerun", args=[job.pk])
    reruns = AuditEvent.objects.filter(action="update", object_type="cases.importjob")

    client.force_login(dongguan_epi)
    page = client.get(page_url).content.decode()
    assert "Run the import again" not in page and "hx-get" in page  # alive: still polled, not offered
    refused = client.post(rerun_url, follow=True)
    assert "This import is not stalled" in refused.content.decode()
    assert ImportJob.objects.filter(pk=job.pk, status="running", processed_rows=1).exists()
    assert not reruns.exists() and not Case.objects.exists()

    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=11))
    page = client.get(page_url).content.decode()
    assert "no sign of life for more than 10 minutes" in page and "Run the import again" in page
    assert "hx-get" not in page  # no more polling of a job that does not move
    client.force_login(shenzhen_epi)  # somebody else's job: not found, unchanged
    assert client.post(rerun_url).status_code == 404
    assert ImportJob.objects.get(pk=job.pk).status == "running"

    client.force_login(dongguan_epi)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert client.post(rerun_url).status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created_count, job.processed_rows, job.stalled) == ("done", 2, 2, False)
    assert set(Case.objects.values_list("case_no", flat=True)) == {"RR-1", "RR-2"}
    rerun = reruns.get()
    assert rerun.detail["rerun"] is True and rerun.detail["was"] == "running"
    assert client.post(rerun_url, follow=True).content.decode().count("This import is not stalled") == 1


def test_the_import_job_api_submits_reports_every_error_and_is_private(client, dongguan_epi, dongguan_analyst,
                                                                       shenzhen_epi):
    from django.test import TestCase

    from fangkong.cases.models import ImportJob

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    jobs_url = reverse("cases-api:import-job-list")
    good, bad = _case_row("API-1"), {**_case_row("API-2"), "citizen_id": "123", "report_region": "440304"}

    client.force_login(dongguan_analyst)  # a read-only role: refused, nothing stored
    refused = client.post(jobs_url, {"kind": "cases", "file": _import_file([good], CASE_COLUMNS)})
    assert refused.status_code == 403 and not ImportJob.objects.exists()
    client.force_login(dongguan_epi)
    unknown = client.post(jobs_url, {"kind": "persons", "file": _import_file([good], CASE_COLUMNS)})
    assert unknown.status_code == 400 and "kind" in unknown.json()["error"]["fields"] and not ImportJob.objects.exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        failed = client.post(jobs_url, {"kind": "cases", "file": _import_file([good, bad], CASE_COLUMNS)})
    assert failed.status_code == 202 and failed.json()["status"] == "queued"
    body = client.get(reverse("cases-api:import-job-detail", args=[failed.json()["id"]])).json()
    assert body["status"] == "failed" and not Case.objects.exists()
    assert {(e["row"], e["column"]) for e in body["errors"]} >= {(3, "citizen_id"), (3, "report_region")}

    with TestCase.captureOnCommitCallbacks(execute=True):
        done = client.post(jobs_url, {"kind": "cases", "file": _import_file([good], CASE_COLUMNS)}).json()
    detail_url = reverse("cases-api:import-job-detail", args=[done["id"]])
    body = client.get(detail_url).json()
    assert (body["status"], body["created_count"], body["saving"], body["stalled"]) == ("done", 1, False, False)
    assert Case.objects.get().case_no == "API-1"
    rerun = client.post(reverse("cases-api:import-job-rerun", args=[done["id"]]))
    assert rerun.status_code == 400 and "not stalled" in str(rerun.json())
    assert [j["id"] for j in client.get(jobs_url).json()["results"]] == [done["id"], failed.json()["id"]]

    client.force_login(shenzhen_epi)  # somebody else's jobs: not listed, not found, not re-run
    assert client.get(jobs_url).json()["results"] == []
    assert client.get(detail_url).status_code == 404
    assert client.post(reverse("cases-api:import-job-rerun", args=[done["id"]])).status_code == 404


def test_the_command_line_import_reports_progress(dongguan_epi, tmp_path):
    from django.core.management import call_command

    row = {"case_no": "CLI-1", "name": "命令行", "citizen_id": citizen_id("441900"), "address_region": "441900",
           "disease": "covid-19", "classification": "confirmed", "diagnosed_at": "2022-03-15 09:00",
           "reported_at": "2022-03-15 10:00", "detection_route": "screening", "report_region": "441900"}
    path = tmp_path / "cases.csv"
    path.write_bytes(_import_file([row], CASE_COLUMNS).getvalue())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_cases", str(path), "--kind", "cases", "--user", "dg_epi", stdout=out, stderr=err)
    assert "checked 1 of 1 rows (100%); saving ..." in err.getvalue() and "1 created" in out.getvalue()
    assert Case.objects.get().case_no == "CLI-1"


def test_pages_render_for_a_signed_in_user(client, dongguan_epi, outbreak):
    client.force_login(dongguan_epi)
    for name in ("cases:case-list", "cases:contact-list", "cases:cluster-list", "cases:timeliness",
                 "cases:risk-areas", "cases:import", "cases:case-new", "protocols:list"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
    assert client.get(reverse("protocols:detail", kwargs={"code": "9th"})).status_code == 200


def test_timeliness_counts_per_region_and_day(client, dongguan_epi, outbreak):
    client.force_login(dongguan_epi)
    body = client.get(reverse("cases-api:tracing-timeliness") + "?region=441900").json()
    # The Dongguan close contact was listed 2 h after its case's report and quarantined 6 h after listing.
    assert body["total"]["close_contacts"] == 1 and body["total"]["listed_within_24h"] == 1.0
    assert body["total"]["quarantined_within_24h"] == 1.0 and body["total"]["new_cases"] == 1
    assert [d["key"] for d in body["days"]] == ["2022-03-12"]
    assert client.get(reverse("cases-api:tracing-timeliness") + "?region=440300").status_code == 404


def test_contacts_exposures_and_risk_areas_over_the_api(client, dongguan_epi, shenzhen_epi, outbreak):
    client.force_login(dongguan_epi)
    person = make_person(dongguan_epi, name="接口密接", region="441900")
    created = client.post(reverse("cases-api:contact-list"), {
        "person": person.pk, "source_case_no": outbreak["dg"].case_no, "category": "close", "region": "441900",
        "listed_at": "2022-03-12T15:00:00+08:00"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["protocol"] == "8th"
    assert len(created.json()["test_schedule"]) == 6
    # The Shenzhen case is not Dongguan's to name as a source: not found among its cases, nothing created.
    before = Contact.objects.count()
    refused = client.post(reverse("cases-api:contact-list"), {
        "person": person.pk, "source_case_no": outbreak["sz"].case_no, "category": "close", "region": "441900",
        "listed_at": "2022-03-12T15:00:00+08:00"}, content_type="application/json")
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"source_case_no"}
    assert Contact.objects.count() == before
    exposure = client.post(reverse("cases-api:exposure-list"), {
        "place_name": "某菜市场", "region": "441900", "starts_at": "2022-03-09T08:00:00+08:00",
        "ends_at": "2022-03-09T10:00:00+08:00", "cases": [outbreak["dg"].pk]}, content_type="application/json")
    assert exposure.status_code == 201
    assert [e["place_name"] for e in client.get(reverse("cases-api:exposure-list") + f"?case={outbreak['dg'].pk}")
            .json()["results"]] == ["某菜市场"]
    backwards = client.post(reverse("cases-api:exposure-list"), {
        "place_name": "x", "region": "441900", "starts_at": "2022-03-09T10:00:00+08:00",
        "ends_at": "2022-03-09T08:00:00+08:00"}, content_type="application/json")
    assert backwards.status_code == 400 and "ends_at" in backwards.json()["error"]["fields"]
    # An epidemiologist may not designate risk areas; a commander may, and gets the lifting date.
    denied = client.post(reverse("cases-api:risk-area-list"), {"region": "441900", "level": "high",
                                                                "designated_from": "2022-03-12"},
                         content_type="application/json")
    assert denied.status_code == 403
    commander = make_user("dg_commander", ("441900", Role.LOCAL_COMMANDER))
    client.force_login(commander)
    area = client.post(reverse("cases-api:risk-area-list"), {"region": "441900", "level": "high",
                                                              "designated_from": "2022-03-12"},
                       content_type="application/json")
    assert area.status_code == 201
    # Last Dongguan case reported 2022-03-12; the 8th edition lifts after 14 days without a new one.
    assert area.json()["can_be_lifted_on"] == "2022-03-26" and area.json()["protocol"] == "8th"
    lift_url = reverse("cases-api:risk-area-lift", kwargs={"pk": area.json()["id"]})
    early = client.post(lift_url, {"lifted_on": "2022-03-20"}, content_type="application/json")
    assert early.status_code == 400 and "2022-03-26" in str(early.json()["error"]["fields"])
    lifted = client.post(lift_url, {"lifted_on": "2022-03-26"}, content_type="application/json")
    assert lifted.status_code == 200 and lifted.json()["lifted_on"] == "2022-03-26"
    client.force_login(shenzhen_epi)
    assert client.get(reverse("cases-api:risk-area-list")).json()["results"] == []


def test_protocol_edits_over_the_api_are_for_administrators(client, sysadmin, dongguan_epi):
    url = reverse("protocols-api:protocol-detail", kwargs={"code": "9th"})
    client.force_login(dongguan_epi)
    assert client.get(url).json()["close_contact_test_days"] == [1, 2, 3, 5, 7]
    assert client.patch(url, {"version": 1, "notes": "x"}, content_type="application/json").status_code == 403
    client.force_login(sysadmin)
    ok = client.patch(url, {"version": 1, "close_contact_home_days": 4}, content_type="application/json")
    stale = client.patch(url, {"version": 1, "close_contact_home_days": 5}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["close_contact_home_days"] == 4
    assert stale.status_code == 409
    page = client.post(reverse("protocols:detail", kwargs={"code": "9th"}), {"version": "2", "lookback_days": "3",
                                                                             **_protocol_form("9th")})
    assert page.status_code == 302
    from fangkong.protocols.models import ProtocolVersion

    assert ProtocolVersion.objects.get(code="9th").lookback_days == 3


def _protocol_form(code: str) -> dict:
    from fangkong.protocols.models import ProtocolVersion

    p = ProtocolVersion.objects.get(code=code)
    form = {"close_contact_test_days": ", ".join(map(str, p.close_contact_test_days)),
            "close_contact_home_test_days": ", ".join(map(str, p.close_contact_home_test_days)),
            "secondary_contact_test_days": ", ".join(map(str, p.secondary_contact_test_days)),
            "risk_levels": ", ".join(p.risk_levels)}
    for name in ("secondary_contacts_traced", "secondary_contact_centralised", "risk_area_lift_needs_screen",
                 "lookback_from_last_negative"):
        if getattr(p, name):
            form[name] = "on"
    return form


@pytest.mark.parametrize(("form", "field"), [
    ({"kind": "vaccinations"}, "kind"),  # a kind the import does not know
    ({"kind": ""}, "kind"),
    ({}, "kind"),
    ({"kind": "cases", "file": None}, "file"),  # no file
])
def test_the_import_page_and_the_api_refuse_the_same_bad_submission_and_store_nothing(client, dongguan_epi, form,
                                                                                        field):
    """One schema (``cases.inputs.ImportJobInput``) for the page and ``POST /api/v1/import-jobs/``."""
    from django.utils import translation
    from django.utils.html import escape

    from fangkong.cases.inputs import ImportJobInput
    from fangkong.cases.models import ImportJob

    client.force_login(dongguan_epi)
    body = {"file": _import_file([], CASE_COLUMNS), **form}
    body = {k: v for k, v in body.items() if v is not None}
    with translation.override("zh-hans"):  # the page's language
        expected = ImportJobInput(data={**body, "file": _import_file([], CASE_COLUMNS)} if "file" in body else body)
        assert not expected.is_valid() and field in expected.errors
        message = escape(str(expected.errors[field][0]))
    page = client.post(reverse("cases:import"), body)
    assert page.status_code == 400 and message in page.content.decode()
    body = {k: (_import_file([], CASE_COLUMNS) if k == "file" else v) for k, v in body.items()}
    api = client.post("/api/v1/import-jobs/", body)
    assert api.status_code == 400 and field in api.json()["error"]["fields"]
    assert not ImportJob.objects.exists()


def test_the_kinds_an_import_file_may_hold_are_the_kinds_the_import_reads():
    from fangkong.cases.inputs import IMPORT_KINDS

    assert sorted(kind for kind, _label in IMPORT_KINDS) == sorted(imports.COLUMNS)
