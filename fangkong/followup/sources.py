"""Where the persons under management come from: one *source* per kind of management.

A source tells the follow-up module who is under management, for which period and with which test days,
and how such a person becomes a suspected case; the follow-up module keeps its own copy (``Subject``) and
never writes the source's rows. Sources are found in the ``followup_sources`` attribute (dotted paths of
classes) of every installed app's config, so a new kind of management (inbound travellers) is added by
its own module declaring its source — nothing in this module changes:

    class InboundConfig(modules.ModuleConfig):
        followup_sources = ("fangkong.inbound.followup.TravellerSource",)

A source class has ``kind`` (a slug, unique), ``under_management(day)`` (every ``Managed`` whose period
has not ended before ``day``), ``to_suspected(actor=, source_id=, onset_date=, request=)`` (opens the
suspected case through the owning module's service and returns its number) and ``url(source_id)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Protocol

from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from fangkong.protocols import periods


@dataclass(frozen=True)
class Managed:
    """One person under management as the source decided it (copied into ``Subject``)."""

    kind: str
    source_id: int
    label: str
    person_id: int
    region_code: str
    category: str
    protocol_id: int
    counted_from: dt.date
    first_day: dt.date
    last_day: dt.date
    centralised_until: dt.date | None
    tests: tuple[tuple[dt.date, str, int], ...]  # (due date, phase, day of the phase)


class Source(Protocol):
    kind: str

    def under_management(self, day: dt.date) -> Iterable[Managed]: ...

    def to_suspected(self, *, actor, source_id: int, onset_date: dt.date | None, request=None) -> str: ...

    def url(self, source_id: int) -> str | None: ...


def managed_from_period(*, kind: str, source_id: int, label: str, person_id: int, region_code: str,
                        category: str, protocol, counted_from: dt.date, schedule: list[dict]) -> Managed | None:
    """A ``Managed`` from the edition's period of ``category`` counted from ``counted_from`` (day 0) and a
    test schedule as ``fangkong.protocols.periods.test_schedule`` writes it; None when not managed."""
    period = periods.management_period(protocol, category, counted_from)
    if period is None:
        return None
    tests = tuple((dt.date.fromisoformat(t["date"]), t["phase"], int(t["day"])) for t in schedule)
    return Managed(kind=kind, source_id=source_id, label=label, person_id=person_id, region_code=region_code,
                   category=category, protocol_id=protocol.pk, counted_from=counted_from,
                   first_day=period.first_day, last_day=period.release_due - periods.DAY,
                   centralised_until=period.centralised_until, tests=tests)


class ContactSource:
    """Close contacts and contacts of close contacts of the cases module, listed or in quarantine: their
    period counted from the last exposure (the listing date when unknown) by the edition the contact
    records, and the test days the cases module stored on the contact."""

    kind = "contact"

    def under_management(self, day: dt.date) -> Iterator[Managed]:
        from fangkong.cases.models import Contact, ContactStatus
        from fangkong.protocols.models import ProtocolVersion

        protocols = {p.pk: p for p in ProtocolVersion.objects.all()}
        rows = (Contact.objects.filter(status__in=(ContactStatus.LISTED, ContactStatus.QUARANTINED),
                                       release_due__gt=day)
                .values_list("pk", "contact_no", "person_id", "region_id", "category", "protocol_id",
                             "exposure_end", "listed_date", "listed_at", "test_schedule")
                .order_by("pk"))
        for pk, number, person, region, category, protocol, exposure_end, listed_date, listed_at, schedule in (
                rows.iterator(chunk_size=5000)):
            counted_from, _known = periods.contact_counted_from(
                exposure_end=exposure_end, listed_date=listed_date or timezone.localtime(listed_at).date())
            managed = managed_from_period(kind=self.kind, source_id=pk, label=number, person_id=person,
                                          region_code=region, category=category, protocol=protocols[protocol],
                                          counted_from=counted_from, schedule=schedule or [])
            if managed is not None:
                yield managed

    def to_suspected(self, *, actor, source_id: int, onset_date: dt.date | None, request=None) -> str:
        """The contact becomes a suspected case through the cases service (its link to the source case kept)."""
        from fangkong.cases.models import Classification, Contact
        from fangkong.cases.services import contact_convert_to_case

        contact = Contact.objects.select_related("source_case", "person").filter(pk=source_id).first()
        if contact is None:
            raise ValidationError({"subject": [_("The contact of this follow-up no longer exists.")]})
        case = contact_convert_to_case(actor=actor, contact=contact, expected_version=contact.version,
                                       diagnosed_at=timezone.now(), classification=Classification.SUSPECTED,
                                       onset_date=onset_date, request=request)
        return case.case_no

    def url(self, source_id: int) -> str | None:
        return reverse("cases:contact-detail", kwargs={"contact_id": source_id})


@cache
def sources() -> dict[str, Source]:
    """kind -> source, from every installed app's ``followup_sources``; a kind declared twice is an error."""
    found: dict[str, Source] = {}
    for config in apps.get_app_configs():
        for path in getattr(config, "followup_sources", ()):
            source = import_string(path)()
            if source.kind in found:
                raise ValueError(f"follow-up source kind {source.kind!r} declared twice")
            found[source.kind] = source
    return found


def source_of(kind: str) -> Source:
    return sources()[kind]
