"""The demo's cross-region requests (the module's ``demo_loader``): between Shenzhen, Dongguan, Huizhou and
Guangzhou, in every state — reported back, acknowledged with persons still awaited, never acknowledged,
with a person not found, one person forwarded twice (Huizhou → Guangzhou → Dongguan, quarantined there),
and one sent at the demo's last report (the last day of the demo, like every date here), still within its
deadlines then. Sent about the first cases the cases' demo reported in
Shenzhen, Dongguan and Guangzhou, at their report times; persons are synthetic identities (fixed seed), so
the load is deterministic. Everything goes through the services, as the loading commander."""

from __future__ import annotations

import datetime as dt

from django.db.models import Max
from django.utils import timezone

from fangkong.cases.models import Case
from fangkong.persons.demo import synthetic_identities

from .models import InvestigationRequest
from .services import overdue_escalate, person_outcome_record, request_acknowledge, request_send

SEED = 20220327
#: (sender, receiver, source city, hours after the case's report, persons' county, outcomes per person)
#: an outcome: ("quarantined", hours after sending) / ("not_found", reason) / ("already_managed", note) /
#: ("forward", region, region, ...) / None (awaiting); "ack" acknowledges without an outcome.
SCENARIOS = (
    ("440300", "441300", "4403", 6, "441302", [("quarantined", 5), ("quarantined", 9), ("already_managed", "已在惠城区居家隔离")]),
    ("440300", "441900", "4403", 8, "441900", ["ack", ("quarantined", 12), None]),
    ("441900", "440100", "4419", 4, "440106", [None, None]),
    ("440100", "440300", "4401", 5, "440304", [("not_found", "登记地址查无此人，电话空号"), ("quarantined", 20)]),
    ("440300", "441300", "4403", 30, "441302", [("forward", "440100", "441900")]),
)


def _case_of(city: str) -> Case | None:
    return Case.objects.filter(report_region__code__startswith=city).order_by("reported_at", "id").first()


def _person(identity: dict) -> dict:
    return {"name": identity["name"], "citizen_id": identity["citizen_id"], "phone": identity["phone"],
            "category": "close", "address_text": "", "exposure_end": None}


def demo_load(actor) -> str:
    if InvestigationRequest.objects.exists():
        return f"demo cross-region requests: {InvestigationRequest.objects.count()} requests (already loaded)"
    counties = [county for *_rest, county, outcomes in SCENARIOS for _ in outcomes] + ["440106"]
    identities = iter(synthetic_identities(counties, SEED, dt.date(2022, 3, 1)))
    sent = 0
    for number, (sender, receiver, city, after, county, outcomes) in enumerate(SCENARIOS):
        case = _case_of(city)
        if case is None:
            continue
        at = case.reported_at + dt.timedelta(hours=after)
        people = [_person(next(identities)) for _ in outcomes]
        for person in people:
            person["exposure_end"] = timezone.localtime(case.reported_at).date() - dt.timedelta(days=1)
        req, _created = request_send(actor=actor, sender_region=sender, receiver_region=receiver,
                                     source_case=case.case_no, persons=people, urgency="urgent", now=at,
                                     exposure_details="同一工作场所，末次接触为病例报告前一日",
                                     idempotency_key=f"demo-{number}")
        sent += 1
        for person, outcome in zip(req.persons.order_by("id"), outcomes, strict=True):
            _record(actor, req, person, outcome, county, at)
    case = _case_of("4403")
    last = Case.objects.aggregate(last=Max("reported_at"))["last"]
    if case is not None:  # one sent at the end of the demo's last day: within its deadlines then
        request_send(actor=actor, sender_region="440300", receiver_region="440100", source_case=case.case_no,
                     persons=[_person(next(identities))], urgency="extra_urgent", idempotency_key="demo-now",
                     now=last)
        sent += 1
    flagged = overdue_escalate(now=last)  # what the periodic job would have flagged by the demo's last report
    return (f"demo cross-region requests: {InvestigationRequest.objects.count()} requests "
            f"({sent} sent, the rest forwards; {flagged['requests']} escalated)")


def _record(actor, req, person, outcome, county: str, at: dt.datetime) -> None:
    if outcome is None:
        return
    if outcome == "ack":
        request_acknowledge(actor=actor, req=req, now=at + dt.timedelta(hours=1))
        return
    kind, *args = outcome
    when = at + dt.timedelta(hours=3)
    if kind == "quarantined":
        person_outcome_record(actor=actor, req=req, person_id=person.pk, outcome=kind, managing_region=county,
                              quarantined_at=at + dt.timedelta(hours=args[0]), quarantine_place="集中隔离酒店",
                              now=at + dt.timedelta(hours=args[0]))
    elif kind == "forward":
        current_req, current = req, person
        for hop, region in enumerate(args):
            person_outcome_record(actor=actor, req=current_req, person_id=current.pk, outcome="forwarded",
                                  forward_to=region, reason="人员已离开本辖区", now=when + dt.timedelta(hours=4 * hop))
            current_req = InvestigationRequest.objects.get(forwarded_from=current_req)
            current = current_req.persons.get()
        person_outcome_record(actor=actor, req=current_req, person_id=current.pk, outcome="quarantined",
                              managing_region=current_req.receiver_region_id, quarantine_place="集中隔离酒店",
                              quarantined_at=when + dt.timedelta(hours=4 * len(args) + 2),
                              now=when + dt.timedelta(hours=4 * len(args) + 2))
    else:
        person_outcome_record(actor=actor, req=req, person_id=person.pk, outcome=kind, reason=args[0], now=when)
