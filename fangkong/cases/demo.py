"""The demo's cases, contacts and clusters, from the simulator's outbreak (``fangkong.demo.demo_scenario``).

Cases take the persons ``fangkong.persons.demo`` registered for them (found again by citizen ID);
contacts get synthetic identities registered through ``persons_import`` — except contacts who became a
case, who are that case's person. Rows are bulk-created (the scenario is already consistent), with the
test schedule of the protocol version in force on each listing day; chains of three or more linked
cases become clusters. One audit event records the load.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.cases.case_earlies import case_earlies_rebuild
from fangkong.cases.models import (
    Case,
    ClassificationChange,
    Cluster,
    Contact,
    ContactStatus,
    Disease,
    RiskArea,
)
from fangkong.cases.summaries import tracing_summary_rebuild
from fangkong.epi.chains import build_chain_index
from fangkong.epi.simulate import DETECTION_ROUTES
from fangkong.epi.simulate.places import place_names
from fangkong.persons import protection
from fangkong.persons.demo import synthetic_identities
from fangkong.persons.models import Person
from fangkong.persons.services import CITIZEN_ID, persons_import
from fangkong.protocols.models import ProtocolVersion
from fangkong.regions.codes import city_code

CASE_PERSON_SEED = 20220317  # the seed fangkong.persons.demo.load_case_persons uses
CONTACT_PERSON_SEED = 20220318
MIN_CLUSTER = 3


def _moment(start: dt.date, day: int, hour: int, tz) -> dt.datetime:
    return dt.datetime.combine(start + dt.timedelta(days=int(day)), dt.time(hour), tz)


def _at(start: dt.date, days: float, tz) -> dt.datetime | None:
    """A simulator time (float days from ``start``, NaN: none) as an aware datetime, to the minute."""
    if not np.isfinite(days):
        return None
    return dt.datetime.combine(start, dt.time(0), tz) + dt.timedelta(minutes=round(float(days) * 24 * 60))


def _persons_by_hash(identities: list[dict]) -> list[int | None]:
    lookup = protection.identifier_lookup([p["citizen_id"] for p in identities], CITIZEN_ID)
    found = {lookup.canonical(h): pk for h, pk in
             Person.objects.filter(citizen_id_hash__in=lookup.hashes).values_list("citizen_id_hash", "pk")}
    return [found.get(h) for h in lookup.current]


@transaction.atomic
def load_cases(scenario, tree, actor) -> str:
    if Case.objects.filter(case_no__startswith="SIM-").exists():
        return "demo cases: already loaded"
    tz = timezone.get_current_timezone()
    start = scenario.params.start_date
    as_of = scenario.dates[-1] if len(scenario.dates) else dt.date.today()
    cases, contacts = scenario.cases, scenario.contacts
    codes = tree.codes.astype(str)
    covid = Disease.objects.get(code="covid-19")
    hours = covid.statuses.filter(effective_from__lte=start).order_by("-effective_from").first().reporting_hours

    # --- cases -------------------------------------------------------------------------------------------
    case_regions = [codes[r] for r in cases.region]
    case_person = _persons_by_hash(synthetic_identities(case_regions, seed=CASE_PERSON_SEED, as_of=as_of))
    if any(p is None for p in case_person):
        raise RuntimeError("demo case persons are missing: run the persons loader first")
    ports = place_names(tree, scenario.places)
    rows = []
    times = scenario.case_times  # the earlies: report, first visit, isolation, treatment
    for i in range(cases.n):
        reported = _at(start, times.report_time[i], tz) if times is not None else None
        reported = reported or _moment(start, cases.report_day[i], 8 + i % 4, tz)
        # One report in 25 is made three hours after diagnosis: late for a disease managed as class A.
        diagnosed = reported - dt.timedelta(hours=3 if i % 25 == 7 else 1)
        imported = bool(cases.imported[i])
        rows.append(Case(
            case_no=f"SIM-{i:06d}", person_id=case_person[i], disease=covid,
            classification="asymptomatic" if cases.asymptomatic[i] else "confirmed",
            onset_date=start + dt.timedelta(days=int(cases.onset_day[i])) if cases.onset_day[i] >= 0 else None,
            sampling_date=start + dt.timedelta(days=int(cases.sampling_day[i])) if cases.sampling_day[i] >= 0 else None,
            diagnosed_at=diagnosed, reported_at=reported, report_date=reported.date(),
            report_deadline=diagnosed + dt.timedelta(hours=hours),
            reported_late=reported > diagnosed + dt.timedelta(hours=hours),
            detection_route=DETECTION_ROUTES[int(cases.route[i])], imported=imported,
            origin=str(ports[cases.port[i]]) if imported and cases.port[i] >= 0 else ("境外" if imported else ""),
            severity="none" if cases.asymptomatic[i] else ("severe" if i % 97 == 0 else "mild"),
            outcome="recovered" if cases.report_day[i] < len(scenario.dates) - 21 else "under_treatment",
            residence_region_id=case_regions[i], report_region_id=case_regions[i], created_by=actor,
            first_visit_at=_at(start, times.first_visit_time[i], tz) if times is not None else None,
            isolated_at=_at(start, times.isolation_time[i], tz) if times is not None else None,
            treatment_at=_at(start, times.treatment_time[i], tz) if times is not None else None,
        ))
    Case.objects.bulk_create(rows, batch_size=1000)
    pk_of = np.array([c.pk for c in rows], dtype=np.int64)
    linked = np.flatnonzero(cases.infector_case >= 0)
    for i in linked:
        rows[i].infector_id = int(pk_of[cases.infector_case[i]])
    Case.objects.bulk_update([rows[i] for i in linked], ["infector"], batch_size=1000)
    ClassificationChange.objects.bulk_create(
        [ClassificationChange(case=c, classification=c.classification, changed_at=c.reported_at, changed_by=actor)
         for c in rows], batch_size=2000)

    # --- clusters: chains of linked cases ------------------------------------------------------------------
    index = build_chain_index(np.arange(cases.n), cases.infector_case[linked], linked)
    clusters, members = [], []
    for c in np.flatnonzero(index.chain_sizes >= MIN_CLUSTER):
        ids = index.case_ids[index.members[index.offsets[c]:index.offsets[c + 1]]]
        root = int(ids[0])
        city = city_code(case_regions[root])
        clusters.append(Cluster(name=f"{tree.names_zh[list(codes).index(city)] if city in codes else city}"
                                     f"聚集性疫情 {rows[root].case_no}", region_id=city,
                                external_id=f"SIM-chain-{root}"))
        members.append(ids)
    Cluster.objects.bulk_create(clusters)
    clustered = []
    for cluster, ids in zip(clusters, members, strict=True):
        for i in ids:
            rows[i].cluster_id = cluster.pk
            clustered.append(rows[i])
    Case.objects.bulk_update(clustered, ["cluster"], batch_size=1000)

    # --- contacts ------------------------------------------------------------------------------------------
    case_of_infection = {int(inf): i for i, inf in enumerate(cases.infection)}
    became = np.array([case_of_infection.get(int(inf), -1) if inf >= 0 else -1 for inf in contacts.infection])
    converted_first = {}
    for j in np.flatnonzero(became >= 0):
        converted_first.setdefault(int(became[j]), int(j))
    contact_regions = [codes[r] for r in contacts.region]
    need = [j for j in range(contacts.n) if became[j] < 0]
    identities = synthetic_identities([contact_regions[j] for j in need], seed=CONTACT_PERSON_SEED, as_of=as_of)
    persons_import(actor=actor, rows=identities, source="demo scenario contacts")
    person_of = dict(zip(need, _persons_by_hash(identities), strict=True))
    protocols = list(ProtocolVersion.objects.order_by("-effective_from"))
    end_day = len(scenario.dates)
    krows, managed = [], []
    for j in range(contacts.n):
        listed = _moment(start, contacts.listed_day[j], 14 + j % 6, tz)
        q_day = int(contacts.quarantine_day[j])
        quarantined = None
        if q_day >= 0:
            quarantined = _moment(start, q_day, 20 if q_day == contacts.listed_day[j] else 10, tz)
            quarantined = max(quarantined, listed)
        protocol = next(p for p in protocols if p.effective_from <= listed.date())
        category = "close" if contacts.category[j] == 1 else "secondary"
        exposure = start + dt.timedelta(days=int(contacts.exposure_day[j])) if contacts.exposure_day[j] >= 0 else None
        if j % 10 == 9:
            exposure = None  # one contact in ten could not say when they were last exposed
        elif exposure is not None and exposure > listed.date():
            exposure = listed.date()  # the scenario's day grid: exposed and listed the same day
        schedule, release = protocol.contact_plan(category, exposure_end=exposure, listed_date=listed.date())
        case_index = int(became[j])
        if case_index >= 0 and converted_first.get(case_index) == j:
            status, converted = ContactStatus.CONVERTED, int(pk_of[case_index])
            if listed <= rows[case_index].reported_at:
                managed.append(rows[case_index])
        else:
            status, converted = (ContactStatus.RELEASED if release and (release - start).days <= end_day
                                 else ContactStatus.QUARANTINED if quarantined else ContactStatus.LISTED), None
        source_reported = rows[int(contacts.case[j])].reported_at
        krows.append(Contact(
            contact_no=f"SIM-K{j:07d}",
            listed_date=listed.date(),
            listed_within_24h=listed - source_reported <= dt.timedelta(days=1),
            quarantined_within_24h=(quarantined - listed <= dt.timedelta(days=1)) if quarantined else None,
            person_id=person_of.get(j) or case_person[case_index],
            region_id=contact_regions[j], category=category, source_case_id=int(pk_of[contacts.case[j]]),
            exposure_type=("household", "workplace", "social", "transport", "spacetime")[j % 5],
            exposure_start=exposure, exposure_end=exposure, listed_at=listed, quarantined_at=quarantined,
            quarantine_place=f"集中隔离点{1 + j % 40}号" if quarantined else "", protocol=protocol,
            test_schedule=schedule, release_due=release, status=status,
            # released on the morning of the day due (the retention clock of the contact starts then)
            released_at=_moment(start, (release - start).days, 10, tz) if status == ContactStatus.RELEASED else None,
            converted_case_id=converted,
        ))
    # Close contacts first, so that contacts of close contacts are created already pointing at them.
    via = contacts.via_contact
    Contact.objects.bulk_create([krows[j] for j in range(contacts.n) if via[j] < 0], batch_size=2000)
    for j in np.flatnonzero(via >= 0):
        krows[j].via_contact_id = krows[int(via[j])].pk
    Contact.objects.bulk_create([krows[j] for j in range(contacts.n) if via[j] >= 0], batch_size=2000)
    for case in managed:
        case.found_under_management = True
    Case.objects.bulk_update(managed, ["found_under_management"], batch_size=1000)
    tracing_summary_rebuild()  # the rows above were bulk-created around the services
    case_earlies_rebuild()
    audit_record(actor=actor, action=AuditEvent.Action.IMPORT, object_type="cases.case", object_id="demo scenario",
                 detail={"cases": len(rows), "contacts": len(krows), "clusters": len(clusters)})
    return f"demo cases: {len(rows)} cases, {len(krows)} contacts, {len(clusters)} clusters"


def demo_load(actor) -> str:
    """This module's demo loader (declared on its ``AppConfig``): its part of the demo scenario."""
    from fangkong.demo import demo_scenario

    scenario, tree = demo_scenario()
    loaded = load_cases(scenario, tree, actor)
    return f"{loaded}\n{load_demo_areas_and_suspects(actor)}"


# --- suspected and excluded cases, risk areas ---------------------------------------------------------------

DEMO_AREA_ADDRESS = "（演示）"  # marks the demo's synthetic compounds and buildings


def load_demo_areas_and_suspects(actor) -> str:
    """What the scenario does not simulate, written through the services on top of it: suspected cases
    among contacts still under management (every second one later excluded after negative tests), and
    risk areas — for the three counties with most cases, a housing compound (high) and a building (high)
    holding some of the county's cases, and the whole county (medium); the compound of the busiest county
    lifted once its rule allows. Synthetic names, marked in the address."""
    from fangkong.cases.services import (
        case_reclassify,
        case_register,
        risk_area_designate,
        risk_area_lift,
        risk_area_lift_date,
    )

    if Case.objects.filter(classification__in=("suspected", "excluded")).exists() or \
            RiskArea.objects.filter(address__endswith=DEMO_AREA_ADDRESS).exists():
        return "demo suspected cases and risk areas: already loaded"
    covid = Disease.objects.get(code="covid-19")
    open_ids = list(Contact.objects.exclude(status=ContactStatus.CONVERTED).filter(person__cases__isnull=True)
                    .order_by("pk").values_list("pk", flat=True))
    chosen = open_ids[::max(1, len(open_ids) // 24)][:24]
    suspects = list(Contact.objects.filter(pk__in=chosen).select_related("person").order_by("pk"))
    excluded = 0
    for n, contact in enumerate(suspects):
        diagnosed = contact.listed_at + dt.timedelta(days=2, hours=3)
        case = case_register(actor=actor, person=contact.person, disease=covid, classification="suspected",
                             diagnosed_at=diagnosed, reported_at=diagnosed + dt.timedelta(hours=1),
                             report_region=contact.region_id, detection_route="during_quarantine",
                             onset_date=diagnosed.date() - dt.timedelta(days=1))
        if n % 2:
            case_reclassify(actor=actor, case=case, classification="excluded", expected_version=case.version,
                            reason="两次核酸检测阴性，排除")
            excluded += 1
    counties = (Case.objects.filter(classification__in=("confirmed", "asymptomatic"), report_region__level="county")
                .values_list("report_region_id", flat=True))
    busiest = [code for code, _n in _most_common(counties, 3)]
    areas = 0
    for rank, code in enumerate(busiest):
        cases = list(Case.objects.filter(report_region_id=code, classification__in=("confirmed", "asymptomatic"))
                     .order_by("report_date", "pk")[:12])
        if len(cases) < 3:
            continue
        first = cases[0].report_date + dt.timedelta(days=1)
        compound = risk_area_designate(actor=actor, region=code, level="high", kind="compound",
                                       area_name=f"第{rank + 1}号小区", address=f"示例路{rank + 1}号{DEMO_AREA_ADDRESS}",
                                       cases=cases[:4], designated_from=first)
        risk_area_designate(actor=actor, region=code, level="high", kind="building",
                            area_name=f"第{rank + 1}号小区{rank + 3}栋", address=f"示例路{rank + 1}号{DEMO_AREA_ADDRESS}",
                            cases=cases[4:6], designated_from=first)
        risk_area_designate(actor=actor, region=code, level="medium", designated_from=first)
        areas += 3
        if rank == 0:
            lift, _protocol = risk_area_lift_date(compound, last_infection=cases[3].report_date)
            if lift is not None and lift <= timezone.localdate():
                risk_area_lift(actor=actor, area=compound, lifted_on=lift, last_infection=cases[3].report_date)
    return f"demo suspected cases: {len(suspects)} ({excluded} excluded); risk areas: {areas}"


def _most_common(values, n: int) -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]
