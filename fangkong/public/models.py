"""Records of the public site: official notices (draft → approved, four eyes) and publications.

A ``Publication`` is one edition of the public site: prepared by one person (``snapshot``: the approved
content it will show, frozen; ``snapshot_sha256`` its hash), published by another (four eyes), who writes
the static files and the signed manifest (``manifest_sha256``). The public pages read only those files.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

TITLE_MAX = 120
BODY_MAX = 2000


class Notice(models.Model):
    """An official notice (通告) in Chinese and English; plain text only, length-bounded."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    title_zh = models.CharField(_("title (Chinese)"), max_length=TITLE_MAX)
    title_en = models.CharField(_("title (English)"), max_length=TITLE_MAX)
    body_zh = models.TextField(_("text (Chinese)"), validators=[MaxLengthValidator(BODY_MAX)])
    body_en = models.TextField(_("text (English)"), validators=[MaxLengthValidator(BODY_MAX)])
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("drafted by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("official notice")
        verbose_name_plural = _("official notices")

    def __str__(self) -> str:
        return f"{self.region_id} {self.title_zh} ({self.status})"


class Publication(models.Model):
    """One edition of the public site."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared")
        PUBLISHED = "published", _("Published")
        SUPERSEDED = "superseded", _("Superseded")

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREPARED)
    snapshot = models.JSONField(_("content"), editable=False)
    snapshot_sha256 = models.CharField(_("content hash"), max_length=64, editable=False)
    prepared_at = models.DateTimeField(_("prepared at"), auto_now_add=True)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("prepared by"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+", verbose_name=_("published by"))
    manifest_sha256 = models.CharField(_("manifest hash"), max_length=64, blank=True, editable=False)
    file_count = models.PositiveIntegerField(_("files"), default=0, editable=False)

    class Meta:
        ordering = ["-prepared_at", "-id"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return f"{self.region_id} #{self.pk} ({self.status})"
