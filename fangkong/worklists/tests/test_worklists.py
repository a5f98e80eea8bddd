"""The worklists module's own tests: problems raised once per source key, tasks along their state machine with
close-out verified by someone else, deadlines on the working calendar (fixed clocks: weekends, holidays, urgent
classes), the escalation sweep (idempotent, 100 % and 200 %, inactive owners), scope, and bad input refused
alike by page, API and import with nothing changed."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError

from fangkong.accounts.roles import Role
from fangkong.inputs import validate_row
from fangkong.regions.models import Region
from fangkong.testing.builders import make_user

from ..apps import MANUAL
from ..hours import Calendar, deadlines, sla, working_periods
from ..inputs import TaskInput
from ..models import CalendarDay, Escalation, Problem, Severity, SlaClass, State, Task, TaskEvent, Unit
from ..selectors import inbox, overdue_list, responsibility_list, task_list, unit_digest
from ..services import (
    command_unit,
    escalation_sweep,
    problem_raise,
    task_assign,
    task_create,
    task_transition,
)

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def futian_task(actor, **extra) -> Task:
    problem, _created = problem_raise(actor=actor, source=MANUAL, source_key=extra.pop("key", "k1"),
                                      region=extra.pop("region", "440304"), severity=Severity.SERIOUS,
                                      title="隔离点管理漏洞", **extra)
    return problem.tasks.get()


# --- problems ----------------------------------------------------------------------------------------------


def test_a_problem_is_raised_once_per_source_key_with_a_task_for_the_command(province_commander):
    first, created = problem_raise(actor=None, source="inbound", source_key="break:1", region="440304",
                                   severity=Severity.SERIOUS, title="转运交接未签收", evidence="交接单 17")
    again, created_again = problem_raise(actor=None, source="inbound", source_key="break:1", region="440304",
                                         severity=Severity.MINOR, title="changed")
    assert created and not created_again and again == first and again.title == "转运交接未签收"
    task = first.tasks.get()
    assert task.owner_unit == command_unit(first.region) and task.sla_class == SlaClass.URGENT
    assert Problem.objects.count() == Task.objects.count() == 1


def test_raising_needs_the_capability_in_the_region(guangzhou_epi, analyst):
    for actor in (guangzhou_epi, analyst):
        with pytest.raises(PermissionDenied):
            problem_raise(actor=actor, source=MANUAL, source_key="x", region="440304",
                          severity=Severity.MINOR, title="x")
    with pytest.raises(ValidationError):
        problem_raise(actor=None, source="nowhere", source_key="x", region="440304", severity=Severity.MINOR,
                      title="x")
    assert Problem.objects.count() == 0


# --- the working calendar ----------------------------------------------------------------------------------


def test_routine_deadlines_run_on_working_hours_across_the_weekend():
    calendar = Calendar({})
    # Friday 2026-12-04 16:00: 1.5 h left that day, Monday and Tuesday 7 h each, 5.5 h on Wednesday (21 h)
    first, second = deadlines(at(2026, 12, 4, 16, 0), SlaClass.ROUTINE, calendar=calendar)
    assert first == at(2026, 12, 9, 16, 0)
    assert second == at(2026, 12, 14, 16, 0)  # 21 working hours later: Wednesday, Thursday, Friday, Monday
    # created on a Saturday: the clock starts on Monday morning
    assert deadlines(at(2026, 12, 5, 10, 0), SlaClass.ROUTINE, calendar=calendar)[0] == at(2026, 12, 9, 17, 30)
    # lunch break does not count
    assert calendar.add(at(2026, 12, 7, 11, 0), dt.timedelta(hours=2)) == at(2026, 12, 7, 15, 0)


def test_holidays_and_exchanged_working_days_are_configurable():
    # 2026-12-07 Monday is a holiday; 2026-12-05 Saturday is worked in exchange
    calendar = Calendar({dt.date(2026, 12, 7): False, dt.date(2026, 12, 5): True})
    assert calendar.add(at(2026, 12, 4, 17, 0), dt.timedelta(hours=4)) == at(2026, 12, 5, 12, 0)
    assert calendar.add(at(2026, 12, 5, 17, 0), dt.timedelta(hours=1)) == at(2026, 12, 8, 9, 0)


def test_urgent_classes_run_round_the_clock():
    saturday_night = at(2026, 12, 5, 23, 0)
    assert deadlines(saturday_night, SlaClass.EXTRA_URGENT) == (at(2026, 12, 6, 1, 0), at(2026, 12, 6, 3, 0))
    assert deadlines(saturday_night, SlaClass.URGENT) == (at(2026, 12, 6, 23, 0), at(2026, 12, 7, 23, 0))


def test_a_deadline_given_doubles_on_the_calendar_for_routine_tasks():
    calendar = Calendar({})
    first, second = deadlines(at(2026, 12, 4, 16, 0), SlaClass.ROUTINE, at(2026, 12, 7, 10, 0), calendar)
    assert first == at(2026, 12, 7, 10, 0)  # 1.5 h on Friday + 1.5 h on Monday
    assert second == at(2026, 12, 7, 15, 0)


# --- the state machine -------------------------------------------------------------------------------------


def test_close_out_is_verified_by_someone_other_than_the_owner_and_a_return_reopens(futian_commander,
                                                                                    shenzhen_epi):
    owner = make_user("futian_epi", ("440304", Role.EPIDEMIOLOGIST))
    unit = Unit.objects.create(region_id="440304", name="福田区疾控中心", kind=Unit.Kind.CDC)
    task = task_create(actor=futian_commander, region="440304", title="核查", owner_unit=unit.pk, owner=owner.pk,
                       sla_class=SlaClass.URGENT)
    task_transition(actor=owner, task_id=task.pk, action="start")
    task_transition(actor=owner, task_id=task.pk, action="submit", note="已核查 12 人")
    with pytest.raises(ValidationError, match="someone other than the owner"):
        task_transition(actor=owner, task_id=task.pk, action="close")  # the owner cannot verify (no capability
    task_transition(actor=futian_commander, task_id=task.pk, action="return", note="缺少核查记录")
    task.refresh_from_db()
    assert task.state == State.RETURNED and task.reason == "缺少核查记录"
    assert task in inbox(user=owner).new or task in inbox(user=owner).due_soon
    task_transition(actor=owner, task_id=task.pk, action="submit", note="补充核查记录")
    task_transition(actor=shenzhen_epi, task_id=task.pk, action="close")
    task.refresh_from_db()
    assert (task.state, task.verified_by) == (State.CLOSED, shenzhen_epi)
    assert list(task.events.values_list("kind", flat=True)) == [
        "created", "started", "submitted", "returned", "submitted", "closed"]


def test_the_owner_holding_the_verify_capability_still_cannot_verify(futian_commander):
    task = futian_task(futian_commander)  # the command unit's task: the commander works on it
    task_transition(actor=futian_commander, task_id=task.pk, action="submit", note="done")
    with pytest.raises(ValidationError):
        task_transition(actor=futian_commander, task_id=task.pk, action="close")
    task.refresh_from_db()
    assert task.state == State.SUBMITTED


def test_forbidden_transitions_and_missing_reasons_change_nothing(futian_commander, shenzhen_epi):
    task = futian_task(futian_commander)
    for action, note in (("close", ""), ("return", "x"), ("cancel", ""), ("submit", ""), ("fly", "")):
        with pytest.raises(ValidationError):
            task_transition(actor=shenzhen_epi, task_id=task.pk, action=action, note=note)
    task_transition(actor=shenzhen_epi, task_id=task.pk, action="cancel", note="重复问题")
    with pytest.raises(ValidationError):
        task_transition(actor=shenzhen_epi, task_id=task.pk, action="start")
    task.refresh_from_db()
    assert task.state == State.CANCELLED and task.events.count() == 2


# --- bad input ---------------------------------------------------------------------------------------------


def test_bad_task_input_is_refused_with_a_clear_error_and_nothing_changes(futian_commander, shenzhen_epi):
    futian = Unit.objects.create(region_id="440304", name="福田区疾控中心")
    luohu = Unit.objects.create(region_id="440303", name="罗湖区疾控中心")
    guangzhou_epi = make_user("gz_worker", ("440100", Role.EPIDEMIOLOGIST))
    gone = make_user("gone", ("440304", Role.EPIDEMIOLOGIST))
    gone.is_active = False
    gone.save()
    cases = [
        ({"deadline": at(2020, 1, 1, 0, 0)}, "deadline"),
        ({"owner_unit": luohu.pk}, "owner_unit"),
        ({"owner": guangzhou_epi.pk}, "owner"),
        ({"owner": gone.pk}, "owner"),
        ({"sla_class": "5m"}, "sla_class"),
    ]
    for extra, field in cases:
        data = {"region": "440304", "title": "t", "owner_unit": futian.pk, "sla_class": SlaClass.URGENT, **extra}
        with pytest.raises(ValidationError) as exc:
            task_create(actor=shenzhen_epi, **data)
        assert field in exc.value.message_dict
    task = task_create(actor=shenzhen_epi, region="440304", title="t", owner_unit=futian.pk, sla_class="24h")
    with pytest.raises(ValidationError) as exc:
        task_assign(actor=shenzhen_epi, task_id=task.pk, owner_unit=luohu.pk)
    assert "owner_unit" in exc.value.message_dict
    task.refresh_from_db()
    assert task.owner_unit == futian and Task.objects.count() == 1 and TaskEvent.objects.count() == 1


def test_page_api_and_import_create_the_same_task_and_refuse_alike(client, shenzhen_epi):
    unit = Unit.objects.create(region_id="440304", name="福田区疾控中心")
    row = {"region": "440304", "title": " 核查 ", "owner_unit": str(unit.pk), "sla_class": "24h"}
    client.force_login(shenzhen_epi)
    assert client.post("/worklists/tasks/new/", row).status_code == 302
    assert client.post("/api/v1/worklists-tasks/", row, content_type="application/json").status_code == 201
    data, errors = validate_row(TaskInput, row)
    assert errors == {}
    task_create(actor=shenzhen_epi, **data)
    assert list(Task.objects.order_by().values_list("title", "owner_unit", "sla_class").distinct()) == [("核查", unit.pk, "24h")]
    bad = {**row, "deadline": "2020-01-01T08:00"}
    page = client.post("/worklists/tasks/new/", bad)
    api = client.post("/api/v1/worklists-tasks/", bad, content_type="application/json")
    assert page.status_code == api.status_code == 400
    assert set(api.json()["error"]["fields"]) == {"deadline"}
    assert Task.objects.count() == 3


# --- escalation --------------------------------------------------------------------------------------------


def test_escalation_at_100_and_200_percent_once_each(futian_commander):
    task = futian_task(futian_commander)  # urgent: 24 h, second deadline at 48 h
    assert escalation_sweep(now=task.deadline - dt.timedelta(minutes=1)) == {"level_1": 0, "level_2": 0}
    assert escalation_sweep(now=task.deadline + dt.timedelta(minutes=1)) == {"level_1": 1, "level_2": 0}
    assert escalation_sweep(now=task.deadline + dt.timedelta(minutes=2)) == {"level_1": 0, "level_2": 0}
    task.refresh_from_db()
    assert (task.escalation_level, task.escalated_to_id) == (1, "440300")  # Futian → Shenzhen
    assert escalation_sweep(now=task.second_deadline + dt.timedelta(minutes=1)) == {"level_1": 0, "level_2": 1}
    assert escalation_sweep(now=task.second_deadline + dt.timedelta(hours=5)) == {"level_1": 0, "level_2": 0}
    task.refresh_from_db()
    assert (task.escalation_level, task.escalated_to_id) == (2, "440000")
    assert list(Escalation.objects.values_list("level", "to_region", "reason")) == [
        (1, "440300", "deadline"), (2, "440000", "second_deadline")]


def test_an_escalation_is_missed_by_no_sweep_that_comes_late(futian_commander):
    task = futian_task(futian_commander)
    # the job did not run for three days: both levels at once, each once
    assert escalation_sweep(now=task.second_deadline + dt.timedelta(days=1)) == {"level_1": 1, "level_2": 0}
    assert escalation_sweep(now=task.second_deadline + dt.timedelta(days=1)) == {"level_1": 0, "level_2": 1}
    assert Escalation.objects.count() == 2


def test_routine_tasks_escalate_on_the_calendar_not_over_the_weekend(futian_commander):
    unit = Unit.objects.create(region_id="440304", name="福田区疾控中心")
    task = task_create(actor=futian_commander, region="440304", title="t", owner_unit=unit.pk,
                       sla_class=SlaClass.ROUTINE)
    # move the task to a Friday afternoon (fixed clock) and recompute its deadlines as the service does
    created = at(2026, 12, 4, 16, 0)
    first, second = deadlines(created, SlaClass.ROUTINE)
    Task.objects.filter(pk=task.pk).update(created_at=created, deadline=first, second_deadline=second)
    assert escalation_sweep(now=at(2026, 12, 7, 9, 0)) == {"level_1": 0, "level_2": 0}  # Monday: 2 h used
    assert escalation_sweep(now=at(2026, 12, 9, 15, 59)) == {"level_1": 0, "level_2": 0}
    assert escalation_sweep(now=at(2026, 12, 9, 16, 1)) == {"level_1": 1, "level_2": 0}


def _at_fixed_clock(task: Task, created: dt.datetime) -> Task:
    """The task moved to ``created`` with its deadlines computed as the service does (calendar from the table)."""
    first, second = deadlines(created, task.sla_class)
    Task.objects.filter(pk=task.pk).update(created_at=created, deadline=first, second_deadline=second)
    task.refresh_from_db()
    return task


def test_routine_escalation_waits_over_a_holiday_at_both_levels(futian_commander):
    CalendarDay.objects.create(day=dt.date(2026, 12, 7), working=False, note="假日")  # Monday off
    unit = Unit.objects.create(region_id="440304", name="福田区疾控中心")
    task = _at_fixed_clock(task_create(actor=futian_commander, region="440304", title="t", owner_unit=unit.pk,
                                       sla_class=SlaClass.ROUTINE), at(2026, 12, 4, 16, 0))  # Friday 16:00
    # 1.5 h on Friday, none on the weekend or the holiday, 7 h Tuesday and Wednesday, 5.5 h on Thursday
    assert (task.deadline, task.second_deadline) == (at(2026, 12, 10, 16, 0), at(2026, 12, 15, 16, 0))
    for moment in (at(2026, 12, 7, 17, 0), at(2026, 12, 9, 16, 1), at(2026, 12, 10, 15, 59)):
        assert escalation_sweep(now=moment) == {"level_1": 0, "level_2": 0}, moment
    assert escalation_sweep(now=at(2026, 12, 10, 16, 1)) == {"level_1": 1, "level_2": 0}
    # the second 21 working hours: Thursday 1.5, Friday 7, the weekend none, Monday 7, Tuesday 5.5
    assert escalation_sweep(now=at(2026, 12, 14, 17, 30)) == {"level_1": 0, "level_2": 0}
    assert escalation_sweep(now=at(2026, 12, 15, 15, 59)) == {"level_1": 0, "level_2": 0}
    assert escalation_sweep(now=at(2026, 12, 15, 16, 1)) == {"level_1": 0, "level_2": 1}
    assert escalation_sweep(now=at(2026, 12, 15, 16, 2)) == {"level_1": 0, "level_2": 0}
    assert list(Escalation.objects.values_list("level", "at")) == [(1, at(2026, 12, 10, 16, 1)),
                                                                    (2, at(2026, 12, 15, 16, 1))]


def test_an_exchanged_weekend_day_counts_and_a_holiday_recorded_later_moves_no_deadline(futian_commander):
    CalendarDay.objects.create(day=dt.date(2026, 12, 5), working=True, note="调休上班")  # Saturday worked
    unit = Unit.objects.create(region_id="440304", name="福田区疾控中心")
    task = _at_fixed_clock(task_create(actor=futian_commander, region="440304", title="t", owner_unit=unit.pk,
                                       sla_class=SlaClass.ROUTINE), at(2026, 12, 4, 16, 0))
    assert task.deadline == at(2026, 12, 8, 16, 0)  # Friday 1.5, Saturday 7, Monday 7, Tuesday 5.5
    CalendarDay.objects.create(day=dt.date(2026, 12, 8), working=False)  # recorded after the task was created
    assert escalation_sweep(now=at(2026, 12, 8, 16, 1)) == {"level_1": 1, "level_2": 0}


def test_urgent_classes_escalate_round_the_clock_over_weekends_and_holidays(futian_commander):
    CalendarDay.objects.create(day=dt.date(2026, 12, 6), working=False, note="假日")  # a Sunday holiday too
    extra = _at_fixed_clock(futian_task(futian_commander, key="x", sla_class=SlaClass.EXTRA_URGENT),
                            at(2026, 12, 5, 23, 0))  # Saturday 23:00
    urgent = _at_fixed_clock(futian_task(futian_commander, key="u", sla_class=SlaClass.URGENT),
                             at(2026, 12, 4, 18, 0))  # Friday 18:00, after working hours
    assert (extra.deadline, extra.second_deadline) == (at(2026, 12, 6, 1, 0), at(2026, 12, 6, 3, 0))
    assert (urgent.deadline, urgent.second_deadline) == (at(2026, 12, 5, 18, 0), at(2026, 12, 6, 18, 0))
    assert escalation_sweep(now=at(2026, 12, 5, 17, 59)) == {"level_1": 0, "level_2": 0}
    assert escalation_sweep(now=at(2026, 12, 5, 18, 1)) == {"level_1": 1, "level_2": 0}  # urgent, on Saturday
    assert escalation_sweep(now=at(2026, 12, 6, 1, 1)) == {"level_1": 1, "level_2": 0}  # extra urgent, Sunday 1:01
    assert escalation_sweep(now=at(2026, 12, 6, 3, 1)) == {"level_1": 0, "level_2": 1}  # on the holiday, at 3:01
    assert escalation_sweep(now=at(2026, 12, 6, 18, 1)) == {"level_1": 0, "level_2": 1}
    assert Escalation.objects.count() == 4


def test_the_working_periods_are_configured_by_the_setting_and_a_bad_value_is_said(settings):
    settings.FANGKONG_WORKING_PERIODS = "09:00-12:00, 13:00-18:00"
    calendar = Calendar({})
    assert sla(SlaClass.ROUTINE).allowed == dt.timedelta(hours=24)  # three days of eight hours
    # Friday 17:45: a quarter of an hour that day, Monday and Tuesday 8 h, 7.75 h on Wednesday
    assert deadlines(at(2026, 12, 4, 17, 45), SlaClass.ROUTINE, calendar=calendar)[0] == at(2026, 12, 9, 17, 45)
    settings.FANGKONG_WORKING_PERIODS = ""
    assert deadlines(at(2026, 12, 4, 17, 45), SlaClass.ROUTINE, calendar=Calendar({}))[0] == at(2026, 12, 9, 17, 30)
    for bad in ("8-12", "14:00-17:30,08:30-12:00", "08:30-12:00,11:00-13:00", "12:00-08:30", "nine to five"):
        settings.FANGKONG_WORKING_PERIODS = bad
        with pytest.raises(ImproperlyConfigured, match="FANGKONG_WORKING_PERIODS"):
            working_periods()


def test_a_task_whose_owner_left_escalates_at_once(futian_commander):
    owner = make_user("leaver", ("440304", Role.EPIDEMIOLOGIST))
    unit = Unit.objects.create(region_id="440304", name="福田区疾控中心")
    task = task_create(actor=futian_commander, region="440304", title="t", owner_unit=unit.pk, owner=owner.pk,
                       sla_class=SlaClass.ROUTINE)
    assert escalation_sweep() == {"level_1": 0, "level_2": 0}
    owner.is_active = False
    owner.save()
    assert escalation_sweep() == {"level_1": 1, "level_2": 0}
    assert escalation_sweep() == {"level_1": 0, "level_2": 0}
    assert Escalation.objects.get(task=task).reason == Escalation.Reason.INACTIVE_OWNER


def test_one_sweep_sends_each_task_to_its_own_superior_and_tells_each_region_once(futian_commander,
                                                                                   province_commander,
                                                                                   django_capture_on_commit_callbacks,
                                                                                   caplog):
    """The sweep moves all tasks of a step in one statement: tasks of units in several regions, at both levels,
    in one run — each to the region above its own unit's, recorded once, one notice per region told."""
    futian = futian_task(futian_commander, key="f")  # Futian → Shenzhen → Guangdong
    luohu = futian_task(province_commander, key="l", region="440303")  # Luohu → Shenzhen
    tianhe = futian_task(province_commander, key="t", region="440106")  # Tianhe → Guangzhou
    Task.objects.filter(pk__in=[luohu.pk, tianhe.pk]).update(deadline=futian.second_deadline - dt.timedelta(hours=1),
                                                             second_deadline=futian.second_deadline + dt.timedelta(days=1))
    assert escalation_sweep(now=futian.deadline + dt.timedelta(minutes=1)) == {"level_1": 1, "level_2": 0}  # Futian
    later = futian.second_deadline + dt.timedelta(minutes=1)
    with caplog.at_level("INFO", logger="fangkong.worklists.notify"), \
            django_capture_on_commit_callbacks(execute=True):
        assert escalation_sweep(now=later) == {"level_1": 2, "level_2": 1}
    assert {t.pk: (t.escalation_level, t.escalated_to_id) for t in Task.objects.all()} == {
        futian.pk: (2, "440000"), luohu.pk: (1, "440300"), tianhe.pk: (1, "440100")}
    assert sorted(Escalation.objects.values_list("task", "level", "to_region", "reason")) == sorted([
        (futian.pk, 1, "440300", "deadline"), (futian.pk, 2, "440000", "second_deadline"),
        (luohu.pk, 1, "440300", "deadline"), (tianhe.pk, 1, "440100", "deadline")])
    assert all(e.at == later for e in Escalation.objects.filter(at__gt=futian.deadline + dt.timedelta(minutes=1)))
    told = sorted(r.getMessage() for r in caplog.records if "escalated" in r.getMessage())
    assert told == [f"worklists notice escalated to region 440000 users []: 1 task(s) [{futian.pk}]",
                    f"worklists notice escalated to region 440100 users []: 1 task(s) [{tianhe.pk}]",
                    f"worklists notice escalated to region 440300 users []: 1 task(s) [{luohu.pk}]"]
    assert escalation_sweep(now=later) == {"level_1": 0, "level_2": 0}
    assert Escalation.objects.count() == 4


def test_closed_and_submitted_tasks_do_not_escalate(futian_commander):
    task = futian_task(futian_commander)
    task_transition(actor=futian_commander, task_id=task.pk, action="submit", note="done")
    assert escalation_sweep(now=task.second_deadline + dt.timedelta(days=1)) == {"level_1": 0, "level_2": 0}


def test_a_section_of_the_inbox_reads_on_past_the_owners_tasks_it_may_not_read(monkeypatch):
    """The inbox reads a section's keys without the scope's condition, then keeps the rows in scope: a user who
    owns tasks outside the regions they may read still gets a full section of those they may read, in order."""
    from django.utils import timezone

    from .. import selectors

    monkeypatch.setattr(selectors, "SECTION_ROWS", 2)
    owner = make_user("futian_epi", ("440304", Role.EPIDEMIOLOGIST))
    units = {code: Unit.objects.create(region_id=code, name=f"单位{code}", kind=Unit.Kind.CDC)
             for code in ("440304", "440100")}
    now = timezone.now()

    def task(region: str, hours: int) -> Task:
        deadline = now + dt.timedelta(hours=hours)
        return Task.objects.create(title=f"任务{hours}", region_id=region, owner_unit=units[region], owner=owner,
                                   sla_class=SlaClass.ROUTINE, deadline=deadline,
                                   second_deadline=deadline + dt.timedelta(days=3))

    outside = [task("440100", hours) for hours in (30, 31, 32)]  # the earliest deadlines, in another city
    inside = [task("440304", hours) for hours in (33, 34, 35)]
    assert not set(outside) & set(task_list(user=owner))
    assert inbox(user=owner, now=now).new == inside[:2]


# --- scope -------------------------------------------------------------------------------------------------


def test_scope_county_sees_its_own_and_escalated_province_all_other_city_nothing(futian_commander,
                                                                                province_commander,
                                                                                guangzhou_epi, client):
    futian = futian_task(futian_commander, key="f")
    luohu = futian_task(province_commander, key="l", region="440303")
    escalation_sweep(now=futian.deadline + dt.timedelta(minutes=1))
    shenzhen = make_user("sz_cmd", ("440300", Role.LOCAL_COMMANDER))
    assert set(task_list(user=futian_commander)) == {futian}
    assert set(task_list(user=province_commander)) == {futian, luohu}
    assert set(task_list(user=guangzhou_epi)) == set() and list(overdue_list(user=guangzhou_epi)) == []
    assert set(inbox(user=shenzhen).escalated) == {futian, luohu}  # both escalated to Shenzhen
    assert set(overdue_list(user=futian_commander, now=futian.deadline + dt.timedelta(minutes=1))) == {futian}
    client.force_login(guangzhou_epi)
    assert client.get(f"/worklists/tasks/{futian.pk}/").status_code == 404
    assert client.get(f"/api/v1/worklists-tasks/{futian.pk}/").status_code == 404
    assert client.post(f"/api/v1/worklists-tasks/{futian.pk}/transition/", {"action": "cancel", "note": "x"},
                       content_type="application/json").status_code == 404
    futian.refresh_from_db()
    assert futian.state == State.OPEN


def test_the_responsibility_list_counts_per_unit(futian_commander, shenzhen_epi):
    task = futian_task(futian_commander)
    escalation_sweep(now=task.deadline + dt.timedelta(minutes=1))
    late = futian_task(futian_commander, key="k2")
    task_transition(actor=futian_commander, task_id=late.pk, action="submit", note="done")
    task_transition(actor=shenzhen_epi, task_id=late.pk, action="close")
    [row] = responsibility_list(user=futian_commander, now=task.deadline + dt.timedelta(minutes=1))
    assert (row.open, row.overdue, row.closed, row.closed_on_time, row.escalations) == (1, 1, 1, 1, 1)
    assert row.on_time_rate == 100.0


def test_the_pages_answer(client, futian_commander):
    task = futian_task(futian_commander)
    escalation_sweep(now=task.deadline + dt.timedelta(minutes=1))
    client.force_login(futian_commander)
    for url in ("/worklists/", "/worklists/tasks/", "/worklists/overdue/?region=440304", "/worklists/problems/",
                "/worklists/responsibility/", f"/worklists/tasks/{task.pk}/", "/worklists/tasks/new/",
                "/worklists/problems/new/", "/api/v1/worklists-tasks/inbox/", "/api/v1/worklists-tasks/overdue/",
                "/api/v1/worklists-responsibility/", f"/api/v1/worklists-tasks/{task.pk}/"):
        assert client.get(url).status_code == 200, url
    assert "data-escalation" in client.get(f"/worklists/tasks/{task.pk}/").content.decode()


# --- the daily digest of a unit -----------------------------------------------------------------------------


def test_the_daily_digest_of_a_unit_lists_new_due_overdue_escalated_and_closed_yesterday(futian_commander,
                                                                                      shenzhen_epi):
    futian = Unit.objects.create(region_id="440304", name="福田区疾控中心", kind=Unit.Kind.CDC)
    luohu = Unit.objects.create(region_id="440303", name="罗湖区疾控中心", kind=Unit.Kind.CDC)
    now = at(2026, 12, 9, 10, 0)  # a Wednesday morning: "yesterday" is Tuesday 8 December

    def task(unit, title, created, hours, **extra) -> Task:
        deadline = created + dt.timedelta(hours=hours)
        return Task.objects.create(title=title, region_id=unit.region_id, owner_unit=unit, sla_class=SlaClass.URGENT,
                                   created_at=created, deadline=deadline, second_deadline=deadline
                                   + dt.timedelta(hours=hours), **extra)

    new = task(futian, "昨天新任务", at(2026, 12, 8, 9, 0), 72)
    due = task(futian, "今天到期", at(2026, 12, 6, 9, 0), 76)  # due Wednesday 13:00
    late = task(futian, "已超期", at(2026, 12, 5, 9, 0), 24)
    task(futian, "前天办结", at(2026, 12, 5, 9, 0), 24, state=State.CLOSED, closed_at=at(2026, 12, 7, 16, 0))
    closed = task(futian, "昨天办结", at(2026, 12, 6, 9, 0), 24, state=State.CLOSED, closed_at=at(2026, 12, 8, 23, 0))
    task(futian, "今天办结", at(2026, 12, 6, 9, 0), 24, state=State.CLOSED, closed_at=at(2026, 12, 9, 0, 30))
    task(luohu, "罗湖新任务", at(2026, 12, 8, 9, 0), 72)  # another unit's
    shenzhen_unit = command_unit(Region.objects.get(code="440300"))
    escalated = task(luohu, "罗湖超期", at(2026, 12, 5, 9, 0), 24, escalation_level=1, escalated_to_id="440300",
                     escalated_at=at(2026, 12, 6, 9, 10))
    digest = unit_digest(user=futian_commander, unit_id=futian.pk, now=now)
    assert digest.day == dt.date(2026, 12, 9)
    assert (digest.new.tasks, digest.new.total) == ([new], 1)
    assert digest.due_soon.tasks == [due] and digest.overdue.tasks == [late]
    assert digest.closed_yesterday.tasks == [closed] and digest.closed_yesterday.total == 1
    assert digest.escalated.tasks == []  # nothing was escalated to Futian
    shenzhen = unit_digest(user=shenzhen_epi, unit_id=shenzhen_unit.pk, now=now)
    assert shenzhen.escalated.tasks == [escalated] and shenzhen.new.total == 0


def test_the_digest_is_reached_from_the_inbox_and_another_city_gets_404(client, futian_commander, guangzhou_epi):
    futian = futian_task(futian_commander).owner_unit
    client.force_login(futian_commander)
    inbox_page = client.get("/worklists/").content.decode()
    url = f"/worklists/units/{futian.pk}/digest/"
    assert f'href="{url}"' in inbox_page
    page = client.get(url)
    assert page.status_code == 200 and 'data-tasks="new"' in page.content.decode()
    assert "隔离点管理漏洞" in page.content.decode()
    client.force_login(guangzhou_epi)
    assert client.get(url).status_code == 404
    assert client.get("/worklists/units/999999/digest/").status_code == 404
    assert f'href="{url}"' not in client.get("/worklists/").content.decode()


# --- the feed from the other modules -----------------------------------------------------------------------


def test_an_overdue_cross_region_request_becomes_one_problem_for_the_receiver(shenzhen_epi):
    from fangkong.crossregion.services import overdue_escalate
    from fangkong.crossregion.tests.scope import other_city_records

    from ..feeds import feed

    request_id = int(other_city_records(shenzhen_epi)["request_id"][0])
    later = dt.datetime.now(tz=CST) + dt.timedelta(days=3)
    assert feed(now=later)["crossregion"] == 0  # not flagged by its own module yet
    overdue_escalate(now=later)
    assert feed(now=later)["crossregion"] == 1
    assert feed(now=later)["crossregion"] == 0  # once
    problem = Problem.objects.get(source="crossregion")
    assert (problem.source_key, problem.region_id) == (f"request:{request_id}", "441900")
    assert problem.tasks.get().owner_unit.region_id == "441900"
