"""Assemble a whole scenario in memory: places, travellers, epidemic, line list, sentinel, truth.

:func:`simulate_scenario` is for demo and test scales (everything in memory). The components run in a
fixed order, each from its own random stream; the big scales go through
:func:`fangkong.epi.simulate.writer.write_scenario`, which streams the sentinel reports to disk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from .earlies import CaseTimes, case_times
from .epidemic import Infections, simulate_epidemic, symptomatic_onsets_by_region
from .linelist import Cases, Contacts, build_cases, build_contacts
from .params import ScenarioParams, validate_params
from .places import Places, generate_places
from .regions import RegionTree
from .sentinel import SentinelSeries, outbreak_mask, outbreak_periods, sentinel_blocks, sentinel_series
from .travellers import LoopEvents, Travellers, generate_travellers, loop_events
from .truth import Truth


@dataclass(frozen=True)
class Scenario:
    """A simulated province: observations (what the modules import) and the truth behind them.

    Day numbers everywhere are offsets from ``params.start_date``; ``sentinel_counts`` is series × days
    (int32, -1 = no report) for the series described by ``sentinel_series``; ``sentinel_denominators``
    is the same shape (consultations for ILI, enrolment for school absences, -1 where none).
    """

    params: ScenarioParams
    tree: RegionTree
    places: Places
    sentinel_series: SentinelSeries
    sentinel_counts: np.ndarray
    sentinel_denominators: np.ndarray
    cases: Cases
    contacts: Contacts
    travellers: Travellers
    loop_events: LoopEvents
    truth: Truth
    case_times: CaseTimes | None = None
    """The earlies times of each case (report, first visit, isolation, treatment), parallel to ``cases``."""

    @property
    def dates(self) -> list[date]:
        return [self.params.start_date + timedelta(days=d) for d in range(self.params.total_days)]

    @property
    def sentinel_reported(self) -> np.ndarray:
        """Mask of reported sentinel values (series × days)."""
        return self.sentinel_counts >= 0


@dataclass(frozen=True)
class EpidemicPart:
    """Everything except the sentinel counts (what the writer keeps in memory)."""

    tree: RegionTree
    places: Places
    travellers: Travellers
    infections: Infections
    loop_events: LoopEvents
    cases: Cases
    case_of_infection: np.ndarray
    contacts: Contacts
    onsets: np.ndarray
    series: SentinelSeries
    case_times: CaseTimes


def prepared_tree(params: ScenarioParams, tree: RegionTree) -> RegionTree:
    return tree.scaled_to(params.residents) if params.residents is not None else tree


def simulate_epidemic_part(params: ScenarioParams, tree: RegionTree) -> EpidemicPart:
    """Places, travellers, the epidemic, loop events, cases, contacts, onsets and sentinel series."""
    tree = prepared_tree(params, tree)
    places = generate_places(params, tree)
    travellers = generate_travellers(params, tree, places)
    infections = simulate_epidemic(params, tree, places, travellers)
    detection_of_traveller = np.full(travellers.n, np.inf)
    imported = infections.traveller >= 0
    detection_of_traveller[infections.traveller[imported]] = infections.detection_time[imported]
    events = loop_events(params, travellers, places, detection_of_traveller)
    cases, case_of = build_cases(infections, travellers.port)
    contacts = build_contacts(params, tree, infections, cases, case_of)
    onsets = symptomatic_onsets_by_region(params, tree, infections)
    series = sentinel_series(params, places)
    times = case_times(params, infections, cases)
    return EpidemicPart(tree, places, travellers, infections, events, cases, case_of, contacts, onsets, series,
                        times)


def simulate_scenario(params: ScenarioParams, tree: RegionTree) -> Scenario:
    """Generate a whole scenario in memory (demo and test scales). Deterministic for ``params.seed``.

    Raises ``ValueError`` before any work if the parameters or the tree are invalid or the scale would
    not fit in ``params.memory_limit_bytes``.
    """
    validate_params(params, tree, sentinel_in_memory=True)
    part = simulate_epidemic_part(params, tree)
    blocks = list(sentinel_blocks(params, part.tree, part.series, part.onsets))
    n_days = params.total_days

    def stacked(name: str, dtype: type) -> np.ndarray:
        if not blocks:
            return np.zeros((0, n_days), dtype=dtype)
        return np.concatenate([getattr(block, name) for block in blocks])

    mask, region_baseline, region_excess = outbreak_mask(params, part.tree, part.series, part.onsets)
    truth = Truth(
        infections=part.infections,
        case_of_infection=part.case_of_infection,
        onsets=part.onsets,
        outbreak=mask,
        outbreak_periods=outbreak_periods(mask),
        region_baseline=region_baseline,
        region_excess=region_excess,
        series_baseline=stacked("baseline", np.float32),
        series_excess=stacked("excess", np.float32),
    )
    return Scenario(
        params=params,
        tree=part.tree,
        places=part.places,
        sentinel_series=part.series,
        sentinel_counts=stacked("counts", np.int32),
        sentinel_denominators=stacked("denominators", np.int32),
        cases=part.cases,
        contacts=part.contacts,
        travellers=part.travellers,
        loop_events=part.loop_events,
        truth=truth,
        case_times=part.case_times,
    )
