"""Person: one record per real person, with the citizen ID and phone number protected at rest."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Person(models.Model):
    #: identifier → (hash field or "", sealed field): what a keyring rotation rehashes and rewraps
    #: (``fangkong.persons.shredding``)
    SEALED_IDENTIFIERS = {"citizen_id": ("citizen_id_hash", "citizen_id_sealed"), "phone": ("phone_hash", "phone_sealed")}

    class Sex(models.TextChoices):
        MALE = "M", _("Male")
        FEMALE = "F", _("Female")
        UNKNOWN = "U", _("Unknown")

    name = models.CharField(_("name"), max_length=64)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    # Citizen ID: keyed hash for look-up, AES-GCM for authorised display, mask for everything else.
    # The hashes are looked up by equality only: their unique constraint and index are declared in Meta, so
    # that PostgreSQL gets no second (varchar_pattern_ops) index to maintain on every insert.
    citizen_id_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)  # noqa: DJ001 (NULL: no ID; unique ignores NULLs)
    citizen_id_sealed = models.TextField(blank=True, editable=False)
    citizen_id_masked = models.CharField(_("citizen ID"), max_length=18, blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    phone_sealed = models.TextField(blank=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=24, blank=True, editable=False)
    # The person's data key, which seals the two identifiers above, wrapped by the keyring epoch's
    # key-encryption key (fangkong.persons.keyring; epoch 0: no key, the person has no identifier). It goes
    # with the row: a deleted person's key exists nowhere once the epoch that wrapped it is destroyed.
    key_wrapped = models.CharField(max_length=80, blank=True, default="", db_default="", editable=False)
    key_epoch = models.PositiveIntegerField(default=0, db_default=0, editable=False)
    address_region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("address region")
    )
    address_text = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [models.UniqueConstraint(fields=["citizen_id_hash"], name="person_citizen_id_once")]
        indexes = [models.Index(fields=["phone_hash"], name="person_phone_hash")]

    def __str__(self) -> str:
        return f"{self.name} ({self.citizen_id_masked or self.pk})"
