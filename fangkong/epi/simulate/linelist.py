"""The observed line list: reported cases and their close and secondary contacts with test results.

Cases are the infections reported within the scenario, ordered by report day. Each case lists its
traced infectees plus NB(``close_contacts_mean``, ``close_contacts_dispersion``) uninfected close
contacts; each close contact has Poisson(``secondary_contacts_per_close_mean``) secondary contacts
(contacts of close contacts). Contacts are listed after the case's report (tracing delay), enter
quarantine (entry delay), and are tested at listing and on the quarantine test days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .epidemic import ROUTE, Infections, _RegionMixer
from .params import ScenarioParams
from .regions import RegionTree
from .streams import CONTACTS, component_rng

CLOSE = 1
SECONDARY = 2


@dataclass(frozen=True)
class Cases:
    """Reported cases as parallel arrays; ``case_id`` is the index.

    Days are whole-day offsets from ``start_date`` (-1: none). ``infector_case`` is the case id of the
    infector when the case was traced as its close contact (the epidemiological link), else -1.
    ``route`` indexes DETECTION_ROUTES; ``port`` is a place id for imported cases (-1 for local).
    """

    infection: np.ndarray
    infector_case: np.ndarray
    region: np.ndarray
    infection_day: np.ndarray
    onset_day: np.ndarray
    sampling_day: np.ndarray
    report_day: np.ndarray
    asymptomatic: np.ndarray
    route: np.ndarray
    imported: np.ndarray
    port: np.ndarray
    traveller: np.ndarray

    @property
    def n(self) -> int:
        return len(self.infection)


@dataclass(frozen=True)
class Contacts:
    """Contacts as parallel arrays; ``contact_id`` is the index.

    ``category`` 1 close / 2 secondary; ``case`` is the source case id; ``via_contact`` the close
    contact a secondary contact was found through (-1 for close contacts); ``infection`` the truth
    infection id (-1 uninfected). Days from ``start_date``; ``first_positive_day`` -1 when no test
    was positive.
    """

    case: np.ndarray
    category: np.ndarray
    via_contact: np.ndarray
    region: np.ndarray
    exposure_day: np.ndarray
    listed_day: np.ndarray
    quarantine_day: np.ndarray
    infection: np.ndarray
    tests: np.ndarray
    positive_tests: np.ndarray
    first_positive_day: np.ndarray

    @property
    def n(self) -> int:
        return len(self.case)


def build_cases(infections: Infections, port_of_traveller: np.ndarray) -> tuple[Cases, np.ndarray]:
    """The reported cases, and for every infection its case id (-1 if not reported)."""
    reported = np.flatnonzero(infections.report_day >= 0)
    order = reported[np.lexsort((reported, infections.report_day[reported]))]
    case_of = np.full(infections.n, -1, np.int64)
    case_of[order] = np.arange(len(order))
    infector = infections.infector[order]
    linked = (infector >= 0) & infections.traced[order]
    infector_case = np.where(linked, case_of[np.maximum(infector, 0)], -1)
    traveller = infections.traveller[order]
    onset = infections.onset_time[order]
    return Cases(
        infection=order.astype(np.int64),
        infector_case=infector_case.astype(np.int64),
        region=infections.region[order],
        infection_day=np.floor(infections.infection_time[order]).astype(np.int32),
        onset_day=np.where(np.isfinite(onset), np.floor(np.nan_to_num(onset)), -1).astype(np.int32),
        sampling_day=np.floor(infections.detection_time[order]).astype(np.int32),
        report_day=infections.report_day[order],
        asymptomatic=infections.asymptomatic[order],
        route=infections.route[order],
        imported=infections.imported[order],
        port=np.where(traveller >= 0, port_of_traveller[np.maximum(traveller, 0)], -1).astype(np.int32),
        traveller=traveller,
    ), case_of


def _test_count(listed: np.ndarray, quarantine: np.ndarray, test_days: tuple[int, ...], end: int) -> np.ndarray:
    count = (listed < end).astype(np.int32)
    for d in test_days:
        count += (quarantine + d - 1 < end).astype(np.int32)
    return count


def build_contacts(
    params: ScenarioParams,
    tree: RegionTree,
    infections: Infections,
    cases: Cases,
    case_of: np.ndarray,
) -> Contacts:
    """Close contacts (traced infectees and uninfected ones) and secondary contacts of every case."""
    rng = component_rng(params.seed, CONTACTS)
    end = params.total_days
    mixer = _RegionMixer(params, tree)
    close_tests = tuple(d for d in params.close_test_days if d <= params.close_quarantine_days)
    secondary_tests = tuple(d for d in params.secondary_test_days if d <= params.secondary_quarantine_days)

    # Traced infectees: close contacts who are infected.
    traced = np.flatnonzero(infections.traced)
    traced = traced[case_of[infections.infector[traced]] >= 0]
    t_case = case_of[infections.infector[traced]]
    t_listed = np.floor(infections.listed_time[traced]).astype(np.int64)
    t_quarantine = np.floor(infections.quarantine_time[traced]).astype(np.int64)
    detection = infections.detection_time[traced]
    found_by_test = np.isin(infections.route[traced], [ROUTE["contact_tracing"], ROUTE["during_quarantine"]])
    found_by_test &= detection < end
    t_first_positive = np.where(found_by_test, np.floor(np.minimum(detection, 1e9)), -1).astype(np.int64)
    t_scheduled = (t_listed < end).astype(np.int32)
    for d in close_tests:
        t_scheduled += ((t_quarantine + d - 1 < end) & (
            ~found_by_test | (t_quarantine + d - 1 <= t_first_positive))).astype(np.int32)
    t_tests = np.where(found_by_test, np.maximum(t_scheduled, 1), t_scheduled)

    # Uninfected close contacts.
    n_cases = cases.n
    mean = params.close_contacts_mean
    kc = params.close_contacts_dispersion
    rate = rng.gamma(kc, mean / kc, n_cases) if mean > 0 else np.zeros(n_cases)
    per_case = rng.poisson(rate)
    u_case = np.repeat(np.arange(n_cases), per_case)
    m = len(u_case)
    u_listed = cases.report_day[u_case].astype(np.int64) + rng.poisson(params.tracing_delay_mean, m)
    u_quarantine = u_listed + rng.poisson(params.quarantine_entry_delay_mean, m)
    u_region = mixer.draw(rng, cases.region[u_case])
    anchor = np.where(cases.onset_day[u_case] >= 0, np.minimum(cases.onset_day[u_case], cases.sampling_day[u_case]),
                      cases.sampling_day[u_case])
    u_exposure = anchor - rng.integers(0, 3, m)
    u_tests = _test_count(u_listed, u_quarantine, close_tests, end)
    u_false = rng.binomial(u_tests, 1.0 - params.test_specificity)

    case = np.concatenate([t_case, u_case]).astype(np.int64)
    listed = np.concatenate([t_listed, u_listed])
    order = np.lexsort((np.arange(len(case)), listed, case))
    close = {
        "case": case,
        "region": np.concatenate([infections.region[traced], u_region]),
        "exposure_day": np.concatenate([np.floor(infections.infection_time[traced]).astype(np.int64), u_exposure]),
        "listed_day": listed,
        "quarantine_day": np.concatenate([t_quarantine, u_quarantine]),
        "infection": np.concatenate([traced, np.full(m, -1)]),
        "tests": np.concatenate([t_tests, u_tests]),
        "positive_tests": np.concatenate([found_by_test.astype(np.int64), u_false]),
        "first_positive_day": np.concatenate([t_first_positive, np.where(u_false > 0, u_quarantine, -1)]),
    }
    close = {name: values[order] for name, values in close.items()}
    n_close = len(order)

    per_close = rng.poisson(params.secondary_contacts_per_close_mean, n_close)
    via = np.repeat(np.arange(n_close), per_close)
    s = len(via)
    s_listed = close["listed_day"][via] + rng.poisson(params.tracing_delay_mean, s)
    s_quarantine = s_listed + rng.poisson(params.quarantine_entry_delay_mean, s)
    s_tests = _test_count(s_listed, s_quarantine, secondary_tests, end)
    s_false = rng.binomial(s_tests, 1.0 - params.test_specificity)
    secondary = {
        "case": close["case"][via],
        "region": mixer.draw(rng, close["region"][via]),
        "exposure_day": close["listed_day"][via] - rng.integers(0, 3, s),
        "listed_day": s_listed,
        "quarantine_day": s_quarantine,
        "infection": np.full(s, -1),
        "tests": s_tests,
        "positive_tests": s_false,
        "first_positive_day": np.where(s_false > 0, s_quarantine, -1),
    }
    columns = {name: np.concatenate([close[name], secondary[name]]) for name in close}
    dtypes = {"case": np.int64, "region": np.int32, "infection": np.int64, "tests": np.int16,
              "positive_tests": np.int16}
    typed = {name: values.astype(dtypes.get(name, np.int32)) for name, values in columns.items()}
    return Contacts(
        category=np.concatenate([np.full(n_close, CLOSE, np.int8), np.full(s, SECONDARY, np.int8)]),
        via_contact=np.concatenate([np.full(n_close, -1), via]).astype(np.int64),
        **typed,
    )
