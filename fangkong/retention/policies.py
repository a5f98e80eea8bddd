"""What each data category is, for retention: the rows it covers, the dates its clocks read, the region it
is purged by, how a legal hold reaches it — and the seeded default policies.

A ``Coverage`` is plain data read by the selectors (scheduled deletion dates, the dry run) and by the purge
(``fangkong.retention.purge``); categories without stored rows say so (``model`` is ``None``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .models import AUDIT_MINIMUM_DAYS, Action, Clock, DataCategory

C = DataCategory


@dataclass(frozen=True)
class Coverage:
    category: str
    model: str | None  # "app_label.Model" of the rows, None: the platform keeps none
    region: str = ""  # the field giving the row's region code (purges are by region)
    clocks: dict[str, str] = field(default_factory=dict)  # clock -> date or datetime field
    disease: str = ""  # the path to the disease (the "epidemic over" clock)
    person: str = ""  # the path to the person a row is about ("" if none)
    hold_target: str = ""  # LegalHold.Target naming such a row itself
    # for anonymising / aggregating: fields giving sex, birth date, a county and the week
    sex: str = ""
    birth: str = ""
    actions: tuple[str, ...] = (Action.DELETE,)
    note: str = ""


COVERAGE: dict[str, Coverage] = {c.category: c for c in (
    Coverage(C.CASES, "cases.Case", region="report_region_id",
             clocks={Clock.REPORT_DATE: "report_date", Clock.EPIDEMIC_OVER: "report_date"},
             disease="disease_id", person="person_id", hold_target="case", sex="person__sex",
             birth="person__birth_date", actions=(Action.DELETE, Action.ANONYMISE, Action.AGGREGATE)),
    Coverage(C.CONTACTS, "cases.Contact", region="region_id",
             clocks={Clock.MANAGEMENT_ENDED: "released_at", Clock.REPORT_DATE: "listed_date",
                     Clock.EPIDEMIC_OVER: "listed_date"},
             disease="source_case__disease_id", person="person_id", hold_target="contact", sex="person__sex",
             birth="person__birth_date", actions=(Action.DELETE, Action.ANONYMISE, Action.AGGREGATE)),
    # ``person``: the registry's person of a traveller in quarantine or home monitoring (none before)
    Coverage(C.TRAVELLERS, "inbound.Traveller", region="destination_id", clocks={Clock.ARRIVAL: "arrived_at"},
             person="person_id", hold_target="traveller", sex="sex", birth="birth_date",
             actions=(Action.DELETE, Action.ANONYMISE, Action.AGGREGATE)),
    Coverage(C.SCANS, "places.Scan", region="region_id", clocks={Clock.SCAN_TIME: "scanned_at"},
             person="person_id", sex="person__sex", birth="person__birth_date",
             actions=(Action.DELETE, Action.AGGREGATE)),
    Coverage(C.SAMPLES, "laboratory.Specimen", region="region_id", clocks={Clock.COLLECTED: "sampled_at"},
             person="person_id", sex="person__sex", birth="person__birth_date",
             actions=(Action.DELETE, Action.AGGREGATE)),
    Coverage(C.SENTINEL_REPORTS, "surveillance.SentinelReport", region="region_id",
             clocks={Clock.RECORD_DATE: "date"}),
    Coverage(C.JOB_PAYLOADS, "cases.ImportJob", clocks={Clock.RECORD_DATE: "created_at"},
             note=_("Import jobs hold the uploaded file; purged with the province only (a job has no region).")),
    Coverage(C.EXPORTS, None, note=_("Exports are streamed to the user and never stored by the platform: "
                                     "nothing to purge; the policy states how long recipients may keep them.")),
    Coverage(C.PERSONS, "persons.Person", region="address_region_id", clocks={Clock.LAST_RECORD_GONE: ""},
             person="id", hold_target="person", actions=(Action.DELETE, Action.ANONYMISE),
             note=_("A person is deleted (or anonymised) when a purge has removed their last record.")),
    Coverage(C.AUDIT, "audit.AuditEvent", region="region_code", clocks={Clock.RECORD_DATE: "occurred_at"},
             actions=(Action.ANONYMISE,),
             note=_("Audit events are never deleted (the hash chain); those about purged records, and every event "
                    "older than the period (never under six months), lose their details, keeping action, time, "
                    "actor and a pseudonymous reference.")),
)}

#: The purge's order: records that refer to others go before what they refer to.
PURGE_ORDER = (C.SCANS, C.SAMPLES, C.CONTACTS, C.TRAVELLERS, C.CASES, C.SENTINEL_REPORTS, C.JOB_PAYLOADS)

PIPL_47 = "《个人信息保护法》第四十七条 / PIPL art. 47"
DEFAULTS: dict[str, dict] = {
    C.PERSONS: {"clock": Clock.LAST_RECORD_GONE, "period_days": 0, "action": Action.DELETE,
                "legal_basis": PIPL_47},
    C.CASES: {"clock": Clock.REPORT_DATE, "period_days": 5 * 365, "action": Action.ANONYMISE,
              "legal_basis": "《传染病防治法》; " + PIPL_47},
    C.CONTACTS: {"clock": Clock.MANAGEMENT_ENDED, "period_days": 2 * 365, "action": Action.DELETE,
                 "legal_basis": PIPL_47},
    C.TRAVELLERS: {"clock": Clock.ARRIVAL, "period_days": 365, "action": Action.ANONYMISE,
                   "legal_basis": "《国境卫生检疫法》; " + PIPL_47},
    C.SCANS: {"clock": Clock.SCAN_TIME, "period_days": 30, "action": Action.DELETE,
              "legal_basis": PIPL_47 + "（场所码扫码记录仅用于流调）"},
    C.SAMPLES: {"clock": Clock.COLLECTED, "period_days": 2 * 365, "action": Action.DELETE,
                "legal_basis": PIPL_47},
    C.SENTINEL_REPORTS: {"clock": Clock.RECORD_DATE, "period_days": 10 * 365, "action": Action.DELETE,
                         "legal_basis": "哨点监测资料（汇总数据，无个人信息）"},
    C.EXPORTS: {"clock": Clock.RECORD_DATE, "period_days": 30, "action": Action.DELETE, "legal_basis": PIPL_47},
    C.JOB_PAYLOADS: {"clock": Clock.RECORD_DATE, "period_days": 30, "action": Action.DELETE,
                     "legal_basis": PIPL_47},
    C.AUDIT: {"clock": Clock.RECORD_DATE, "period_days": 3 * 365, "action": Action.ANONYMISE,
              "legal_basis": "《网络安全法》第二十一条（网络日志留存不少于六个月）"},
}


def effective_period(category: str, period_days: int) -> int:
    """The period a purge applies: the policy's, and for the audit trail never under the legal minimum (a policy
    below it is refused when proposed; a row edited in the database around the services does not shorten it)."""
    return max(period_days, AUDIT_MINIMUM_DAYS) if category == C.AUDIT else period_days


def allowed_clocks(category: str) -> tuple[str, ...]:
    coverage = COVERAGE[category]
    return tuple(coverage.clocks) or (Clock.RECORD_DATE,)


def allowed_actions(category: str) -> tuple[str, ...]:
    if category == C.AUDIT:
        return (Action.ANONYMISE,)
    return COVERAGE[category].actions


def cutoff(as_of: dt.date, period_days: int) -> dt.date:
    """Rows whose clock date is on or before this day are due on ``as_of``."""
    return as_of - dt.timedelta(days=period_days)
