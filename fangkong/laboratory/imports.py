"""A laboratory's result file imported as one of the platform's import jobs (``ModuleConfig.import_kinds``, run
by ``fangkong.cases.jobs``): the upload kept sealed while the job may run and dropped when it ends, its progress
and every refused row on the job's page (``cases:import-job``) and at ``/api/v1/import-jobs/<id>/``.

The kind is ``targeted``: the file is one laboratory's, whose id the job keeps (``ImportJob.target``). The
page and the API check that the uploader records results of that laboratory before the upload is read; the
run reads the laboratory again and hands the file to the same service as before (``services.results_import``:
read by set, all rows or none, audited once, the same file twice not doubled) with the uploader's rights.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.cases.imports import ImportOutcome, ImportRejected

from . import services
from .apps import TEST
from .models import Laboratory, ResultImport


def results_allowed(actor) -> None:
    """The role may record results (of some laboratory: the page and the API check which, ``services.may_test``)."""
    if not can(actor, TEST):
        raise PermissionDenied(_("Your role may not record test results."))


def _refused(message: str, row: int = 0) -> ImportRejected:
    return ImportRejected([{"row": row, "column": "", "message": str(message)}])


def results_run(*, actor, data: bytes, name: str, source: str, progress=None, target: str = "") -> ImportOutcome:
    """The import job's run (``fangkong.modules.ImportKind.run``): the file of the laboratory ``target`` through
    ``services.results_import``. Refused rows (the first ``services.SHOWN_ERRORS`` by row and column, then how
    many more) and refusals of the whole file become the job's errors (``ImportRejected``), nothing stored; a
    file imported before counts every row as existing."""
    laboratory = Laboratory.objects.filter(pk=int(target)).first() if target.isdigit() else None
    if laboratory is None:
        raise _refused(_("The laboratory of this file no longer exists."))
    content = bytes(data)
    before = ResultImport.objects.filter(laboratory=laboratory, sha256=hashlib.sha256(content).hexdigest()).exists()
    try:
        batch = services.results_import(actor=actor, laboratory=laboratory, content=content, progress=progress)
    except services.FileRefused as exc:
        errors = [{"row": row, "column": column, "message": str(message)} for row, column, message in exc.rows]
        more = exc.total - len({row for row, _c, _m in exc.rows})
        if more > 0:
            errors.append({"row": 0, "column": "", "message": _("%(n)d more row(s) refused.") % {"n": more}})
        raise ImportRejected(errors) from exc
    except PermissionDenied as exc:  # the uploader's rights changed while the job waited
        raise _refused(_("You may not import results of this laboratory.")) from exc
    except ValidationError as exc:  # the whole file: not CSV, its columns, a concurrent entry
        raise ImportRejected([{"row": 0, "column": "", "message": str(m)} for m in exc.messages]) from exc
    if before:
        return ImportOutcome(created=0, existing=batch.rows, persons_created=0)
    return ImportOutcome(created=batch.recorded, existing=batch.unchanged, persons_created=0)
