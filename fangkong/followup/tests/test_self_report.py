"""The personal self-report link (issue 26, "What must hold"): it opens only that person's form for that day,
expires, cannot be replayed for another person or day, reveals no other data; its submissions are audited
and rate-limited. Each protection is tested the way somebody holding a link would try to get around it:
another person's id, another day, an old token, a token used up, an altered signature, a value signed
for something else."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.core import signing
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.cases.tests.builders import make_person
from fangkong.paging import CURSOR_SALT
from fangkong.places.services import VENUE_SALT

from .. import selfreport
from ..models import HealthCheck, Subject
from ..services import health_check_record
from .builders import days_ago, managed_contact

pytestmark = pytest.mark.django_db


def _url(token: str) -> str:
    return f"/followup/r/{token}/"


def _form(**fields) -> dict:
    return {"slot": "morning", "temperature": "36.6", **fields}


def _payload(token: str) -> dict:
    head = token.split(":")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))


def _with_payload(token: str, **changes) -> str:
    """The token with its payload changed and its signature and timestamp kept (what a holder can forge)."""
    head, rest = token.split(":", 1)
    body = json.dumps({**_payload(token), **changes}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(body).decode().rstrip("=") + ":" + rest


@pytest.fixture
def two(shenzhen_epi):
    person = make_person(shenzhen_epi, name="随访本人", region="440304", phone="13812340001")
    _c1, mine = managed_contact(shenzhen_epi, person=person)
    _c2, other = managed_contact(shenzhen_epi, name="随访他人")
    return mine, other


def test_the_link_opens_the_persons_form_and_records_an_audited_self_report(client, two):
    mine, other = two
    today = timezone.localdate()
    page = client.get(_url(selfreport.token_make(mine, today)))
    text = page.content.decode()
    assert page.status_code == 200 and 'name="temperature"' in text and "随***" in text
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "no-referrer"
    response = client.post(_url(selfreport.token_make(mine, today)),
                           _form(temperature="37.6", symptoms=["cough"], note="头痛"))
    assert response.status_code == 302
    check = HealthCheck.objects.get()
    assert (check.subject_id, check.day, check.slot, check.channel, check.checked_by) == (
        mine.pk, today, "morning", "self", None)
    assert (check.temperature, check.symptoms, check.outcome) == (Decimal("37.6"), ["cough"], "symptomatic")
    assert Subject.objects.get(pk=mine.pk).symptomatic_since == today
    event = AuditEvent.objects.get(object_type="followup.healthcheck", object_id=str(check.pk))
    assert (event.action, event.actor, event.detail["channel"], event.source_ip) == ("create", None, "self",
                                                                                    "127.0.0.1")
    assert not HealthCheck.objects.filter(subject=other).exists()


def test_the_page_reveals_nothing_but_the_first_character_and_the_day(client, two):
    mine, _other = two
    text = client.get(_url(selfreport.token_make(mine, timezone.localdate()))).content.decode()
    person = mine.person
    assert person.phone_masked
    for secret in (person.name, "本人", mine.label, person.phone_masked, "0001", "440304", "随访他人",
                   "/followup/subjects/", *([person.citizen_id_masked] if person.citizen_id_masked else [])):
        assert secret not in text, secret
    assert not re.search(r'(href|action)="/followup/(?!r/)', text)  # no link into the staff pages


def test_another_persons_id_in_the_form_or_the_token_reaches_nobody_else(client, two):
    mine, other = two
    today = timezone.localdate()
    token = selfreport.token_make(mine, today)
    # posted fields naming another person and another day are not read: the token decides
    client.post(_url(token), _form(subject=other.pk, day=days_ago(1).isoformat()))
    assert list(HealthCheck.objects.values_list("subject_id", "day")) == [(mine.pk, today)]
    # the token's person changed, its signature kept: it opens nothing
    forged = _with_payload(token, s=other.pk)
    assert _payload(forged)["s"] == other.pk
    assert client.get(_url(forged)).status_code == 404
    assert client.post(_url(forged), _form(slot="evening")).status_code == 404
    assert not HealthCheck.objects.filter(subject=other).exists() and HealthCheck.objects.count() == 1


def test_another_day_an_old_token_and_an_expired_one_open_nothing(client, two, monkeypatch):
    mine, _other = two
    today = timezone.localdate()
    yesterdays = selfreport.token_make(mine, days_ago(1))  # signed correctly, for another day
    assert client.get(_url(yesterdays)).status_code == 410
    assert client.post(_url(yesterdays), _form()).status_code == 410
    tomorrows = selfreport.token_make(mine, today + dt.timedelta(days=1))
    assert client.post(_url(tomorrows), _form()).status_code == 410
    moved = _with_payload(selfreport.token_make(mine, days_ago(1)), d=today.isoformat())  # day changed, signature kept
    assert client.post(_url(moved), _form()).status_code == 404
    monkeypatch.setattr(selfreport, "MAX_AGE", dt.timedelta(seconds=-1))  # signed longer ago than allowed
    assert client.post(_url(selfreport.token_make(mine, today)), _form()).status_code == 410
    assert HealthCheck.objects.count() == 0


def test_a_token_used_up_cannot_be_replayed_and_changes_nothing(client, two):
    mine, _other = two
    token = selfreport.token_make(mine, timezone.localdate())
    assert client.post(_url(token), _form(slot="morning")).status_code == 302
    replay = client.post(_url(token), _form(slot="morning", temperature="39.0"))  # the same slot again
    assert replay.status_code == 400 and "field-error" in replay.content.decode()
    assert client.post(_url(token), _form(slot="evening", temperature="36.8")).status_code == 302
    done = client.get(_url(token)).content.decode()
    assert "data-complete" in done and 'name="temperature"' not in done
    assert client.post(_url(token), _form(slot="evening", temperature="39.0")).status_code == 400
    assert sorted(HealthCheck.objects.values_list("slot", "temperature")) == [
        ("evening", Decimal("36.8")), ("morning", Decimal("36.6"))]


def test_an_altered_signature_or_another_kind_of_signed_value_opens_nothing(client, two):
    mine, _other = two
    today = timezone.localdate()
    token = selfreport.token_make(mine, today)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    payload = {"k": selfreport.KIND, "s": mine.pk, "d": today.isoformat()}
    others = (
        flipped,
        token.split(":")[0],  # the payload without signature
        signing.Signer(salt=VENUE_SALT).sign("venue-token"),  # a venue QR code
        signing.dumps({"after": [mine.pk]}, salt=CURSOR_SALT),  # a paging cursor
        signing.dumps(payload, salt=CURSOR_SALT),  # the right payload under another salt
        signing.dumps(payload),  # and under none
        signing.dumps({"s": mine.pk, "d": today.isoformat()}, salt=selfreport.SALT),  # our salt, not our kind
        "not-a-token",
    )
    for forged in others:
        assert client.post(_url(forged), _form()).status_code == 404, forged
    assert HealthCheck.objects.count() == 0
    refusals = AuditEvent.objects.filter(object_type="followup.selfreport", action="access_refused")
    assert refusals.count() == len(others) and set(refusals.values_list("detail__reason", flat=True)) == {"invalid"}


def test_the_link_is_rate_limited_per_address_and_per_person(client, two, monkeypatch):
    mine, other = two
    today = timezone.localdate()
    monkeypatch.setattr(selfreport, "SUBJECT_LIMIT", 2)
    token = selfreport.token_make(mine, today)
    assert client.post(_url(token), _form(temperature="45")).status_code == 400  # refused input counts too
    assert client.post(_url(token), _form(temperature="44")).status_code == 400
    assert client.post(_url(token), _form()).status_code == 429
    assert HealthCheck.objects.count() == 0
    monkeypatch.setattr(selfreport, "ADDRESS_LIMIT", 5)  # 3 requests counted so far from this address
    assert client.get(_url(selfreport.token_make(other, today))).status_code == 200
    assert client.get(_url(selfreport.token_make(other, today))).status_code == 200
    assert client.get(_url(selfreport.token_make(other, today))).status_code == 429
    assert client.post(_url(selfreport.token_make(other, today)), _form()).status_code == 429
    assert HealthCheck.objects.count() == 0
    assert AuditEvent.objects.filter(object_type="followup.selfreport", detail__reason="throttled").count() == 3


def test_the_link_signs_nobody_in_and_closes_when_management_ends(client, two):
    mine, _other = two
    token = selfreport.token_make(mine, timezone.localdate())
    assert client.get(_url(token)).status_code == 200
    for staff_page in ("/followup/", f"/followup/subjects/{mine.pk}/", "/api/v1/followup/due/"):
        assert client.get(staff_page).status_code in (302, 401, 403), staff_page
    Subject.objects.filter(pk=mine.pk).update(status=Subject.Status.CONVERTED)
    assert client.post(_url(token), _form()).status_code == 410
    assert HealthCheck.objects.count() == 0


def test_bad_input_through_the_link_is_refused_and_changes_nothing(client, two):
    mine, _other = two
    token = selfreport.token_make(mine, timezone.localdate())
    for fields in ({"temperature": "33.0"}, {"temperature": ""}, {"slot": "noon"}, {"symptoms": ["plague"]}):
        response = client.post(_url(token), _form(**fields))
        assert response.status_code == 400 and 'class="field-error"' in response.content.decode(), fields
    assert HealthCheck.objects.count() == 0


def test_the_staff_page_shows_todays_link_and_its_qr_code_and_the_link_works(client, shenzhen_epi, two, analyst):
    mine, _other = two
    client.force_login(shenzhen_epi)
    text = client.get(f"/followup/subjects/{mine.pk}/").content.decode()
    link = re.search(r'value="(http://testserver/followup/r/[^"]+)"', text)
    assert link and "data-self-report" in text and "<svg" in text
    client.logout()
    path = link.group(1).removeprefix("http://testserver")
    assert client.post(path, _form()).status_code == 302
    assert HealthCheck.objects.get().channel == "self"
    health_check_record(actor=shenzhen_epi, subject=mine, day=timezone.localdate(), slot="evening",
                        temperature=Decimal("36.5"))
    assert "data-complete" in client.get(path).content.decode()
