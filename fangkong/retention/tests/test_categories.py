"""The categories beside cases, contacts and scans, each purged by its seeded policy with the rows that refer to
its records: samples (with their results; a person known only by an old sample goes too), sentinel reports (with
their corrections; the reporting summary follows), import jobs (finished ones, after their period; a job that may
still run stays, and only a purge of the whole province reaches them) and inbound travellers deleted or aggregated
instead of anonymised (with their loop steps)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.audit.chain import chain_verify
from fangkong.audit.models import AuditEvent
from fangkong.cases.jobs import job_sealed
from fangkong.cases.models import ImportJob
from fangkong.inbound.documents import document_parse
from fangkong.inbound.models import IdKind, LoopStep, Traveller
from fangkong.inbound.services import manifest_import, ports_install, travellers_arrive
from fangkong.laboratory.models import Result, Specimen
from fangkong.laboratory.services import laboratory_create, result_record, specimen_record
from fangkong.persons.models import Person
from fangkong.retention import purge as purging
from fangkong.retention.models import RetainedFigure, RetentionPolicy
from fangkong.retention.services import purge_decide, purge_plan, purge_run
from fangkong.surveillance.models import (
    DailyRegionReporting,
    DailySiteReporting,
    SentinelReport,
    SentinelReportRevision,
    SentinelSite,
)
from fangkong.surveillance.services import indicators_ensure
from fangkong.surveillance.summaries import reporting_summary_refresh
from fangkong.testing.builders import citizen_id, make_person, make_user

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _run(admin1, admin2, region="440000"):
    purge = purge_plan(actor=admin1, region=region, as_of=AS_OF)
    purge_decide(actor=admin2, purge=purge, approve=True)  # the queued job runs after commit: not in this test
    return purge, purge_run(purge_id=purge.pk, batch_size=2)


def test_old_samples_go_with_their_results_and_the_persons_they_alone_kept(policies, shenzhen_epi, admin1, admin2):
    staff = make_user("retention_lab", ("440300", Role.LABORATORY))
    lab = laboratory_create(actor=shenzhen_epi, name="留存测试实验室", region="440300", daily_capacity=100,
                            staff=[staff])
    old_cid, new_cid = citizen_id("440304", born=dt.date(1981, 2, 3)), citizen_id("440304", born=dt.date(1981, 2, 4))
    only_old = make_person(shenzhen_epi, name="旧采样者", region="440304", cid=old_cid)
    recent_person = make_person(shenzhen_epi, name="新采样者", region="440304", cid=new_cid)
    old_day, recent_day = AS_OF - dt.timedelta(days=800), AS_OF - dt.timedelta(days=30)
    old = specimen_record(actor=staff, laboratory=lab, code="RT-OLD", subject="person", kind="throat",
                          sampled_at=_at(old_day, 9), sampling_point="福田采样点", sampler="采样员甲", citizen_id=old_cid)
    old_result = result_record(actor=staff, laboratory=lab, code="RT-OLD", outcome="negative",
                               received_at=_at(old_day, 11), resulted_at=_at(old_day, 15))
    recent = specimen_record(actor=staff, laboratory=lab, code="RT-NEW", subject="person", kind="throat",
                             sampled_at=_at(recent_day, 9), sampling_point="福田采样点", sampler="采样员甲",
                             citizen_id=new_cid)
    plan, purge = _run(admin1, admin2)
    assert plan.plan["samples"]["count"] == 1
    assert plan.plan["samples"]["first_due"] == (old_day + dt.timedelta(days=730)).isoformat()
    assert list(Specimen.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Result.objects.filter(pk=old_result.pk).exists()
    assert not Person.objects.filter(pk=only_old.pk).exists() and Person.objects.filter(pk=recent_person.pk).exists()
    assert purge.progress["counts"]["samples"]["deleted"] == 1 and purge.progress["counts"]["persons"]["deleted"] == 1
    for label, pk in (("laboratory.specimen", old.pk), ("laboratory.result", old_result.pk)):
        event = AuditEvent.objects.get(object_type=label, object_id=str(pk))  # the outcome was in the result's
        assert event.detail == {"redacted": purging.reference(label, pk)} and event.action == "create"
    assert AuditEvent.objects.get(object_type="laboratory.specimen", object_id=str(recent.pk)).detail == {
        "subject": "person"}
    assert chain_verify().intact


def test_old_sentinel_reports_go_with_their_corrections_and_the_reporting_summary_follows(policies, admin1, admin2):
    fever = indicators_ensure()["fever_clinic_visits"]
    site = SentinelSite.objects.create(code="RT-SITE", name="留存测试哨点", kind="fever_clinic", region_id="440304")
    site.indicators.add(fever)
    old_day, recent_day = AS_OF - dt.timedelta(days=11 * 365), AS_OF - dt.timedelta(days=10)
    old = SentinelReport.objects.create(site=site, indicator=fever, date=old_day, count=5, region_id="440304",
                                        reported_at=_at(old_day + dt.timedelta(days=1), 9))
    SentinelReportRevision.objects.create(report=old, count=4, reported_at=_at(old_day + dt.timedelta(days=1), 8))
    recent = SentinelReport.objects.create(site=site, indicator=fever, date=recent_day, count=7, region_id="440304",
                                           reported_at=_at(recent_day + dt.timedelta(days=1), 9))
    reporting_summary_refresh([(site.pk, old_day), (site.pk, recent_day)])  # written around the services
    assert set(DailySiteReporting.objects.filter(site=site).values_list("day", flat=True)) == {old_day, recent_day}
    plan, purge = _run(admin1, admin2)
    assert plan.plan["sentinel_reports"]["count"] == 1
    assert list(SentinelReport.objects.filter(site=site)) == [recent]
    assert not SentinelReportRevision.objects.filter(report_id=old.pk).exists()
    assert list(DailySiteReporting.objects.filter(site=site).values_list("day", "received")) == [(recent_day, 1)]
    assert not DailyRegionReporting.objects.filter(day=old_day).exists()
    assert DailyRegionReporting.objects.filter(day=recent_day, region_id="440304").get().received == 1
    assert purge.progress["counts"]["sentinel_reports"]["deleted"] == 1


def test_finished_import_jobs_go_after_their_period_a_job_that_may_run_stays(policies, shenzhen_epi, admin1,
                                                                              admin2):
    def job(name: str, status: str, data: bytes = b"") -> ImportJob:
        return ImportJob.objects.create(kind="cases", created_by=shenzhen_epi, status=status,
                                        **job_sealed(data, name))

    old_done, old_failed = job("旧完成.csv", "done"), job("旧失败.csv", "failed")
    old_waiting, recent_done = job("旧排队.csv", "queued", b"case_no\nX\n"), job("新完成.csv", "done")
    ImportJob.objects.filter(pk__in=[old_done.pk, old_failed.pk, old_waiting.pk]).update(
        created_at=_at(AS_OF - dt.timedelta(days=40)))
    city = purge_plan(actor=admin1, region="440300", as_of=AS_OF)
    assert city.plan["job_payloads"]["count"] == 0  # a job has no region: only a purge of the province reaches it
    plan, purge = _run(admin1, admin2)
    assert plan.plan["job_payloads"]["count"] == 2
    assert set(ImportJob.objects.values_list("pk", flat=True)) == {old_waiting.pk, recent_done.pk}
    assert purge.progress["counts"]["job_payloads"]["deleted"] == 2
    assert ImportJob.objects.get(pk=old_waiting.pk).shown_file_name == "旧排队.csv"


def _arrived_traveller(day: dt.date):
    ports_install()
    officer = User.objects.create(username="retention_port")
    Membership.objects.create(user=officer, region_id="440304", role=Role.EPIDEMIOLOGIST)
    rows = [{"name": name, "document": document_parse(IdKind.PASSPORT, number), "destination": "441900"}
            for name, number in (("旧入境丙", "E11220003"), ("旧入境丁", "E11220004"))]
    result = manifest_import(actor=officer, port="huanggang", carrier="vehicle", carrier_no="粤Z0002港",
                             arrival_date=day, rows=rows)
    arrived = result.manifest.travellers.get(name="旧入境丙")
    waiting = result.manifest.travellers.get(name="旧入境丁")
    travellers_arrive(actor=officer, travellers=[arrived], at=_at(day))
    return arrived, waiting


@pytest.mark.parametrize("action", ["delete", "aggregate"])
def test_travellers_deleted_or_aggregated_a_year_after_arrival_with_their_loop_steps(policies, admin1, admin2, action):
    RetentionPolicy.objects.filter(category="travellers").update(action=action)
    day = AS_OF - dt.timedelta(days=400)
    arrived, waiting = _arrived_traveller(day)
    assert LoopStep.objects.filter(traveller=arrived).exists()
    plan, purge = _run(admin1, admin2)
    assert plan.plan["travellers"] == {**plan.plan["travellers"], "count": 1, "action": action}
    assert not Traveller.objects.filter(pk=arrived.pk).exists() and not LoopStep.objects.filter(traveller_id=arrived.pk)
    assert Traveller.objects.get(pk=waiting.pk).name == "旧入境丁"
    counts = purge.progress["counts"]["travellers"]
    assert counts["deleted"] == 1 and counts.get("aggregated", 0) == (1 if action == "aggregate" else 0)
    figures = list(RetainedFigure.objects.filter(category="travellers").values_list("county", "week", "count"))
    iso = day.isocalendar()
    assert figures == ([("441900", f"{iso.year}-W{iso.week:02d}", 1)] if action == "aggregate" else [])
    assert AuditEvent.objects.filter(object_type="inbound.traveller", object_id=str(arrived.pk)).exclude(
        detail__has_key="redacted").count() == 0
    assert chain_verify().intact
