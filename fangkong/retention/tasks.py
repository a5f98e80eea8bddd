"""Celery tasks of the retention module (discovered by ``fangkong.jobs``): the run of an approved purge,
queued by ``services.purge_decide``. Safe to run twice: the purge is resumable and a finished one is left."""

from fangkong.jobs import app


@app.task(name="fangkong.retention.purge_run")
def purge_run_task(purge_id: int) -> dict:
    from .services import purge_run

    purge = purge_run(purge_id=purge_id)
    return {"purge": purge.pk, "status": purge.status}
