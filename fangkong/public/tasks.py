"""Celery task of the public module (discovered by ``fangkong.jobs``): the watcher every five minutes
(``periodic_jobs`` in ``apps.py``; without a broker, run ``fangkong public_watch`` from cron)."""

from fangkong.jobs import app


@app.task(name="fangkong.public.watch")
def public_watch() -> dict[str, int]:
    from .watcher import watch

    report = watch()
    return {"checked": report.checked, "findings": len(report.findings), "restored": len(report.restored)}
