"""Shenzhen's enterprise records for the platform's scope test (``scope_records`` of the module): a Futian
enterprise with a contact, a plan, a ticket to Futian's command, a supply link and a day's status."""

from __future__ import annotations

from django.utils import timezone

from fangkong.worklists.services import command_unit


def other_city_records(actor) -> dict[str, list[str]]:
    from fangkong.regions.models import Region

    from ..services import enterprise_register, link_add, plan_submit, status_record, ticket_submit

    ours = enterprise_register(actor=actor, credit_code="91440300MA5ELN9E26", name="福田范围测试电子厂",
                               sector="electronics", size="medium", region="440304", address="福田区测试路1号",
                               staff=300, contact_name="范围测试联络员", contact_phone="13900002872")
    customer = enterprise_register(actor=actor, credit_code="91440300MA5ELN9E39", name="福田范围测试客户",
                                   sector="manufacturing", size="small", region="440304", address="福田区测试路2号")
    plan = plan_submit(actor=actor, enterprise=ours.pk, closed_loop=True, loop_scope="厂区及宿舍",
                       staff_in_loop=120, test_every_days=2, responsible_person="范围测试负责人")
    ticket = ticket_submit(actor=actor, enterprise=ours.pk, kind="logistics_pass", description="货车通行证",
                           unit=command_unit(Region.objects.get(code="440304")).pk)
    link_add(actor=actor, supplier=ours.pk, customer=customer.pk, goods="电路板")
    status_record(actor=actor, enterprise=ours.pk, day=timezone.localdate(), status="closed_loop", reason="闭环生产")
    return {"enterprise_id": [str(ours.pk)], "plan_id": [str(plan.pk)], "ticket_id": [str(ticket.pk)],
            "pk": [str(ours.pk), str(plan.pk), str(ticket.pk)]}
