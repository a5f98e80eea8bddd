"""User and Membership: who someone is, and in which region they act in which role."""

from __future__ import annotations

import base64

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts.roles import Role


class User(AbstractUser):
    """A person who signs in. What they may see comes only from their memberships."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user"))
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "region", "role"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.region_id}"


class SealedTOTPDevice(TOTPDevice):
    """django-otp's TOTP device with its secret stored sealed (AES-GCM with the PII key, as citizen IDs are):
    whoever reads the database cannot clone an authenticator. ``key`` holds ``s1:`` + base64 of the sealed
    20 bytes (71 characters; the column takes 80); a key in django-otp's clear hex still works."""

    SEALED = "s1:"
    PURPOSE = "otp_totp.totpdevice.key"

    class Meta:
        proxy = True
        verbose_name = _("authenticator")

    @classmethod
    def key_seal(cls, raw: bytes) -> str:
        from fangkong.persons import protection

        return cls.SEALED + base64.b64encode(protection.seal(raw, cls.PURPOSE)).decode("ascii")

    @property
    def bin_key(self) -> bytes:
        if self.key.startswith(self.SEALED):
            from fangkong.persons import protection

            return protection.unseal(base64.b64decode(self.key[len(self.SEALED):]), self.PURPOSE)
        return super().bin_key
