"""Need to know: the one declaration of which data each role may read and write, and in which part of its region.

Region scope (``fangkong.accounts.access``) says *where* a user acts; this matrix says *what* a role needs
there. Every endpoint declares the category it shows (``@shows``: the least category without which it has
nothing to answer) and is refused — before any view code runs — to a role that may not read it; every
selector reads through ``readable`` / ``readable_or_404`` for the category of its rows; and every page,
serializer and export shows a person only through ``person_shown``, which gives each role the fields of
its category and nothing more. The README's table is this matrix.

Categories, from the least to the most personal:

- ``reference``: the region tree, protocol editions, indicator definitions — no data about anyone.
- ``aggregates``: counts, rates, series and signals by region, day or sentinel site; risk areas; bulletins.
- ``pseudonymised``: line lists without name, citizen ID, phone, address or birth date: a row per case or
  contact with its number, sex, age band, region and dates.
- ``named``: line lists with names, birth dates, addresses and *masked* identifiers (``person_shown``).
- ``identifiers``: citizen IDs and phone numbers in clear (an audited reveal or unmasked export).
- ``audit``: the audit trail: who did what to which object — cases and contacts named by their numbers,
  persons by row id only.

Reach, the part of the region a grant covers:

- ``region``: the membership's whole region subtree;
- ``own_sites``: the sentinel sites the user reports for (``SentinelSite.reporters``);
- ``own_samples``: the persons of the laboratory's own samples — **no samples module yet: resolves to
  nothing**, so a laboratory sees no person at all for now;
- ``assigned_sites``: the persons assigned to the quarantine sites the manager manages
  (``fangkong.resources``: ``QuarantineSite.managers``, the site's open and past room assignments). Only
  the resources module's selectors serve it: everywhere else a quarantine-site manager reads aggregates
  only, and contacts' quarantine and release are recorded by epidemiologists and commanders.
- ``home_monitored``: the persons under home health monitoring who live in the community worker's region
  (``fangkong.followup``: persons under management whose address lies there and who are not placed in a
  quarantine site). Only the follow-up module's selectors serve it.
- ``own_enterprises``: the persons on the rosters of the employers the user acts for — the key-population
  groups (``fangkong.keypopulations``) whose employer's unified social credit code the account holds
  (``EmployerAccess``); the enterprises module, when it exists, will add its contacts to the same reach.
  Only the endpoints that declare it serve it: every other one refuses an enterprise contact.

Writes are capabilities: each module declares, with each capability it grants, the category it writes
(``fangkong.modules.CapabilityGrant.category``), and a test keeps every role's capabilities within its
``writes`` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.roles import Capability, Role
from fangkong.regions.codes import covers, subtree_prefix


class Category:
    REFERENCE = "reference"
    AGGREGATES = "aggregates"
    PSEUDONYMISED = "pseudonymised"
    NAMED = "named"
    IDENTIFIERS = "identifiers"
    AUDIT = "audit"


#: Person data, from the least to the most: a grant of one includes the ones before it.
PERSON_LEVELS = (Category.PSEUDONYMISED, Category.NAMED, Category.IDENTIFIERS)


class Reach:
    REGION = "region"
    OWN_SITES = "own_sites"
    OWN_SAMPLES = "own_samples"
    ASSIGNED_SITES = "assigned_sites"
    HOME_MONITORED = "home_monitored"
    OWN_ENTERPRISES = "own_enterprises"


#: Reaches that only a module can answer (its rows say whose persons are whose: a laboratory's samples, a
#: site's rooms). The module declares that it serves one (``ModuleConfig.served_reaches``); until an installed
#: module does, the reach is pending: it resolves to no rows, and no endpoint serves it.
MODULE_REACHES = frozenset({Reach.OWN_SAMPLES, Reach.ASSIGNED_SITES, Reach.HOME_MONITORED, Reach.OWN_ENTERPRISES})


def pending_reaches() -> frozenset[str]:
    """The module reaches no installed module serves yet (``fangkong.modules.served_reaches``)."""
    from fangkong.modules import served_reaches

    return MODULE_REACHES - served_reaches()


@dataclass(frozen=True)
class Grant:
    reads: dict[str, str]   # category -> reach
    writes: dict[str, str]  # category -> reach


R = Reach.REGION
NEED_TO_KNOW: dict[str, Grant] = {
    Role.PROVINCIAL_COMMANDER: Grant(
        reads={Category.REFERENCE: R, Category.AGGREGATES: R, Category.PSEUDONYMISED: R, Category.NAMED: R,
               Category.IDENTIFIERS: R},
        writes={Category.AGGREGATES: R, Category.NAMED: R}),
    Role.LOCAL_COMMANDER: Grant(
        reads={Category.REFERENCE: R, Category.AGGREGATES: R, Category.PSEUDONYMISED: R, Category.NAMED: R,
               Category.IDENTIFIERS: R},
        writes={Category.AGGREGATES: R, Category.NAMED: R}),
    Role.EPIDEMIOLOGIST: Grant(
        reads={Category.REFERENCE: R, Category.AGGREGATES: R, Category.PSEUDONYMISED: R, Category.NAMED: R,
               Category.IDENTIFIERS: R},
        writes={Category.AGGREGATES: R, Category.NAMED: R}),
    Role.SENTINEL_REPORTER: Grant(
        reads={Category.REFERENCE: R, Category.AGGREGATES: Reach.OWN_SITES},
        writes={Category.AGGREGATES: Reach.OWN_SITES}),
    Role.QUARANTINE_MANAGER: Grant(
        reads={Category.REFERENCE: R, Category.AGGREGATES: R, Category.NAMED: Reach.ASSIGNED_SITES},
        writes={Category.NAMED: Reach.ASSIGNED_SITES}),
    # the community worker (社区工作者) records the daily checks of persons under home monitoring in its street or
    # county (fangkong.followup): their names there, nothing else named anywhere
    Role.COMMUNITY_WORKER: Grant(
        reads={Category.REFERENCE: R, Category.AGGREGATES: R, Category.NAMED: Reach.HOME_MONITORED},
        writes={Category.NAMED: Reach.HOME_MONITORED}),
    # places and their inspections are aggregates: the inspector records them (fangkong.places), no person data
    Role.INSPECTOR: Grant(reads={Category.REFERENCE: R, Category.AGGREGATES: R}, writes={Category.AGGREGATES: R}),
    Role.LABORATORY: Grant(
        reads={Category.REFERENCE: R, Category.AGGREGATES: R, Category.NAMED: Reach.OWN_SAMPLES},
        writes={Category.NAMED: Reach.OWN_SAMPLES}),
    Role.ANALYST: Grant(
        reads={Category.REFERENCE: R, Category.AGGREGATES: R, Category.PSEUDONYMISED: R}, writes={}),
    Role.SYSTEM_ADMINISTRATOR: Grant(
        reads={Category.REFERENCE: R, Category.AGGREGATES: R, Category.AUDIT: R},
        writes={Category.REFERENCE: R}),
    # an employer's contact: which of its own staff are overdue for their test (named: it must tell them by
    # name), no figure of the region, nothing of anyone else; it keeps its own staff's rosters
    Role.ENTERPRISE_CONTACT: Grant(
        reads={Category.REFERENCE: R, Category.NAMED: Reach.OWN_ENTERPRISES},
        writes={Category.NAMED: Reach.OWN_ENTERPRISES}),
}

#: Capabilities that are reads of a category (a role holds one only where its ``reads`` grant the category).
READ_CAPABILITIES = frozenset({Capability.PERSON_REVEAL, Capability.PERSON_EXPORT_CLEAR, Capability.AUDIT_BROWSE})


def _includes(granted: dict[str, str], category: str) -> str | None:
    """The reach of ``category`` in a grant; a person level includes the levels below it."""
    pending = pending_reaches()
    if category in PERSON_LEVELS:
        for level in PERSON_LEVELS[PERSON_LEVELS.index(category):]:
            if level in granted and granted[level] not in pending:
                return granted[level]
        return None
    reach = granted.get(category)
    return reach if reach not in pending else None


def role_reach(role: str, category: str) -> str | None:
    """The reach at which ``role`` reads ``category`` now (None: not at all, or through a pending reach only)."""
    grant = NEED_TO_KNOW.get(role)
    return _includes(grant.reads, category) if grant else None


def reaches(user, category: str) -> list[tuple[str, str]]:
    """(region code, reach) of each of the user's memberships that may read ``category``."""
    from fangkong.accounts.access import memberships_of

    found = []
    for code, role in memberships_of(user):
        reach = role_reach(role, category)
        if reach:
            found.append((code, reach))
    return found


def may_read(user, category: str, region_code: str | None = None, *, reach: str = Reach.REGION) -> bool:
    """Whether the user may read ``category`` (at ``reach``; in ``region_code`` when given)."""
    return any(r == reach and (region_code is None or covers(code, region_code))
               for code, r in reaches(user, category))


def read_prefixes(user, category: str, reach: str = Reach.REGION) -> list[str]:
    """The code prefixes of the regions where the user may read ``category`` at ``reach``."""
    prefixes = sorted({subtree_prefix(code) for code, r in reaches(user, category) if r == reach})
    return [p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)]


def prefixes_q(field: str | Sequence[str], prefixes) -> Q:
    """The condition that a region code (``field``, or any of several fields) begins with one of ``prefixes``
    (region-code prefixes, ``regions.codes.subtree_prefix``); no prefix: no row. The one way the platform
    writes "in one of these regions" as a query condition."""
    fields = (field,) if isinstance(field, str) else field
    return reduce(or_, (Q(**{f"{name}__startswith": p}) for name in fields for p in prefixes), Q(pk__in=[]))


def readable_q(user, category: str, field: str) -> Q:
    """The condition on a region code (``field``) that selects where the user may read ``category``."""
    return prefixes_q(field, read_prefixes(user, category))


def readable(user, category: str, queryset: QuerySet, field: str) -> QuerySet:
    """The rows of ``queryset`` (region code in ``field``) the user may read as ``category`` region-wide."""
    if not read_prefixes(user, category):
        return queryset.none()
    return queryset.filter(readable_q(user, category, field))


def readable_or_404(user, category: str, queryset: QuerySet, field: str, **lookup):
    """One row the user may read as ``category``, or 404 (audited as a refusal, like any out-of-scope object)."""
    from fangkong.accounts.access import get_in_scope_or_404

    return get_in_scope_or_404(user, queryset, field, within=read_prefixes(user, category), **lookup)


def person_level(user, region_code: str | None, *, reach: str = Reach.REGION) -> str | None:
    """The highest person category the user may read in ``region_code`` at ``reach`` (None: no person data)."""
    for level in reversed(PERSON_LEVELS):
        if region_code and may_read(user, level, region_code, reach=reach):
            return level
    return None


def endpoint_allows(user, declared: Shows) -> bool:
    """Whether the user may open an endpoint declaring ``declared`` at all (the gate before any view)."""
    return any(reach in declared.reaches for _code, reach in reaches(user, declared.category))


def url_opens(user, url_name: str, **kwargs) -> bool:
    """Whether the page named ``url_name`` lets the user in (navigation shows only the pages that do)."""
    from django.urls import resolve, reverse

    declared = shows_of(resolve(reverse(url_name, kwargs=kwargs or None)).func)
    return declared is not None and endpoint_allows(user, declared)


# --- endpoint declarations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shows:
    """What an endpoint shows: the least category it needs, and the reaches its selectors can answer for."""

    category: str
    reaches: frozenset[str] = frozenset({Reach.REGION})


def shows(category: str, *, reaches_served: tuple[str, ...] = (Reach.REGION,)):
    """Declare the category a page shows (``@shows(Category.NAMED)``); the gate refuses roles without it."""
    declared = Shows(category, frozenset(reaches_served))

    def decorate(view):
        view.fangkong_shows = declared
        return view

    return decorate


def shows_of(view_func, method: str = "get") -> Shows | None:
    """The declaration of a view function or an API view. An API view may map its actions to declarations
    (``{"*": Shows(...), "create": Shows(...)}``: ``"*"`` for the actions not named)."""
    declared = getattr(view_func, "fangkong_shows", None)
    cls = getattr(view_func, "view_class", None) or getattr(view_func, "cls", None)
    if declared is None and cls is not None:
        declared = getattr(cls, "fangkong_shows", None)
    if isinstance(declared, dict):
        actions = getattr(view_func, "actions", None) or {}
        action = actions.get(method.lower(), method.lower())
        declared = declared.get(action, declared.get("*"))
    return declared


def api_declaration(view) -> Shows | None:
    """The declaration of a DRF view instance for the action it runs (``fangkong_shows``, maybe per action)."""
    declared = getattr(view, "fangkong_shows", None)
    if isinstance(declared, dict):
        action = getattr(view, "action", None) or view.request.method.lower()
        declared = declared.get(action, declared.get("*"))
    return declared


class NeedToKnowPermission:
    """DRF permission: the API view declares what it shows (per action) and the caller's role may read it."""

    message = _("Your role does not need the data this endpoint shows.")

    def has_permission(self, request, view) -> bool:
        declared = api_declaration(view)
        if declared is None:
            self.message = "This endpoint has not declared what it shows and is closed."
            return False
        return endpoint_allows(request.user, declared)

    def has_object_permission(self, request, view, obj) -> bool:
        return True
