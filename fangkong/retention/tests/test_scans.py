"""Venue scans: deleted 30 days after the scan (the seeded policy); a person known only by an old scan goes
with it, a person with a recent scan or another record stays; the audit events of the deleted scans are
redacted and the chain still verifies."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.chain import chain_verify
from fangkong.audit.models import AuditEvent
from fangkong.persons.models import Person
from fangkong.places import services as places
from fangkong.places.models import Scan
from fangkong.places.tests.builders import make_place
from fangkong.retention.services import purge_decide, purge_plan, purge_run
from fangkong.testing.builders import citizen_id, make_person, make_user

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


def test_old_scans_go_with_the_persons_they_alone_kept(policies, shenzhen_epi, admin1, admin2):
    inspector = make_user("retention_inspector", ("440300", Role.INSPECTOR))
    code = places.venue_code(make_place(inspector, region="440304", name="扫码市场"))
    old_day = timezone.make_aware(dt.datetime.combine(AS_OF - dt.timedelta(days=45), dt.time(10)))
    recent_day = timezone.make_aware(dt.datetime.combine(AS_OF - dt.timedelta(days=5), dt.time(10)))
    only_old = make_person(shenzhen_epi, name="旧扫码者", region="440304", cid=citizen_id("440304", born=dt.date(1988, 1, 2)))
    both = make_person(shenzhen_epi, name="新旧扫码者", region="440304", cid=citizen_id("440304", born=dt.date(1988, 1, 3)))
    old_scan, _new = places.scan_record(actor=shenzhen_epi, venue_code=code, person=only_old.pk, scanned_at=old_day)
    places.scan_record(actor=shenzhen_epi, venue_code=code, person=both.pk, scanned_at=old_day)
    recent, _new = places.scan_record(actor=shenzhen_epi, venue_code=code, person=both.pk, scanned_at=recent_day)
    purge = purge_plan(actor=admin1, region="440000", as_of=AS_OF)
    assert purge.plan["scans"]["count"] == 2
    purge_decide(actor=admin2, purge=purge, approve=True)
    purge = purge_run(purge_id=purge.pk)
    assert list(Scan.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Person.objects.filter(pk=only_old.pk).exists() and Person.objects.filter(pk=both.pk).exists()
    assert purge.progress["counts"]["scans"]["deleted"] == 2
    assert AuditEvent.objects.get(object_type="places.scan", object_id=str(old_scan.pk)).detail.keys() == {"redacted"}
    assert chain_verify().intact
