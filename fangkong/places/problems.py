"""What the places module raises in the problem list of the three lists (``ModuleConfig.problem_sources``):
a rectification order past its deadline and not done becomes a problem, once per order and deadline (an
order reopened with a new deadline and overdue again is raised again), for the place's region."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from fangkong.worklists.feeds import already_raised
from fangkong.worklists.models import Severity
from fangkong.worklists.services import problem_raise

from .apps import PROBLEM_SOURCE as SOURCE
from .models import Rectification


def problem_key(order: Rectification) -> str:
    return f"rectification:{order.pk}:{order.deadline.isoformat()}"


def feed(now: dt.datetime) -> int:
    """Raise a problem for every overdue order not raised yet (marked overdue by the daily job, or past its
    deadline before the job ran); how many were raised. A critical finding's order is serious, another
    moderate."""
    today = timezone.localdate(now)
    raised, done = 0, already_raised(SOURCE)
    overdue = Rectification.objects.filter(
        Q(state=Rectification.State.OVERDUE)
        | Q(state__in=Rectification.UNFINISHED, deadline__lt=today)).select_related("place", "finding").order_by("id")
    for order in overdue:
        key = problem_key(order)
        if key in done:
            continue
        late_since = dt.datetime.combine(order.deadline + dt.timedelta(days=1), dt.time(0),
                                         timezone.get_current_timezone())
        _problem, created = problem_raise(
            actor=None, source=SOURCE, source_key=key, region=order.region_id,
            severity=Severity.SERIOUS if order.finding.critical else Severity.MODERATE,
            title=f"整改逾期：{order.place.name[:80]}（{order.finding.item_code}）",
            evidence=f"整改单 #{order.pk}，检查 #{order.finding.inspection_id}，整改期限 {order.deadline.isoformat()}。",
            link=reverse("places:inspection-detail", kwargs={"pk": order.finding.inspection_id}),
            found_at=min(late_since, now))
        raised += created
    return raised
