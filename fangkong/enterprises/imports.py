"""Enterprise files imported as the platform's import jobs (``ModuleConfig.import_kinds``, run by
``fangkong.cases.jobs``): every row checked with ``inputs.EnterpriseInput`` — the schema of the page and the
API — and the registration's own rules, then all rows saved or none (``ImportRejected`` with every row's
errors: row, column, message; never a cell's value)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.cases.imports import ImportOutcome, ImportRejected

from . import services
from .apps import REGISTER

KIND = "enterprises"  # the import kind declared in apps.py


def allowed(actor) -> None:
    if not can(actor, REGISTER):
        raise PermissionDenied(_("Your role may not register enterprises."))


def run(*, actor, data: bytes, name: str, source: str, progress=None) -> ImportOutcome:
    result = services.enterprises_import(actor=actor, data=data, name=name, source=source, progress=progress)
    if result.errors:
        raise ImportRejected(sorted(result.errors, key=lambda e: (e["row"], e["column"])))
    return ImportOutcome(created=result.created, existing=0, persons_created=0)
