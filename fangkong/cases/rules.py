"""The rules of one case and of one contact, defined once (issue 15, item 1).

``build_case`` / ``build_contact`` (one row: the page, the API, a conversion) and the imports' fast path
(``fangkong.cases.imports``: every row of a file, its texts parsed once per distinct value, the look-ups
done by set) call these same functions on values already typed. Each returns the errors as
``(field, message)`` pairs, in the order they are reported; an empty list is a pass. The rules that need
the database (scope, the person, the source case or infector, the disease's class) stay with their
callers, which look them up one row at a time or by set.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.cases import import_columns
from fangkong.cases.models import ContactCategory

SOON = dt.timedelta(minutes=5)  # clock skew allowed for "not in the future"
Errors = list[tuple[str, str]]
_ALLOWED: dict[str, frozenset[str]] = {}


def one_of(field: str, value: str) -> Errors:
    """A coded field (classification, detection route, severity, outcome, category, exposure type) holds one
    of its codes; the message lists them with their Chinese labels (``fangkong.cases.import_columns``)."""
    allowed = _ALLOWED.get(field)
    if allowed is None:
        allowed = _ALLOWED[field] = frozenset(import_columns.CHOICES[field].values)
    if value in allowed:
        return []
    return [(field, _("Unknown value: use one of %(values)s.") % {"values": import_columns.accepted_values(field)})]


def person_named(citizen_id: str, person: int | None = None) -> Errors:
    """A contact's or a case's person is named by citizen ID (an import's only way) or registry number."""
    return [] if citizen_id or person else [("citizen_id", _("The citizen ID is required."))]


def unknown_disease() -> Errors:
    return [("disease", _("Unknown disease code."))]


def unknown_case(field: str) -> Errors:
    """A case named by its number (source case, infector) that is not found where the caller may look."""
    return [(field, _("No case with this number."))]


def exposure_window(start: dt.date | None, end: dt.date | None, listed_date: dt.date | None) -> Errors:
    """An exposure window is ordered and over by the day the contact is listed (it is what the period is
    counted from: a later last exposure would be a new exposure, recorded as such)."""
    errors: Errors = []
    if start and end and end < start:
        errors.append(("exposure_end", _("The exposure ends before it starts.")))
    if listed_date is not None:
        for name, value in (("exposure_start", start), ("exposure_end", end)):
            if value is not None and value > listed_date:
                errors.append((name, _("The exposure cannot be after the day the contact was listed.")))
    return errors


def listing_times(listed_at: dt.datetime | None, quarantined_at: dt.datetime | None, now: dt.datetime, *,
                  required: bool = True) -> Errors:
    """A contact is listed (not in the future), and quarantined, if at all, not before being listed.
    ``required=False``: a listing time that could not be read, already reported as such."""
    if listed_at is None:
        return [("listed_at", _("The listing time is required."))] if required else []
    if listed_at > now + SOON:
        return [("listed_at", _("The listing time is in the future."))]
    if quarantined_at is not None and quarantined_at < listed_at:
        return [("quarantined_at", _("A contact cannot be quarantined before being listed."))]
    return []


def contact_protocol(protocol, category: str) -> Errors:
    """The protocol in force on the listing day (``None``: there was none) traces this category."""
    if protocol is None:
        return [("listed_at", _("No protocol version was in force on that date."))]
    if category == ContactCategory.SECONDARY and not protocol.secondary_contacts_traced:
        return [("category", _("The protocol in force (%(name)s) no longer traces contacts of close contacts.")
                 % {"name": protocol.name})]
    return []


def at_most(field: str, text: str, limit: int) -> Errors:
    return [(field, _("At most %(limit)d characters.") % {"limit": limit})] if len(text) > limit else []


def diagnosis_and_report(diagnosed_at: dt.datetime | None, reported_at: dt.datetime, now: dt.datetime, *,
                         onset_date: dt.date | None, sampling_date: dt.date | None,
                         diagnosed_day: dt.date | None, required: bool = True) -> Errors:
    """A case is diagnosed (not in the future), reported neither before its diagnosis nor in the future;
    its onset and sampling dates are not after the day of diagnosis (``diagnosed_day``, local).
    ``required=False``: a diagnosis time that could not be read, already reported as such."""
    errors: Errors = []
    if diagnosed_at is None:
        if required:
            errors.append(("diagnosed_at", _("The diagnosis time is required.")))
    else:
        if diagnosed_at > now + SOON:
            errors.append(("diagnosed_at", _("The diagnosis time is in the future.")))
        if reported_at < diagnosed_at:
            errors.append(("reported_at", _("A case cannot be reported before it is diagnosed.")))
        for name, value in (("onset_date", onset_date), ("sampling_date", sampling_date)):
            if value is not None and value > diagnosed_day:
                errors.append((name, _("This date is after the diagnosis.")))
    if reported_at > now + SOON:
        errors.append(("reported_at", _("The report time is in the future.")))
    return errors


def origin(imported: bool, text: str) -> Errors:
    """An imported case names its origin, in at most 100 characters."""
    errors: Errors = [("origin", _("An imported case needs its origin."))] if imported and not text.strip() else []
    return errors + at_most("origin", text, 100)


def earlies(times: dict[str, dt.datetime | None], now: dt.datetime, *, onset_date: dt.date | None,
            reported_at: dt.datetime) -> Errors:
    """The earlies' times (first visit, isolation, admission for treatment), each optional: none in the
    future; the first medical visit neither before the day of onset (local) nor after the report; the
    admission for treatment neither before the first visit nor before the isolation."""
    errors: Errors = [(name, _("This time is in the future.")) for name, value in times.items()
                      if value is not None and value > now + SOON]
    first_visit, isolated, treatment = (times.get(name) for name in ("first_visit_at", "isolated_at",
                                                                     "treatment_at"))
    if first_visit is not None:
        if onset_date is not None and timezone.localtime(first_visit).date() < onset_date:
            errors.append(("first_visit_at", _("The first medical visit is before the onset.")))
        if first_visit > reported_at:
            errors.append(("first_visit_at", _("The first medical visit is after the report.")))
    if treatment is not None:
        if first_visit is not None and treatment < first_visit:
            errors.append(("treatment_at", _("The admission for treatment is before the first medical visit.")))
        if isolated is not None and treatment < isolated:
            errors.append(("treatment_at", _("Treatment cannot start before isolation.")))
    return errors
