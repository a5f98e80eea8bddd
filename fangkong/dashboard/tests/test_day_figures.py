"""Figures that depend on the day follow the chosen day: the open signals of the dashboard are those open at
the end of that day by the alerts' own lifecycle (its transitions), not the alerts' status now."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from fangkong.dashboard import selectors
from fangkong.regions.models import Region
from fangkong.surveillance.models import Alert, AlertTransition
from fangkong.surveillance.services import indicators_ensure

pytestmark = pytest.mark.django_db

FIRST = dt.date(2022, 3, 1)
#: The lifecycle (as ``surveillance.lifecycle.alert_transition`` walks it) and the time field each step stamps.
NEXT = {"new": ("acknowledged",), "acknowledged": ("investigating", "false_alarm"),
        "investigating": ("confirmed", "false_alarm"), "confirmed": ("closed",), "false_alarm": ("closed",)}
STAMP = {"acknowledged": "acknowledged_at", "investigating": "investigating_at", "confirmed": "verified_at",
         "false_alarm": "verified_at", "closed": "closed_at"}
OPEN = {"new", "acknowledged", "investigating", "confirmed"}


def _alerts(actor, n: int, seed: int) -> None:
    """``n`` alerts in Futian and Guangzhou, each walked a random number of lifecycle steps at random hours
    over the following days, stored as the service stores them (fields and transitions)."""
    rng = random.Random(seed)
    indicator = indicators_ensure()["fever_clinic_visits"]
    tz = timezone.get_current_timezone()
    for i in range(n):
        first_day = FIRST + dt.timedelta(days=rng.randrange(10))
        at = dt.datetime.combine(first_day + dt.timedelta(days=1), dt.time(9), tz)
        region = rng.choice(("440304", "440304", "440106"))
        alert = Alert.objects.create(level="county", region_id=region, unit_key=f"region:{region}:{i}",
                                     indicator=indicator, method="ears_c2", first_day=first_day,
                                     last_day=first_day + dt.timedelta(days=rng.randrange(3)), raised_at=at)
        status = "new"
        for _step in range(rng.randrange(5)):
            if status not in NEXT:
                break
            to = rng.choice(NEXT[status])
            at += dt.timedelta(hours=rng.uniform(1, 60))
            AlertTransition.objects.create(alert=alert, from_status=status, to_status=to, at=at, by=actor)
            setattr(alert, STAMP[to], at)
            if to in ("confirmed", "false_alarm"):
                alert.outcome = to
            status = to
        alert.status = status
        alert.save()


def _open_from_transitions(prefix: str, day: dt.date) -> dict[str, int]:
    """Alerts under ``prefix`` open at the end of ``day``, by status then, from the transitions one by one."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timezone.get_current_timezone())
    counts: dict[str, int] = {}
    for alert in Alert.objects.filter(region__code__startswith=prefix, first_day__lte=day):
        steps = [t.to_status for t in alert.transitions.order_by("at") if t.at < end]
        status = steps[-1] if steps else "new"
        if status in OPEN:
            counts[status] = counts.get(status, 0) + 1
    return counts


def test_open_signals_follow_the_chosen_day(province_commander, shenzhen_epi):
    _alerts(province_commander, 40, seed=5)
    province, shenzhen = Region.objects.get(code="440000"), Region.objects.get(code="440300")
    seen = []
    for day in (FIRST + dt.timedelta(days=4), FIRST + dt.timedelta(days=9), FIRST + dt.timedelta(days=16)):
        for user, region, prefix in ((province_commander, province, "44"), (shenzhen_epi, shenzhen, "4403"),
                                     (shenzhen_epi, province, "4403")):
            expected = _open_from_transitions(prefix, day)
            got = selectors.alerts_open_on(user=user, region=region, day=day)
            assert got.count() == sum(expected.values()), (day, prefix)
            by_status = {}
            for alert in got:
                by_status[alert.status_on_day] = by_status.get(alert.status_on_day, 0) + 1
            assert by_status == expected, (day, prefix)
        signals = selectors.situation(user=province_commander, region=province, day=day, fresh=True)["signals"]
        assert signals["open"] == sum(_open_from_transitions("44", day).values())
        assert {k: v for k, v in signals["by_status"].items() if v} == _open_from_transitions("44", day)
        seen.append(signals["open"])
    assert len(set(seen)) == 3  # the three days differ: the figure is not the alerts' status now
    now_open = Alert.objects.filter(status__in=list(OPEN)).count()
    assert seen[0] != now_open or seen[1] != now_open
