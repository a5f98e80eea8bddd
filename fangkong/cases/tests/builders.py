"""Builders for cases and contacts through the real services (used by this app's and the API's tests)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from fangkong.cases.models import Disease
from fangkong.cases.services import case_register, contact_register
from fangkong.testing.builders import citizen_id
from fangkong.testing.builders import make_person as _make_person

TZ = timezone.get_fixed_timezone(480)


_births = itertools.count()


def make_person(actor, *, name: str, region: str, **extra):
    """A person with a citizen ID no other call returns (a fresh birth date each time)."""
    born = dt.date(1960, 1, 1) + dt.timedelta(days=next(_births))
    return _make_person(actor, name=name, region=region, cid=citizen_id(region[:6], born=born), **extra)


def at(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), TZ)


def covid() -> Disease:
    return Disease.objects.get(code="covid-19")


def make_case(actor, *, region: str, name: str = "病例", day: str = "2022-03-10", hour: int = 9,
              report_hour: int | None = None, infector=None, **fields):
    person = fields.pop("person", None) or make_person(actor, name=name, region=region)
    return case_register(
        actor=actor, person=person, disease=fields.pop("disease", None) or covid(),
        classification=fields.pop("classification", "confirmed"), diagnosed_at=at(day, hour),
        reported_at=at(day, report_hour if report_hour is not None else hour + 1), report_region=region,
        detection_route=fields.pop("detection_route", "screening"), infector=infector, **fields)


def make_contact(actor, *, source_case, region: str, name: str = "密接", listed: str = "2022-03-10",
                 hour: int = 12, quarantined_hour: int | None = 18, category: str = "close", **fields):
    person = fields.pop("person", None) or make_person(actor, name=name, region=region)
    return contact_register(
        actor=actor, person=person, source_case=source_case, category=category, region=region,
        listed_at=at(listed, hour),
        quarantined_at=at(listed, quarantined_hour) if quarantined_hour is not None else None, **fields)


def job_progress_here(monkeypatch) -> None:
    """Import jobs run in this test report no progress instead of reporting it through a connection of their own
    (PostgreSQL). For a test that rotates the keyring inside its own transaction before it runs a job: the
    rotation's ``SHARE`` lock on the keyring holders' tables (``cases_importjob`` among them) is then held until
    the test ends, and the job's own connection would wait for it for ever. (A real rotation commits at once.)"""
    import threading

    from fangkong.cases import jobs

    def here(progress, job_id: int) -> None:
        progress.job_id, progress.connection = job_id, None
        progress._lock, progress._stop = threading.Lock(), threading.Event()

    monkeypatch.setattr(jobs._Progress, "__init__", here)
