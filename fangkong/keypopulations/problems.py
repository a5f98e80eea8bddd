"""What the key-populations module raises in the problem list (``ModuleConfig.problem_sources``): the persons of
an employer overdue for their test on a day become one problem, once per region, employer and day, for the
region of the employer's groups — its command unit gets the task, the worklists' escalation takes it up the
tree when its deadline passes. Groups of no employer are counted together per region. The evidence names the
region, the employer and the count, never a person; the link opens the overdue list (named readers only).

A positive test's flagged workplaces (``WorkplaceFlag``: the key place or employer of each of the person's
groups) each raise one serious problem (source ``keypop_workplace``) for the group's region, naming the
workplace, the group and the test's number, never the person: its command assigns the co-visit search and
the inspection; the link opens the group's page (named readers), where the flags are listed. Raised when the
positive is recorded (``services.positive_follow_up``) and by the feed (``workplaces_feed``) for the flags
of the last fortnight — once each (``raise_each``).

``raise_overdue`` runs with the morning job (``services.overdue_run``) and as the ``feed`` the
``worklists-feed`` job calls; raised again the same day, nothing more is raised (``problem_raise`` is
idempotent by source and key).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fangkong.worklists.feeds import raise_each
from fangkong.worklists.models import Problem, Severity
from fangkong.worklists.services import problem_raise

from .apps import PROBLEM_SOURCE as SOURCE
from .apps import WORKPLACE_SOURCE
from .models import RosterEntry, WorkplaceFlag
from .selectors import active_on, overdue_q

#: More overdue persons than this at one employer on one day: a serious problem, otherwise moderate.
SERIOUS_FROM = 10
#: The flags the feed looks at: those of the last fortnight (older ones were raised when recorded).
FLAGS_RECENT = dt.timedelta(days=14)


def overdue_by_employer(today: dt.date) -> list[dict]:
    """``{"region", "employer_code", "employer_name", "overdue"}`` per region and employer on ``today``."""
    rows = (RosterEntry.objects.filter(active_on(today)).filter(overdue_q(today))
            .values("group__region_id", "group__employer_code")
            .annotate(overdue=Count("person_id", distinct=True)).order_by("group__region_id", "group__employer_code"))
    names = dict(RosterEntry.objects.filter(active_on(today)).exclude(group__employer_code="")
                 .values_list("group__employer_code", "group__employer_name").distinct())
    return [{"region": row["group__region_id"], "employer_code": row["group__employer_code"],
             "employer_name": names.get(row["group__employer_code"], ""), "overdue": row["overdue"]} for row in rows]


def source_key(region: str, employer_code: str, today: dt.date) -> str:
    return f"overdue:{region}:{employer_code or '-'}:{today.isoformat()}"


def raise_overdue(*, today: dt.date) -> int:
    """One problem per region, employer and day with persons overdue on ``today``; how many were raised."""
    done = set(Problem.objects.filter(source=SOURCE, source_key__endswith=f":{today.isoformat()}")
               .values_list("source_key", flat=True))  # the day's only: the keys of every day would pile up
    raised = 0
    for row in overdue_by_employer(today):
        key = source_key(row["region"], row["employer_code"], today)
        if key in done:
            continue
        employer = row["employer_name"] or (row["employer_code"] or _("groups of no employer"))
        title = _("%(employer)s: %(count)d persons overdue for their periodic test on %(day)s") % {
            "employer": employer, "count": row["overdue"], "day": today.isoformat()}
        query = {"region": row["region"], "day": today.isoformat(),
                 **({"employer": row["employer_code"]} if row["employer_code"] else {})}
        evidence = _("Region %(region)s, employer %(code)s: %(count)d persons overdue on %(day)s.") % {
            "region": row["region"], "code": row["employer_code"] or "—", "count": row["overdue"],
            "day": today.isoformat()}
        _problem, created = problem_raise(
            actor=None, source=SOURCE, source_key=key, region=row["region"],
            severity=Severity.SERIOUS if row["overdue"] > SERIOUS_FROM else Severity.MODERATE, title=title[:200],
            evidence=evidence, link=f"{reverse('keypopulations:overdue')}?{urlencode(query)}")
        raised += created
    return raised


def feed(now: dt.datetime) -> int:
    """The ``worklists-feed`` job's call: the overdue of the local day of ``now``."""
    return raise_overdue(today=timezone.localdate(now))


def _workplace_problem(flag: WorkplaceFlag) -> dict:
    group = flag.group
    workplace = group.place.name if group.place_id else (group.employer_name or group.employer_code)
    day = flag.test.sampled_on.isoformat()
    return {
        "region": group.region_id, "severity": Severity.SERIOUS,
        "title": (_("%(workplace)s: workplace of a key-population member who tested positive on %(day)s — "
                    "co-visit search and inspection") % {"workplace": workplace, "day": day})[:200],
        "evidence": _("Group %(group)s (number %(number)d), positive test number %(test)d sampled on %(day)s; "
                      "key place %(place)s, employer %(code)s.") % {
            "group": group.name, "number": group.pk, "test": flag.test_id, "day": day,
            "place": group.place.name if group.place_id else "—", "code": flag.employer_code or "—"},
        "link": reverse("keypopulations:group-detail", args=[group.pk]),
    }


def raise_workplaces(flags) -> int:
    """One problem per flagged workplace not raised yet; how many were raised."""
    return raise_each(WORKPLACE_SOURCE, flags, lambda flag: f"flag:{flag.pk}", _workplace_problem)


def workplaces_feed(now: dt.datetime) -> int:
    """The ``worklists-feed`` job's call: the flags of the last fortnight not raised yet."""
    since = timezone.localdate(now) - FLAGS_RECENT
    return raise_workplaces(WorkplaceFlag.objects.filter(flagged_on__gte=since)
                            .select_related("group", "group__place", "test").order_by("id"))
