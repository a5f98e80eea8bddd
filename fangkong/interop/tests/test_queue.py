"""The outbound queue against a real HTTP receiver (``stub.Stub``): every message delivered exactly once to a
receiver failing 30 % of calls, nothing lost while it is down, a send killed half-way sent again safely, a
refusal final, shown to the sender's users and raised in the three lists; each attempt audited; the same key
queued twice is one message."""

from __future__ import annotations

import base64
import datetime as dt
import socket

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.worklists.models import Problem

from .. import problems, services
from ..apps import PROBLEM_SOURCE, SEND_AGGREGATES
from ..models import MessageState, OutboundMessage
from ..services import backoff, destination_create, message_enqueue, outbound_send_due
from .stub import Stub

pytestmark = pytest.mark.django_db
LATER = dt.timedelta(hours=2)  # more than the longest back-off: every failed message is due again


def _destination(sysadmin, url: str, **extra):
    fields = {"region": "440000", "name": "省级 DHIS2", "kind": "dhis2", "base_url": url, "regions": ["440300"],
              "auth": "basic", "username": "fangkong", "secret": "s3cret-pass", "dhis2_data_set": "pBOMPrpg1QX",
              "dhis2_period": "daily", "reason": "配置省级数据交换接收方"}
    return destination_create(actor=sysadmin, **{**fields, **extra})


def _queue(actor, destination, count: int, region: str = "440304") -> list[OutboundMessage]:
    return [message_enqueue(actor=actor, destination=destination, kind="dhis2_dvs", region=region,
                            path="/api/dataValueSets", payload={"dataValues": [{"value": str(i)}]},
                            idempotency_key=f"key-{i}", capability=SEND_AGGREGATES) for i in range(count)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_every_message_is_delivered_exactly_once_to_a_receiver_failing_30_percent(sysadmin, province_commander):
    with Stub(fail_share=0.3, seed=24) as stub:
        destination = _destination(sysadmin, stub.url)
        queued = _queue(province_commander, destination, 60)
        now = timezone.now()
        for _round in range(40):
            outbound_send_due(now=now, timeout=5)
            if not OutboundMessage.objects.exclude(state=MessageState.DELIVERED).exists():
                break
            now += LATER
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {MessageState.DELIVERED}
    assert sorted(stub.accepted) == sorted(m.idempotency_key for m in queued)  # each taken once
    assert len(stub.accepted) == len(set(stub.accepted)) == 60
    outcomes = [c["outcome"] for c in stub.calls]
    assert outcomes.count("failed before taking") > 0 and outcomes.count("taken, answer lost") > 0
    # a lost answer made the sender try again; the receiver recognised the key and took nothing twice
    assert len(stub.calls) > 60
    assert {c["headers"]["Idempotency-Key"] for c in stub.calls} == {m.idempotency_key for m in queued}
    assert all(c["headers"]["Authorization"] == "Basic " + base64.b64encode(b"fangkong:s3cret-pass").decode()
               for c in stub.calls)
    # every attempt that let data leave is in the audit trail
    sent = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT, object_type="interop.outboundmessage")
    assert sent.count() == len(stub.calls)
    assert sum(OutboundMessage.objects.values_list("attempts", flat=True)) == len(stub.calls)


def test_nothing_is_lost_while_the_receiver_is_down_and_all_goes_once_it_is_back(sysadmin, province_commander):
    port = _free_port()
    destination = _destination(sysadmin, f"http://127.0.0.1:{port}/")
    _queue(province_commander, destination, 5)
    now = timezone.now()
    run = outbound_send_due(now=now, timeout=2)
    assert (run.retrying, run.delivered) == (5, 0)
    rows = OutboundMessage.objects.all()
    assert {(m.state, m.attempts, m.last_status) for m in rows} == {(MessageState.RETRYING, 1, None)}
    assert all(m.next_attempt_at == now + backoff(1) for m in rows)
    assert outbound_send_due(now=now, timeout=2).retrying == 0  # not due yet: nobody hammers the receiver
    with Stub(port=port) as stub:
        run = outbound_send_due(now=now + LATER, timeout=5)
    assert run.delivered == 5
    assert sorted(stub.accepted) == [f"key-{i}" for i in range(5)]


def test_a_send_killed_half_way_is_sent_again_after_its_lease_and_taken_once(sysadmin, province_commander):
    with Stub() as stub:
        destination = _destination(sysadmin, stub.url)
        [message] = _queue(province_commander, destination, 1)
        now = timezone.now()
        # a worker claims and sends, then dies before recording the answer
        claimed = services._claim(message.pk, MessageState.QUEUED, 0, now)
        services.transport.post(destination, claimed.path, services.payload_bytes(claimed.payload),
                                idempotency_key=claimed.idempotency_key, secret="s3cret-pass", timeout=5)
        message.refresh_from_db()
        assert message.state == MessageState.SENDING
        # within its lease the send is someone's: left alone
        assert outbound_send_due(now=now + dt.timedelta(minutes=1), timeout=5).delivered == 0
        assert len(stub.calls) == 1
        run = outbound_send_due(now=now + services.LEASE + dt.timedelta(minutes=1), timeout=5)
    assert (run.reclaimed, run.delivered) == (1, 1)
    message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.DELIVERED, 2)
    assert len(stub.calls) == 2 and stub.accepted == [message.idempotency_key]


def test_a_refusal_is_final_shown_to_the_senders_users_and_raised_once(
        client, sysadmin, province_commander, futian_commander, guangzhou_epi):
    with Stub() as stub:
        destination = _destination(sysadmin, stub.url)
        [refused, fine] = _queue(province_commander, destination, 2)
        stub.refuse.add(refused.idempotency_key)
        now = timezone.now()
        outbound_send_due(now=now, timeout=5)
        outbound_send_due(now=now + LATER, timeout=5)
    refused.refresh_from_db()
    assert (refused.state, refused.attempts, refused.last_status) == (MessageState.REFUSED, 1, 400)
    assert "unknown disease code" in refused.last_answer
    assert len(stub.calls) == 2  # the refused one was not sent again
    client.force_login(futian_commander)
    page = client.get("/interop/")
    assert page.status_code == 200 and "unknown disease code" in page.content.decode()
    assert "unknown disease code" in client.get(f"/interop/messages/{refused.pk}/").content.decode()
    client.force_login(guangzhou_epi)
    assert "unknown disease code" not in client.get("/interop/").content.decode()
    assert client.get(f"/interop/messages/{refused.pk}/").status_code == 404
    assert client.get(f"/api/v1/interop-messages/{refused.pk}/").status_code == 404
    assert problems.feed(timezone.now()) == 1
    assert problems.feed(timezone.now()) == 0
    problem = Problem.objects.get(source=PROBLEM_SOURCE)
    assert (problem.region_id, problem.source_key) == ("440304", f"refused:{refused.pk}")


def test_the_same_key_is_one_message_and_another_payload_under_it_is_refused(sysadmin, province_commander):
    destination = _destination(sysadmin, "http://127.0.0.1:9/")
    first = _queue(province_commander, destination, 1)[0]
    assert _queue(province_commander, destination, 1)[0].pk == first.pk
    with pytest.raises(ValidationError) as refused:
        message_enqueue(actor=province_commander, destination=destination, kind="dhis2_dvs", region="440304",
                        path="/api/dataValueSets", payload={"dataValues": [{"value": "other"}]},
                        idempotency_key="key-0", capability=SEND_AGGREGATES)
    assert "idempotency_key" in refused.value.message_dict
    assert OutboundMessage.objects.count() == 1


def test_data_of_a_region_the_destination_may_not_receive_or_from_a_user_without_the_right_is_refused(
        sysadmin, province_commander, guangzhou_epi, analyst):
    destination = _destination(sysadmin, "http://127.0.0.1:9/")  # Shenzhen's data only
    with pytest.raises(ValidationError):
        _queue(province_commander, destination, 1, region="440104")
    with pytest.raises(PermissionDenied):
        _queue(guangzhou_epi, destination, 1, region="440304")
    with pytest.raises(PermissionDenied):
        _queue(analyst, destination, 1, region="440304")
    destination.active = False
    destination.save()
    with pytest.raises(ValidationError):
        _queue(province_commander, destination, 1)
    assert OutboundMessage.objects.count() == 0


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert backoff(40) == dt.timedelta(hours=1)


def test_a_message_still_undelivered_after_many_attempts_is_raised_once_and_kept(sysadmin, province_commander):
    destination = _destination(sysadmin, f"http://127.0.0.1:{_free_port()}/")
    [message] = _queue(province_commander, destination, 1)
    OutboundMessage.objects.filter(pk=message.pk).update(state=MessageState.RETRYING,
                                                         attempts=problems.STUCK_ATTEMPTS)
    assert problems.feed(timezone.now()) == 1
    assert problems.feed(timezone.now()) == 0
    assert Problem.objects.get(source=PROBLEM_SOURCE).source_key == f"stuck:{message.pk}"
    run = outbound_send_due(now=timezone.now() + LATER, timeout=2)  # still tried: nothing is ever dropped
    message.refresh_from_db()
    assert run.retrying == 1 and message.attempts == problems.STUCK_ATTEMPTS + 1


def test_only_an_administrator_sends_a_refused_message_again(client, sysadmin, province_commander, futian_commander):
    destination = _destination(sysadmin, "http://127.0.0.1:9/")
    [message] = _queue(province_commander, destination, 1)
    OutboundMessage.objects.filter(pk=message.pk).update(state=MessageState.REFUSED, attempts=1, last_status=400)
    client.force_login(futian_commander)
    assert client.post(f"/interop/messages/{message.pk}/retry/").status_code == 403
    message.refresh_from_db()
    assert message.state == MessageState.REFUSED
    with pytest.raises(PermissionDenied):
        services.message_retry(actor=province_commander, message=message)
    services.message_retry(actor=sysadmin, message=message)
    message.refresh_from_db()
    assert message.state == MessageState.RETRYING
    with pytest.raises(ValidationError):  # only a refused message is sent again by hand
        services.message_retry(actor=sysadmin, message=message)
    client.force_login(sysadmin)
    assert client.post(f"/interop/messages/{message.pk}/retry/").status_code == 400  # said, not a server error
    assert OutboundMessage.objects.get(pk=message.pk).state == MessageState.RETRYING
