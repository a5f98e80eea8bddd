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

The uploaded file holds citizen IDs and phone numbers in clear, so the job keeps it only sealed, and only while
the job may still run or be run again: a job that is done or failed drops it at once, and
``import_jobs_purge`` (every hour by Celery beat, ``fangkong import_jobs_purge`` from cron, and at every new
submission) marks a job that has shown no sign of life for ``settings.IMPORT_FILE_HOURS`` (default 24) as
abandoned and drops its file.

It is sealed with a data key of the job's own (AES-256-GCM, ``protection.data_seal``), kept only wrapped under
the persons' keyring (``key_wrapped``, ``key_epoch``), as a person's identifiers are; the upload's name with the
same key. The job is a holder of the keyring (``ImportJob.SEALED_IDENTIFIERS``): a purge's keyring rotation
(``fangkong.persons.shredding.rotate``) rewraps the key of a job still waiting — which then runs as before — and
destroys the epoch under which a database dump taken earlier holds the key: that dump no longer opens the file
(``retention/tests/test_shredded.py``). Jobs sealed before (``v1:``, under the ``PII_KEY``-derived key) get a
key from migration ``0018`` and from every rotation (``import_jobs_legacy_upgrade``).
Error reports name rows and columns, never the values of the file.

Other modules run their imports through the same jobs by declaring them (``ModuleConfig.import_kinds``,
``fangkong.modules.ImportKind``: the check of the importing role, the function that imports the file); a
job of a declared kind is submitted, sealed, run, reported and purged exactly as a cases import.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from fangkong import table_files
from fangkong.accounts.access import can
from fangkong.accounts.models import User
from fangkong.accounts.need_to_know import MODULE_REACHES, Reach
from fangkong.accounts.roles import Capability
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record
from fangkong.cases import imports
from fangkong.cases.models import ImportJob
from fangkong.jobs import app, jobs_mode
from fangkong.modules import import_kinds
from fangkong.persons import keyring, protection

logger = logging.getLogger(__name__)
#: A job is read by its submitter only (``selectors.import_job_get``): its page and the API's job serve every
#: reach a role may have submitted it under — the region, a laboratory's own samples (its result file) … — and
#: show no cell of the file (rows, columns and messages; the name sealed, for its submitter).
OWN_JOB_REACHES = (Reach.REGION, *sorted(MODULE_REACHES))
HEARTBEAT = 30  # seconds, on PostgreSQL while the rows are saved
PAYLOAD = "cases.importjob.data"  # the purpose the uploaded file is sealed for (associated data)
FILE_NAME = "cases.importjob.file_name"  # the purpose the upload's name is sealed for
#: The most bytes of a name that still fit ``ImportJob.file_name`` once sealed (``v2:`` + base64 of the
#: 12-byte nonce, the name and the 16-byte tag: 3 + 4 × ⌈(n + 28) / 3⌉ ≤ 200).
FILE_NAME_BYTES = 119


def job_sealed(data: bytes, name: str) -> dict:
    """The sealed fields of a new job keeping ``data`` uploaded as ``name``: a fresh data key, wrapped under the
    keyring's current epoch, seals both. The writer checks after its insert that the epoch is still live
    (``keyring.check_live``)."""
    key = protection.data_key_new()
    return {"data": protection.data_seal(key.key, data, PAYLOAD), "file_name": file_name_seal(name, key.key),
            "key_wrapped": key.wrapped, "key_epoch": key.epoch}


def payload_open(job: ImportJob) -> bytes:
    """The job's uploaded file in clear, for its run only. A keyring rotation may have rewrapped the job's key
    (and destroyed the epoch of the row as read) in between: then the row is read again."""
    try:
        key = protection.data_key_open(job.key_wrapped, job.key_epoch)
    except keyring.KeyringError:
        job = ImportJob.objects.only("data", "key_wrapped", "key_epoch").get(pk=job.pk)
        key = protection.data_key_open(job.key_wrapped, job.key_epoch)
    return protection.data_open_with(key, job.data, PAYLOAD)


def import_jobs_legacy_upgrade(model, *, batch: int = 200) -> int:
    """Give every job sealed before the jobs' own keys (``key_epoch`` 0: its file ``v1:`` under the
    ``PII_KEY``-derived key, its name ``v1:`` or in clear) a data key, its file and name opened and sealed again
    with it (migration ``0018``; every keyring rotation runs it first). ``model`` may be a migration's historical
    model. A file that does not open (sealed under another ``PII_KEY``) could never run: it is dropped, as a
    finished job's is. The jobs upgraded."""
    total = 0
    while True:
        rows = list(model.objects.filter(key_epoch=0).order_by("pk").values_list("pk", "file_name")[:batch])
        if not rows:
            return total
        keys = protection.data_keys_new(len(rows))
        with transaction.atomic():
            for (pk, name), key in zip(rows, keys, strict=True):
                data = bytes(model.objects.filter(pk=pk).values_list("data", flat=True).get() or b"")
                model.objects.filter(pk=pk).update(data=_legacy_data(data, key.key),
                                                   file_name=file_name_seal(_legacy_name(name), key.key),
                                                   key_wrapped=key.wrapped, key_epoch=key.epoch)
            keyring.check_live(*{key.epoch for key in keys})
        total += len(rows)


def _legacy_data(data: bytes, key: bytes) -> bytes:
    if not data:
        return b""
    if data.startswith(f"{protection.VERSION}:".encode()):
        try:
            data = protection.unseal(data, PAYLOAD)
        except InvalidTag:
            return b""
    return protection.data_seal(key, data, PAYLOAD)


def _legacy_name(stored: str) -> str:
    if not stored.startswith(f"{protection.VERSION}:"):
        return stored  # kept in clear before names were sealed
    try:
        return protection.decrypt(stored, FILE_NAME)
    except (ValueError, InvalidTag):
        return "?"


def file_name_seal(name: str, key: bytes) -> str:
    """The upload's name sealed with the job's data key (as a citizen ID is with a person's): a file named after
    a person or an ID number leaves no clear trace. A longer name is shortened in its stem, its extension kept."""
    name = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1] or "upload"
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension.encode()) > 16:
        stem, dot, extension = name, "", ""
    room = FILE_NAME_BYTES - len((dot + extension).encode())
    stem = stem.encode()[:room].decode("utf-8", errors="ignore")
    return protection.identifier_seal(key, stem + dot + extension, FILE_NAME)


def file_name_unseal(job: ImportJob) -> str:
    """The name ``file_name_seal`` sealed for ``job``; a name stored before names were sealed is shown as it is,
    one that does not open (its key's epoch destroyed, another keyring) as "?"."""
    stored = job.file_name
    if not stored.startswith((f"{protection.IDENTIFIER_VERSION}:", f"{protection.VERSION}:")):
        return stored
    try:
        return protection.identifier_open(job, stored, FILE_NAME)
    except (ValueError, InvalidTag, keyring.KeyringError):
        return "?"


def file_extension(name: str) -> str:
    """``.csv`` or ``.xlsx``: what the audit keeps of the upload's name."""
    stem, dot, extension = name.rpartition(".")
    return (dot + extension).lower()[:16] if dot else ""


def import_allowed_check(actor) -> None:
    """``PermissionDenied`` for a role that may not import cases or contacts: checked before an upload is
    read (the API and the page ask first, ``import_job_submit`` again)."""
    if not can(actor, Capability.CASE_WRITE):
        raise PermissionDenied(_("Your role may not import cases or contacts."))


def import_job_submit(*, actor, kind: str, upload, target: str = "", request=None) -> ImportJob:
    """Store an uploaded file (Django's ``UploadedFile``: ``name``, ``size``, ``read()``) as a job and start
    it after commit; ``PermissionDenied`` for a role that may not write cases, ``ValidationError`` for an
    unknown kind, a file that is not CSV or XLSX or one over ``imports.LIMITS`` (refused before it is
    read). The rows themselves are checked by the job (caps on rows and columns, scope, capability per
    region, every field). ``target``: the record a file of a ``targeted`` kind belongs to (its module's page
    has checked that the actor may import for it; the run checks again) — required for such a kind, refused
    for any other."""
    declared = import_kinds().get(kind)
    if bool(target) != bool(declared is not None and declared.targeted):
        raise ValueError(f"import kind {kind!r}: a target is given exactly for a targeted kind")
    if declared is not None:  # another module's kind: its own check of the role
        import_string(declared.allowed)(actor)
        limits = table_files.TableLimits(max_bytes=declared.max_bytes, max_rows=imports.LIMITS.max_rows)
    else:
        import_allowed_check(actor)
        if kind not in imports.COLUMNS:
            raise ValidationError({"kind": [_("Choose a file and what it holds.")]})
        limits = imports.LIMITS
    try:
        if declared is None or declared.tabular:
            table_files.upload_check(upload, limits)
        else:  # the module reads the file itself
            table_files.size_check(upload.size, limits)
    except table_files.TableRejected as exc:
        raise ValidationError({"file": [exc.message]}) from exc
    import_jobs_purge()
    data, file_name = upload.read(), upload.name or "upload"
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind, target=target, created_by=actor, **job_sealed(data, file_name))
        keyring.check_live(job.key_epoch)  # a rotation destroyed the epoch meanwhile: roll back
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=job, request=request,
                     detail={"kind": kind, "file_type": file_extension(file_name), "bytes": len(data),
                             **({"target": target} if target else {})})
    transaction.on_commit(lambda: import_job_start(job.pk))
    return job


def import_job_rerun(*, actor, job: ImportJob, request=None) -> ImportJob:
    """Run a stalled job again from the start (its file is kept until it is done); refused with
    ``ValidationError`` while the job is alive or finished. The caller has checked that ``actor`` may see
    the job (``selectors.import_job_get``: its submitter)."""
    if not job.stalled:
        raise ValidationError(_("This import is not stalled: it is still running or it has finished."))
    if not job.data:
        raise ValidationError(_("The file of this import is no longer kept: please upload it again."))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED, processed_rows=0, heartbeat_at=None,
                                               errors=[])
    audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=job, request=request,
                 detail={"rerun": True, "was": job.status, "last_heartbeat": str(job.heartbeat_at or "")})
    transaction.on_commit(lambda: import_job_start(job.pk))
    job.refresh_from_db()
    return job


def import_jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Drop the files of jobs that may no longer run: a finished job's (normally dropped when it finished),
    and that of a job with no sign of life for ``settings.IMPORT_FILE_HOURS``, which is marked failed
    (abandoned) and can no longer be run again. Returns the number of jobs abandoned; audited (one event)
    when there are any."""
    now = now or timezone.now()
    ImportJob.objects.filter(status__in=[ImportJob.Status.DONE, ImportJob.Status.FAILED]).exclude(
        data=b"").update(data=b"")
    cutoff = now - dt.timedelta(hours=settings.IMPORT_FILE_HOURS)
    alive = ImportJob.objects.filter(status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING])
    abandoned = list(alive.filter(heartbeat_at__lt=cutoff).values_list("pk", flat=True)) + list(
        alive.filter(heartbeat_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True))
    if not abandoned:
        return 0
    with transaction.atomic():
        ImportJob.objects.filter(pk__in=abandoned).update(
            status=ImportJob.Status.FAILED, finished_at=now, data=b"",
            errors=[{"row": 0, "column": "", "message": str(_(
                "The import was abandoned: it showed no sign of life for %(hours)d hours and its file is no "
                "longer kept; nothing was saved. Please upload the file again.") % {
                    "hours": settings.IMPORT_FILE_HOURS})}])
        audit_record(actor=None, action=AuditEvent.Action.UPDATE, object_type="cases.importjob",
                     detail={"abandoned": sorted(abandoned), "file_hours": settings.IMPORT_FILE_HOURS})
    return len(abandoned)


@app.task(name="fangkong.cases.import_jobs_purge")
def import_jobs_purge_task() -> int:
    return import_jobs_purge()


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
    declared = import_kinds().get(job.kind)
    try:
        data = payload_open(job)
        if declared is not None:
            outcome = import_string(declared.run)(actor=actor, data=data,
                                                  name=job.shown_file_name, source=f"import-job-{job.pk}",
                                                  progress=progress,
                                                  **({"target": job.target} if declared.targeted else {}))
            rows = range(outcome.created + outcome.existing)
        else:
            rows = imports.read_table(data, job.shown_file_name)
            ImportJob.objects.filter(pk=job_id).update(total_rows=len(rows))
            run = imports.cases_import if job.kind == "cases" else imports.contacts_import
            # the audit events name the job, not the file (its name may be a person's)
            outcome = run(actor=actor, rows=rows, source=f"import-job-{job.pk}", progress=progress)
    except imports.ImportRejected as exc:
        ImportJob.objects.filter(pk=job_id).update(status=ImportJob.Status.FAILED, errors=exc.errors[:1000],
                                                   finished_at=timezone.now(), data=b"")
        return ImportJob.Status.FAILED
    except Exception:
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.FAILED, finished_at=timezone.now(), data=b"",
            errors=[{"row": 0, "column": "", "message": _("The import stopped on an internal error; nothing was "
                                                          "saved. Please tell the administrator.")}])
        raise
    finally:
        progress.close()
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE, processed_rows=len(rows), total_rows=len(rows), created_count=outcome.created,
        existing_count=outcome.existing, finished_at=timezone.now(), data=b"")
    return ImportJob.Status.DONE
