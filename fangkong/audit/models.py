"""AuditEvent: the append-only record of who did what, when, to which object, from where.

Rows are written by services (every write), by every reveal of personal data, by every export, at
sign-in (bounded: see ``fangkong.accounts.signin_audit``) and when an object or action is refused
(bounded per user). The application can only insert: ``save`` refuses to update, ``delete`` and the
queryset's ``update``/``delete`` raise, and a database trigger (installed by the migration on
SQLite and PostgreSQL) refuses UPDATE and DELETE from any other client too — but one UPDATE: the
redaction of a version-2 event's ``detail`` and ``reason`` when its person is purged
(``fangkong.audit.services.audit_redact``, ``0007_redaction_trigger``).

Each event carries ``previous_hash``, the ``event_hash`` of the event before it, and its own
``event_hash``: SHA-256 over a canonical serialisation of its fields and ``previous_hash``
(``fangkong.audit.chain``). Someone who drops the trigger and edits or deletes a row breaks the chain
at that row, and ``fangkong audit_verify`` names it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditImmutableError(Exception):
    """Raised on any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutableError("audit events cannot be updated")

    def delete(self):
        raise AuditImmutableError("audit events cannot be deleted")


class AuditEvent(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")
        REVEAL = "reveal", _("Reveal personal data")
        EXPORT = "export", _("Export")
        SIGN_IN = "sign_in", _("Sign in")
        SIGN_IN_FAILED = "sign_in_failed", _("Failed sign-in")
        SIGN_OUT = "sign_out", _("Sign out")
        IMPORT = "import", _("Import")
        SIGN_IN_LOCKED = "sign_in_locked", _("Sign-in locked out")
        ACCESS_REFUSED = "access_refused", _("Access refused")
        LOOKUP = "lookup", _("Look-up by identifier")

    # Set by ``audit_record`` before the event is hashed (an ``auto_now_add`` would be set after).
    occurred_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("user"),
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    region_code = models.CharField(_("region"), max_length=12, blank=True, db_index=True)
    source_ip = models.GenericIPAddressField(_("source IP"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    previous_hash = models.CharField(_("previous event's hash"), max_length=64, blank=True)
    event_hash = models.CharField(_("hash"), max_length=64, blank=True)
    # Version 2 of the chain (``fangkong.audit.chain``): the hash covers ``content_digest`` instead of
    # ``detail`` and ``reason``, so both can be dropped when the person they are about is purged.
    chain_version = models.PositiveSmallIntegerField(_("chain version"), default=1, editable=False)
    content_digest = models.CharField(_("content digest"), max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # the events about one object (the retention purge redacts those of the records it deletes)
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action} {self.object_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditImmutableError("audit events cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutableError("audit events cannot be deleted")
