"""The last free room, asked for by several sessions at once, goes to exactly one person (PostgreSQL: the room
row is locked with ``select_for_update`` before it is checked; the partial unique constraint backs it)."""

from __future__ import annotations

import os
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import translation

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.cases.models import Case, Contact, DailyTracing, NumberSequence
from fangkong.cases.tests.builders import make_case, make_contact
from fangkong.persons.models import Person

from .. import services
from ..models import Assignment, QuarantineSite, Room

pytestmark = pytest.mark.django_db
postgresql = pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                                reason="PostgreSQL only")
COUNTY = "445302"  # Yunzhou district, Yunfu: a county no other test of this module uses
SESSIONS = 6


def _in_thread(work):
    """Run ``work`` in its own connection (committed at once, visible to the other sessions)."""
    out: dict = {}

    def run():
        try:
            out["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            out["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=120)
    if "error" in out:
        raise out["error"]
    return out.get("value")


def _setup():
    user = User.objects.filter(username="race_commander").first()
    if user is None:
        user = User.objects.create(username="race_commander")
        Membership.objects.create(user=user, region_id="445300", role=Role.LOCAL_COMMANDER)
    site = services.site_create(actor=user, region=COUNTY, name="云浮竞争测试点", kind="other")
    services.rooms_add(actor=user, site=site, first=1, last=1, kind="single")
    case = make_case(user, region=COUNTY, name="竞争源病例", day="2021-06-01")
    contacts = [make_contact(user, source_case=case, region=COUNTY, name=f"竞争密接{i}", listed="2021-06-02")
                for i in range(SESSIONS)]
    return user, site, site.rooms.get(), [c.contact_no for c in contacts]


def _clean():
    sites = QuarantineSite.objects.filter(region_id=COUNTY)
    Assignment.objects.filter(site__in=sites).delete()
    Room.objects.filter(site__in=sites).delete()
    sites.delete()
    contacts = Contact.objects.filter(region_id=COUNTY)
    persons = list(contacts.values_list("person_id", flat=True))
    cases = Case.objects.filter(report_region_id=COUNTY)
    persons += list(cases.values_list("person_id", flat=True))
    contacts.delete()
    cases.delete()
    Person.objects.filter(pk__in=persons).delete()
    DailyTracing.objects.filter(region__code__startswith="4453").delete()
    NumberSequence.objects.filter(county=COUNTY).delete()


@postgresql
def test_the_last_free_room_goes_to_exactly_one_of_several_sessions():
    _in_thread(_clean)
    user, site, room, numbers = _in_thread(_setup)
    start = threading.Barrier(SESSIONS)
    won, refused, failures = [], [], []
    lock = threading.Lock()

    def attempt(number: str):
        try:
            start.wait()
            with translation.override("en"):  # a new thread speaks the default language (Chinese)
                assignment = services.check_in(actor=user, room_id=room.pk, contact_no=number)
            with lock:
                won.append(assignment.pk)
        except ValidationError as exc:
            with lock, translation.override("en"):
                refused.append(" ".join(exc.messages))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in numbers]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not failures, failures
        assert len(won) == 1 and len(refused) == SESSIONS - 1
        assert all("not free" in str(exc) for exc in refused), refused
        counts = _in_thread(lambda: (Assignment.objects.filter(room_id=room.pk).count(),
                                     Room.objects.get(pk=room.pk).state))
        assert counts == (1, Room.State.OCCUPIED)
    finally:
        _in_thread(_clean)
