"""The simulator's contract: region trees, validation, determinism, travellers, demo, writer and CLI."""

from __future__ import annotations

import dataclasses
import functools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fangkong.epi.simulate import (
    LOOP_EVENTS,
    RegionTree,
    ScenarioParams,
    cli,
    default_demo_params,
    load_region_tree,
    region_tree_from_rows,
    scaled_params,
    simulate_scenario,
    synthetic_tree,
    validate_params,
    write_scenario,
)
from fangkong.epi.simulate.regions import default_region_csv
from fangkong.epi.simulate.travellers import BREAKABLE_STAGES, EVENT

#: The 21 prefectures of Guangdong with their 2020 census population (GB/T 2260 codes).
PREFECTURES_CSV = Path(__file__).parent / "fixtures" / "regions" / "guangdong_prefectures_2020.csv"


def arrow():
    """pyarrow's CSV and Parquet readers; the tests of written files skip without pyarrow (optional)."""
    return pytest.importorskip("pyarrow.csv"), pytest.importorskip("pyarrow.parquet")

SMALL = dict(
    history_days=30,
    epidemic_days=30,
    fever_clinics_per_100k=0.5,
    primary_care_per_100k=0.5,
    pharmacies_per_100k=0.5,
    schools_per_100k=0.5,
    elderly_care_per_100k=0.2,
    quarantine_sites_per_100k=0.2,
    import_seeds=((0, "", 20),),
    traveller_arrivals_per_day=20.0,
)


def small_params(**changes) -> ScenarioParams:
    return ScenarioParams(**{**SMALL, **changes})


def demo_tree() -> RegionTree:
    path = default_region_csv()
    if path is None:
        return load_region_tree(PREFECTURES_CSV)
    return load_region_tree(path)


@functools.cache
def demo_scenario():
    return simulate_scenario(default_demo_params(), demo_tree())


# --- region trees ---------------------------------------------------------------------------------------


def test_given_flat_prefecture_list_when_loaded_then_parents_are_inferred_from_codes():
    tree = load_region_tree(PREFECTURES_CSV)
    assert tree.n == 22
    assert tree.codes[0] == "440000" and tree.parent[0] == -1
    assert np.all(tree.parent[1:] == 0)
    assert tree.leaf_population_total == 126_012_510
    assert set(tree.codes[tree.leaves].tolist()) == set(tree.codes[1:].tolist())


def test_given_region_csv_with_townships_then_leaves_are_counties_and_townships():
    tree = demo_tree()
    if default_region_csv() is None:
        pytest.skip("the demo province's region file is not there yet")
    dongguan = tree.index_of("441900")
    leaves = tree.leaves
    dongguan_leaves = leaves[tree.prefecture_of()[leaves] == dongguan]
    assert len(dongguan_leaves) > 1
    assert all(len(code) == 9 for code in tree.codes[dongguan_leaves])
    assert np.all(tree.parent < np.arange(tree.n))


def test_when_scaled_then_leaf_populations_sum_exactly_and_keep_proportions():
    tree = load_region_tree(PREFECTURES_CSV)
    scaled = tree.scaled_to(10_000_000)
    assert scaled.leaf_population_total == 10_000_000
    assert scaled.population[0] == 10_000_000
    share = tree.population[tree.leaves] / tree.leaf_population_total
    scaled_share = scaled.population[scaled.leaves] / 10_000_000
    assert np.allclose(share, scaled_share, atol=1e-6)


def test_given_bad_trees_then_loader_refuses_clearly(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        region_tree_from_rows([])
    with pytest.raises(ValueError, match="parent 990100 is not in the tree"):
        region_tree_from_rows([{"code": "990101", "parent_code": "990100", "level": "county", "population": "1"}])
    empty = tmp_path / "empty.csv"
    empty.write_text("code,parent_code,level,name_zh,name_en,population\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty"):
        load_region_tree(empty)


def test_simulator_runs_on_any_tree_including_a_single_region():
    single = region_tree_from_rows([{"code": "990000", "parent_code": "", "level": "province",
                                     "name_zh": "单", "name_en": "One", "population": "300000"}])
    scenario = simulate_scenario(small_params(), single)
    assert scenario.cases.n > 0
    assert np.all(scenario.places.region == 0)


# --- validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"close_contacts_mean": -1.0}, "close_contacts_mean must be a finite number >= 0"),
        ({"traveller_arrivals_per_day": -5.0}, "traveller_arrivals_per_day"),
        ({"reproduction_number": ((0, -0.5),)}, "R must be >= 0"),
        ({"reproduction_number": ((5, 1.0), (2, 1.0))}, "strictly increasing"),
        ({"dispersion_k": 0.0}, "dispersion_k must be > 0"),
        ({"missing_report_rate": 1.5}, "missing_report_rate is a probability"),
        ({"ports": (("990000", "spaceport"),)}, "port kind"),
        ({"history_days": -1}, "history_days"),
        ({"residents": 0}, "residents"),
    ],
)
def test_given_invalid_params_then_refused_with_a_clear_message(changes, message):
    with pytest.raises(ValueError, match=message):
        simulate_scenario(small_params(**changes), synthetic_tree())


def test_given_empty_tree_then_refused_before_any_work():
    empty = RegionTree(*(np.zeros(0, dtype) for dtype in (str, np.int32, np.int8, np.int64, str, str)))
    with pytest.raises(ValueError, match="region tree is empty"):
        simulate_scenario(small_params(), empty)


def test_given_a_scale_that_would_not_fit_in_memory_then_refused_before_any_work(tmp_path, monkeypatch):
    from fangkong.epi.simulate import scenario as scenario_module

    def must_not_run(*args, **kwargs):
        raise AssertionError("work started before validation")

    monkeypatch.setattr(scenario_module, "simulate_epidemic_part", must_not_run)
    monkeypatch.setattr("fangkong.epi.simulate.writer.simulate_epidemic_part", must_not_run)
    with pytest.raises(ValueError, match="GiB of memory"):
        write_scenario(scaled_params(10**12), load_region_tree(PREFECTURES_CSV), tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError, match="GiB of memory"):
        simulate_scenario(small_params(residents=10**11), synthetic_tree())


def test_validation_lists_every_problem_at_once():
    with pytest.raises(ValueError) as raised:
        validate_params(small_params(close_contacts_mean=-1.0, test_sensitivity=2.0), synthetic_tree())
    assert "close_contacts_mean" in str(raised.value) and "test_sensitivity" in str(raised.value)


def test_given_unknown_port_region_then_refused():
    with pytest.raises(ValueError, match="port region 123456 is not in the region tree"):
        simulate_scenario(small_params(ports=(("123456", "airport"),)), synthetic_tree())


# --- determinism ----------------------------------------------------------------------------------------


def arrays_of(scenario) -> dict[str, np.ndarray]:
    result = {"sentinel_counts": scenario.sentinel_counts}
    for part in ("places", "cases", "contacts", "travellers", "loop_events"):
        for field in dataclasses.fields(getattr(scenario, part)):
            result[f"{part}.{field.name}"] = getattr(getattr(scenario, part), field.name)
    return result


def test_same_seed_same_scenario_and_different_seed_different_scenario():
    tree = synthetic_tree()
    first = arrays_of(simulate_scenario(small_params(seed=1), tree))
    again = arrays_of(simulate_scenario(small_params(seed=1), tree))
    other = arrays_of(simulate_scenario(small_params(seed=2), tree))
    for name, values in first.items():
        assert np.array_equal(values, again[name], equal_nan=values.dtype.kind == "f"), name
    assert not np.array_equal(first["sentinel_counts"], other["sentinel_counts"])
    assert not np.array_equal(first["cases.report_day"], other["cases.report_day"])


def test_components_draw_from_their_own_streams():
    tree = synthetic_tree()
    base = simulate_scenario(small_params(seed=1), tree)
    more_travellers = simulate_scenario(small_params(seed=1, traveller_arrivals_per_day=40.0), tree)
    assert np.array_equal(base.places.capacity, more_travellers.places.capacity)
    assert np.array_equal(base.sentinel_series.level, more_travellers.sentinel_series.level)


def test_same_seed_same_files_byte_for_byte_and_different_seed_different_files(tmp_path):
    arrow()
    tree = synthetic_tree()
    outputs = []
    for name, seed, formats in (("a", 1, "auto"), ("b", 1, "auto"), ("c", 2, "auto"), ("p", 1, "parquet"),
                                ("q", 1, "parquet")):
        write_scenario(small_params(seed=seed), tree, tmp_path / name, progress=False, formats=formats)
        outputs.append({path.name: path.read_bytes() for path in sorted((tmp_path / name).iterdir())})
    a, b, c, p, q = outputs
    assert a == b
    assert p == q
    assert a.keys() == c.keys()
    assert a["cases.csv"] != c["cases.csv"] and a["sentinel_reports.csv"] != c["sentinel_reports.csv"]


# --- what the writer and the CLI produce -----------------------------------------------------------------


def test_written_files_match_the_in_memory_scenario(tmp_path):
    pa_csv, _ = arrow()
    tree = synthetic_tree()
    params = small_params(seed=4)
    scenario = simulate_scenario(params, tree)
    summary = write_scenario(params, tree, tmp_path, progress=False, formats="csv")
    assert summary.files["cases.csv"] == scenario.cases.n
    assert summary.files["contacts.csv"] == scenario.contacts.n
    assert summary.files["sentinel_reports.csv"] == int((scenario.sentinel_counts >= 0).sum())
    reports = pa_csv.read_csv(tmp_path / "sentinel_reports.csv").to_pydict()
    assert sum(reports["count"]) == int(scenario.sentinel_counts[scenario.sentinel_counts >= 0].sum())
    cases = pa_csv.read_csv(tmp_path / "cases.csv").to_pydict()
    assert cases["report_date"][0] == params.start_date + np.timedelta64(int(scenario.cases.report_day[0]), "D")
    assert (tmp_path / "manifest.json").exists()


def test_cli_writes_a_scaled_scenario_with_parquet_and_reports_progress(tmp_path, capsys):
    pa_csv, pq = arrow()
    out = tmp_path / "sim"
    status = cli.main(["--scale", "200000", "--seed", "3", "--out", str(out), "--history-days", "30",
                       "--format", "parquet", "--regions", str(PREFECTURES_CSV)])
    assert status == 0
    table = pq.read_table(out / "sentinel_reports.parquet")
    assert table.num_rows > 0 and table.column_names == ["site_id", "date", "indicator", "count", "denominator"]
    regions = pa_csv.read_csv(out / "regions.csv").to_pydict()
    assert regions["population"][0] == 200_000
    assert "%" in capsys.readouterr().err


def test_cli_refuses_invalid_scale_with_exit_status_2(tmp_path, capsys):
    status = cli.main(["--scale", "0", "--out", str(tmp_path / "x"), "--regions", str(PREFECTURES_CSV)])
    assert status == 2
    assert "residents" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


# --- travellers -----------------------------------------------------------------------------------------


def test_broken_handoff_fraction_and_missing_events_after_a_break():
    params = small_params(traveller_arrivals_per_day=400.0, broken_handoff_fraction=0.1, import_seeds=())
    scenario = simulate_scenario(params, synthetic_tree())
    travellers, events = scenario.travellers, scenario.loop_events
    broken = travellers.broken_stage >= 0
    f, n = params.broken_handoff_fraction, travellers.n
    assert abs(broken.mean() - f) < 5 * math.sqrt(f * (1 - f) / n)
    for stage in BREAKABLE_STAGES:
        who = np.flatnonzero(travellers.broken_stage == EVENT[stage])
        assert len(who) > 0
        had = events.traveller[events.kind == EVENT[stage]]
        assert not np.isin(who, had).any(), f"an event at or after the break ({stage}) was recorded"
    complete = np.flatnonzero((travellers.broken_stage < 0) & ~travellers.infected
                              & (travellers.entry_time < params.total_days - 20))
    received = events.traveller[events.kind == EVENT["handover_received"]]
    assert np.isin(complete, received).all()
    release = events.kind == EVENT["release"]
    arrival = events.kind == EVENT["quarantine_arrival"]
    days_in = dict(zip(events.traveller[release].tolist(), events.day[release].tolist(), strict=True))
    for traveller, day in zip(events.traveller[arrival].tolist(), events.day[arrival].tolist(), strict=True):
        if traveller in days_in:
            assert days_in[traveller] - day == params.traveller_quarantine_days
    assert set(np.unique(events.kind).tolist()) <= set(range(len(LOOP_EVENTS)))


def test_infected_travellers_are_imported_cases_found_at_entry_or_in_quarantine():
    params = small_params(traveller_arrivals_per_day=300.0, traveller_infected_fraction=0.05,
                          broken_handoff_fraction=0.0, import_seeds=())
    scenario = simulate_scenario(params, synthetic_tree())
    cases = scenario.cases
    imported = cases.imported
    assert imported.sum() > 100
    # Found at entry (inbound_screening) or in quarantine; the few missed by every test surface later.
    in_loop = np.isin(cases.route[imported], [2, 4]).mean()
    assert in_loop > 0.9
    # Closed-loop travellers do not transmit locally.
    assert scenario.truth.infections.offspring[scenario.truth.infections.imported].sum() == 0


# --- the demo -------------------------------------------------------------------------------------------


def test_demo_has_the_size_the_demo_needs():
    """Its speed (target: under 10 s in memory) is measured by ``benchmarks/bench_simulate.py --demo-only``."""
    scenario = simulate_scenario(default_demo_params(), demo_tree())
    assert 1_000 <= scenario.cases.n <= 3_000
    assert 15_000 <= scenario.contacts.n <= 60_000
    sites = np.isin(scenario.places.kind, [0, 1, 2, 3]).sum()
    assert 300 <= sites <= 2_000
    assert scenario.params.history_days == 90


def test_demo_outbreaks_are_in_shenzhen_and_dongguan_with_sporadic_clusters_elsewhere():
    scenario = demo_scenario()
    tree = scenario.tree
    prefecture = tree.codes[tree.prefecture_of()[scenario.cases.region]]
    codes, counts = np.unique(prefecture[~scenario.cases.imported], return_counts=True)
    ranking = codes[np.argsort(-counts)].tolist()
    assert set(ranking[:2]) == {"440300", "441900"}
    assert len(ranking) >= 5
    imported_seeds = scenario.travellers.seed
    assert imported_seeds.sum() > 0
    for prefecture in ("440300", "441900"):
        subtree = tree.subtree_mask(tree.index_of(prefecture))
        assert scenario.truth.outbreak[subtree].any(), prefecture


def test_demo_long_history_gives_two_years():
    params = default_demo_params(long_history=True)
    assert params.history_days == 730
    assert params.start_date.isoformat() == "2020-02-16"


# --- properties -----------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    populations=st.lists(st.integers(min_value=0, max_value=10**8), min_size=1, max_size=30).filter(any),
    residents=st.integers(min_value=1, max_value=10**10),
)
def test_scaling_any_tree_gives_exactly_the_residents_asked_for(populations, residents):
    rows = [{"code": "990000", "parent_code": "", "level": "province", "population": "0"}]
    rows += [{"code": f"99{i // 10 + 1:02d}{i % 10 + 1:02d}", "parent_code": "990000", "level": "county",
              "population": str(p)} for i, p in enumerate(populations)]
    tree = region_tree_from_rows(rows)
    scaled = tree.scaled_to(residents)
    assert scaled.leaf_population_total == residents
    assert scaled.population[0] == residents
    assert np.all(scaled.population >= 0)
    zero = tree.population[tree.leaves] == 0
    assert np.all(scaled.population[tree.leaves][zero] == 0)


def test_without_pyarrow_the_writer_and_the_cli_say_what_to_install(tmp_path, monkeypatch, capsys):
    """pyarrow is optional: the in-memory simulator works without it, writing files names the extra."""
    from fangkong.epi.simulate import writer

    monkeypatch.setattr(writer, "pa", None)
    with pytest.raises(ImportError, match=r"fangkong-epi\[files\]"):
        write_scenario(small_params(), synthetic_tree(), tmp_path / "w", progress=False)
    assert not (tmp_path / "w").exists()
    status = cli.main(["--scale", "200000", "--out", str(tmp_path / "c"), "--regions", str(PREFECTURES_CSV)])
    assert status == 2 and "pyarrow" in capsys.readouterr().err
    assert simulate_scenario(small_params(), synthetic_tree()).cases.n > 0
