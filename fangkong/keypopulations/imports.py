"""Group, roster and test-result files imported as the platform's import jobs (``ModuleConfig.import_kinds``,
run by ``fangkong.cases.jobs``): the upload is kept sealed (a key of the job's own, wrapped by the persons' keyring) while the job may run
and dropped when it ends, the job's page (``cases:import-job``) shows its progress and every refused row.

Each kind reads the file within ``services.IMPORT_LIMITS`` (``fangkong.table_files``), checks every row
with the action's input schema (the one the page and the API use), then saves all rows in one transaction
through the action's service — or none: any refused row, and the job fails with every row's errors
(``ImportRejected``: row as in the file, the header being row 1, column, message; never a cell's value).
The same file imported twice adds nothing the second time (every row ``existing``).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.cases.imports import ImportOutcome, ImportRejected

from . import services
from .apps import MANAGE, TEST_RECORD

GROUPS = "keypop_groups"
ROSTER = "keypop_roster"
RESULTS = "keypop_results"


def manage_allowed(actor) -> None:
    if not can(actor, MANAGE):
        raise PermissionDenied(_("Your role may not keep key-population groups or rosters."))


def results_allowed(actor) -> None:
    if not can(actor, TEST_RECORD):
        raise PermissionDenied(_("Your role may not record tests of key populations."))


def _outcome(result: services.ImportResult) -> ImportOutcome:
    if result.errors:
        raise ImportRejected(sorted(result.errors, key=lambda e: (e["row"], e["column"])))
    counts = result.counts
    # "updated" (a membership's new end day, a positive replacing a negative) is a change saved: counted created
    return ImportOutcome(created=counts.get("created", 0) + counts.get("updated", 0),
                         existing=counts.get("existing", 0), persons_created=0)


def groups_run(*, actor, data: bytes, name: str, source: str, progress=None) -> ImportOutcome:
    return _outcome(services.groups_import(actor=actor, data=data, name=name, source=source, progress=progress))


def roster_run(*, actor, data: bytes, name: str, source: str, progress=None) -> ImportOutcome:
    return _outcome(services.roster_import(actor=actor, data=data, name=name, source=source, progress=progress))


def results_run(*, actor, data: bytes, name: str, source: str, progress=None) -> ImportOutcome:
    return _outcome(services.results_import(actor=actor, data=data, name=name, source=source, progress=progress))
