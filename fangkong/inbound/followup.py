"""The inbound travellers as a source of the daily follow-up (``fangkong.followup.sources``; declared in
``apps.InboundConfig.followup_sources``).

A traveller is under management once it is a person of the registry (``Traveller.person``, set when it enters
central quarantine or home health monitoring: ``services._person_link``) and while its loop is open after that
(central quarantine, the hand-off home, home health monitoring), until the day before its release is due. Its
period is counted from the day of entry (day 0) by the edition fixed at arrival (``Traveller.protocol``), with
that edition's inbound phases and test days (``fangkong.protocols.periods``); the region holding it manages
it (the quarantine site's, then the home county's after the hand-off home). A release, a case, a loss or a
transfer out of the province ends it at the follow-up's next sync. Fever or symptoms make the traveller a
suspected imported case through this module's own service (``services.traveller_to_case``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Status, Traveller

#: The statuses of a traveller under management (after it entered central quarantine or home monitoring).
MANAGED_STATUSES = (Status.CENTRAL_QUARANTINE, Status.IN_TRANSFER, Status.HANDED_OVER, Status.HOME_MONITORING)


def label_of(pk: int) -> str:
    """The traveller's number in the follow-up (titles and lists name it, never the person)."""
    return f"RJ{pk:07d}"


class TravellerSource:
    kind = "inbound"

    def under_management(self, day: dt.date) -> Iterator:
        from fangkong.followup.sources import managed_from_period
        from fangkong.protocols import periods
        from fangkong.protocols.models import ProtocolVersion

        protocols = {p.pk: p for p in ProtocolVersion.objects.all()}
        rows = (Traveller.objects.filter(person__isnull=False, protocol__isnull=False, arrived_at__isnull=False,
                                         status__in=MANAGED_STATUSES, release_due__gt=day)
                .values_list("pk", "person_id", "holder_id", "protocol_id", "arrived_at").order_by("pk"))
        for pk, person, holder, protocol, arrived_at in rows.iterator(chunk_size=5000):
            rules, entry = protocols[protocol], timezone.localtime(arrived_at).date()
            period = periods.management_period(rules, "inbound", entry)
            managed = managed_from_period(kind=self.kind, source_id=pk, label=label_of(pk), person_id=person,
                                          region_code=holder, category="inbound", protocol=rules,
                                          counted_from=entry,
                                          schedule=periods.test_schedule(rules, "inbound", period.first_day))
            if managed is not None:
                yield managed

    def to_suspected(self, *, actor, source_id: int, onset_date: dt.date | None, request=None) -> str:
        """The traveller leaves the loop as a suspected imported case (``services.traveller_to_case``)."""
        from fangkong.cases.models import Classification

        from .services import traveller_to_case

        traveller = Traveller.objects.select_related("port", "person").filter(pk=source_id).first()
        if traveller is None:
            raise ValidationError({"subject": [_("The traveller of this follow-up no longer exists.")]})
        traveller = traveller_to_case(actor=actor, traveller=traveller, diagnosed_at=timezone.now(),
                                      classification=Classification.SUSPECTED, onset_date=onset_date,
                                      request=request)
        return traveller.case.case_no

    def url(self, source_id: int) -> str | None:
        return reverse("inbound:traveller-detail", kwargs={"pk": source_id})
