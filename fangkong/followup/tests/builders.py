"""Persons under management for the follow-up tests: contacts registered through the cases services, then
copied by ``subjects_sync`` (the module's own path)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from fangkong.cases.tests.builders import make_case, make_contact

from ..models import Subject
from ..services import subjects_sync


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def managed_contact(actor, *, region: str = "440304", listed: dt.date | None = None, exposure_end: dt.date | None = None,
                    category: str = "close", name: str = "密接", case=None, person=None):
    """A contact listed on ``listed`` (default two days ago) with its last exposure the day before, and its
    ``Subject`` (synced on the listing day)."""
    listed = listed or days_ago(2)
    case = case or make_case(actor, region=region, day=(listed - dt.timedelta(days=1)).isoformat())
    contact = make_contact(actor, source_case=case, region=region, listed=listed.isoformat(), category=category,
                           name=name, exposure_end=exposure_end or listed - dt.timedelta(days=1),
                           **({"person": person} if person is not None else {}))
    subjects_sync(day=listed, kinds=("contact",))
    return contact, Subject.objects.get(kind="contact", source_id=contact.pk)
