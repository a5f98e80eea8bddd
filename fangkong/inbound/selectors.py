"""Reads of the inbound module, always scoped: a row is in scope when any of its regions is (the port and
the destination of a traveller, and the region holding it; the sender and the receiver of a hand-off or a
break), and person rows only where the reader may read named data (``need_to_know``)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from fangkong import paging
from fangkong.accounts.access import get_in_scope_or_404, scoped
from fangkong.accounts.need_to_know import Category, read_prefixes
from fangkong.regions.codes import subtree_prefix

from .models import OPEN_STATUSES, Handoff, LoopBreak, Manifest, Port, Status, TransferBatch, Traveller

TRAVELLER_REGIONS = ("port_region__code", "destination__code", "holder__code")
TWO_SIDES = ("sender_region__code", "receiver_region__code")


def _shapes(*regions: str) -> list[str]:
    """The boundaries of the regions a query joins: not read (a county's GeoJSON is kilobytes a row)."""
    return [f"{name}__geometry" for name in regions]


def _named(user) -> list[str]:
    return read_prefixes(user, Category.NAMED)


def port_list(*, user) -> QuerySet[Port]:
    return scoped(user, Port.objects.select_related("region").defer("region__geometry"), "region__code")


def port_get(*, user, code: str) -> Port:
    return get_in_scope_or_404(user, Port.objects.select_related("region").defer("region__geometry"), "region__code", code=code)


def manifest_list(*, user) -> QuerySet[Manifest]:
    return scoped(user, Manifest.objects.select_related("port"), "region__code", within=_named(user)).annotate(
        travellers_count=Count("travellers"))


def manifest_get(*, user, manifest_id: int) -> Manifest:
    return get_in_scope_or_404(user, Manifest.objects.select_related("port"), "region__code", within=_named(user),
                               pk=manifest_id)


def traveller_list(*, user, status: str | None = None, port: str | None = None) -> QuerySet[Traveller]:
    rows = scoped(user, Traveller.objects.select_related("port", "destination", "holder").defer(*_shapes("destination", "holder")), TRAVELLER_REGIONS,
                  within=_named(user))
    if status:
        rows = rows.filter(status=status)
    if port:
        rows = rows.filter(port__code=port)
    return rows


def traveller_get(*, user, traveller_id: int) -> Traveller:
    return get_in_scope_or_404(user, Traveller.objects.select_related("port", "destination", "holder", "protocol", "manifest", "case")
                               .defer(*_shapes("destination", "holder")),
                               TRAVELLER_REGIONS, within=_named(user), pk=traveller_id)


def traveller_steps(traveller: Traveller):
    return traveller.steps.select_related("by", "region").defer("region__geometry")


def arrivals(*, user, port: Port) -> QuerySet[Traveller]:
    """The port officer's screen: declared and arrived travellers at ``port`` (already scoped)."""
    return traveller_list(user=user, port=port.code).filter(
        status__in=(Status.DECLARED, Status.ARRIVED)).select_related("manifest").order_by("status", "manifest_id",
                                                                                          "name")


def default_port(*, user, ports: list[Port]) -> Port | None:
    """The port the arrival screen opens on: the one of ``ports`` with the most declared or arrived
    travellers the user may see (then the most travellers at all; the first port when none has any)."""
    if not ports:
        return None
    waiting = dict(traveller_list(user=user).filter(status__in=(Status.DECLARED, Status.ARRIVED)).order_by()
                   .values("port_id").annotate(n=Count("pk")).values_list("port_id", "n"))
    counts = waiting or dict(traveller_list(user=user).order_by().values("port_id").annotate(n=Count("pk"))
                             .values_list("port_id", "n"))
    return max(ports, key=lambda port: counts.get(port.pk, 0))  # the first of equals: the list's order


def inbox(*, user) -> QuerySet[Handoff]:
    """Hand-offs awaiting the user's acknowledgement: pending, to a region in the user's scope, in the order
    they were sent (with their batch, for its deadline; ``inbox_page`` brings the rest of a page's rows)."""
    return scoped(user, Handoff.objects.filter(state=Handoff.State.PENDING).select_related("batch"),
                  "receiver_region__code", within=_named(user)).order_by("id")


def handoff_list(*, user) -> QuerySet[Handoff]:
    return scoped(user, Handoff.objects.select_related("batch", "traveller", "sender_region", "receiver_region")
                  .defer(*_shapes("sender_region", "receiver_region")), TWO_SIDES, within=_named(user))


def handoff_get(*, user, handoff_id: int) -> Handoff:
    return get_in_scope_or_404(user, Handoff.objects.select_related("batch", "traveller"), TWO_SIDES,
                               within=_named(user), pk=handoff_id)


def batch_get(*, user, batch_id: int) -> TransferBatch:
    return get_in_scope_or_404(user, TransferBatch.objects.select_related("sender_region", "receiver_region").defer(*_shapes("sender_region", "receiver_region")),
                               TWO_SIDES, within=_named(user), pk=batch_id)


def batch_reconciliation(batch: TransferBatch) -> dict:
    """Sent, acknowledged, rejected, pending and in quarantine of one batch, the differences named."""
    rows = list(batch.handoffs.select_related("traveller"))
    by_state = {state: [h.traveller for h in rows if h.state == state] for state in Handoff.State.values}
    checked_in = [h.traveller for h in rows if h.state == Handoff.State.ACKNOWLEDGED
                  and h.traveller.status not in (Status.HANDED_OVER,)]
    return {"sent": len(rows), "acknowledged": len(by_state["acknowledged"]), "rejected": by_state["rejected"],
            "pending": by_state["pending"], "checked_in": len(checked_in),
            "not_checked_in": [h.traveller for h in rows if h.state == Handoff.State.ACKNOWLEDGED
                               and h.traveller.status == Status.HANDED_OVER]}


def break_list(*, user, open_only: bool = True) -> QuerySet[LoopBreak]:
    """Breaks of both sides, the longest overdue first: the break's own columns (``break_page`` brings the
    traveller and the regions of a page's rows; joining them before the limit reads a million travellers)."""
    rows = scoped(user, LoopBreak.objects.all(), TWO_SIDES, within=_named(user)).order_by("due_at", "id")
    return rows.filter(closed_at__isnull=True) if open_only else rows


def break_get(*, user, break_id: int) -> LoopBreak:
    return get_in_scope_or_404(user, LoopBreak.objects.select_related("traveller"), TWO_SIDES, within=_named(user),
                               pk=break_id)


def port_figures(*, user, region_code: str | None = None) -> list[dict]:
    """Per port of the user's scope (in ``region_code`` when given): arrivals, in transfer, unacknowledged,
    in central quarantine, open breaks — counts only (the dashboard panel)."""
    ports = port_list(user=user)
    if region_code:
        ports = ports.filter(region__code__startswith=subtree_prefix(region_code))
    ports = list(ports)
    now = timezone.now()
    counts = {row["port_id"]: row for row in Traveller.objects.filter(port__in=ports).values("port_id").annotate(
        arrivals=Count("id", filter=~Q(status=Status.DECLARED)),
        in_transfer=Count("id", filter=Q(status=Status.IN_TRANSFER)),
        in_quarantine=Count("id", filter=Q(status=Status.CENTRAL_QUARANTINE)),
        open_loops=Count("id", filter=Q(status__in=OPEN_STATUSES)))}
    late = dict(Handoff.objects.filter(traveller__port__in=ports, state=Handoff.State.PENDING,
                                       batch__ack_deadline__lt=now)
                .values_list("traveller__port_id").annotate(n=Count("id")))
    breaks = dict(LoopBreak.objects.filter(traveller__port__in=ports, closed_at__isnull=True)
                  .values_list("traveller__port_id").annotate(n=Count("id")))
    empty = {"arrivals": 0, "in_transfer": 0, "in_quarantine": 0, "open_loops": 0}
    return [{"port": port, **{k: counts.get(port.pk, empty)[k] for k in empty},
             "unacknowledged": late.get(port.pk, 0), "breaks_open": breaks.get(port.pk, 0)} for port in ports]


def panel_context(request, code: str) -> dict:
    """The dashboard panel (``dashboard_panels``): the ports of the region ``code`` and their figures."""
    return {"port_rows": port_figures(user=request.user, region_code=code)}


def traveller_shown(user, traveller: Traveller, *also: str, levels: dict | None = None):
    """The traveller as ``person_shown`` gives it to ``user``, judged in the first of the traveller's regions
    (holding, destination, port; ``also``: a hand-off's receiver) where the user reads the most. ``levels``:
    a dict kept by the caller over a page's rows (region → level), so each region is judged once."""
    from fangkong.accounts.need_to_know import person_level
    from fangkong.persons.shown import person_shown

    levels = {} if levels is None else levels
    regions = (traveller.holder_id, *also, traveller.destination_id, traveller.port_region_id)
    for code in regions:
        if code not in levels:
            levels[code] = person_level(user, code)
    best = next((code for code in regions if levels[code] is not None), traveller.holder_id)
    return person_shown(user, traveller, best)


#: Rows per page of the inbox and of the break list (keyset paging, ``fangkong.paging``).
PAGE_SIZE = 100
INBOX_ORDER = ("batch_id", "id")
BREAK_ORDER = ("due_at", "id")


def _regions() -> QuerySet:
    from fangkong.regions.models import Region

    return Region.objects.defer("geometry")


def inbox_page(*, user, cursor=None, size: int | None = None) -> paging.Page:
    """A page of the inbox, in the order the hand-offs were sent (their deadlines follow it), with each row's
    batch, traveller and regions: the page's keys are read from the hand-offs alone (an index), the rest
    fetched by key for the page's rows only."""
    page = paging.page_of(inbox(user=user), order=INBOX_ORDER, size=size or PAGE_SIZE, cursor=cursor)
    prefetch_related_objects(page.rows, Prefetch("traveller", Traveller.objects.all()),
                             Prefetch("sender_region", _regions()), Prefetch("receiver_region", _regions()))
    return page


def break_page(*, user, cursor=None, size: int | None = None) -> paging.Page:
    """A page of the open breaks, the longest overdue first, with their travellers and regions (fetched for
    the page's rows only)."""
    page = paging.page_of(break_list(user=user), order=BREAK_ORDER, size=size or PAGE_SIZE, cursor=cursor)
    prefetch_related_objects(page.rows, Prefetch("traveller", Traveller.objects.all()),
                             Prefetch("sender_region", _regions()), Prefetch("receiver_region", _regions()))
    return page
