"""Shenzhen's worklists records for the platform's scope test (``scope_records`` of the module)."""

from __future__ import annotations

from ..apps import MANUAL
from ..models import Severity, SlaClass
from ..services import problem_raise, task_transition


def other_city_records(actor) -> dict[str, list[str]]:
    problem, _created = problem_raise(actor=actor, source=MANUAL, source_key="scope-futian", region="440304",
                                      severity=Severity.SERIOUS, title="福田测试问题", sla_class=SlaClass.URGENT)
    task = problem.tasks.get()
    task_transition(actor=actor, task_id=task.pk, action="submit", note="已整改")
    return {"task_id": [str(task.pk)], "pk": [str(task.pk), str(problem.pk)], "unit_id": [str(task.owner_unit_id)]}
