"""Imports as background jobs: submit (a service), run (a task), report progress.

``import_job_submit`` stores the uploaded file in an ``ImportJob`` and enqueues ``run_import_job`` after
commit: a Celery worker runs it when a broker is configured, the calling process otherwise. The import
itself stays one transaction (all or nothing); its progress is written to the job row through a second
database connection so that the job's page can show it while the transaction is still open (PostgreSQL;
on SQLite, where the writer holds the lock, the page shows the outcome when the job ends).
"""

from __future__ import annotations

from django.db import connections
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.cases import imports
from fangkong.cases.models import ImportJob
from fangkong.jobs import app, enqueue_on_commit


def import_job_submit(*, actor, kind: str, data: bytes, file_name: str, request=None) -> ImportJob:
    if kind not in imports.COLUMNS:
        raise ValueError(kind)
    job = ImportJob.objects.create(kind=kind, file_name=file_name[:200], data=data, created_by=actor)
    audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=job, request=request,
                 detail={"kind": kind, "file": file_name[:200], "bytes": len(data)})
    enqueue_on_commit(run_import_job, job.pk)
    return job


class _SideChannel:
    """Writes progress to the job row on a connection of its own (outside the import's transaction)."""

    def __init__(self, job_id: int):
        self.job_id = job_id
        self.connection = None
        if connections["default"].vendor == "postgresql":
            self.connection = connections.create_connection("default")

    def __call__(self, done: int, total: int) -> None:
        if self.connection is None:
            return
        with self.connection.cursor() as cursor:
            cursor.execute(f"UPDATE {ImportJob._meta.db_table} SET processed_rows = %s, total_rows = %s "  # noqa: S608
                           "WHERE id = %s", [done, total, self.job_id])

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


@app.task(name="fangkong.cases.run_import_job")
def run_import_job(job_id: int) -> str:
    job = ImportJob.objects.get(pk=job_id)
    if job.finished:
        return job.status  # a retried task does not import twice
    ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.RUNNING)
    actor = User.objects.get(pk=job.created_by_id)
    side = _SideChannel(job_id)
    try:
        rows = imports.read_table(bytes(job.data), job.file_name)
        ImportJob.objects.filter(pk=job_id).update(total_rows=len(rows))
        run = imports.cases_import if job.kind == "cases" else imports.contacts_import
        outcome = run(actor=actor, rows=rows, source=job.file_name, progress=side)
    except imports.ImportRejected as exc:
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, errors=exc.errors[:1000],
                                                   finished_at=timezone.now())
        return ImportJob.Status.FAILED
    finally:
        side.close()
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE, processed_rows=len(rows), created_count=outcome.created,
        existing_count=outcome.existing, finished_at=timezone.now(), data=b"")
    return ImportJob.Status.DONE
