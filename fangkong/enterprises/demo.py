"""The demo part of the enterprises module (its ``demo_loader``): key enterprises in Shenzhen and Dongguan —
the demo contact's own employer among them — with their plans (approved by Futian's commander where he is the
county, waiting elsewhere), tickets in every state, supply chains running out of the districts of the demo's
risk areas, and today's operating status. Every write goes through the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone

from fangkong.demo import scenario_last_day
from fangkong.places.credit_code import check_character

from .models import Enterprise

#: (name, sector, size, staff, supply guarantee, export, key chain)
KINDS = (("电子元器件厂", "electronics", "large", 2400, False, True, True),
         ("食品加工厂", "food", "medium", 600, True, False, False),
         ("汽车零部件厂", "automotive", "large", 1800, False, True, True),
         ("医用防护用品厂", "medical", "medium", 450, True, False, True),
         ("物流配送中心", "logistics", "medium", 320, True, False, False))
GOODS = ("电路板", "包装材料", "零部件", "原材料", "成品配送")


def _code(n: int, region: str) -> str:
    first = f"91{region[:6]}MA5EQ{n:04d}"
    return first + check_character(first)


def demo_load(actor) -> str:
    if Enterprise.objects.exists():
        return f"demo enterprises: {Enterprise.objects.count()} enterprises (already loaded)"
    from fangkong.accounts.models import User
    from fangkong.cases.models import RiskArea
    from fangkong.keypopulations.models import EmployerAccess
    from fangkong.regions.models import Region
    from fangkong.worklists.services import command_unit

    from .services import (
        enterprise_register,
        link_add,
        plan_decide,
        plan_submit,
        status_record,
        ticket_step,
        ticket_submit,
    )

    hit = sorted({code for code in RiskArea.objects.filter(region__code__startswith="44")
                 .values_list("region_id", flat=True) if len(code) == 6})
    towns = list(Region.objects.filter(parent_id="441900").order_by("code").values_list("code", flat=True)[:2])
    regions = list(dict.fromkeys([*hit[:2], "440304", "440303", "440306", *towns]))
    made = []
    for r, region in enumerate(regions):
        name_zh = Region.objects.get(code=region).name_zh
        for k, (kind, sector, size, staff, supply, export, chain) in enumerate(KINDS[: 3 if r < 2 else 2]):
            n = r * 10 + k
            made.append(enterprise_register(
                actor=actor, credit_code=_code(n, region[:6]), name=f"{name_zh}{kind}", sector=sector, size=size,
                region=region, address=f"{name_zh}产业园{k + 1}号", staff=staff, supply_guarantee=supply, export=export,
                key_chain=chain, contact_name=f"{'王李张刘陈'[k]}经理", contact_title="企业疫情防控联络员",
                contact_phone=f"1390010{n:04d}"))
    # the demo contact's employer (key populations' demo grants it) is one of the registry's enterprises
    contact = User.objects.filter(username="employer_sz").first()
    access = EmployerAccess.objects.filter(user=contact).first() if contact else None
    if access and not Enterprise.objects.filter(credit_code=access.employer_code).exists():
        from fangkong.keypopulations.models import KeyGroup

        group = KeyGroup.objects.filter(employer_code=access.employer_code).select_related("region").first()
        if group is not None:
            made.append(enterprise_register(
                actor=actor, credit_code=access.employer_code, name=group.employer_name, sector="food", size="medium",
                region=group.region_id, address=f"{group.region.name_zh}冷链物流园", staff=260, supply_guarantee=True,
                contact_name="赵联络", contact_title="企业疫情防控联络员", contact_phone="13900109999"))
    # supply chains: each enterprise supplies the next two, so a district's lockdown reaches two tiers
    for i, supplier in enumerate(made):
        for step in (1, 2):
            customer = made[(i + step * 3) % len(made)]
            if customer.pk != supplier.pk:
                try:
                    link_add(actor=actor, supplier=supplier.pk, customer=customer.pk, goods=GOODS[i % len(GOODS)])
                except ValidationError:  # the same pair reached twice: one link is enough
                    continue
    # plans: Futian's approved by its commander, the others waiting for their county
    futian = User.objects.filter(username="futian").first()
    plans = 0
    for i, enterprise in enumerate(made):
        submitter = contact if access and enterprise.credit_code == access.employer_code else actor
        plan = plan_submit(actor=submitter, enterprise=enterprise.pk, closed_loop=i % 2 == 0,
                           loop_scope="生产车间、员工宿舍、食堂" if i % 2 == 0 else "", staff_in_loop=enterprise.staff // 2,
                           test_every_days=2 if i % 2 == 0 else 0, shuttle="宿舍至厂区点对点班车",
                           quarantine_rooms=max(5, enterprise.staff // 100), responsible_person="企业负责人")
        plans += 1
        if futian is not None and enterprise.county_id == "440304" and submitter != futian:
            plan_decide(actor=futian, plan_id=plan.pk, approve=True, note="同意")
    # tickets in every state, routed to the enterprise's county command
    states = 0
    for i, enterprise in enumerate(made[:8]):
        unit = command_unit(Region.objects.get(code=enterprise.county_id))
        kind = ("logistics_pass", "supply_chain", "staff_return", "raw_materials", "testing", "other")[i % 6]
        ticket = ticket_submit(actor=actor, enterprise=enterprise.pk, kind=kind, description="示例诉求：请协调解决。",
                               unit=unit.pk)
        for step in ("accept", "answer", "close")[: i % 4]:
            ticket_step(actor=actor, ticket_id=ticket.pk, action=step, answer="已协调有关部门办理。")
        states += 1
    # the day's operating status: stopped in the risk areas' districts, closed loop where the plan says so
    today = scenario_last_day() or timezone.localdate()  # the demo's day, not the real clock's
    for i, enterprise in enumerate(made):
        inside = enterprise.county_id in hit
        status, reason = (("stopped", "位于封控区域") if inside and i % 2 else
                          ("closed_loop", "按防控方案闭环生产") if inside else
                          ("partial", "上游供应中断") if i % 5 == 0 else ("operating", ""))
        status_record(actor=actor, enterprise=enterprise.pk, day=today, status=status,
                      reason=reason)
    return (f"demo enterprises: {len(made)} enterprises, {plans} plans, {states} tickets, "
            f"{len(hit)} districts of risk areas")
