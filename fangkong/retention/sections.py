"""The retention module's sections of other modules' pages and API details: when a record is scheduled for
deletion or anonymisation under the policy in force, that a legal hold suspends it, or that its clock has not
started — on the person page (``person_sections``: each of the person's cases and contacts its reader may
see) and on the page and the API detail of every record a policy covers (``record_sections``: ``COVERED``).

What it shows is what the policies page shows every role (``views.home``: how long each kind of data is kept
is no secret) applied to the record the reader is already looking at — the date, the action, the period and
its clock; under a hold, only that there is one (not its reason, who placed it or what else it holds)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from fangkong.accounts.need_to_know import url_opens

from . import selectors
from .models import DataCategory
from .policies import COVERAGE

#: Model label → category, of the records whose page and API detail carry their scheduled deletion: every
#: category a policy covers whose rows have a page of their own. Not here: venue scans (no page of their own),
#: import jobs (a progress page for the one who submitted the file, whose upload is dropped when the job ends:
#: ``import_jobs_purge``), persons (their page lists their records' dates: ``person_sections``), exports and
#: the audit trail (no rows of their own to delete).
COVERED: dict[str, str] = {COVERAGE[category].model: category for category in (
    DataCategory.CASES, DataCategory.CONTACTS, DataCategory.TRAVELLERS, DataCategory.SAMPLES,
    DataCategory.SENTINEL_REPORTS)}


def scheduled_deletion_section(request, person) -> str:
    rows = selectors.person_schedule(person, user=request.user)
    if not rows:
        return ""
    return render_to_string("retention/_person_schedule.html", {"rows": rows}, request=request)


def schedule_data(category: str, found: dict) -> dict | None:
    """What the API says of one record's scheduled deletion (``selectors.scheduled_deletion``): ``{"category",
    "date", "action", "held", "waiting"}``, None when no policy covers it."""
    if found["policy"] is None:
        return None
    return {"category": category, "date": found["date"].isoformat() if found["date"] else None,
            "action": found["action"], "held": found["held"], "waiting": found["waiting"]}


def record_schedule(request, obj) -> dict | None:
    """``sections["scheduled_deletion"]`` of a covered record's API detail (``schedule_data``)."""
    category = COVERED[obj._meta.label]
    return schedule_data(category, selectors.scheduled_deletion(category, obj))


def record_section(request, obj) -> str:
    """The card on a covered record's page (a date passed: due, done by the next approved purge); it links the
    policies page for readers that page lets in."""
    found = selectors.scheduled_deletion(COVERED[obj._meta.label], obj)
    return render_to_string("retention/_record_schedule.html", {
        "found": found, "policy": found["policy"], "due": bool(found["date"]) and found["date"] <= timezone.localdate(),
        "policies_open": url_opens(request.user, "retention:home"),
    }, request=request)
