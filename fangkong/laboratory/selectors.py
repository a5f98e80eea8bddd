"""Reads of the laboratory module, always scoped.

- Laboratories, rounds and pools (tube codes, sizes, results, counts: aggregates): the user's region subtree.
- Persons — pool members and specimens of persons — for readers of named data region-wide, and for a
  laboratory's staff the persons of **its own samples** (``Reach.OWN_SAMPLES``,
  ``fangkong.accounts.need_to_know``): the members of its pools and the subjects of its specimens, within
  the regions of its laboratory memberships — nothing else of any person.
- Goods lots and their paths (places and enterprises: no person): a lot is read where it was recorded and
  wherever it passed (a stop's region) — a county sees the lots that touched it.
- Investigations of positive goods and environment specimens: read where they were opened and, for a lot,
  wherever it passed; the persons exposed (``exposed_persons``) are read through the key-populations and
  places modules' scoped reads with the reader's own rights, so each reader lists the persons of their area.
"""

from __future__ import annotations

from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from fangkong.accounts.access import get_in_scope_or_404, scoped
from fangkong.accounts.need_to_know import Category, Reach, prefixes_q, read_prefixes

from .models import (
    GoodsLot,
    Investigation,
    Laboratory,
    LotStop,
    Outcome,
    Pool,
    PoolMember,
    Result,
    ScreeningRound,
    Specimen,
)

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


def _touched_q(user, prefix: str = "") -> Q:
    """Lots recorded in the user's scope or that passed through it (a stop's region)."""
    from fangkong.accounts.access import scope_prefixes

    prefixes = scope_prefixes(user)
    if not prefixes:
        return Q(pk__in=[])
    stops = LotStop.objects.filter(prefixes_q("region__code", prefixes)).values("lot_id")
    return prefixes_q(f"{prefix}region__code", prefixes) | Q(**{f"{prefix}pk__in": stops})


def goods_lot_list(*, user) -> QuerySet[GoodsLot]:
    """The goods lots recorded in the user's scope or that passed through it."""
    return GoodsLot.objects.filter(_touched_q(user)).select_related("region").defer("region__geometry")


def goods_lot_get(*, user, lot_id: int) -> GoodsLot:
    """One lot the user may read (``goods_lot_list``), or 404 (audited as a refusal)."""
    return get_in_scope_or_404(user, goods_lot_list(user=user), SCOPE, within=[""], pk=lot_id)


def lot_path(lot: GoodsLot) -> list[tuple[LotStop, int]]:
    """The lot's stops as its tree from the port — each with its depth — in arrival order within a level: the
    places and enterprises it touched, everyone downstream of the port."""
    stops = list(lot.stops.select_related("place", "enterprise", "region").defer(
        "region__geometry").order_by("arrived_at", "id"))
    children: dict[int | None, list[LotStop]] = {}
    for stop in stops:
        children.setdefault(stop.upstream_id, []).append(stop)
    ordered: list[tuple[LotStop, int]] = []

    def walk(parent, depth):
        for stop in children.get(parent, ()):
            ordered.append((stop, depth))
            walk(stop.pk, depth + 1)

    walk(None, 0)
    return ordered


def investigation_list(*, user) -> QuerySet[Investigation]:
    """Investigations opened in the user's scope, or of a lot that passed through it."""
    from fangkong.accounts.access import scope_prefixes

    q = prefixes_q("region__code", scope_prefixes(user)) | (
        Q(specimen__goods_lot__isnull=False) & _touched_q(user, "specimen__goods_lot__"))
    return Investigation.objects.filter(q).select_related("specimen__goods_lot", "specimen__place", "region") \
        .defer("region__geometry").distinct()


def investigation_get(*, user, investigation_id: int) -> Investigation:
    return get_in_scope_or_404(user, investigation_list(user=user), SCOPE, within=[""], pk=investigation_id)


#: Persons exposed to a place sampled positive: those there in the days before the sampling (an incubation).
EXPOSURE_DAYS = 14
EXPOSED_SHOWN = 500


def exposure_sites(investigation: Investigation) -> tuple[list[tuple[int, object, object]], list[str]]:
    """Where and when the positive sample's subject was: ``[(place id, from, until)]`` — the places of the
    lot's stops (and of their enterprises) while the lot was there, or the place sampled over the
    ``EXPOSURE_DAYS`` before — and the enterprises whose staff handled it (credit codes: the owner's and the
    stops')."""
    import datetime as dt

    specimen = investigation.specimen
    if specimen.goods_lot_id is None:
        until = specimen.sampled_at
        return [(specimen.place_id, until - dt.timedelta(days=EXPOSURE_DAYS), until)], []
    lot = specimen.goods_lot
    sites, codes = [], {lot.owner_credit_code}
    for stop in lot.stops.select_related("enterprise"):
        until = stop.left_at or max(specimen.sampled_at, stop.arrived_at)
        places = {stop.place_id} if stop.place_id else set()
        if stop.enterprise_id:
            codes.add(stop.enterprise.credit_code)
            places |= set(stop.enterprise.places.values_list("pk", flat=True))
        sites.extend((place, stop.arrived_at, until) for place in sorted(places))
    return sites, sorted(c for c in codes if c)


def exposed_persons(*, user, investigation: Investigation) -> dict:
    """The persons exposed to the investigation's positive sample that the user may read as named data:
    the **workers** — on the rosters (``fangkong.keypopulations``) of the places it was at or of the
    enterprises that handled it, in force on the day of the sampling — and the **co-visitors** of those places
    while it was there (venue-code scans, ``fangkong.places.selectors.scan_list``). Read-only, through the
    other modules' scoped reads with the user's rights: each reader lists the persons of their own area. The
    first ``EXPOSED_SHOWN`` of each, and how many in all."""
    from django.utils import timezone

    from fangkong.keypopulations.models import RosterEntry
    from fangkong.keypopulations.selectors import active_on, named_groups_q
    from fangkong.places.selectors import scan_list

    sites, codes = exposure_sites(investigation)
    day = timezone.localtime(investigation.specimen.sampled_at).date()
    places = sorted({place for place, _from, _until in sites})
    at_work = Q(group__place_id__in=places) | Q(group__employer_code__in=codes) if codes else \
        Q(group__place_id__in=places)
    workers = (RosterEntry.objects.filter(named_groups_q(user, "group__")).filter(at_work).filter(active_on(day))
               .select_related("person", "group", "group__place").order_by("person_id", "id"))
    visits = Q(pk__in=[])
    for place, since, until in sites:
        visits |= Q(place_id=place, scanned_at__gte=since, scanned_at__lte=until)
    visitors = scan_list(user=user).filter(visits).select_related("person", "place").order_by("scanned_at", "id")
    return {"workers": list(workers[:EXPOSED_SHOWN]), "workers_total": workers.count(),
            "visitors": list(visitors[:EXPOSED_SHOWN]), "visitors_total": visitors.count(),
            "places": len(places), "enterprises": codes}


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


#: Throat swabs one sampler takes in a day: a planning ratio (about one a minute over an eight-hour shift).
SWABS_PER_SAMPLER_DAY = 480


def round_needs(screening: ScreeningRound, plan) -> dict:
    """What a round's plan needs: test kits — one per expected test, the pooled tubes and the single re-tests —
    in all and spread evenly over its sampling days, and samplers each day to swab its population over those
    days (``SWABS_PER_SAMPLER_DAY``)."""
    from math import ceil

    return {"kits": plan.expected_tests, "kits_per_day": plan.expected_tests / screening.days,
            "samplers": ceil(screening.population / screening.days / SWABS_PER_SAMPLER_DAY)}


def round_resources(*, user, screening: ScreeningRound, plan) -> dict:
    """What the round's plan needs of its city's resources (``round_needs``), against what
    ``fangkong.resources`` holds (read through its selectors with the reader's rights): the test kits against
    the kits on hand in the city's stores, the samplers a day against the city's sampling teams available on
    the round's first day."""
    from django.db.models import Sum

    from fangkong.regions.codes import city_code, subtree_prefix
    from fangkong.resources.selectors import available_on, stock_list, team_list

    prefix = subtree_prefix(city_code(screening.county_id))
    kits = stock_list(user=user).filter(region__code__startswith=prefix, item="test_kits") \
        .aggregate(n=Sum("quantity"))["n"] or 0
    teams = list(team_list(user=user).filter(region__code__startswith=prefix, skill="sampling"))
    samplers = sum(available_on(user=user, teams=teams, day=screening.starts_on).values())
    needed = round_needs(screening, plan)
    return {"kits_needed": needed["kits"], "kits_on_hand": kits, "kits_short": max(0, needed["kits"] - kits),
            "samplers_needed": needed["samplers"], "samplers_available": samplers,
            "samplers_short": max(0, needed["samplers"] - samplers)}


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


def person_results_of(results: QuerySet[Result]) -> list[QuerySet]:
    """What ``results`` (just recorded) say of persons, for the modules that await them
    (``fangkong.modules.person_results_hand_over``): rows of ``person_id``, ``sampled_on`` (the local day of
    sampling) and ``outcome`` — a person's single specimen with its own outcome; every member of a negative
    pool negative on the pool's day (a positive or inconclusive pool says nothing of one member: its singles
    will). Read unscoped: the receivers act on their own records only."""
    tz = timezone.get_current_timezone()
    singles = Specimen.objects.filter(result__in=results, person__isnull=False).annotate(
        sampled_on=TruncDate("sampled_at", tzinfo=tz), outcome=F("result__outcome")).values(
        "person_id", "sampled_on", "outcome")
    members = PoolMember.objects.filter(pool__result__in=results.filter(outcome=Outcome.NEGATIVE)).annotate(
        sampled_on=TruncDate("pool__sampled_at", tzinfo=tz), outcome=Value(Outcome.NEGATIVE)).values(
        "person_id", "sampled_on", "outcome")
    return [singles, members]
