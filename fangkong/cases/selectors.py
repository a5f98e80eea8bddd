"""Every read of the cases app, scoped to the user's regions.

Scope rule (documented in the README of this app and tested for pages, API and exports):

- a case and a cluster are in scope when their *region of report* is; a contact when its *managing
  region* is; a risk area or an exposure when its region is;
- a link that crosses into another region — a case's infector or infectees, a contact's source case, a
  cluster member reported elsewhere — is shown **only as far as the other side is in scope**: when the
  other case is out of the user's scope the user sees its case number and its city (prefecture), never
  its person, dates or details, and it is not a link to a page (its page answers 404 to the user).

Need to know (``fangkong.accounts.need_to_know``): cases, contacts, clusters and exposures are line-list
rows (``pseudonymised`` at least), risk areas and the tracing summary ``aggregates``; which person fields
a row shows is ``need_to_know.person_shown``'s business, never a template's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong import paging
from fangkong.accounts.access import in_scope
from fangkong.accounts.need_to_know import Category, may_read, readable, readable_or_404, readable_q
from fangkong.cases.models import Case, Cluster, Contact, DailyTracing, Exposure, ImportJob, RiskArea
from fangkong.epi import chains
from fangkong.regions.codes import city_code
from fangkong.regions.models import Region

CASE_SCOPE = "report_region__code"
CONTACT_SCOPE = "region__code"

# Each ordering ends with the id: the order is total, so a keyset cursor (``fangkong.cases.paging``) is one
# position. Nullable columns (onset, quarantine) sort last both ways.
CASE_ORDERINGS = {
    "reported": ("reported_at", "id"), "-reported": ("-reported_at", "-id"),
    "onset": ("onset_date", "id"), "-onset": ("-onset_date", "-id"),
    "case_no": ("case_no", "id"), "-case_no": ("-case_no", "-id"),
    "region": ("report_region_id", "-reported_at", "-id"), "-region": ("-report_region_id", "-reported_at", "-id"),
}
CONTACT_ORDERINGS = {
    "listed": ("listed_at", "id"), "-listed": ("-listed_at", "-id"),
    "quarantined": ("quarantined_at", "id"), "-quarantined": ("-quarantined_at", "-id"),
    "contact_no": ("contact_no", "id"), "-contact_no": ("-contact_no", "-id"),
}


@dataclass(frozen=True)
class CaseLink:
    """The other end of a link as the user may see it."""

    case_id: int | None  # None when out of scope: no page to link to
    case_no: str
    city_code: str
    city_name: str
    in_scope: bool
    person_name: str = ""


def _city_names(codes) -> dict[str, str]:
    cities = {city_code(c) for c in codes if c}
    return {r.code: r.name for r in Region.objects.filter(code__in=cities).only("code", "name_zh", "name_en")}


def case_links(user, cases) -> list[CaseLink]:
    """The given linked cases as the user may see them (see the scope rule above)."""
    cases = [c for c in cases if c is not None]
    names = _city_names(c.report_region_id for c in cases)
    links = []
    for c in cases:
        visible = may_read(user, Category.PSEUDONYMISED, c.report_region_id)
        named = may_read(user, Category.NAMED, c.report_region_id)
        city = city_code(c.report_region_id)
        links.append(CaseLink(case_id=c.pk if visible else None, case_no=c.case_no, city_code=city,
                              city_name=names.get(city, city), in_scope=visible,
                              person_name=c.person.name if named else ""))
    return links


def case_link(user, case: Case | None) -> CaseLink | None:
    return case_links(user, [case])[0] if case is not None else None


def case_list(*, user, filters: dict | None = None, ordering: str = "-reported",
              category: str = Category.PSEUDONYMISED) -> QuerySet[Case]:
    """Cases the user may read as ``category`` (a line list by default; ``aggregates`` for a reader that
    only counts them, such as the dashboard, whose rows never leave it); filters: q (case number or name), classification (one, or several separated by
    commas: "confirmed,asymptomatic" are the infections the dashboard counts), detection_route, imported
    ("1"/"0"), late ("1"), region (a code in scope: its subtree), date_from/date_to (report dates),
    onset_from/onset_to (onset dates; a case without onset date is left out when either is given),
    cluster (id), disease (code)."""
    f = filters or {}
    # The regions come without their boundary (GeoJSON): decoding two per row cost more than the query.
    qs = readable(user, category,
                  Case.objects.select_related("person", "disease", "report_region", "residence_region")
                  .defer("report_region__geometry", "residence_region__geometry"), CASE_SCOPE)
    if f.get("q"):
        # by name only where the user may read names: elsewhere a name search would tell who is a case
        qs = qs.filter(Q(case_no__icontains=f["q"]) |
                       (Q(person__name__icontains=f["q"]) & readable_q(user, Category.NAMED, CASE_SCOPE)))
    if f.get("classification"):
        chosen = f["classification"]
        qs = qs.filter(classification__in=chosen if isinstance(chosen, list) else [c.strip() for c in chosen.split(",")])
    if f.get("detection_route"):
        qs = qs.filter(detection_route=f["detection_route"])
    if f.get("disease"):
        qs = qs.filter(disease__code=f["disease"])
    if _flag(f.get("imported")) is not None:
        qs = qs.filter(imported=_flag(f["imported"]))
    if _flag(f.get("late")):
        qs = qs.filter(reported_late=True)
    if f.get("region"):
        qs = qs.filter(report_region__code__startswith=_prefix(f["region"]))
    for name, lookup in (("date_from", "report_date__gte"), ("date_to", "report_date__lte"),
                         ("onset_from", "onset_date__gte"), ("onset_to", "onset_date__lte")):
        day = _date(f.get(name))
        if day:
            qs = qs.filter(**{lookup: day})
    if _id(f.get("cluster")):
        qs = qs.filter(cluster_id=_id(f["cluster"]))
    return paging.ordered(qs, CASE_ORDERINGS.get(ordering, CASE_ORDERINGS["-reported"]))


def case_get(*, user, case_id) -> Case:
    qs = Case.objects.select_related("person", "disease", "report_region", "residence_region", "cluster",
                                     "infector__person", "created_by")
    return readable_or_404(user, Category.PSEUDONYMISED, qs, CASE_SCOPE, pk=case_id)


def case_get_by_no(case_no: str) -> Case | None:
    """Any case by number (for linking an infector across regions); reveals nothing by itself."""
    return Case.objects.select_related("person").filter(case_no=case_no).first()


def case_infectees(*, user, case: Case) -> list[CaseLink]:
    return case_links(user, case.infectees.select_related("person").order_by("reported_at", "id"))


def contact_list(*, user, filters: dict | None = None, ordering: str = "-listed") -> QuerySet[Contact]:
    """Contacts in scope; filters: q (contact number or name), category, status, region, source_case (id),
    date_from/date_to (listing dates)."""
    f = filters or {}
    qs = readable(user, Category.PSEUDONYMISED,
                  Contact.objects.select_related("person", "region", "source_case__person", "protocol")
                  .defer("region__geometry"), CONTACT_SCOPE)
    if f.get("q"):
        qs = qs.filter(Q(contact_no__icontains=f["q"]) |
                       (Q(person__name__icontains=f["q"]) & readable_q(user, Category.NAMED, CONTACT_SCOPE)))
    for name in ("category", "status"):
        if f.get(name):
            qs = qs.filter(**{name: f[name]})
    if f.get("region"):
        qs = qs.filter(region__code__startswith=_prefix(f["region"]))
    if _id(f.get("source_case")):
        qs = qs.filter(source_case_id=_id(f["source_case"]))
    tz = timezone.get_current_timezone()
    for name, lookup, shift in (("date_from", "listed_at__gte", 0), ("date_to", "listed_at__lt", 1)):
        day = _date(f.get(name))
        if day:
            qs = qs.filter(**{lookup: dt.datetime.combine(day + dt.timedelta(days=shift), dt.time(), tz)})
    return paging.ordered(qs, CONTACT_ORDERINGS.get(ordering, CONTACT_ORDERINGS["-listed"]))


def contact_get(*, user, contact_id) -> Contact:
    qs = Contact.objects.select_related("person", "region", "source_case", "protocol", "converted_case",
                                        "via_contact")
    return readable_or_404(user, Category.PSEUDONYMISED, qs, CONTACT_SCOPE, pk=contact_id)


CLUSTER_ORDER = ("-n_cases", "-id")  # the largest first


def cluster_list(*, user) -> QuerySet[Cluster]:
    return readable(user, Category.PSEUDONYMISED, Cluster.objects.select_related("region"), "region__code").annotate(
        n_cases=Count("cases")).order_by(*CLUSTER_ORDER)


def cluster_get(*, user, cluster_id) -> Cluster:
    return readable_or_404(user, Category.PSEUDONYMISED, Cluster.objects.select_related("region"), "region__code",
                           pk=cluster_id)


def import_job_list(*, user) -> QuerySet[ImportJob]:
    """The user's own import jobs (a job is private to whoever submitted it)."""
    if not user.is_authenticated:
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by=user).defer("data")


def import_job_get(*, user, job_id) -> ImportJob:
    job = import_job_list(user=user).filter(pk=job_id).first()
    if job is None:
        raise Http404("not found")
    return job


def exposure_list(*, user, case=None) -> QuerySet[Exposure]:
    qs = readable(user, Category.PSEUDONYMISED, Exposure.objects.select_related("region"), "region__code")
    if case is not None:
        qs = qs.filter(cases=case)
    return qs.order_by("-starts_at", "-id")


def risk_area_list(*, user) -> QuerySet[RiskArea]:
    return readable(user, Category.AGGREGATES, RiskArea.objects.select_related("region"), "region__code")


def risk_area_get(*, user, area_id) -> RiskArea:
    return readable_or_404(user, Category.AGGREGATES, RiskArea.objects.select_related("region"), "region__code",
                           pk=area_id)


def risk_area_last_case(*, user, area: RiskArea) -> dt.date | None:
    """The latest infection counted for lifting the area (None if none): for a whole region, the latest
    report date of a case in the region since the designation; for a compound or building, of the area's
    own infections (``RiskArea.cases``) — cases elsewhere in the county do not hold it."""
    if area.kind != RiskArea.Kind.REGION:
        return case_list(user=user).filter(risk_areas=area).order_by("-report_date") \
            .values_list("report_date", flat=True).first()
    return case_list(user=user, filters={"region": area.region_id, "date_from": area.designated_from},
                     category=Category.AGGREGATES,
                     ordering="-reported").values_list("report_date", flat=True).first()


def _prefix(code: str) -> str:
    from fangkong.regions.codes import is_valid_code, subtree_prefix

    return subtree_prefix(code) if is_valid_code(code) else "x"


def _flag(value) -> bool | None:
    """A yes/no filter: a bool (checked parameters) or "1"/"0" (callers passing text); None when not given."""
    if isinstance(value, bool) or value is None:
        return value
    return {"1": True, "0": False}.get(str(value))


def _id(value) -> int | None:
    """An id filter: an int (checked parameters) or its digits, within 64 bits; None otherwise."""
    text = str(value if value is not None else "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 19 and 0 < int(text) < 2**63 else None


def _date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- clusters: chain graph, timeline and statistics from fangkong.epi.chains --------------------------------


def cluster_chain(*, user, cluster: Cluster) -> dict:
    """Nodes, links, daily timeline and chain statistics of a cluster, as the user may see them.

    Members reported outside the user's scope appear as nodes with only their case number and city, and an
    opaque node id (``x1``, ``x2`` …) instead of their database id.
    """
    rows = list(Case.objects.filter(cluster=cluster).values_list(
        "id", "case_no", "report_region_id", "infector_id", "report_date", "onset_date", "classification",
        "person__name", "imported"))
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    known = set(ids.tolist())
    links = [(r[3], r[0]) for r in rows if r[3] in known]
    index = chains.build_chain_index(ids, [a for a, _ in links], [b for _, b in links])
    gen = {int(index.case_ids[i]): int(index.generation[i]) for i in range(ids.size)}
    offspring = {int(index.case_ids[i]): int(index.offspring[i]) for i in range(ids.size)}
    names = _city_names(r[2] for r in rows)
    nodes = []
    key_of: dict[int, str] = {}
    hidden = 0
    for case_id, case_no, region, _infector, report_date, onset, classification, person, imported in rows:
        visible = may_read(user, Category.PSEUDONYMISED, region)
        city = city_code(region)
        if not visible:
            hidden += 1
        key_of[case_id] = str(case_id) if visible else f"x{hidden}"
        node = {"id": key_of[case_id], "case_no": case_no, "city": names.get(city, city), "in_scope": visible,
                "generation": gen[case_id]}
        if visible:
            node.update({"name": person if may_read(user, Category.NAMED, region) else "", "report_date": report_date.isoformat(),
                         "onset_date": onset.isoformat() if onset else None, "classification": classification,
                         "imported": imported, "offspring": offspring[case_id]})
        nodes.append(node)
    days = sorted({r[4] for r in rows if may_read(user, Category.PSEUDONYMISED, r[2])})
    counts = {d: 0 for d in days}
    for r in rows:
        if may_read(user, Category.PSEUDONYMISED, r[2]):
            counts[r[4]] += 1
    stats = {"cases": len(rows), "links": len(links), "chains": index.n_chains,
             "generations": int(index.generation.max()) + 1 if ids.size else 0}
    counts_off = index.offspring
    if ids.size >= 2:
        fit = chains.fit_offspring_negative_binomial(counts_off)
        stats.update({"offspring_mean": round(fit.r, 2), "offspring_k": round(fit.k, 3) if np.isfinite(fit.k) else None})
    onsets = np.array([np.datetime64(r[5]) if r[5] else np.datetime64("NaT") for r in rows], dtype="datetime64[D]")
    if links:
        serial = index.serial_intervals(onsets)
        serial = serial[np.isfinite(serial)]
        if serial.size:
            stats["serial_interval_mean"] = round(float(serial.mean()), 1)
    return {"nodes": nodes, "links": [{"source": key_of[a], "target": key_of[b]} for a, b in links],
            "timeline": [{"date": d.isoformat(), "cases": counts[d]} for d in days], "stats": stats}


# --- tracing timeliness per region and day --------------------------------------------------------------


@dataclass
class TimelinessRow:
    key: str  # a region code or an ISO date
    label: str
    close_contacts: int
    listed_24h: int
    quarantined: int
    quarantined_24h: int
    new_cases: int
    under_management: int
    secondary_contacts: int = 0
    in_quarantine: int = 0  # of the contacts listed in the period, those in quarantine now

    @staticmethod
    def share(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "close_contacts": self.close_contacts,
                "listed_within_24h": self.share(self.listed_24h, self.close_contacts),
                "quarantined_within_24h": self.share(self.quarantined_24h, self.quarantined),
                "new_cases": self.new_cases,
                "already_under_management": self.share(self.under_management, self.new_cases),
                "secondary_contacts": self.secondary_contacts}


SUMMED = ("close_contacts", "listed_24h", "quarantined", "quarantined_24h", "new_cases", "under_management",
          "secondary_contacts", "in_quarantine")
SUMMARY_SCOPE = "region__code"  # a summary row's region: the contacts' managing region, the cases' of report


def tracing_summary_rows(*, user, region: Region, date_from: dt.date | None = None,
                         date_to: dt.date | None = None) -> QuerySet[DailyTracing]:
    """The daily tracing summary rows (``fangkong.cases.summaries``) in ``region`` and in the user's scope.

    A row's region is the managing region of its contacts and the region of report of its cases — the
    fields the contacts and cases are scoped on — so a user sees the summary of exactly the rows in scope.
    """
    qs = readable(user, Category.AGGREGATES, DailyTracing.objects.filter(region__code__startswith=_prefix(region.code)),
                  SUMMARY_SCOPE)
    if date_from:
        qs = qs.filter(day__gte=date_from)
    if date_to:
        qs = qs.filter(day__lte=date_to)
    return qs


def contacts_in_quarantine(*, user, region: Region) -> int:
    """Contacts (both categories) managed in ``region`` and in scope whose status is quarantined now."""
    return tracing_summary_rows(user=user, region=region).aggregate(n=Sum("in_quarantine"))["n"] or 0


EXPOSURE_LEAD_SAMPLE = 2000


def contacts_managed_on(day: dt.date) -> QuerySet[Contact]:
    """Contacts (any category, every region: the caller scopes them) whose management covers ``day``, by
    their own dates: they had entered quarantine by the end of the day (``quarantined_at``), their release was
    not yet due (``release_due``, the day after the last day of management, is after the day), they had not
    been released early or lost to follow-up by the end of the day (``released_at``), and they had not
    become a case (a converted contact leaves on its case's report date)."""
    end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), timezone.get_current_timezone())
    return Contact.objects.filter(quarantined_at__lt=end_of_day, release_due__gt=day) \
        .filter(Q(released_at__isnull=True) | Q(released_at__gte=end_of_day)) \
        .filter(Q(converted_case__isnull=True) | Q(converted_case__report_date__gt=day))


def exposure_to_report_days(*, user, region: Region, date_from: dt.date, date_to: dt.date) -> int | None:
    """Median days from close contacts' last exposure to their source case's report, over the close contacts
    listed in ``region`` (in scope) between the two dates whose last exposure is known (at most
    ``EXPOSURE_LEAD_SAMPLE`` of them); None when there are none. The protocols count a contact's period
    from that exposure, so the demand projection uses it (``fangkong.epi.projection.DemandParameters``)."""
    rows = readable(user, Category.AGGREGATES,  # only a figure leaves this reader (need to know)
                    Contact.objects.filter(region__code__startswith=_prefix(region.code), category="close",
                                           listed_date__gte=date_from, listed_date__lte=date_to,
                                           exposure_end__isnull=False), CONTACT_SCOPE)
    pairs = list(rows.values_list("exposure_end", "source_case__report_date")[:EXPOSURE_LEAD_SAMPLE])
    if not pairs:
        return None
    return max(0, round(float(np.median([(reported - exposed).days for exposed, reported in pairs]))))


def tracing_timeliness(*, user, region: Region, date_from: dt.date | None = None,
                       date_to: dt.date | None = None) -> dict:
    """Timeliness in ``region`` (in scope) per child region and per day, from the daily tracing summary.

    - listed within 24 h: close contacts listed ≤ 24 h after their source case's report (by listing day);
    - quarantined within 24 h: close contacts quarantined ≤ 24 h after being listed (of those quarantined);
    - already under management: new cases (by report day) that were listed as a contact before their report.
    The per-row flags (``Contact.listed_within_24h``, ``quarantined_within_24h``,
    ``Case.found_under_management``) are set by the services when the rows are written, and the summary
    (``DailyTracing``, one row per leaf region and day) is recomputed for the keys each write touches, so
    this reads a few thousand summary rows instead of every contact.
    Children are the next level down (province → cities → counties/towns) restricted to the user's scope.
    """
    children = [c for c in Region.objects.filter(parent=region).order_by("code").only("code", "name_zh", "name_en")
                if in_scope(user, c.code)]
    rows = tracing_summary_rows(user=user, region=region, date_from=date_from, date_to=date_to)

    def empty(key: str, label: str) -> TimelinessRow:
        return TimelinessRow(key, label, 0, 0, 0, 0, 0, 0)

    # One grouped read of the summary (child region × day, summed in the database: a few thousand rows at
    # province scale); totals, children and days are summed from it.
    total = empty(region.code, region.name)
    length = len(_prefix(children[0].code)) if children else 0
    by_region = {_prefix(ch.code): empty(ch.code, ch.name) for ch in children}
    aggregates = {name: Sum(name) for name in SUMMED}
    if length:
        grouped = rows.annotate(child=Substr("region_id", 1, length)).values_list("child", "day") \
            .annotate(**aggregates)
    else:
        grouped = rows.values_list("day").annotate(**aggregates)
    width = len(SUMMED)
    sums_total = [0] * width
    sums_day: dict[dt.date, list[int]] = {}
    sums_child: dict[str, list[int]] = {}
    for values in grouped.order_by():
        child_prefix, day, counts = (values[0], values[1], values[2:]) if length else (None, values[0], values[1:])
        targets = [sums_total, sums_day.setdefault(day, [0] * width)]
        if child_prefix in by_region:
            targets.append(sums_child.setdefault(child_prefix, [0] * width))
        for target in targets:
            for i, value in enumerate(counts):
                target[i] += value or 0

    def fill(row: TimelinessRow, sums: list[int]) -> TimelinessRow:
        for name, value in zip(SUMMED, sums, strict=True):
            setattr(row, name, value)
        return row

    fill(total, sums_total)
    for child_prefix, sums in sums_child.items():
        fill(by_region[child_prefix], sums)
    by_day = {d: fill(empty(d.isoformat(), d.isoformat()), sums) for d, sums in sums_day.items()}
    return {"region": {"code": region.code, "name": region.name}, "total": total,
            "children": list(by_region.values()), "days": [by_day[d] for d in sorted(by_day)]}


def case_list_by_numbers(*, user, text: str) -> list[Case]:
    """The cases named by ``text`` (case numbers separated by commas, full-width commas or spaces) among those
    ``user`` may read; a number not found there is refused on ``case_nos``, as if it did not exist."""
    numbers = [n for n in text.replace("，", ",").replace(" ", ",").split(",") if n]
    cases = list(case_list(user=user).filter(case_no__in=numbers))
    missing = sorted(set(numbers) - {c.case_no for c in cases})
    if missing:
        raise ValidationError({"case_nos": [_("No case with these numbers in your area: %(numbers)s.")
                                            % {"numbers": ", ".join(missing)}]})
    return sorted(cases, key=lambda c: numbers.index(c.case_no))
