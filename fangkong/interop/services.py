"""Writes of the interop module: each checks the capability, runs in a transaction, is audited.

- ``destination_create`` / ``destination_update``: administrators only (``interop.configure``), with a
  stated reason kept in the audit event; the credential is sealed at once (``persons.protection.seal``,
  purpose ``interop.destination``) and never shown again.
- ``message_enqueue``: a message for a destination, refused when the data's region is not one the
  destination may receive; idempotent on ``(destination, idempotency_key)`` — the same key with the same
  payload returns the queued row, with another payload is refused.
- ``outbound_send_due``: the sending job (``tasks.send_due``): reclaims sends left half-done by a killed
  worker, claims each due message with a compare-and-set update (two workers never send one message at
  once), sends it outside any transaction (``transport.post``), then records the answer: 2xx delivered,
  4xx other than 408/425/429 refused for good (shown on the queue page and raised in the three lists by
  ``problems.feed``), anything else — 5xx, 408, 425, 429, a timeout, a refused connection — tried again
  after an exponential back-off. Every attempt that lets data leave is audited (an export event).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.accounts.access import can
from fangkong.audit.models import AuditEvent
from fangkong.audit.services import audit_record, reason_clean
from fangkong.persons.protection import seal, unseal
from fangkong.regions.codes import covers
from fangkong.regions.models import Region

from . import transport
from .apps import CONFIGURE
from .models import Destination, MessageState, OutboundMessage

SECRET_PURPOSE = "interop.destination"  # noqa: S105 (the sealing purpose, not a secret)
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=1)
LEASE = dt.timedelta(minutes=5)  # a send not finished in this time was killed: tried again
ANSWER_KEPT = 4000  # characters of the receiver's answer kept
RETRYABLE_4XX = frozenset({408, 425, 429})
PAYLOAD_MAX_BYTES = 5 * 1024 * 1024


# --- destinations -------------------------------------------------------------------------------------------


def _reason(reason) -> str:
    try:
        return reason_clean(reason)
    except ValidationError as exc:
        raise ValidationError({"reason": [_("Say in a short sentence why you change this destination "
                                            "(at least four Chinese characters or three words).")]}) from exc


def _check_regions(actor, region: Region, codes: list[str]) -> list[str]:
    codes = sorted(set(codes))
    if not codes:
        raise ValidationError({"regions": [_("Name at least one region whose data may go there.")]})
    known = set(Region.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValidationError({"regions": [_("No region with the code %(codes)s.") % {"codes": ", ".join(unknown)}]})
    outside = [c for c in codes if not covers(region.code, c)]
    if outside:
        raise ValidationError({"regions": [_("Outside the destination's region: %(codes)s.") % {
            "codes": ", ".join(outside)}]})
    return codes


def _sealed_secret(auth: str, username: str, secret: str) -> bytes:
    if auth == Destination.Auth.NONE:
        return b""
    if not secret:
        raise ValidationError({"secret": [_("This authentication needs its password or token.")]})
    if auth == Destination.Auth.BASIC and not username:
        raise ValidationError({"username": [_("A user name is needed with a password.")]})
    return seal(secret.encode("utf-8"), SECRET_PURPOSE)


def destination_secret(destination: Destination) -> str:
    """The destination's password or token, unsealed for the sending job only (never shown)."""
    if not destination.secret_sealed:
        return ""
    return unseal(bytes(destination.secret_sealed), SECRET_PURPOSE).decode("utf-8")


def _shown_fields(destination: Destination) -> dict:
    return {"name": destination.name, "kind": destination.kind, "base_url": destination.base_url,
            "auth": destination.auth, "username": destination.username, "regions": destination.regions,
            "identifiers_entitled": destination.identifiers_entitled, "active": destination.active,
            "dhis2_data_set": destination.dhis2_data_set, "dhis2_period": destination.dhis2_period}


def destination_create(*, actor, region: str, name: str, kind: str, base_url: str, regions: list[str],
                       reason: str, auth: str = Destination.Auth.NONE, username: str = "", secret: str = "",
                       identifiers_entitled: bool = False, dhis2_data_set: str = "", dhis2_period: str = "",
                       active: bool = True, request=None) -> Destination:
    """Configure a destination (administrators only, in their region)."""
    if not can(actor, CONFIGURE, region):
        raise PermissionDenied(_("Only administrators may configure destinations, in their own region."))
    reason = _reason(reason)
    place = Region.objects.filter(code=region).first()
    if place is None:
        raise ValidationError({"region": [_("No region with this code.")]})
    codes = _check_regions(actor, place, regions)
    sealed = _sealed_secret(auth, username, secret)
    now = timezone.now()
    with transaction.atomic():
        destination = Destination(name=name, kind=kind, base_url=base_url, auth=auth, username=username,
                                  secret_sealed=sealed, region=place, regions=codes,
                                  identifiers_entitled=identifiers_entitled, dhis2_data_set=dhis2_data_set,
                                  dhis2_period=dhis2_period, active=active, created_by=actor, created_at=now,
                                  updated_at=now)
        destination.full_clean()
        destination.save()
        audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=destination, region_code=region,
                     request=request, reason=reason, detail=_shown_fields(destination))
    return destination


def destination_update(*, actor, destination: Destination, reason: str, request=None, secret: str = "",
                       **fields) -> Destination:
    """Change a destination; an empty ``secret`` keeps the sealed one (unless the authentication changes)."""
    if not can(actor, CONFIGURE, destination.region_id):
        raise PermissionDenied(_("Only administrators may configure destinations, in their own region."))
    reason = _reason(reason)
    before = _shown_fields(destination)
    fields.pop("region", None)  # a destination stays in its region
    for name, value in fields.items():
        setattr(destination, name, value)
    destination.regions = _check_regions(actor, destination.region, destination.regions)
    if secret or destination.auth != before["auth"]:
        destination.secret_sealed = _sealed_secret(destination.auth, destination.username, secret)
    elif destination.auth == Destination.Auth.BASIC and not destination.username:
        raise ValidationError({"username": [_("A user name is needed with a password.")]})
    destination.updated_at = timezone.now()
    with transaction.atomic():
        destination.full_clean()
        destination.save()
        after = _shown_fields(destination)
        changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
        if secret:
            changed["secret"] = ["…", "…"]
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=destination,
                     region_code=destination.region_id, request=request, reason=reason, detail=changed)
    return destination


# --- the queue ----------------------------------------------------------------------------------------------


def payload_bytes(payload) -> bytes:
    """The payload as sent: compact JSON, keys in their order, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def payload_hash(payload) -> str:
    return hashlib.sha256(payload_bytes(payload)).hexdigest()


def message_enqueue(*, actor, destination: Destination, kind: str, region: str, path: str, payload,
                    idempotency_key: str, capability: str, follows: OutboundMessage | None = None,
                    request=None) -> OutboundMessage:
    """Queue one message (``actor`` None: the platform's own job). The data's region must be one the
    destination may receive and, for a person, the actor must hold ``capability`` there. The same key again:
    the row already queued (same payload) or a refusal (another payload: a key names one message)."""
    if actor is not None and not can(actor, capability, region):
        raise PermissionDenied(_("You may not send these data out of the platform."))
    if not destination.active:
        raise ValidationError({"destination": [_("This destination is switched off.")]})
    if not any(covers(code, region) for code in destination.regions):
        raise ValidationError({"destination": [_("This destination may not receive data of region %(code)s.") % {
            "code": region}]})
    if not idempotency_key or len(idempotency_key) > 100:
        raise ValidationError({"idempotency_key": [_("An idempotency key has 1 to 100 characters.")]})
    body = payload_bytes(payload)
    if len(body) > PAYLOAD_MAX_BYTES:
        raise ValidationError({"payload": [_("The message is larger than %(mb)d MB.") % {
            "mb": PAYLOAD_MAX_BYTES // (1024 * 1024)}]})
    digest = hashlib.sha256(body).hexdigest()
    existing = OutboundMessage.objects.filter(destination=destination, idempotency_key=idempotency_key).first()
    if existing is not None:
        return _same_or_refused(existing, digest)
    try:
        with transaction.atomic():
            message = OutboundMessage(destination=destination, kind=kind, region_id=region, path=path,
                                      payload=payload, payload_hash=digest, idempotency_key=idempotency_key,
                                      follows=follows, created_by=actor)
            message.full_clean(validate_constraints=False)
            message.save()
            audit_record(actor=actor, action=AuditEvent.Action.CREATE, obj=message, region_code=region,
                         request=request, detail={"destination": destination.pk, "kind": kind,
                                                  "payload_hash": digest, "idempotency_key": idempotency_key})
    except IntegrityError:  # queued at the same moment by another worker
        return _same_or_refused(OutboundMessage.objects.get(destination=destination,
                                                            idempotency_key=idempotency_key), digest)
    return message


def _same_or_refused(existing: OutboundMessage, digest: str) -> OutboundMessage:
    if existing.payload_hash != digest:
        raise ValidationError({"idempotency_key": [_("This key already names another message to this "
                                                     "destination.")]})
    return existing


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 30 s, 1 min, 2 min, … at most an hour."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


@dataclass
class SendRun:
    reclaimed: int = 0
    delivered: int = 0
    refused: int = 0
    retrying: int = 0


def outbound_send_due(*, now: dt.datetime | None = None, limit: int = 500, timeout: float = 10.0) -> SendRun:
    """Send the messages that are due (module docstring); what happened, counted."""
    now = now or timezone.now()
    run = SendRun()
    run.reclaimed = OutboundMessage.objects.filter(
        state=MessageState.SENDING, sending_since__lt=now - LEASE).update(
        state=MessageState.RETRYING, next_attempt_at=now, sending_since=None,
        last_answer="the previous attempt did not finish (worker stopped); sent again")
    due = list(OutboundMessage.objects.filter(
        state__in=(MessageState.QUEUED, MessageState.RETRYING), next_attempt_at__lte=now,
        destination__active=True).order_by("next_attempt_at", "id").values_list("id", "state", "attempts")[:limit])
    for message_id, state, attempts in due:
        message = _claim(message_id, state, attempts, now)
        if message is None:  # another worker took it
            continue
        answer = transport.post(message.destination, message.path, payload_bytes(message.payload),
                                idempotency_key=message.idempotency_key, secret=destination_secret(
                                    message.destination), timeout=timeout)
        outcome = _record(message, answer, now)
        setattr(run, outcome, getattr(run, outcome) + 1)
    return run


def _claim(message_id: int, state: str, attempts: int, now: dt.datetime) -> OutboundMessage | None:
    """Take a due message for this worker (compare-and-set on its state and attempts) and audit the attempt
    before any byte leaves: a send killed half-way is in the audit trail all the same."""
    with transaction.atomic():
        claimed = OutboundMessage.objects.filter(pk=message_id, state=state, attempts=attempts).update(
            state=MessageState.SENDING, sending_since=now, attempts=attempts + 1, last_attempt_at=now)
        if not claimed:
            return None
        message = OutboundMessage.objects.select_related("destination").get(pk=message_id)
        audit_record(actor=None, action=AuditEvent.Action.EXPORT, obj=message, region_code=message.region_id,
                     detail={"destination": message.destination_id, "url": message.destination.base_url,
                             "path": message.path, "attempt": message.attempts,
                             "payload_hash": message.payload_hash, "idempotency_key": message.idempotency_key})
    return message


def _record(message: OutboundMessage, answer: transport.Answer, now: dt.datetime) -> str:
    status = answer.status
    if status is not None and 200 <= status < 300:
        state, outcome = MessageState.DELIVERED, "delivered"
    elif status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX:
        state, outcome = MessageState.REFUSED, "refused"
    else:
        state, outcome = MessageState.RETRYING, "retrying"
    fields = {"state": state, "sending_since": None, "last_status": status, "last_answer": answer.text[:ANSWER_KEPT]}
    if state == MessageState.DELIVERED:
        fields["delivered_at"] = now
    if state == MessageState.RETRYING:
        fields["next_attempt_at"] = now + backoff(message.attempts)
    OutboundMessage.objects.filter(pk=message.pk, state=MessageState.SENDING).update(**fields)
    for field, value in fields.items():
        setattr(message, field, value)
    if state == MessageState.DELIVERED:
        from .dhis2 import after_delivery  # reconcile a DHIS2 import summary; a dry run leads to the import

        after_delivery(message)
    return outcome


def message_retry(*, actor, message: OutboundMessage, request=None) -> OutboundMessage:
    """Queue a refused message again (after the receiver's or the mapping's fault was put right)."""
    if not can(actor, CONFIGURE, message.destination.region_id):
        raise PermissionDenied(_("Only administrators may send a refused message again."))
    if message.state != MessageState.REFUSED:
        raise ValidationError({"state": [_("Only a refused message is sent again by hand.")]})
    with transaction.atomic():
        OutboundMessage.objects.filter(pk=message.pk, state=MessageState.REFUSED).update(
            state=MessageState.RETRYING, next_attempt_at=timezone.now())
        audit_record(actor=actor, action=AuditEvent.Action.UPDATE, obj=message, region_code=message.region_id,
                     request=request, detail={"state": [MessageState.REFUSED, MessageState.RETRYING]})
    message.refresh_from_db()
    return message
