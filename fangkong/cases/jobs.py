"""Imports as background jobs: submit (a service), run (a task), report progress.

``import_job_submit`` stores the uploaded file in an ``ImportJob`` and starts ``run_import_job`` once the
submission has committed:

- with a Celery broker (``CELERY_BROKER_URL``), a worker runs it;
- without one (the embedded set-up, ``make demo``), a thread of the calling process runs it with its own
  database connection, so the upload page answers at once and the job's page follows the progress. When
  the caller is still inside a transaction (a test, a caller's ``atomic`` block) the job runs in the
  calling thread instead: another connection would not see the job row yet.

The import checks every row before it opens its write transaction (``fangkong.cases.imports``), and the
progress of that check is written to the job row as it goes: on PostgreSQL through a connection of its
own (visible whatever the caller's transaction), elsewhere on the job's connection, committed at once
(SQLite allows one writer at a time: the progress is written while the import is only reading). A job
that stops on an unexpected error is marked failed, never left "running".

A job also beats a heartbeat (``ImportJob.heartbeat_at``): when it starts, with every progress report, and
on PostgreSQL every ``HEARTBEAT`` seconds while the rows are being saved. A job that loses its process (the
server restarted under an in-process job, a worker was killed) stops beating; after
``ImportJob.STALLED_AFTER`` its page offers to run it again (``import_job_rerun``). That is always safe:
an import saves all its rows or none, and rows already imported are skipped.
"""

from __future__ import annotations

import logging
import threading

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.accounts.models import User
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.cases import imports
from fangkong.cases.models import ImportJob
from fangkong.jobs import app, jobs_mode

logger = logging.getLogger(__name__)
HEARTBEAT = 30  # seconds, on PostgreSQL while the rows are saved


def import_job_submit(*, actor, kind: str, upload, request=None) -> ImportJob:
    """Store an uploaded file (Django's ``UploadedFile``: ``name``, ``size``, ``read()``) as a job and start
    it after commit; ``PermissionDenied`` for a role that may not write cases, ``ValidationError`` for an
    unknown kind or a file over ``imports.MAX_BYTES`` (refused before it is read). The rows themselves are
    checked by the job (scope, capability per region, every field)."""
    if not can(actor, Capability.CASE_WRITE):
        raise PermissionDenied(_("Your role may not import cases or contacts."))
    if kind not in imports.COLUMNS:
        raise ValidationError({"kind": [_("Choose a file and what it holds.")]})
    if upload.size > imports.MAX_BYTES:
        raise ValidationError({"file": [_("The file is too large.")]})
    data, file_name = upload.read(), upload.name or "upload"
    job = ImportJob.objects.create(kind=kind, file_name=file_name[:200], data=data, created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=job, request=request,
                 detail={"kind": kind, "file": file_name[:200], "bytes": len(data)})
    transaction.on_commit(lambda: import_job_start(job.pk))
    return job


def import_job_rerun(*, actor, job: ImportJob, request=None) -> ImportJob:
    """Run a stalled job again from the start (its file is kept until it is done); refused with
    ``ValidationError`` while the job is alive or finished. The caller has checked that ``actor`` may see
    the job (``selectors.import_job_get``: its submitter)."""
    if not job.stalled:
        raise ValidationError(_("This import is not stalled: it is still running or it has finished."))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED, processed_rows=0, heartbeat_at=None,
                                               errors=[])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=job, request=request,
                 detail={"rerun": True, "was": job.status, "last_heartbeat": str(job.heartbeat_at or "")})
    transaction.on_commit(lambda: import_job_start(job.pk))
    job.refresh_from_db()
    return job


def import_job_start(job_id: int) -> threading.Thread | None:
    """Start a submitted job: on a Celery worker, in a thread of this process, or (inside a transaction)
    here and now. Returns the thread when one was started."""
    if jobs_mode() != "in-process":
        run_import_job.delay(job_id)
        return None
    if connection.in_atomic_block:
        run_import_job(job_id)
        return None
    thread = threading.Thread(target=_run_in_thread, args=(job_id,), name=f"import-job-{job_id}")
    thread.start()
    return thread


def _run_in_thread(job_id: int) -> None:
    try:
        run_import_job(job_id)
    except Exception:  # marked failed by run_import_job; nobody else would see the traceback
        logger.exception("import job %s failed", job_id)
    finally:
        connections.close_all()  # this thread's connections


class _Progress:
    """Writes an import's progress and heartbeat to its job row while the import runs (module docstring)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.connection = None
        self._lock = threading.Lock()  # one statement at a time on the connection: reports and heartbeats
        self._stop = threading.Event()
        if connection.vendor == "postgresql":
            self.connection = connections.create_connection("default")
            self.connection.inc_thread_sharing()  # the heartbeat thread writes on it too
            threading.Thread(target=self._beat, name=f"import-job-{job_id}-heartbeat", daemon=True).start()

    def __call__(self, done: int, total: int) -> None:
        if self.connection is not None:
            with self._lock:
                self._update("processed_rows = %s, total_rows = %s, heartbeat_at = now()", [done, total])
        elif not connection.in_atomic_block:  # committed at once; inside a transaction it would hold the lock
            ImportJob.objects.filter(pk=self.job_id).update(processed_rows=done, total_rows=total,
                                                            heartbeat_at=timezone.now())

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            with self._lock:
                if not self._stop.is_set():
                    self._update("heartbeat_at = now()", [])

    def _update(self, assignments: str, params: list) -> None:
        with self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {ImportJob._meta.db_table} SET {assignments} WHERE id = %s",  # noqa: S608
                           [*params, self.job_id])

    def close(self) -> None:
        self._stop.set()
        if self.connection is not None:
            with self._lock:
                self.connection.dec_thread_sharing()
                self.connection.close()


@app.task(name="fangkong.cases.run_import_job")
def run_import_job(job_id: int) -> str:
    job = ImportJob.objects.get(pk=job_id)
    if job.finished:
        return job.status  # a retried task does not import twice
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING, heartbeat_at=timezone.now())
    actor = User.objects.get(pk=job.created_by_id)
    progress = _Progress(job_id)
    try:
        rows = imports.read_table(bytes(job.data), job.file_name)
        ImportJob.objects.filter(pk=job_id).update(total_rows=len(rows))
        run = imports.cases_import if job.kind == "cases" else imports.contacts_import
        outcome = run(actor=actor, rows=rows, source=job.file_name, progress=progress)
    except imports.ImportRejected as exc:
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, errors=exc.errors[:1000],
                                                   finished_at=timezone.now())
        return ImportJob.Status.FAILED
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(),
            errors=[{"row": 0, "column": "", "message": _("The import stopped on an internal error; nothing was "
                                                          "saved. Please tell the administrator.")}])
        raise
    finally:
        progress.close()
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE, processed_rows=len(rows), created_count=outcome.created,
        existing_count=outcome.existing, finished_at=timezone.now(), data=b"")
    return ImportJob.Status.DONE
