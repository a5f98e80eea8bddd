"""The module kit: what a module declares about itself, and how the platform discovers it.

A module is a Django app whose ``AppConfig`` subclasses :class:`ModuleConfig` and declares, as class
attributes, everything the platform needs from it (``docs/adding-a-module.md`` walks through one):

- ``navigation``: its entries in the navigation (:class:`NavEntry`); an entry whose slug is one of the
  planned modules (``fangkong.web.modules.PLANNED``) takes that placeholder's place;
- ``capabilities``: what its users may do beyond reading (:class:`CapabilityGrant`: code, label, the roles
  that get it) — ``fangkong.accounts.access.can`` reads the grants of every module;
- ``page_urls`` (prefix and URL module) and ``api_urls`` (mounted under ``/api/v1/``);
- ``demo_loader``: the function loading its part of the demo scenario, and ``demo_order``;
- ``periodic_jobs`` (:class:`PeriodicJob`, for Celery beat); its Celery tasks live in ``tasks.py``, which
  ``fangkong.jobs`` discovers in every installed app;
- ``dashboard_panels`` (:class:`DashboardPanel`) and ``figure_sources``: the models whose rows the
  dashboard's figures read; the module's services writing them call ``bump_data_generation``
  (``fangkong.data_generation``; the dashboard's tests check that each writing module does);
- ``scoped_tables`` and ``scope_records``: the tables the scope test checks are unchanged after every URL
  was called by a user of another city, and the function (in the module's tests) that creates that other
  city's records and names the URL parameter values that reach them;
- ``served_reaches``: the need-to-know reaches only a module can answer (``need_to_know.MODULE_REACHES``:
  a laboratory's own samples, a manager's assigned sites) that this module's selectors answer: declaring
  one makes it live for every role granted it (until then it resolves to no rows, and the need-to-know
  test holds the roles reading it to nothing);
- ``isolated_paths``: what the module writes outside the database, as ``(environment variable, relative
  path)``: every test of the platform — the walks over every URL included, which run from other packages —
  points each variable at a fresh temporary folder (``fangkong/conftest.py``), so that no test writes into
  the checkout's ``var/`` and no test reads what an earlier one wrote;
- ``person_sections``: what it adds to a person's page (dotted paths of ``section(request, person) -> str``,
  HTML the module renders through its own selectors, or "" — a laboratory's temporary control, say);
- ``record_sections``: what it adds to the page and the API detail of records of other modules' models
  (:class:`RecordSection`: the models, ``section(request, obj) -> str`` shown where the record's template says
  ``{% record_sections obj %}``, and ``data(request, obj)`` given under ``sections[key]`` of its API detail —
  the retention module's scheduled deletion on a case, a contact, a traveller…) — the records' modules
  name no module;
- ``import_kinds``: the kinds of file it imports through the platform's import jobs (:class:`ImportKind`,
  ``fangkong.cases.jobs``: the upload sealed while the job may run, dropped when it ends, progress and
  heartbeat, the job's page) — the jobs know no module by name;
- ``problem_sources``: the kinds of problem it raises in the problem list of the three lists
  (:class:`ProblemSource`: the code stored on each problem, its label, and the function the ``worklists-feed``
  job calls to raise what its records show) — the lists know no module by name;
- ``report_sections``: its paragraphs of the official daily report (:class:`ReportSection`: the figures of a
  region and day, frozen with the report, and their wording in each language) — the report knows no module
  by name;
- ``aggregate_figures``: the figures it counts for aggregate exchange (:class:`AggregateFigures`: tests, beds
  occupied, sentinel indicators… for a region and period) — the DHIS2 mapping knows no module by name;
- ``result_receivers``: what it does with persons' test results as a laboratory records them (dotted paths of
  ``receive(rows, *, actor)``, called by :func:`person_results_hand_over` in the recording's transaction:
  ``rows`` are querysets whose rows carry ``person_id``, ``sampled_on`` (the local day) and ``outcome``) —
  the laboratory knows no module that awaits its results by name;
- ``resource_demands``: what its plans will use of the resources the resources module forecasts
  (:class:`DemandSource`: a mass-screening round's test kits and samplers for its days, as
  :class:`PlannedDemand` rows) — added to the forecast of the city they fall in and listed by region on the
  forecast's page; the forecast knows no module by name.

The functions below read the declarations of the installed modules, in the order of ``INSTALLED_APPS``.
Nothing here imports a module: declarations are data and dotted paths, resolved when used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from django.apps import AppConfig, apps
from django.utils.functional import Promise
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class NavEntry:
    """One entry of the navigation; ``url_name`` None marks a module not built yet (a placeholder page)."""

    slug: str
    title: Promise | str
    summary: Promise | str
    url_name: str | None = None


@dataclass(frozen=True)
class CapabilityGrant:
    """A capability (``"<module>.<verb>"``) a module defines, its label, the roles that hold it, and the data
    category it writes — or reads, for a read capability such as a reveal (``fangkong.accounts.need_to_know``:
    a role may hold it only where the matrix lets it write, or read, that category; a test checks it)."""

    code: str
    label: Promise | str
    roles: tuple[str, ...]
    category: str


@dataclass(frozen=True)
class PeriodicJob:
    """A Celery task run on a schedule (``crontab`` keyword arguments, local time)."""

    name: str
    task: str
    crontab: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ProblemSource:
    """A kind of problem a module raises in the problem list (``fangkong.worklists``): ``code`` is stored on
    each problem (at most 16 characters), ``label`` shown beside it; ``feed``, if given, is the dotted path of
    ``feed(now) -> int``, called by the periodic job ``worklists-feed`` to raise, through
    ``worklists.services.problem_raise`` (idempotent by source and key), the problems the module's records
    show, returning how many it raised."""

    code: str
    label: Promise | str
    feed: str | None = None


@dataclass(frozen=True)
class ImportKind:
    """A kind of file a module imports as an import job (``fangkong.cases.jobs.import_job_submit``): ``code``
    is stored on the job (at most 16 characters), ``label`` shown on its page; ``allowed`` is the dotted path of
    ``allowed(actor) -> None`` (``PermissionDenied`` for a role that may not import it, asked before the
    upload is read), ``run`` that of ``run(*, actor, data: bytes, name: str, source: str, progress) ->
    ImportOutcome`` (``fangkong.cases.imports``), which reads the file, saves all its rows or none and raises
    ``ImportRejected`` with every row's errors; ``max_bytes`` the largest upload it takes."""

    code: str
    label: Promise | str
    allowed: str
    run: str
    max_bytes: int = 20 * 1024 * 1024
    #: The file belongs to one record of the module (a laboratory's result file): ``import_job_submit`` takes
    #: its ``target`` (the record's id, as text; required), the job keeps it, and ``run`` receives it as
    #: ``target=`` — the run reads the record again and checks again that the actor may import for it.
    targeted: bool = False
    #: A table (CSV or XLSX: its kind checked from its name and first bytes before it is read); ``False`` for a
    #: file the module reads itself (``fangkong.interop``'s NDJSON of FHIR Bundles): only its size is checked.
    tabular: bool = True
    #: The URL name of the module's page that submits this kind (reversed with the job's ``target`` for a
    #: targeted kind): the job's page leads back to it ("Import another file"); empty: a kind imported through
    #: the API only (``/api/v1/import-jobs/``), whose job page links to no import page.
    page: str = ""


@dataclass(frozen=True)
class AggregateFigures:
    """Figures a module counts for the exchange of aggregate data (``fangkong.interop``'s DHIS2 data value sets):
    ``code`` the prefix of its figures' codes (``laboratory`` → ``laboratory.tests``; 1 to 16 characters);
    ``choices`` the dotted path of ``choices() -> list[tuple[str, str]]``, each figure's code and label (read
    when used: a sentinel indicator added is a figure at once; a code has at most 64 characters); ``count``
    that of ``count(user, code, region, first, last) -> int``: the figure for ``region``'s subtree from
    ``first`` to ``last`` (inclusive), read as aggregates in ``user``'s scope — an amount held on a day (beds
    occupied) is that of ``last``."""

    code: str
    choices: str
    count: str


@dataclass(frozen=True)
class PlannedDemand:
    """What a module's plan will use of one resource of ``fangkong.resources``' forecast, each day from
    ``first`` to ``last`` (inclusive): ``per_day`` units a day in ``region`` (a code; the forecast adds it to
    the city it lies in). ``resource`` is a resource of the forecast: ``"staff"`` (persons on duty that day,
    compared with the staff teams available) or ``"supply:<item>"`` (used that day, drawn from the stock:
    ``"supply:test_kits"``). ``label`` names the plan (a round's name) and ``url`` its page, for the list of
    planned demands on the forecast's page."""

    region: str
    resource: str
    first: dt.date
    last: dt.date
    per_day: float
    label: str
    url: str = ""


@dataclass(frozen=True)
class DemandSource:
    """A kind of plan whose needs feed the resources forecast (``fangkong.resources.forecast``): ``code`` (1 to
    16 characters), ``label`` (shown beside its demands), and ``demands`` the dotted path of ``demands(prefixes:
    list[str], first: date, last: date) -> list[PlannedDemand]``: the plans in force (not cancelled, not
    finished) in the regions under these code prefixes with days between ``first`` and ``last``. The caller
    chooses the prefixes — the cities it forecasts, or the regions where the reader reads aggregates — so the
    function reads unscoped, counts only (no person)."""

    code: str
    label: Promise | str
    demands: str


@dataclass(frozen=True)
class ReportSection:
    """A paragraph of the official daily report (``fangkong.bulletins``). ``figures`` is the dotted path of
    ``figures(user, region, day) -> dict | None``: counts for the region (its subtree) on the day, read in the
    drafter's scope, JSON-serialisable — they are frozen into the report's content under ``sections[key]``,
    so a report reads the same later; None when the module has nothing to say for the region. ``wording`` is
    the dotted path of ``wording(figures, language, scope) -> str | None``: the paragraph in the official form
    of ``language`` ("zh-hans" or "en"); ``scope`` names the region as the report does ("深圳市",
    "Shenzhen"). Counts only: a report is read widely, it names no person."""

    key: str
    figures: str
    wording: str


@dataclass(frozen=True)
class RecordSection:
    """What a module adds to the detail of records of other modules' models (a record's page and its API
    detail), through its own selectors: ``models`` the labels of those models (``"cases.Case"``); ``section``
    the dotted path of ``section(request, obj) -> str``, HTML shown on the record's page where its template
    says ``{% record_sections obj %}`` (``fangkong.web.templatetags.record_sections``), or "" for nothing;
    ``key`` and ``data``, when the record's API detail carries it too: the dotted path of
    ``data(request, obj) -> dict | None``, given under ``sections[key]`` (``fangkong.api.fields.RecordSections``).
    Both are called only once the record's own page or endpoint has let the reader see ``obj`` (scope and need
    to know): they add nothing the reader may not read, and nothing about other records."""

    models: tuple[str, ...]
    section: str
    key: str = ""
    data: str | None = None


@dataclass(frozen=True)
class DashboardPanel:
    """A panel of the region dashboard: a template and the dotted path of ``context(request, code) -> dict``."""

    slug: str
    title: Promise | str
    template: str
    context: str


class ModuleConfig(AppConfig):
    """The declaration of a module (module docstring). Every attribute has an empty default."""

    navigation: tuple[NavEntry, ...] = ()
    capabilities: tuple[CapabilityGrant, ...] = ()
    page_urls: tuple[str, str] | None = None  # ("cases/", "fangkong.cases.urls")
    api_urls: str | None = None  # "fangkong.cases.api_urls", mounted under /api/v1/
    demo_loader: str | None = None  # "fangkong.cases.demo.demo_load": loader(actor) -> str (one line of output)
    demo_order: int = 100  # loaders run by increasing order (a loader may need another's rows)
    periodic_jobs: tuple[PeriodicJob, ...] = ()
    dashboard_panels: tuple[DashboardPanel, ...] = ()
    figure_sources: tuple[str, ...] = ()  # model names of this app the dashboard's figures are computed from
    scoped_tables: tuple[str, ...] = ()  # model names of this app the scope test counts
    scope_records: str | None = None  # "fangkong.cases.tests.scope.other_city_records": (actor) -> {param: [values]}
    served_reaches: tuple[str, ...] = ()  # (Reach.ASSIGNED_SITES,): module reaches its selectors answer
    isolated_paths: tuple[tuple[str, str], ...] = ()  # (("FANGKONG_PUBLIC_SITE_DIR", "site"),): set apart in tests
    problem_sources: tuple[ProblemSource, ...] = ()  # (ProblemSource("inbound", _("Broken hand-off"), "…feed"),)
    import_kinds: tuple[ImportKind, ...] = ()  # (ImportKind("keypop_roster", _("Roster"), "…allowed", "…run"),)
    report_sections: tuple[ReportSection, ...] = ()  # (ReportSection("inbound", "…report_figures", "…wording"),)
    person_sections: tuple[str, ...] = ()  # ("fangkong.laboratory.views.person_section",): on a person's page
    record_sections: tuple[RecordSection, ...] = ()  # (RecordSection(("cases.Case",), "…section", "key", "…data"),)
    aggregate_figures: tuple[AggregateFigures, ...] = ()  # (AggregateFigures("laboratory", "…choices", "…count"),)
    result_receivers: tuple[str, ...] = ()  # ("fangkong.followup.services.laboratory_results_receive",)
    resource_demands: tuple[DemandSource, ...] = ()  # (DemandSource("lab_rounds", _("Screening rounds"), "…demands"),)


def installed_modules() -> list[ModuleConfig]:
    """The installed modules, in the order of ``INSTALLED_APPS``."""
    return [config for config in apps.get_app_configs() if isinstance(config, ModuleConfig)]


def navigation_entries() -> list[NavEntry]:
    """Every module's navigation entries."""
    return [entry for module in installed_modules() for entry in module.navigation]


def capability_grants() -> list[CapabilityGrant]:
    """Every capability the modules define; a code defined twice is an error."""
    grants = [grant for module in installed_modules() for grant in module.capabilities]
    codes = [grant.code for grant in grants]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise ValueError(f"capabilities declared by more than one module: {duplicates}")
    return grants


@cache
def role_capabilities() -> dict[str, frozenset[str]]:
    """Role → the capability codes it holds, from the modules' grants (read once: apps do not change)."""
    table: dict[str, set[str]] = {}
    for grant in capability_grants():
        for role in grant.roles:
            table.setdefault(str(role), set()).add(grant.code)
    return {role: frozenset(codes) for role, codes in table.items()}


def person_sections(request, person) -> list[str]:
    """The sections the modules add to ``person``'s page (``ModuleConfig.person_sections``), those not empty."""
    found = (import_string(path)(request, person) for module in installed_modules() for path in module.person_sections)
    return [html for html in found if html]


@cache
def record_declarations() -> dict[str, tuple[RecordSection, ...]]:
    """Model label → the record sections the modules declare for it; a label naming no installed model, a
    ``data`` without its ``key`` and a key declared twice for one model are errors (two modules would write
    one place of the API detail)."""
    table: dict[str, list[RecordSection]] = {}
    for module in installed_modules():
        for declared in module.record_sections:
            if bool(declared.key) != bool(declared.data):
                raise ValueError(f"record section {declared.section!r}: a key and its data go together")
            for label in declared.models:
                apps.get_model(label)  # LookupError for a model no installed app has
                keys = [other.key for other in table.get(label, ()) if other.key]
                if declared.key and declared.key in keys:
                    raise ValueError(f"record section key {declared.key!r} declared twice for {label}")
                table.setdefault(label, []).append(declared)
    return {label: tuple(found) for label, found in table.items()}


def record_sections(request, obj) -> list[str]:
    """The sections the modules add to the page of ``obj`` (``ModuleConfig.record_sections``), those not empty."""
    found = (import_string(declared.section)(request, obj)
             for declared in record_declarations().get(obj._meta.label, ()))
    return [html for html in found if html]


def record_data(request, obj) -> dict:
    """What the modules add to the API detail of ``obj``: ``{key: data(request, obj)}`` (None when a module has
    nothing to say about it, the key kept: the detail of a model always has the same keys)."""
    return {declared.key: import_string(declared.data)(request, obj)
            for declared in record_declarations().get(obj._meta.label, ()) if declared.data}


def _by_code(attribute: str, what: str) -> dict:
    """Code → the declaration in ``attribute`` (``problem_sources``, ``import_kinds``) of every module; a code
    declared twice, or not of 1 to 16 characters (the column that stores it), is an error."""
    table: dict = {}
    for module in installed_modules():
        for declared in getattr(module, attribute):
            if declared.code in table:
                raise ValueError(f"{what} {declared.code!r} declared by more than one module")
            if not 0 < len(declared.code) <= 16:
                raise ValueError(f"{what} {declared.code!r}: a code has 1 to 16 characters")
            table[declared.code] = declared
    return table


@cache
def problem_sources() -> dict[str, ProblemSource]:
    """Code → the problem source declaring it, of every module (``_by_code``; read once: apps do not change)."""
    return _by_code("problem_sources", "problem source")


@cache
def import_kinds() -> dict[str, ImportKind]:
    """Code → the import kind declaring it, of every module (``_by_code``; read once: apps do not change)."""
    return _by_code("import_kinds", "import kind")


@cache
def aggregate_figures() -> dict[str, AggregateFigures]:
    """Prefix → the aggregate figures declaring it, of every module (``_by_code``; read once)."""
    return _by_code("aggregate_figures", "aggregate figures")


def person_results_hand_over(rows, *, actor) -> None:
    """Persons' test results just recorded (``rows``: querysets, each row with ``person_id``, ``sampled_on`` and
    ``outcome``) handed to every module that awaits them (``ModuleConfig.result_receivers``), in the caller's
    transaction: a receiver that fails rolls the recording back."""
    for module in installed_modules():
        for path in module.result_receivers:
            import_string(path)(rows, actor=actor)


@cache
def demand_sources() -> dict[str, DemandSource]:
    """Code → the demand source declaring it, of every module (``_by_code``; read once)."""
    return _by_code("resource_demands", "demand source")


def url_modules() -> tuple[list[tuple[str, str]], list[str]]:
    """``([(prefix, page URL module)], [API URL module])`` of the installed modules."""
    pages = [module.page_urls for module in installed_modules() if module.page_urls]
    api = [module.api_urls for module in installed_modules() if module.api_urls]
    return pages, api


def demo_loaders() -> list[Callable]:
    """The modules' demo loaders, by ``demo_order`` (then ``INSTALLED_APPS``)."""
    declared = [module for module in installed_modules() if module.demo_loader]
    return [import_string(module.demo_loader) for module in sorted(declared, key=lambda m: m.demo_order)]


def periodic_jobs() -> list[PeriodicJob]:
    return [job for module in installed_modules() for job in module.periodic_jobs]


def dashboard_panels() -> list[DashboardPanel]:
    return [panel for module in installed_modules() for panel in module.dashboard_panels]


def report_sections() -> list[ReportSection]:
    """The daily report's sections of the installed modules, in the order of ``INSTALLED_APPS``; a key
    declared twice is an error (two modules would write one place of the report's content)."""
    sections = [section for module in installed_modules() for section in module.report_sections]
    keys = [section.key for section in sections]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError(f"report sections declared by more than one module: {duplicates}")
    return sections


def figure_source_models() -> list:
    """The model classes whose rows the dashboard's figures read."""
    return [module.get_model(name) for module in installed_modules() for name in module.figure_sources]


def scoped_models() -> list:
    """The model classes the scope test counts before and after calling every URL."""
    return [module.get_model(name) for module in installed_modules() for name in module.scoped_tables]


def scope_record_makers() -> list[Callable]:
    """The modules' functions that create another city's records for the scope test."""
    return [import_string(module.scope_records) for module in installed_modules() if module.scope_records]


@cache
def served_reaches() -> frozenset[str]:
    """The need-to-know reaches the installed modules serve (read once: apps do not change)."""
    return frozenset(reach for module in installed_modules() for reach in module.served_reaches)


def isolated_paths() -> list[tuple[str, str]]:
    """``(environment variable, relative path)`` of what the modules write outside the database; a variable
    declared twice is an error (two modules would write into one place)."""
    paths = [path for module in installed_modules() for path in module.isolated_paths]
    names = [name for name, _relative in paths]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"paths declared by more than one module: {duplicates}")
    return paths
