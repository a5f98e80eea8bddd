"""Reads of the laboratory module, always scoped.

- Laboratories, rounds and pools (tube codes, sizes, results, counts: aggregates): the user's region subtree.
- Persons — pool members and specimens of persons — for readers of named data region-wide, and for a
  laboratory's staff the persons of **its own samples** (``Reach.OWN_SAMPLES``,
  ``fangkong.accounts.need_to_know``): the members of its pools and the subjects of its specimens, within
  the regions of its laboratory memberships — nothing else of any person.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from fangkong.accounts.access import get_in_scope_or_404, scoped
from fangkong.accounts.need_to_know import Category, Reach, prefixes_q, read_prefixes

from .models import GoodsLot, Laboratory, Pool, PoolMember, Result, ScreeningRound, Specimen

SCOPE = "region__code"
PANEL_ROUNDS = 8  # the dashboard panel's latest rounds


def laboratory_list(*, user) -> QuerySet[Laboratory]:
    return scoped(user, Laboratory.objects.select_related("region").defer("region__geometry"), SCOPE)


def laboratory_get(*, user, laboratory_id: int) -> Laboratory:
    return get_in_scope_or_404(user, Laboratory.objects.select_related("region").defer("region__geometry"), SCOPE,
                               pk=laboratory_id)


def own_laboratories(user) -> QuerySet[Laboratory]:
    """The laboratories whose staff the user is, in the regions where it reads its own samples."""
    prefixes = read_prefixes(user, Category.NAMED, Reach.OWN_SAMPLES)
    if not prefixes:
        return Laboratory.objects.none()
    return Laboratory.objects.filter(prefixes_q("region__code", prefixes), staff=user)


def round_list(*, user) -> QuerySet[ScreeningRound]:
    return scoped(user, ScreeningRound.objects.select_related("county").defer("county__geometry"), "county__code")


def round_get(*, user, round_id: int) -> ScreeningRound:
    return get_in_scope_or_404(user, ScreeningRound.objects.select_related("county").defer("county__geometry"),
                               "county__code", pk=round_id)


def pool_list(*, user, screening: ScreeningRound | None = None) -> QuerySet[Pool]:
    rows = scoped(user, Pool.objects.select_related("laboratory", "result"), SCOPE)
    return rows.filter(round=screening) if screening is not None else rows


def pool_get(*, user, pool_id: int) -> Pool:
    return get_in_scope_or_404(user, Pool.objects.select_related("laboratory", "round"), SCOPE, pk=pool_id)


def _persons_q(user, person_field: str, lab_field: str) -> Q:
    """Rows whose person the user may read: named readers region-wide, a laboratory's staff its own samples."""
    q = prefixes_q(f"{person_field}__address_region__code", read_prefixes(user, Category.NAMED))
    own = own_laboratories(user)
    if own.exists():
        q |= Q(**{f"{lab_field}__in": own.values("pk")})
    return q


def may_see_persons(user) -> bool:
    return bool(read_prefixes(user, Category.NAMED) or read_prefixes(user, Category.NAMED, Reach.OWN_SAMPLES))


def member_list(*, user, pool: Pool) -> QuerySet[PoolMember]:
    """The members of a pool whose persons the user may read (none for the others)."""
    return PoolMember.objects.filter(_persons_q(user, "person", "pool__laboratory"), pool=pool) \
        .select_related("person").order_by("id")


def controlled_members(*, user, person) -> QuerySet[PoolMember]:
    """The temporary controls of a person the user may read (the person page's flag)."""
    return PoolMember.objects.filter(_persons_q(user, "person", "pool__laboratory"), person=person,
                                     controlled_at__isnull=False, released_at__isnull=True).select_related("pool__result")


def specimen_list(*, user) -> QuerySet[Specimen]:
    """Specimens in view: of persons, as ``_persons_q``; of goods and places, the user's region subtree."""
    things = scoped(user, Specimen.objects.exclude(subject=Specimen.Subject.PERSON), SCOPE).values("pk")
    persons = Specimen.objects.filter(_persons_q(user, "person", "laboratory"),
                                      subject=Specimen.Subject.PERSON).values("pk")
    return Specimen.objects.filter(Q(pk__in=things) | Q(pk__in=persons)) \
        .select_related("laboratory", "person", "goods_lot", "place", "result")


def specimen_get(*, user, specimen_id: int) -> Specimen:
    return get_in_scope_or_404(user, specimen_list(user=user), SCOPE, pk=specimen_id)


def result_list(*, user) -> QuerySet[Result]:
    return scoped(user, Result.objects.select_related("pool", "specimen", "laboratory"), "laboratory__region__code")


def goods_lot_list(*, user) -> QuerySet[GoodsLot]:
    return scoped(user, GoodsLot.objects.all(), SCOPE)


def own_sample_persons(user) -> QuerySet:
    """Ids of the persons of the user's laboratories' samples (``Reach.OWN_SAMPLES``)."""
    own = own_laboratories(user).values("pk")
    from fangkong.persons.models import Person

    return Person.objects.filter(Q(pk__in=PoolMember.objects.filter(pool__laboratory__in=own).values("person_id"))
                                 | Q(pk__in=Specimen.objects.filter(laboratory__in=own).values("person_id"))) \
        .values("pk")


def round_progress(screening: ScreeningRound) -> dict:
    """The round's progress from its tally (no count over its pools) and its open positive pools."""
    from fangkong.epi.pooling import screening_plan

    plan = screening_plan(screening.population, screening.expected_prevalence, screening.pool_sizes)
    pending = screening.pools_sampled - screening.pools_tested
    flagged = Pool.objects.filter(round=screening, result__outcome__in=("positive", "inconclusive")) \
        .select_related("laboratory", "result").order_by("resolution", "-sampled_at", "-id")
    return {"plan": plan, "pending": pending, "flagged": flagged[:100],
            "share_sampled": round(100 * screening.persons_sampled / screening.population, 1)
            if screening.population else 0}


def panel_context(request, code: str) -> dict:
    """The dashboard panel (``dashboard_panels``): the mass-screening rounds of the region's subtree begun by
    the user's day, each from its own tally (sampled, tested, positive, inconclusive, resolved pools), and the
    persons of positive pools still under temporary control — in the reader's scope, counts only."""
    from fangkong.regions.codes import subtree_prefix
    from fangkong.web.day import chosen_day

    day = chosen_day(request)
    prefix = subtree_prefix(code)
    rounds = list(round_list(user=request.user).filter(county__code__startswith=prefix, starts_on__lte=day)
                  .order_by("-starts_on", "-id")[:PANEL_ROUNDS])
    controlled = scoped(request.user, PoolMember.objects.filter(
        pool__region__code__startswith=prefix, controlled_at__isnull=False, released_at__isnull=True),
        "pool__region__code").count()
    return {"lab_rounds": rounds, "lab_controlled": controlled, "lab_day": day}


def person_results(person_ids) -> dict[int, list[Specimen]]:
    """The resulted single specimens of each person (not the pools they were in), oldest first, with their
    laboratory and result: what a case report carries as laboratory observations (``fangkong.interop.fhir``).
    Unscoped: the caller has already read the persons' cases by name."""
    found: dict[int, list[Specimen]] = {}
    for specimen in (Specimen.objects.filter(person_id__in=list(person_ids), subject=Specimen.Subject.PERSON,
                                             result__isnull=False)
                     .select_related("laboratory", "result").order_by("sampled_at", "id")):
        found.setdefault(specimen.person_id, []).append(specimen)
    return found
