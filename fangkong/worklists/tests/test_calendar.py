"""The working calendar of deadlines kept in the platform (``services.calendar_day_set``, page
``/worklists/calendar/``, API ``/api/v1/worklists-calendar/``): the provincial commander records holidays and
weekend days worked, audited; deadlines computed afterwards follow them and those already set do not move; every
other role reads the calendar and is refused a change; bad input is refused alike by page and API and changes
nothing."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fangkong.audit.models import AuditEvent

from ..hours import deadlines
from ..models import CalendarDay, SlaClass, Unit
from ..services import task_create

pytestmark = pytest.mark.django_db
CST = ZoneInfo("Asia/Shanghai")
PAGE, API = "/worklists/calendar/", "/api/v1/worklists-calendar/"


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CST)


def calendar_events():
    return list(AuditEvent.objects.filter(object_type="worklists.calendarday").order_by("id"))


def test_a_holiday_recorded_on_the_page_moves_the_deadlines_computed_after_it_and_is_audited(
        client, province_commander, futian_commander):
    unit = Unit.objects.create(region_id="440304", name="福田区疾控中心")
    earlier = task_create(actor=futian_commander, region="440304", title="t", owner_unit=unit.pk,
                          sla_class=SlaClass.ROUTINE)
    set_before = (earlier.deadline, earlier.second_deadline)
    friday = at(2026, 12, 4, 16, 0)
    assert deadlines(friday, SlaClass.ROUTINE)[0] == at(2026, 12, 9, 16, 0)  # Friday 1.5 h, Monday, Tuesday, Wednesday 5.5 h
    client.force_login(province_commander)
    answer = client.post(PAGE, {"day": "2026-12-07", "counts_as": "holiday", "note": "  元旦调休 "})
    assert answer.status_code == 302 and answer["Location"].endswith("?year=2026")
    assert list(CalendarDay.objects.values_list("day", "working", "note")) == [(dt.date(2026, 12, 7), False, "元旦调休")]
    assert deadlines(friday, SlaClass.ROUTINE)[0] == at(2026, 12, 10, 16, 0)  # the Monday no longer counts
    earlier.refresh_from_db()
    assert (earlier.deadline, earlier.second_deadline) == set_before  # a deadline already set does not move
    [event] = calendar_events()
    assert event.action == AuditEvent.Action.CREATE and event.actor == province_commander
    assert event.detail["day"] == "2026-12-07" and event.detail["working"] is False and event.detail["before"] is None
    page = client.get(PAGE, {"year": 2026}).content.decode()
    assert 'data-day="2026-12-07"' in page and "元旦调休" in page and 'name="counts_as"' in page


def test_a_weekend_day_worked_through_the_api_then_changed_said_again_and_made_ordinary(client, province_commander):
    client.force_login(province_commander)
    saturday = {"day": "2026-12-05", "counts_as": "worked", "note": "调休上班"}
    answer = client.post(API, saturday, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == [{"day": "2026-12-05", "working": True, "note": "调休上班"}]
    assert deadlines(at(2026, 12, 4, 16, 0), SlaClass.ROUTINE)[0] == at(2026, 12, 8, 16, 0)  # Saturday counts
    assert client.post(API, saturday, content_type="application/json").status_code == 200  # the same again
    assert len(calendar_events()) == 1  # … changes nothing and is not audited again
    client.post(API, {**saturday, "note": "国庆调休"}, content_type="application/json")
    assert CalendarDay.objects.get().note == "国庆调休"
    assert calendar_events()[-1].action == AuditEvent.Action.UPDATE
    assert calendar_events()[-1].detail["before"] == {"working": True, "note": "调休上班"}
    answer = client.post(API, {"day": "2026-12-05", "counts_as": "ordinary"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json() == [] and not CalendarDay.objects.exists()
    assert calendar_events()[-1].action == AuditEvent.Action.DELETE
    assert deadlines(at(2026, 12, 4, 16, 0), SlaClass.ROUTINE)[0] == at(2026, 12, 9, 16, 0)
    assert client.get(API, {"year": 2026}).json() == []


@pytest.mark.parametrize(("body", "field"), [
    ({"day": "2026-12-05", "counts_as": "holiday"}, "counts_as"),  # a Saturday is off anyway
    ({"day": "2026-12-09", "counts_as": "worked"}, "counts_as"),  # a Wednesday is worked anyway
    ({"day": "2026-12-08", "counts_as": "ordinary"}, "day"),  # nothing recorded to remove
    ({"day": "1999-12-31", "counts_as": "holiday"}, "day"),
    ({"day": "2100-01-01", "counts_as": "holiday"}, "day"),
    ({"day": "2026-02-30", "counts_as": "holiday"}, "day"),
    ({"day": "", "counts_as": "holiday"}, "day"),
    ({"day": "2026-12-08", "counts_as": "day off"}, "counts_as"),
    ({"day": "2026-12-08", "counts_as": "holiday", "note": "节" * 101}, "note"),
])
def test_bad_input_is_refused_alike_by_page_and_api_and_changes_nothing(client, province_commander, body, field):
    CalendarDay.objects.create(day=dt.date(2026, 12, 7), working=False, note="假日")
    client.force_login(province_commander)
    page = client.post(PAGE, body)
    api = client.post(API, body, content_type="application/json")
    assert page.status_code == api.status_code == 400
    assert field in api.json()["error"]["fields"], api.json()
    assert 'class="field-error"' in page.content.decode()
    assert list(CalendarDay.objects.values_list("day", "working", "note")) == [(dt.date(2026, 12, 7), False, "假日")]
    assert calendar_events() == []


def test_other_roles_read_the_calendar_and_are_refused_a_change(client, futian_commander, shenzhen_epi, analyst):
    CalendarDay.objects.create(day=dt.date(2026, 10, 8), working=False, note="国庆节")
    for user in (futian_commander, shenzhen_epi, analyst):
        client.force_login(user)
        page = client.get(PAGE, {"year": 2026})
        assert page.status_code == 200, user
        assert 'data-day="2026-10-08"' in page.content.decode() and 'name="counts_as"' not in page.content.decode()
        assert client.get(API, {"year": 2026}).json() == [{"day": "2026-10-08", "working": False, "note": "国庆节"}]
        for body in ({"day": "2026-12-07", "counts_as": "holiday"}, {"day": "2026-10-08", "counts_as": "ordinary"}):
            assert client.post(PAGE, body).status_code == 403, user
            assert client.post(API, body, content_type="application/json").status_code == 403, user
    assert list(CalendarDay.objects.values_list("day", flat=True)) == [dt.date(2026, 10, 8)]
    assert calendar_events() == []


def test_the_year_asked_is_checked_and_another_year_shows_its_own_days(client, province_commander):
    CalendarDay.objects.create(day=dt.date(2022, 4, 2), working=True, note="清明节调休")
    client.force_login(province_commander)
    for bad in ("twenty", "1999", "2100", "2026.5"):
        assert client.get(PAGE, {"year": bad}).status_code == 400, bad
        assert client.get(API, {"year": bad}).status_code == 400, bad
    assert 'data-day="2022-04-02"' in client.get(PAGE, {"year": 2022}).content.decode()
    assert 'data-day="2022-04-02"' not in client.get(PAGE, {"year": 2023}).content.decode()
    assert [d["day"] for d in client.get(API, {"year": 2022}).json()] == ["2022-04-02"]


def test_the_demo_records_2022_as_the_state_councils_notice_gives_it(province_commander):
    from ..demo import demo_calendar

    demo_calendar(province_commander)
    demo_calendar(province_commander)  # the demo loaded again changes nothing
    off = set(CalendarDay.objects.filter(working=False).values_list("day", flat=True))
    worked = set(CalendarDay.objects.filter(working=True).values_list("day", flat=True))
    # 国办发明电〔2021〕11号: Spring Festival 31 January – 6 February off, 29 and 30 January worked; Qingming
    # 3–5 April off, 2 April worked; Labour Day 30 April – 4 May off, 24 April and 7 May worked; National Day
    # 1–7 October off, 8 and 9 October worked (the weekend days of each holiday are off anyway)
    spring = {dt.date(2022, 1, 31) + dt.timedelta(days=n) for n in range(7)}
    national = {dt.date(2022, 10, 1) + dt.timedelta(days=n) for n in range(7)}
    assert {d for d in spring | national if d.weekday() < 5} <= off
    assert {dt.date(2022, 4, 4), dt.date(2022, 4, 5), dt.date(2022, 5, 2), dt.date(2022, 5, 4)} <= off
    assert worked == {dt.date(2022, 1, 29), dt.date(2022, 1, 30), dt.date(2022, 4, 2), dt.date(2022, 4, 24),
                      dt.date(2022, 5, 7), dt.date(2022, 10, 8), dt.date(2022, 10, 9)}
    assert len(calendar_events()) == len(off) + len(worked) == 25
    # a routine task given on the Friday before Qingming: Friday 1.5 h, Saturday 2 April worked 7 h, then
    # Wednesday 6 April (Monday and Tuesday off) 7 h and Thursday 5.5 h
    assert deadlines(at(2022, 4, 1, 16, 0), SlaClass.ROUTINE)[0] == at(2022, 4, 7, 16, 0)
