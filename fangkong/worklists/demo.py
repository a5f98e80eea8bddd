"""The demo part of the worklists module (its ``demo_loader``): the units of Shenzhen, Futian, Luohu,
Guangzhou and Dongguan, the problems the other modules' demo records raise (``feeds.feed``: unanswered
alerts, loop breaks, overdue cross-region requests) and a few found by staff, and their tasks in every
state — some moved back in time (the demo's only write around the services) so that the escalation job has
escalated them once or twice."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

UNITS = (
    ("440300", "深圳市疾病预防控制中心", "cdc", "全市流调溯源、核酸检测和疫情研判。"),
    ("440304", "福田区疾病预防控制中心", "cdc", "本区流调、密接判定与转运协调。"),
    ("440304", "福田区福田街道办事处", "street", "辖区社区防控、重点人员排查与居家健康监测。"),
    ("440303", "罗湖区疾病预防控制中心", "cdc", "本区流调、密接判定与转运协调。"),
    ("440100", "广州市疾病预防控制中心", "cdc", "全市流调溯源、核酸检测和疫情研判。"),
    ("441900", "东莞市疾病预防控制中心", "cdc", "全市流调溯源、核酸检测和疫情研判。"),
)

MANUAL = (
    ("440304", "serious", "隔离酒店送餐环节交叉风险", "督导检查发现第 3 隔离点送餐时门对门开启。", "24h"),
    ("440304", "moderate", "社区核酸采样点排队间距不足", "福田街道 2 个采样点排队未保持一米线。", "72h"),
    ("440303", "critical", "发热门诊预检分诊漏登记", "罗湖区某医院发热门诊 3 名就诊者未登记流行病学史。", "2h"),
    ("440300", "moderate", "冷链食品追溯信息未及时上传", "市场监管抽查 5 批次未上传追溯码。", "72h"),
    ("441900", "serious", "重点场所扫码查验落实不到位", "东莞 2 个商超未查验场所码。", "24h"),
    ("440100", "minor", "宣传资料版本过期", "社区张贴防控指引为旧版。", "72h"),
)


#: 2022's public holidays on weekdays and weekend days worked in exchange, as the State Council's General Office
#: gave them (国办发明电〔2021〕11号) — the working calendar of the demo's epidemic year.
HOLIDAYS_2022 = (
    ("2022-01-03", "元旦"), ("2022-01-31", "春节"), ("2022-02-01", "春节"), ("2022-02-02", "春节"),
    ("2022-02-03", "春节"), ("2022-02-04", "春节"), ("2022-04-04", "清明节"), ("2022-04-05", "清明节"),
    ("2022-05-02", "劳动节"), ("2022-05-03", "劳动节"), ("2022-05-04", "劳动节"), ("2022-06-03", "端午节"),
    ("2022-09-12", "中秋节"), ("2022-10-03", "国庆节"), ("2022-10-04", "国庆节"), ("2022-10-05", "国庆节"),
    ("2022-10-06", "国庆节"), ("2022-10-07", "国庆节"),
)
WORKED_2022 = (("2022-01-29", "春节调休上班"), ("2022-01-30", "春节调休上班"), ("2022-04-02", "清明节调休上班"),
               ("2022-04-24", "劳动节调休上班"), ("2022-05-07", "劳动节调休上班"), ("2022-10-08", "国庆节调休上班"),
               ("2022-10-09", "国庆节调休上班"))


def demo_calendar(commander) -> None:
    """Record the demo year's holidays and weekend days worked through the service, as the provincial commander."""
    from .services import calendar_day_set

    for days, counts_as in ((HOLIDAYS_2022, "holiday"), (WORKED_2022, "worked")):
        for day, note in days:
            calendar_day_set(actor=commander, day=dt.date.fromisoformat(day), counts_as=counts_as, note=note)


def _backdate(task, hours: float) -> None:
    """Move a task ``hours`` back in time, deadlines with it (the demo's escalations)."""
    from .models import Task

    shift = dt.timedelta(hours=hours)
    Task.objects.filter(pk=task.pk).update(created_at=task.created_at - shift, deadline=task.deadline - shift,
                                           second_deadline=task.second_deadline - shift)
    task.events.update(at=task.created_at - shift)


def demo_load(actor) -> str:
    from .feeds import feed
    from .models import Escalation, Problem, Task, Unit
    from .services import escalation_sweep, problem_raise, task_assign, task_transition

    # loaded once: by its own first problem (other modules' demos raise problems, and so tasks, before this one)
    if Problem.objects.filter(source="manual", source_key="demo-0").exists():
        return f"demo worklists: {Task.objects.count()} tasks (already loaded)"
    for region, name, kind, duties in UNITS:
        Unit.objects.get_or_create(region_id=region, name=name, defaults={"kind": kind, "standing_duties": duties})
    fed = feed()
    for n, (region, severity, title, evidence, sla_class) in enumerate(MANUAL):
        problem_raise(actor=actor, source="manual", source_key=f"demo-{n}", region=region, severity=severity,
                      title=title, evidence=evidence, sla_class=sla_class)
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=("futian", "shenzhen", "province", "dongguan_epi"))}
    if users.get("province"):  # the provincial commander keeps the working calendar
        demo_calendar(users["province"])
    futian, shenzhen = users.get("futian"), users.get("shenzhen")
    tasks = list(Task.objects.order_by("id"))
    fut = [t for t in tasks if t.region_id.startswith("4403")]
    if futian and shenzhen and len(fut) >= 6:
        cdc = Unit.objects.get(name="福田区疾病预防控制中心")
        in_futian = [t for t in fut if t.region_id == "440304"][:1]
        for task in in_futian:  # the Futian commander's own task, in progress
            task_assign(actor=shenzhen, task_id=task.pk, owner_unit=cdc.pk, owner=futian.pk,
                        note="请福田区疾控中心牵头处置")
            task_transition(actor=futian, task_id=task.pk, action="start")
        steps = [
            ("start",),
            ("submit", "已完成整改，附整改前后照片和台账。"),
            ("submit", "已完成整改。", "close"),
            ("submit", "已口头提醒。", "return", "整改证据不足，请补充现场照片和复查记录。"),
            ("cancel", "与既有问题重复，已合并办理。"),
        ]
        for task, step in zip([t for t in fut if t not in in_futian], steps, strict=False):
            owner_actor = futian if task.region_id == "440304" else shenzhen
            if step[0] == "cancel":
                task_transition(actor=shenzhen, task_id=task.pk, action="cancel", note=step[1])
                continue
            task_transition(actor=owner_actor, task_id=task.pk,
                            action=step[0], note=step[1] if len(step) > 1 else "")
            if len(step) > 2:
                verifier = users.get("province") if owner_actor == shenzhen else shenzhen
                task_transition(actor=verifier, task_id=task.pk, action=step[2],
                                note=step[3] if len(step) > 3 else "核查属实，同意销号。")
    # escalations: the oldest open tasks moved back past their deadline (once) or twice the time allowed
    open_tasks = list(Task.objects.filter(state__in=("open", "in_progress", "returned")).order_by("id"))
    for n, task in enumerate(open_tasks[:8]):
        allowed = (task.deadline - task.created_at).total_seconds() / 3600
        _backdate(task, allowed * (2.2 if n % 3 == 0 else 1.2) if task.sla_class != "72h" else 24 * (5 + n))
    escalation_sweep()
    escalation_sweep()
    return (f"demo worklists: {Unit.objects.count()} units, {Problem.objects.count()} problems "
            f"({sum(fed.values())} from other modules), {Task.objects.count()} tasks, "
            f"{Escalation.objects.count()} escalations")
