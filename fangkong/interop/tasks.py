"""Celery tasks of the interop module (discovered by ``fangkong.jobs``): the outbound queue's sending job,
every minute by Celery beat (``periodic_jobs`` in ``apps.py``). Without a broker nothing runs it yet (no
management command for cron so far). Safe to run twice at once: each message is claimed before it is sent."""

from fangkong.jobs import app


@app.task(name="fangkong.interop.send_due")
def send_due_task() -> dict:
    from dataclasses import asdict

    from .services import outbound_send_due

    return asdict(outbound_send_due())
