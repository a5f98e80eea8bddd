"""Reads of the inbound module, always scoped: a row is in scope when any of its regions is (the port and
the destination of a traveller, and the region holding it; the sender and the receiver of a hand-off or a
break), and person rows only where the reader may read named data (``need_to_know``)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

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
        status__in=(Status.DECLARED, Status.ARRIVED)).order_by("status", "manifest_id", "name")


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
    """Hand-offs awaiting the user's acknowledgement: pending, to a region in the user's scope."""
    return scoped(user, Handoff.objects.filter(state=Handoff.State.PENDING)
                  .select_related("batch", "traveller", "sender_region", "receiver_region")
                  .defer(*_shapes("sender_region", "receiver_region")), "receiver_region__code", within=_named(user)).order_by("batch__ack_deadline", "id")


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
    rows = scoped(user, LoopBreak.objects.select_related("traveller", "traveller__port", "sender_region", "receiver_region")
                  .defer(*_shapes("sender_region", "receiver_region")), TWO_SIDES, within=_named(user))
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


def traveller_shown(user, traveller: Traveller, *also: str):
    """The traveller as ``person_shown`` gives it to ``user``, judged in the first of the traveller's regions
    (holding, destination, port; ``also``: a hand-off's receiver) where the user reads the most."""
    from fangkong.accounts.need_to_know import person_level
    from fangkong.persons.shown import person_shown

    regions = (traveller.holder_id, *also, traveller.destination_id, traveller.port_region_id)
    best = next((code for code in regions if person_level(user, code) is not None), traveller.holder_id)
    return person_shown(user, traveller, best)


def first_rows(rows: QuerySet, order: tuple[str, ...], limit: int, related: tuple[str, ...]) -> list:
    """The first ``limit`` rows of ``rows`` in ``order`` with their ``related`` rows: the keys first, without
    joins (PostgreSQL would otherwise join a million travellers before the limit), then those rows."""
    keys = list(rows.order_by(*order).values_list("pk", flat=True)[:limit])
    return list(rows.model.objects.filter(pk__in=keys).select_related(*related)
                .defer(*_shapes(*(name for name in related if name.endswith("region")))).order_by(*order))


def inbox_page(*, user, limit: int = 200) -> list[Handoff]:
    """The inbox, in the order the hand-offs were sent (their deadlines follow it)."""
    return first_rows(inbox(user=user), ("batch_id", "id"), limit,
                      ("batch", "traveller", "sender_region", "receiver_region"))


def break_page(*, user, limit: int = 200) -> list[LoopBreak]:
    """Open breaks, the longest overdue first."""
    return first_rows(break_list(user=user), ("due_at", "id"), limit,
                      ("traveller", "traveller__port", "sender_region", "receiver_region"))
