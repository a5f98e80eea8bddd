"""Write a scenario to disk in the modules' import formats, streamed so that memory stays bounded.

:func:`write_scenario` keeps the epidemic part (places, travellers, infections, cases, contacts) in
memory and streams the sentinel reports block by block. Tables go to CSV (UTF-8, header, ISO dates,
empty cells for missing values), or to Parquet when a table is large (``formats="auto"``: more than
:data:`PARQUET_ROWS` rows). A ``manifest.json`` lists every file with its row count and the
parameters. Output is byte-for-byte identical for the same parameters and seed.

The files are written with Arrow's CSV and Parquet writers, so this module needs ``pyarrow`` (the
``files`` extra of the ``fangkong-epi`` distribution); everything else in :mod:`fangkong.epi`, the
in-memory :func:`~fangkong.epi.simulate.simulate_scenario` included, needs only numpy and scipy.

Files: ``regions.csv``, ``places``, ``sentinel_series``, ``sentinel_reports`` (one row per reported
site × indicator × day), ``cases``, ``contacts``, ``travellers``, ``loop_events``, and the truth:
``truth_infections``, ``truth_travellers``, ``truth_outbreak_periods``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TextIO

import numpy as np

try:  # optional: only writing files needs Arrow
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq
except ImportError:  # pragma: no cover - exercised by the standalone library test (make test-epi-standalone)
    pa = pa_csv = pq = None

from .epidemic import Infections
from .linelist import CLOSE
from .params import DETECTION_ROUTES, INDICATORS, PLACE_KINDS, ScenarioParams, validate_params
from .places import place_codes, place_names
from .regions import LEVELS, RegionTree
from .scenario import simulate_epidemic_part
from .sentinel import SERIES_BLOCK, outbreak_mask, outbreak_periods, sentinel_blocks
from .travellers import LOOP_EVENTS

#: Tables with more rows than this go to Parquet in ``formats="auto"``.
PARQUET_ROWS = 1_000_000
#: Rows per write when a table held in memory is written in pieces.
WRITE_CHUNK = 500_000



class ProgressBar:
    """A small text progress bar on stderr (no dependency), redrawn at most five times a second."""

    def __init__(self, total: int, *, enabled: bool = True, stream: TextIO | None = None, width: int = 30) -> None:
        self.total = max(int(total), 1)
        self.done = 0
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.label = ""

    def advance(self, units: int, label: str | None = None) -> None:
        self.done = min(self.done + int(units), self.total)
        if label is not None:
            self.label = label
        now = time.monotonic()
        if self.enabled and (now - self.last_draw > 0.2 or self.done >= self.total):
            self.last_draw = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        fraction = self.done / self.total
        filled = int(round(fraction * self.width))
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = now - self.started
        self.stream.write(f"\r[{bar}] {fraction:6.1%} {elapsed:7.1f}s {self.label:<28.28}")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            if self.done < self.total:
                self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()


def _date32(params: ScenarioParams, days: np.ndarray) -> pa.Array:
    """Day offsets → Arrow date32, null where the offset is negative (no date)."""
    days = np.asarray(days, dtype=np.int64)
    epoch_offset = (params.start_date - date(1970, 1, 1)).days
    return pa.array((days + epoch_offset).astype(np.int32), type=pa.date32(), mask=days < 0)


def _nullable(values: np.ndarray, missing: np.ndarray) -> pa.Array:
    return pa.array(values, mask=missing)


def _times(values: np.ndarray) -> pa.Array:
    finite = np.isfinite(values)
    return pa.array(np.round(np.where(finite, values, 0.0), 4), mask=~finite)


class _TableSink:
    """One output table: CSV or Parquet, written piece by piece."""

    def __init__(self, directory: Path, name: str, parquet: bool) -> None:
        self.path = directory / (name + (".parquet" if parquet else ".csv"))
        self.parquet = parquet
        self.writer: pq.ParquetWriter | pa_csv.CSVWriter | None = None
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if self.writer is None:
            if self.parquet:
                self.writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
            else:
                self.writer = pa_csv.CSVWriter(self.path, table.schema)
        self.writer.write_table(table)
        self.rows += table.num_rows

    def close(self, schema: pa.Schema | None = None) -> None:
        if self.writer is None and schema is not None:
            self.write(schema.empty_table())
        if self.writer is not None:
            self.writer.close()


@dataclasses.dataclass(frozen=True)
class WriteSummary:
    """What :func:`write_scenario` wrote: file name → rows, and the elapsed seconds."""

    files: dict[str, int]
    seconds: float
    infections_capped: bool = False


def _choose(formats: str, rows: int) -> bool:
    if formats == "parquet":
        return True
    if formats == "csv":
        return False
    return rows > PARQUET_ROWS


def _write_table(directory: Path, name: str, columns: dict[str, pa.Array | np.ndarray], formats: str,
                 files: dict[str, int]) -> None:
    table = pa.table(columns)
    sink = _TableSink(directory, name, _choose(formats, table.num_rows))
    for offset in range(0, max(table.num_rows, 1), WRITE_CHUNK):
        sink.write(table.slice(offset, WRITE_CHUNK))
    sink.close()
    files[sink.path.name] = table.num_rows


def write_scenario(
    params: ScenarioParams,
    tree: RegionTree,
    out_dir: str | Path,
    *,
    scale: int | None = None,
    progress: bool = True,
    formats: str = "auto",
    on_block: Callable[[int], None] | None = None,
) -> WriteSummary:
    """Generate the scenario for ``params`` (scaled to ``scale`` residents if given) and write it.

    ``formats`` is ``"auto"`` (Parquet for large tables), ``"csv"`` or ``"parquet"``. Raises
    ``ValueError`` before any work if the parameters, the tree or the scale are invalid, and
    ``ImportError`` if ``pyarrow`` is not installed.
    """
    if formats not in ("auto", "csv", "parquet"):
        raise ValueError(f"formats must be auto, csv or parquet, got {formats!r}")
    if scale is not None:
        params = params.replace(residents=scale)
    validate_params(params, tree, sentinel_in_memory=False)
    if pa is None:
        raise ImportError("write_scenario writes CSV and Parquet with pyarrow, which is not installed: "
                          "pip install 'fangkong-epi[files]' (or pyarrow)")
    started = time.monotonic()
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    bar = ProgressBar(10, enabled=progress)
    bar.advance(0, "generating the epidemic")
    part = simulate_epidemic_part(params, tree)
    tree = part.tree
    bar.total = -(-part.series.n // SERIES_BLOCK) + 9
    bar.advance(1, "epidemic generated")
    files: dict[str, int] = {}
    region_code = tree.codes.astype(str)
    parent_code = np.where(tree.parent >= 0, region_code[np.maximum(tree.parent, 0)], "")
    _write_table(directory, "regions", {
        "code": region_code, "parent_code": parent_code,
        "level": np.array(LEVELS)[tree.level], "name_zh": tree.names_zh.astype(str),
        "name_en": tree.names_en.astype(str), "population": tree.population,
    }, "csv", files)
    places = part.places
    place_code = place_codes(places)
    _write_table(directory, "places", {
        "place_id": np.arange(places.n), "code": place_code, "kind": np.array(PLACE_KINDS)[places.kind],
        "name_zh": place_names(tree, places), "region_code": region_code[places.region],
        "capacity": places.capacity,
    }, formats, files)
    bar.advance(1, "places")
    series = part.series
    _write_table(directory, "sentinel_series", {
        "series_id": np.arange(series.n), "site_id": series.site,
        "indicator": np.array(INDICATORS)[series.indicator], "level": np.round(series.level, 4),
    }, formats, files)
    _write_cases_and_contacts(params, tree, part, formats, directory, files)
    bar.advance(3, "cases and contacts")
    _write_travellers(params, tree, part, formats, directory, files)
    bar.advance(1, "travellers")
    _write_truth(params, tree, part.infections, part.case_of_infection, formats, directory, files)
    mask, _, _ = outbreak_mask(params, tree, series, part.onsets)
    periods = outbreak_periods(mask)
    _write_table(directory, "truth_outbreak_periods", {
        "region_code": region_code[periods["region"]],
        "indicator": np.array(INDICATORS)[periods["indicator"]],
        "start_date": _date32(params, periods["start_day"]), "end_date": _date32(params, periods["end_day"]),
    }, "csv", files)
    bar.advance(1, "truth")

    expected_rows = series.n * params.total_days
    sink = _TableSink(directory, "sentinel_reports", _choose(formats, expected_rows))
    indicator_names = pa.array(list(INDICATORS)).dictionary_encode()
    schema = None
    for block in sentinel_blocks(params, tree, series, part.onsets):
        counts = block.counts
        rows, days = np.nonzero(counts >= 0)
        series_index = block.first_series + rows
        indicator_codes = pa.array(series.indicator[series_index].astype(np.int32))
        table = pa.table({
            "site_id": pa.array(series.site[series_index]),
            "date": _date32(params, days),
            "indicator": pa.DictionaryArray.from_arrays(indicator_codes, indicator_names.dictionary)
            if sink.parquet else indicator_names.dictionary.take(indicator_codes),
            "count": pa.array(counts[rows, days]),
            "denominator": _nullable(block.denominators[rows, days], block.denominators[rows, days] < 0),
        })
        schema = table.schema
        sink.write(table)
        bar.advance(1, f"sentinel {sink.rows:,} rows")
        if on_block is not None:
            on_block(sink.rows)
    sink.close(schema)
    files[sink.path.name] = sink.rows
    bar.advance(2, "done")
    bar.close()
    seconds = time.monotonic() - started
    manifest = {
        "generator": "fangkong.epi.simulate",
        "start_date": params.start_date.isoformat(),
        "epidemic_start_date": date.fromordinal(params.start_date.toordinal() + params.epidemic_start).isoformat(),
        "days": params.total_days,
        "residents": int(tree.leaf_population_total),
        "infections_capped_at_max_infections": bool(part.infections.truncated),
        "files": files,
        "params": _params_json(params),
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                             encoding="utf-8")
    return WriteSummary(files=files, seconds=seconds, infections_capped=bool(part.infections.truncated))


def _params_json(params: ScenarioParams) -> dict:
    values = dataclasses.asdict(params)
    values["start_date"] = params.start_date.isoformat()
    return values


def _write_cases_and_contacts(params, tree, part, formats, directory, files) -> None:
    region_code = tree.codes.astype(str)
    cases = part.cases
    _write_table(directory, "cases", {
        "case_id": np.arange(cases.n),
        "infection_id": cases.infection,
        "infector_case_id": _nullable(cases.infector_case, cases.infector_case < 0),
        "region_code": region_code[cases.region],
        "infection_date": _date32(params, cases.infection_day),
        "onset_date": _date32(params, cases.onset_day),
        "sampling_date": _date32(params, cases.sampling_day),
        "report_date": _date32(params, cases.report_day),
        "asymptomatic": cases.asymptomatic,
        "detection_route": np.array(DETECTION_ROUTES)[cases.route] if cases.n else np.zeros(0, str),
        "imported": cases.imported,
        "port_id": _nullable(cases.port, cases.port < 0),
        "traveller_id": _nullable(cases.traveller, cases.traveller < 0),
        "report_time": _times(part.case_times.report_time),
        "first_visit_time": _times(part.case_times.first_visit_time),
        "isolation_time": _times(part.case_times.isolation_time),
        "treatment_time": _times(part.case_times.treatment_time),
    }, formats, files)
    contacts = part.contacts
    _write_table(directory, "contacts", {
        "contact_id": np.arange(contacts.n),
        "case_id": contacts.case,
        "category": np.where(contacts.category == CLOSE, "close", "secondary"),
        "via_contact_id": _nullable(contacts.via_contact, contacts.via_contact < 0),
        "region_code": region_code[contacts.region],
        "exposure_date": _date32(params, contacts.exposure_day),
        "listed_date": _date32(params, contacts.listed_day),
        "quarantine_date": _date32(params, contacts.quarantine_day),
        "tests": contacts.tests,
        "positive_tests": contacts.positive_tests,
        "first_positive_date": _date32(params, contacts.first_positive_day),
        "infection_id": _nullable(contacts.infection, contacts.infection < 0),
    }, formats, files)


def _write_travellers(params, tree, part, formats, directory, files) -> None:
    region_code = tree.codes.astype(str)
    travellers = part.travellers
    _write_table(directory, "travellers", {
        "traveller_id": np.arange(travellers.n),
        "port_id": travellers.port,
        "entry_date": _date32(params, np.floor(travellers.entry_time).astype(np.int64)),
        "destination_code": region_code[travellers.destination],
        "quarantine_site_id": _nullable(travellers.quarantine_site, travellers.quarantine_site < 0),
    }, formats, files)
    events = part.loop_events
    _write_table(directory, "loop_events", {
        "traveller_id": events.traveller,
        "event": np.array(LOOP_EVENTS)[events.kind] if events.n else np.zeros(0, str),
        "date": _date32(params, events.day),
        "place_id": _nullable(events.place, events.place < 0),
        "region_code": region_code[events.region],
        "result": _nullable(np.where(events.result == 1, "positive", "negative"), events.result < 0),
    }, formats, files)
    broken = travellers.broken_stage.astype(np.int64)
    _write_table(directory, "truth_travellers", {
        "traveller_id": np.arange(travellers.n),
        "infected": travellers.infected,
        "infection_time": _times(travellers.infection_time),
        "broken_at": _nullable(np.array(LOOP_EVENTS)[np.maximum(broken, 0)], broken < 0),
        "import_seed": travellers.seed,
    }, formats, files)


def _write_truth(params, tree, infections: Infections, case_of, formats, directory, files) -> None:
    region_code = tree.codes.astype(str)
    route = infections.route.astype(np.int64)
    _write_table(directory, "truth_infections", {
        "infection_id": np.arange(infections.n),
        "infector_id": _nullable(infections.infector, infections.infector < 0),
        "generation": infections.generation,
        "region_code": region_code[infections.region],
        "infection_time": _times(infections.infection_time),
        "onset_time": _times(infections.onset_time),
        "detection_time": _times(infections.detection_time),
        "detection_route": _nullable(np.array(DETECTION_ROUTES)[np.maximum(route, 0)], route < 0),
        "case_id": _nullable(case_of, case_of < 0),
        "imported": infections.imported,
        "asymptomatic": infections.asymptomatic,
        "traced": infections.traced,
        "offspring": infections.offspring,
    }, formats, files)
