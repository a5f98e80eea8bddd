"""Prevention plans in versions approved by the county (an official of the enterprise's county, never the
submitter; audited; the version in force is the latest approved), and support tickets routed to a department
of the enterprise's region or above (outside refused), due by a class of the three lists, answered, counted
per department, and raised as problems of the three lists once past their time."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.regions.models import Region
from fangkong.testing.builders import make_user
from fangkong.worklists.models import Problem, Unit
from fangkong.worklists.services import command_unit

from ..models import PlanState, PreventionPlan, Ticket, TicketState
from ..problems import feed
from ..selectors import answer_times, plan_in_force, ticket_list
from ..services import enterprise_register, plan_decide, plan_submit, ticket_step, ticket_submit

pytestmark = pytest.mark.django_db
PLAN = {"closed_loop": True, "loop_scope": "厂区及宿舍", "staff_in_loop": 120, "test_every_days": 2,
        "shuttle": "点对点班车", "quarantine_rooms": 10, "responsible_person": "李负责"}


@pytest.fixture
def ours(shenzhen_epi, contact, sysadmin_grants, enterprise_data):
    enterprise = enterprise_register(actor=shenzhen_epi, **enterprise_data(1, supply_guarantee=True))
    sysadmin_grants(contact, enterprise.credit_code)
    return enterprise


def test_a_plan_submitted_by_the_contact_is_approved_by_the_county_and_comes_into_force(
        client, ours, contact, futian_commander, shenzhen_epi):
    first = plan_submit(actor=contact, enterprise=ours.pk, **PLAN)
    assert plan_in_force(ours) is None
    with pytest.raises(PermissionDenied):  # a city official is not the county
        plan_decide(actor=shenzhen_epi, plan_id=first.pk, approve=True)
    plan_decide(actor=futian_commander, plan_id=first.pk, approve=True)
    assert plan_in_force(ours) == first
    client.force_login(contact)  # a second version from the page: the first stays in force until approved
    assert client.post(f"/enterprises/{ours.pk}/plan/", {**PLAN, "enterprise": ours.pk, "closed_loop": "false",
                                                        "staff_in_loop": "0"}).status_code == 302
    second = PreventionPlan.objects.get(version=2)
    assert second.state == PlanState.SUBMITTED and plan_in_force(ours) == first
    client.force_login(futian_commander)
    assert client.post(f"/enterprises/plans/{second.pk}/decide/", {"approve": "true"}).status_code == 302
    assert plan_in_force(ours) == PreventionPlan.objects.get(version=2)
    assert AuditEvent.objects.filter(object_type="enterprises.preventionplan", action="update").count() == 2


def test_the_submitter_does_not_approve_its_own_plan_and_a_decided_one_stays(ours, futian_commander, contact):
    own = plan_submit(actor=futian_commander, enterprise=ours.pk, **PLAN)
    with pytest.raises(PermissionDenied):
        plan_decide(actor=futian_commander, plan_id=own.pk, approve=True)
    other = make_user("futian_commander_2", ("440304", Role.LOCAL_COMMANDER))
    with pytest.raises(ValidationError):  # a rejection says why
        plan_decide(actor=other, plan_id=own.pk, approve=False)
    plan_decide(actor=other, plan_id=own.pk, approve=False, note="宿舍不在闭环内")
    with pytest.raises(ValidationError):
        plan_decide(actor=other, plan_id=own.pk, approve=True)
    assert PreventionPlan.objects.get().state == PlanState.REJECTED and plan_in_force(ours) is None


def test_a_closed_loop_without_scope_is_refused(client, ours, contact):
    client.force_login(contact)
    answer = client.post("/api/v1/enterprise-plans/", {**PLAN, "enterprise": ours.pk, "loop_scope": ""},
                         content_type="application/json")
    assert answer.status_code == 400 and set(answer.json()["error"]["fields"]) == {"loop_scope"}
    assert PreventionPlan.objects.count() == 0


def test_a_contact_does_not_act_for_another_enterprise(client, ours, contact, shenzhen_epi, enterprise_data):
    theirs = enterprise_register(actor=shenzhen_epi, **enterprise_data(2))
    with pytest.raises(PermissionDenied):
        plan_submit(actor=contact, enterprise=theirs.pk, **PLAN)
    unit = command_unit(Region.objects.get(code="440304"))
    with pytest.raises(PermissionDenied):
        ticket_submit(actor=contact, enterprise=theirs.pk, kind="other", description="x", unit=unit.pk)
    client.force_login(contact)
    assert client.post(f"/enterprises/{theirs.pk}/ticket/", {"kind": "other", "description": "x",
                                                             "unit": unit.pk}).status_code == 404
    assert client.post("/api/v1/enterprise-tickets/", {"enterprise": theirs.pk, "kind": "other", "description": "x",
                                                       "unit": unit.pk}, content_type="application/json"
                       ).status_code == 403
    assert PreventionPlan.objects.count() == Ticket.objects.count() == 0


def test_a_ticket_routed_outside_the_enterprises_region_is_refused(client, ours, contact):
    nanshan = command_unit(Region.objects.get(code="440305"))  # a neighbouring district: not Futian's
    guangzhou = command_unit(Region.objects.get(code="440100"))
    for unit in (nanshan, guangzhou):
        with pytest.raises(ValidationError) as refused:
            ticket_submit(actor=contact, enterprise=ours.pk, kind="logistics_pass", description="通行证", unit=unit.pk)
        assert "unit" in refused.value.message_dict
    client.force_login(contact)
    answer = client.post("/api/v1/enterprise-tickets/", {"enterprise": ours.pk, "kind": "logistics_pass",
                                                         "description": "通行证", "unit": nanshan.pk},
                         content_type="application/json")
    assert answer.status_code == 400 and set(answer.json()["error"]["fields"]) == {"unit"}
    assert Ticket.objects.count() == 0
    # the city's and the province's departments serve Futian
    for code in ("440300", "440000"):
        ticket_submit(actor=contact, enterprise=ours.pk, kind="other", description="咨询",
                      unit=command_unit(Region.objects.get(code=code)).pk)
    assert Ticket.objects.count() == 2


def test_a_ticket_is_due_answered_counted_per_department_and_raised_once_late(ours, contact, futian_commander,
                                                                              guangzhou_epi):
    unit = Unit.objects.create(region_id="440304", name="福田区工信局", kind=Unit.Kind.OTHER)
    urgent = ticket_submit(actor=contact, enterprise=ours.pk, kind="logistics_pass", description="通行证", unit=unit.pk)
    routine = ticket_submit(actor=contact, enterprise=ours.pk, kind="staff_return", description="返岗", unit=unit.pk)
    assert urgent.sla_class == "24h" and routine.sla_class == "72h"
    assert urgent.due_at - urgent.submitted_at == dt.timedelta(hours=24)
    with pytest.raises(PermissionDenied):  # the contact does not answer its own tickets
        ticket_step(actor=contact, ticket_id=urgent.pk, action="answer", answer="已办")
    with pytest.raises(PermissionDenied):
        ticket_step(actor=guangzhou_epi, ticket_id=urgent.pk, action="accept")
    ticket_step(actor=futian_commander, ticket_id=urgent.pk, action="accept")
    with pytest.raises(ValidationError):
        ticket_step(actor=futian_commander, ticket_id=urgent.pk, action="answer", answer=" ")
    ticket_step(actor=futian_commander, ticket_id=urgent.pk, action="answer", answer="已发放通行证")
    with pytest.raises(ValidationError):
        ticket_step(actor=futian_commander, ticket_id=urgent.pk, action="accept")
    ticket_step(actor=contact, ticket_id=urgent.pk, action="close")
    assert Ticket.objects.get(pk=urgent.pk).state == TicketState.CLOSED
    [row] = answer_times(user=futian_commander)
    assert (row["unit"], row["tickets"], row["open"], row["answered"], row["late"]) == (unit, 2, 1, 1, 0)
    assert list(ticket_list(user=guangzhou_epi)) == []
    # past its time, the routine ticket becomes a problem of the three lists, once, with a task for the command
    assert feed(timezone.now()) == 0
    Ticket.objects.filter(pk=routine.pk).update(due_at=timezone.now() - dt.timedelta(hours=1))  # its time ran out
    assert feed(timezone.now()) == 1 and feed(timezone.now()) == 0
    problem = Problem.objects.get(source="enterprise")
    assert problem.source_key == f"ticket:{routine.pk}" and problem.region_id == "440304"
    assert problem.severity == "serious" and problem.tasks.count() == 1
    assert f"/enterprises/tickets/{routine.pk}/" == problem.link


def test_the_ticket_pages_show_the_contact_its_own_tickets(client, ours, contact, shenzhen_epi, enterprise_data):
    theirs = enterprise_register(actor=shenzhen_epi, **enterprise_data(2))
    unit = command_unit(Region.objects.get(code="440304"))
    mine = ticket_submit(actor=contact, enterprise=ours.pk, kind="raw_materials", description="缺原料", unit=unit.pk)
    other = ticket_submit(actor=shenzhen_epi, enterprise=theirs.pk, kind="testing", description="核酸", unit=unit.pk)
    client.force_login(contact)
    assert [t["id"] for t in client.get("/api/v1/enterprise-tickets/").json()["results"]] == [mine.pk]
    assert client.get(f"/enterprises/tickets/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/enterprise-tickets/{other.pk}/").status_code == 404
    assert client.get(f"/enterprises/tickets/{mine.pk}/").status_code == 200
    assert "缺原料" not in client.get(f"/enterprises/{theirs.pk}/").content.decode()
