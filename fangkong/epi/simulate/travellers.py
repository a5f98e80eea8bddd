"""Inbound travellers and their closed-loop hand-offs (外防输入全流程闭环管理).

Each traveller enters through a port, is transferred to a quarantine site in the port's prefecture,
is tested on the quarantine test days, is released, and is handed over to the home region, which
acknowledges. A configurable fraction of chains break at one stage: the events from that stage on are
missing. A traveller whose chain breaks before reaching quarantine is in the community; if infected,
they transmit like a local infection. The ``import_seeds`` of the parameters are infected travellers
who escape at entry (no entry test), the way cross-border workers seeded Shenzhen and Dongguan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import ScenarioParams
from .places import KIND, Places, port_place_ids
from .regions import RegionTree
from .streams import TRAVELLERS, component_rng

#: Loop event kinds, in the order of the ``kind`` codes of :class:`LoopEvents`.
LOOP_EVENTS: tuple[str, ...] = (
    "entry",
    "transfer",
    "quarantine_arrival",
    "test",
    "release",
    "handover_sent",
    "handover_received",
    "hospital_transfer",
)
EVENT = {name: code for code, name in enumerate(LOOP_EVENTS)}
#: Stages at which a chain can break (the first event that goes missing).
BREAKABLE_STAGES = ("transfer", "quarantine_arrival", "handover_sent", "handover_received")


@dataclass(frozen=True)
class Travellers:
    """Inbound travellers as parallel arrays; ``traveller_id`` is the index.

    Times are float days from ``start_date``. ``broken_stage`` is the :data:`LOOP_EVENTS` code of the
    first missing event (-1: chain complete). ``seed`` marks the import seeds (escaped at entry, not
    tested at entry). ``infection_time`` is NaN for uninfected travellers.
    """

    port: np.ndarray
    entry_time: np.ndarray
    destination: np.ndarray
    quarantine_site: np.ndarray
    quarantine_time: np.ndarray
    infected: np.ndarray
    infection_time: np.ndarray
    broken_stage: np.ndarray
    seed: np.ndarray

    @property
    def n(self) -> int:
        return len(self.port)

    @property
    def in_community(self) -> np.ndarray:
        """Travellers who never reached quarantine (seeds and chains broken before arrival)."""
        return (self.broken_stage >= 0) & (self.broken_stage <= EVENT["quarantine_arrival"])


@dataclass(frozen=True)
class LoopEvents:
    """Loop events as parallel arrays (one row per event), ordered by traveller then time.

    ``result`` is 1 positive / 0 negative for tests, -1 otherwise; ``place`` is a place id or -1;
    ``region`` the region where the event happens; ``time`` the event's time (float days, ``day`` its floor).
    """

    traveller: np.ndarray
    kind: np.ndarray
    day: np.ndarray
    place: np.ndarray
    region: np.ndarray
    result: np.ndarray
    time: np.ndarray

    @property
    def n(self) -> int:
        return len(self.traveller)


def quarantine_test_times(quarantine_time: np.ndarray, test_days: tuple[int, ...]) -> np.ndarray:
    """Test times (n × len(test_days)): quarantine day d is the d-th calendar day from entry, 09:36."""
    days = np.asarray(test_days, dtype=np.float64)
    q = quarantine_time[:, None]
    with np.errstate(invalid="ignore"):
        times = np.maximum(np.floor(q) + days[None, :] - 1 + 0.4, q)
    return np.where(np.isfinite(q), times, np.inf)


def generate_travellers(params: ScenarioParams, tree: RegionTree, places: Places) -> Travellers:
    """Arrivals over the epidemic period plus the import seeds, in entry-time order."""
    rng = component_rng(params.seed, TRAVELLERS)
    ports = port_place_ids(places)
    start = params.epidemic_start
    n_regular = int(rng.poisson(params.traveller_arrivals_per_day * params.epidemic_days))
    entry = start + rng.random(n_regular) * params.epidemic_days
    port = ports[rng.integers(0, len(ports), n_regular)] if n_regular else np.zeros(0, np.int64)
    leaves = tree.leaves
    weights = tree.population[leaves] / tree.population[leaves].sum()
    destination = leaves[rng.choice(len(leaves), n_regular, p=weights)] if n_regular else np.zeros(0, np.int64)
    infected = rng.random(n_regular) < params.traveller_infected_fraction
    broken = rng.random(n_regular) < params.broken_handoff_fraction
    stage_codes = np.array([EVENT[s] for s in BREAKABLE_STAGES])
    broken_stage = np.where(broken, stage_codes[rng.integers(0, len(stage_codes), n_regular)], -1)
    seed = np.zeros(n_regular, dtype=bool)

    port_region_code = {}
    for position, (code, _kind) in enumerate(params.ports):
        port_region_code.setdefault(code, ports[position])
    prefecture = tree.prefecture_of()
    seed_rows = []
    for day, code, count in params.import_seeds:
        seed_port = port_region_code.get(code, ports[0]) if code else ports[0]
        for _ in range(count):
            seed_rows.append((start + day + rng.random(), seed_port))
    if seed_rows:
        seed_entry = np.array([row[0] for row in seed_rows])
        seed_port = np.array([row[1] for row in seed_rows], dtype=np.int64)
        seed_dest = np.empty(len(seed_rows), dtype=np.int64)
        for i, p in enumerate(seed_port):
            home = prefecture[places.region[p]]
            candidates = leaves[prefecture[leaves] == home]
            w = tree.population[candidates].astype(float)
            seed_dest[i] = candidates[rng.choice(len(candidates), p=w / w.sum())]
        entry = np.concatenate([entry, seed_entry])
        port = np.concatenate([port, seed_port])
        destination = np.concatenate([destination, seed_dest])
        infected = np.concatenate([infected, np.ones(len(seed_rows), bool)])
        broken_stage = np.concatenate([broken_stage, np.full(len(seed_rows), EVENT["transfer"])])
        seed = np.concatenate([seed, np.ones(len(seed_rows), bool)])
    n = len(entry)
    infection_time = np.where(infected, entry - rng.uniform(0.0, 5.0, n), np.nan)
    quarantine_sites = places.of_kind("quarantine_site")
    site_prefecture = prefecture[places.region[quarantine_sites]]
    port_prefecture = prefecture[places.region[port]] if n else np.zeros(0, np.int64)
    quarantine_site = np.full(n, -1, dtype=np.int64)
    pick = rng.random(n)
    for p in np.unique(port_prefecture):
        here = quarantine_sites[site_prefecture == p]
        if len(here) == 0:
            here = quarantine_sites
        rows = np.flatnonzero(port_prefecture == p)
        quarantine_site[rows] = here[(pick[rows] * len(here)).astype(np.int64)]
    quarantine_time = entry + rng.uniform(0.2, 0.6, n)
    never_arrives = (broken_stage >= 0) & (broken_stage <= EVENT["quarantine_arrival"])
    quarantine_time = np.where(never_arrives, np.inf, quarantine_time)
    order = np.argsort(entry, kind="stable")
    return Travellers(
        port=port[order].astype(np.int32),
        entry_time=entry[order],
        destination=destination[order].astype(np.int32),
        quarantine_site=quarantine_site[order].astype(np.int32),
        quarantine_time=quarantine_time[order],
        infected=infected[order],
        infection_time=infection_time[order],
        broken_stage=broken_stage[order].astype(np.int8),
        seed=seed[order],
    )


def loop_events(
    params: ScenarioParams,
    travellers: Travellers,
    places: Places,
    detection_time: np.ndarray,
) -> LoopEvents:
    """The loop events of every traveller, given when each one was detected (inf: never).

    A traveller detected at entry or in quarantine is transferred to a designated hospital and the
    rest of the chain does not happen (that is not a break). Events after a break are missing.
    """
    rng = component_rng(params.seed, TRAVELLERS, 1)
    n = travellers.n
    end = params.total_days
    hospitals = places.of_kind("designated_hospital")
    rows: list[tuple[np.ndarray, ...]] = []

    def emit(mask: np.ndarray, kind: str, time: np.ndarray, place: np.ndarray, region: np.ndarray,
             result: np.ndarray | None = None) -> None:
        mask = mask & (time < end)
        idx = np.flatnonzero(mask)
        rows.append((
            idx,
            np.full(len(idx), EVENT[kind], np.int8),
            time[idx],
            np.broadcast_to(place, (n,))[idx],
            np.broadcast_to(region, (n,))[idx],
            np.full(len(idx), -1, np.int8) if result is None else np.broadcast_to(result, (n,))[idx],
        ))

    everyone = np.ones(n, dtype=bool)
    broken = travellers.broken_stage.astype(np.int64)

    def reached(kind: str) -> np.ndarray:
        """Travellers whose chain did not break at or before ``kind``."""
        return (broken < 0) | (broken > EVENT[kind])

    port_region = places.region[travellers.port]
    site_region = np.where(travellers.quarantine_site >= 0, places.region[travellers.quarantine_site], -1)
    detected = np.asarray(detection_time)
    entry = travellers.entry_time
    emit(everyone, "entry", entry, travellers.port, port_region)
    with np.errstate(invalid="ignore"):
        entry_positive = np.isfinite(detected) & (detected == entry)
    emit(~travellers.seed, "test", entry, travellers.port, port_region, entry_positive.astype(np.int8))
    transfer_time = entry + (travellers.quarantine_time - entry) / 2
    transfer_time = np.where(np.isfinite(transfer_time), transfer_time, entry + 0.2)
    alive = ~entry_positive
    emit(alive & reached("transfer"), "transfer", transfer_time, travellers.port, port_region)
    q = travellers.quarantine_time
    in_quarantine = alive & reached("quarantine_arrival")
    emit(in_quarantine, "quarantine_arrival", q, travellers.quarantine_site, site_region)
    test_days = tuple(d for d in params.close_test_days if d <= params.traveller_quarantine_days)
    scheduled = quarantine_test_times(q, test_days)
    with np.errstate(invalid="ignore"):
        at_test = np.isfinite(detected)[:, None] & (detected[:, None] == scheduled)
        detected_inside = in_quarantine & np.isfinite(detected) & (detected >= q) & (
            detected < q + params.traveller_quarantine_days)
    still = in_quarantine.copy()
    for column in range(scheduled.shape[1]):
        positive = at_test[:, column]
        emit(still, "test", scheduled[:, column], travellers.quarantine_site, site_region, positive.astype(np.int8))
        still = still & ~positive
    # Detected by a test at symptom onset between scheduled tests.
    extra = detected_inside & ~at_test.any(axis=1)
    emit(extra, "test", np.where(extra, detected, np.inf), travellers.quarantine_site, site_region,
         np.ones(n, np.int8))
    positive_anywhere = (entry_positive | detected_inside) & np.isfinite(detected)
    hospital = hospitals[rng.integers(0, len(hospitals), n)] if len(hospitals) else np.full(n, -1)
    hospital_region = np.where(hospital >= 0, places.region[np.maximum(hospital, 0)], -1)
    emit(positive_anywhere, "hospital_transfer", np.where(positive_anywhere, detected + 0.2, np.inf),
         hospital, hospital_region)
    released = in_quarantine & ~detected_inside
    release_time = np.floor(q) + params.traveller_quarantine_days + 0.4
    emit(released & reached("release"), "release", release_time, travellers.quarantine_site, site_region)
    sent = release_time + 0.05
    emit(released & reached("handover_sent"), "handover_sent", sent, travellers.quarantine_site, site_region)
    # The home region acknowledges within the rule's deadline (an exponential delay truncated there), but for
    # the chains that break there (no event) and the ``handover_late_fraction`` of late receivers.
    deadline, mean = params.handover_ack_hours / 24, params.handover_ack_mean_hours / 24
    within = -mean * np.log1p(rng.random(n) * np.expm1(-deadline / mean))
    late = rng.random(n) < params.handover_late_fraction
    received = sent + np.where(late, deadline + rng.exponential(1.0, n), within)
    emit(released & reached("handover_received"), "handover_received", received, -1,
         travellers.destination.astype(np.int64))
    traveller = np.concatenate([r[0] for r in rows])
    time = np.concatenate([r[2] for r in rows])
    order = np.lexsort((time, traveller))
    return LoopEvents(
        traveller=traveller[order].astype(np.int64),
        kind=np.concatenate([r[1] for r in rows])[order],
        day=np.floor(time[order]).astype(np.int32),
        place=np.concatenate([r[3] for r in rows])[order].astype(np.int32),
        region=np.concatenate([r[4] for r in rows])[order].astype(np.int32),
        result=np.concatenate([r[5] for r in rows])[order].astype(np.int8),
        time=time[order],
    )


def travellers_kind_of_port(places: Places, travellers: Travellers) -> np.ndarray:
    """Port kind name of each traveller's port."""
    names = {KIND["airport"]: "airport", KIND["land_port"]: "land_port", KIND["sea_port"]: "sea_port"}
    return np.array([names[k] for k in places.kind[travellers.port]])
