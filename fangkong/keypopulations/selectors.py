"""Reads of the key-populations module, always scoped.

Groups and their counts are aggregates: read in the regions of the reader's memberships (a county's
commander sees its county's groups only). Rosters, tests and overdue persons are named data: read only
where the reader may read named data, and shown through ``person_shown`` (masked identifiers).

An enterprise contact (``Role.ENTERPRISE_CONTACT``) reads named data at ``Reach.OWN_ENTERPRISES`` only: the
groups whose employer's credit code its account holds (``EmployerAccess``), in the regions of its
memberships, their rosters and its staff's compliance (``named_groups_q``, ``employer_staff``) — no count
of the region, no other employer's group, nobody else.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404

from fangkong.accounts.access import get_in_scope_or_404
from fangkong.accounts.need_to_know import (
    Category,
    Reach,
    may_read,
    prefixes_q,
    read_prefixes,
    readable,
    readable_or_404,
)
from fangkong.regions.codes import covers, subtree_prefix

from .models import (
    Compliance,
    EmployerAccess,
    GroupFrequency,
    KeyGroup,
    KeyTest,
    RosterEntry,
    TestingRule,
    WorkplaceFlag,
)

SCOPE = "region__code"


def rule_in_force(population: str, region_code: str, day: dt.date) -> TestingRule | None:
    """The rule for ``population`` in force on ``day`` in ``region_code``: the latest in force there (a
    local rule of a region covering it, or a national one); between two equally recent, the local one."""
    candidates = [rule for rule in TestingRule.objects.filter(population=population, effective_from__lte=day)
                  .select_related("edition")
                  if not rule.region or covers(rule.region, region_code)]
    if not candidates:
        return None
    return max(candidates, key=lambda rule: (rule.effective_from, len(rule.region)))


def active_on(day: dt.date, prefix: str = "") -> Q:
    """Roster memberships in force on ``day``."""
    return Q(**{f"{prefix}start__lte": day}) & (Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gte": day}))


def holds_on(day: dt.date) -> Q:
    """Compliance rows of the stretches not ended before ``day`` (the one holding it, and any later)."""
    return Q(stretch_until__isnull=True) | Q(stretch_until__gte=day)


def overdue_q(day: dt.date, person: str = "person") -> Exists:
    """The person (``person``: the outer query's path to its id) is overdue on ``day``: the stretch holding
    ``day`` was due before it (a later stretch's due day is after it). Read from the stored rows, nothing
    recomputed."""
    return Exists(Compliance.objects.filter(holds_on(day), person=OuterRef(person), next_due_on__lt=day))


def compliance_of(person_ids, day: dt.date) -> dict[int, Compliance]:
    """Per person, the compliance shown on ``day``: of the stretches not ended before it, the one due first
    (the stretch holding ``day``, or the next) — one query."""
    found: dict[int, Compliance] = {}
    rows = Compliance.objects.filter(holds_on(day), person_id__in=set(person_ids)).order_by(
        "person_id", F("next_due_on").asc(nulls_last=True), "stretch_from")
    for row in rows:
        found.setdefault(row.person_id, row)
    return found


def group_list(*, user, day: dt.date) -> QuerySet[KeyGroup]:
    """The groups in the reader's regions with their members and overdue members on ``day``."""
    overdue = overdue_q(day, "roster__person")
    return readable(user, Category.AGGREGATES, KeyGroup.objects.select_related("region", "place"), SCOPE).annotate(
        members=Count("roster", filter=active_on(day, "roster__"), distinct=True),
        overdue=Count("roster", filter=active_on(day, "roster__") & Q(overdue), distinct=True))


def named_groups_q(user, prefix: str = "") -> Q:
    """The groups whose named data (rosters, tests, compliance) the user may read: region-wide readers' in
    their regions; an enterprise contact's own employers' groups in the regions of its memberships
    (``Reach.OWN_ENTERPRISES``). ``prefix``: the path to the group (``"group__"`` from a roster entry)."""
    q = prefixes_q(f"{prefix}region__code", read_prefixes(user, Category.NAMED))
    own = read_prefixes(user, Category.NAMED, Reach.OWN_ENTERPRISES)
    codes = employer_codes(user) if own else []
    if codes:
        q |= prefixes_q(f"{prefix}region__code", own) & Q(**{f"{prefix}employer_code__in": codes})
    return q


def reach_of(user, group: KeyGroup) -> str:
    """The reach at which the user reads ``group``'s persons (the group came through ``named_groups_q``)."""
    return Reach.REGION if may_read(user, Category.NAMED, group.region_id) else Reach.OWN_ENTERPRISES


def group_get(*, user, group_id: int, category: str = Category.AGGREGATES) -> KeyGroup:
    """One group: its counts (aggregates, region-wide readers) or its named data (``named_groups_q``); 404
    outside — the same answer whether the group exists or not."""
    groups = KeyGroup.objects.select_related("region", "place")
    if category == Category.NAMED:
        return get_in_scope_or_404(user, groups.filter(named_groups_q(user)), SCOPE, pk=group_id)
    return readable_or_404(user, category, groups, SCOPE, pk=group_id)


def frequencies_of(group: KeyGroup) -> QuerySet[GroupFrequency]:
    return group.frequencies.select_related("rule", "rule__edition").order_by("effective_from")


def roster_of(*, user, group_id: int) -> QuerySet[RosterEntry]:
    """The memberships of a group the reader may read named data of (404 otherwise)."""
    group = group_get(user=user, group_id=group_id, category=Category.NAMED)
    return RosterEntry.objects.filter(group=group).select_related("person", "group").order_by("person__name", "id")


def with_compliance(entries, day: dt.date) -> list[tuple[RosterEntry, Compliance | None]]:
    """The memberships (a page's rows) with each person's compliance on ``day`` (``compliance_of``), in one
    query."""
    rows = list(entries)
    found = compliance_of([entry.person_id for entry in rows], day)
    return [(entry, found.get(entry.person_id)) for entry in rows]


def roster_rows(*, user, group_id: int, day: dt.date, limit: int = 500) -> list[tuple[RosterEntry, Compliance | None]]:
    """The group's members on ``day`` with their compliance (at most ``limit``, overdue first)."""
    entries = roster_of(user=user, group_id=group_id).filter(active_on(day)).order_by("person__name", "id")
    rows = with_compliance(entries[:limit], day)
    return sorted(rows, key=lambda row: (row[1] is None or row[1].next_due_on is None or row[1].next_due_on >= day,))


def overdue_entries(*, user, day: dt.date, group: int | None = None, employer: str = "", place: int | None = None,
                    region: str = "") -> QuerySet[RosterEntry]:
    """Memberships in force on ``day`` of persons overdue on ``day`` (their due day passed), in the groups
    whose named data the reader may read, narrowed by group, employer (credit code), place or region."""
    rows = readable(user, Category.NAMED, RosterEntry.objects.all(), "group__region__code").filter(
        active_on(day)).filter(overdue_q(day))
    if group:
        rows = rows.filter(group_id=group)
    if employer:
        rows = rows.filter(group__employer_code=employer)
    if place:
        rows = rows.filter(group__place_id=place)
    if region:
        rows = rows.filter(group__region__code__startswith=subtree_prefix(region))
    return rows.select_related("person", "group").order_by("group_id", "person_id")


#: How long a flagged workplace is marked on the list of groups.
FLAG_SHOWN = dt.timedelta(days=14)


def flags_of(group: KeyGroup, limit: int = 20) -> QuerySet[WorkplaceFlag]:
    """The group's workplace flags, latest first (the group came through the reader's named scope)."""
    return WorkplaceFlag.objects.filter(group=group).select_related("test", "place")[:limit]


def flagged_groups(group_ids: list[int], day: dt.date) -> set[int]:
    """Of these groups, those flagged for a positive sampled in the fortnight up to ``day`` (a marker, no
    person)."""
    return set(WorkplaceFlag.objects.filter(group_id__in=group_ids, test__sampled_on__gt=day - FLAG_SHOWN,
                                            test__sampled_on__lte=day).values_list("group_id", flat=True))


def tests_of(*, user, group_id: int, limit: int = 200) -> QuerySet[KeyTest]:
    group = group_get(user=user, group_id=group_id, category=Category.NAMED)
    return KeyTest.objects.filter(group=group).select_related("person", "case")[:limit]


# --- an employer's own staff --------------------------------------------------------------------------------


def employer_codes(user) -> list[str]:
    """The employers the account acts for (``EmployerAccess``; never an empty code)."""
    if user is None or not user.is_authenticated:
        return []
    return sorted(EmployerAccess.objects.filter(user=user).exclude(employer_code="")
                  .values_list("employer_code", flat=True))


#: The order of an employer's staff, overdue first: the next due day (none last), the group, the membership.
EMPLOYER_ORDER = ("due", "group_id", "id")


def employer_staff(*, user, day: dt.date, employer: str = "") -> QuerySet[RosterEntry]:
    """The staff of the reader's employers (``employer``: one of them) on the rosters in force on ``day``,
    each with its next due day (``due``), to be paged in ``EMPLOYER_ORDER`` (``fangkong.paging``) — only for
    an account acting for that employer, in the groups whose named data it may read (404 for an employer it
    does not act for: the same answer whether the employer exists or not). Read through the index on the
    groups' ``employer_code`` and the rosters' group; the due day per row by the compliance's key."""
    codes = employer_codes(user)
    if employer and employer not in codes:
        raise Http404("not found")
    due = (Compliance.objects.filter(holds_on(day), person=OuterRef("person_id"))
           .order_by(F("next_due_on").asc(nulls_last=True), "stretch_from").values("next_due_on")[:1])
    return (RosterEntry.objects.filter(named_groups_q(user, "group__"),
                                       group__employer_code__in=[employer] if employer else codes)
            .filter(active_on(day)).annotate(due=Subquery(due)).select_related("person", "group"))


# --- the dashboard panel ------------------------------------------------------------------------------------


def compliance_by_city(*, user, code: str, day: dt.date) -> list[dict]:
    """Per city and population in the region ``code``: members on ``day``, overdue, share on time."""
    from fangkong.regions.codes import city_code
    from fangkong.regions.models import Region

    rows: dict[tuple[str, str], dict] = {}
    groups = group_list(user=user, day=day).filter(region__code__startswith=subtree_prefix(code))
    for group in groups:
        key = (city_code(group.region_id), group.population)
        row = rows.setdefault(key, {"city": key[0], "population": group.get_population_display(), "groups": 0,
                                    "members": 0, "overdue": 0})
        row["groups"] += 1
        row["members"] += group.members
        row["overdue"] += group.overdue
    names = dict(Region.objects.filter(code__in={city for city, _p in rows}).values_list("code", "name_zh"))
    for row in rows.values():
        row["city_name"] = names.get(row["city"], row["city"])
        row["on_time"] = round(100 * (row["members"] - row["overdue"]) / row["members"]) if row["members"] else None
    return [rows[key] for key in sorted(rows)]


def panel_context(request, code: str) -> dict:
    """The dashboard panel (``dashboard_panels``): compliance per city and population on the user's day."""
    from fangkong.web.day import chosen_day

    day = chosen_day(request)
    rows = compliance_by_city(user=request.user, code=code, day=day)
    return {"keypop_rows": rows, "keypop_day": day, "keypop_overdue": sum(row["overdue"] for row in rows)}
