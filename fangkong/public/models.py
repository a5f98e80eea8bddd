"""Records of the public site: official notices (draft → approved, four eyes) and publications.

A ``Publication`` is one edition of the public site: prepared by one person (``snapshot``: the approved
content it will show, frozen; ``snapshot_sha256`` its hash), published by another (four eyes), who writes
the static files and the signed manifest (``manifest_sha256``). The public pages read only those files.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

TITLE_MAX = 120
BODY_MAX = 2000
SITE_NAME_MAX = 80
ADDRESS_MAX = 160
HOURS_NOTE_MAX = 200
ALL_DAY = dt.time(0, 0)


def hours_problem(opens_at: dt.time, closes_at: dt.time) -> str | None:
    """Why a testing site's period is not one (None: it is): it closes after it opens, or 00:00–00:00 (all day)."""
    if closes_at > opens_at or opens_at == closes_at == ALL_DAY:
        return None
    return str(_("Closing time must be after the opening time (00:00 to 00:00 means all day)."))


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
    serial = models.PositiveIntegerField(_("edition number"), null=True, blank=True, editable=False,
                                         help_text=_("Counts the published editions of the site: 1, 2, 3 …"))
    file_count = models.PositiveIntegerField(_("files"), default=0, editable=False)

    class Meta:
        ordering = ["-prepared_at", "-id"]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return f"{self.region_id} #{self.pk} ({self.status})"


class TestingSite(models.Model):
    """A testing site (核酸采样点) of a county, with its hours, services and status: plain text, bounded.

    Never edited in place: a change is a new version (``replaces`` the approved one) drafted by one person
    and approved by another; the approval supersedes the version it replaces. Hours are structured — the
    days of the week (ISO: 1 Monday … 7 Sunday) and one period (``opens_at``–``closes_at``; 00:00–00:00 is
    all day) — so the public page can say "08:00–20:00 daily" in both languages and whether the site is open
    on the edition's day; ``hours_note_*`` is a note beside them, never the hours themselves."""

    class Review(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        SUPERSEDED = "superseded", _("Superseded")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("testing site", "Open")
        SUSPENDED = "suspended", pgettext_lazy("testing site", "Suspended")
        CLOSED = "closed", pgettext_lazy("testing site", "Closed")

    class Service(models.TextChoices):
        NUCLEIC_ACID = "nucleic_acid", _("Nucleic-acid sampling")
        SINGLE_TUBE = "single_tube", _("Single-tube sampling")
        ANTIGEN = "antigen", _("Antigen test")

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=SITE_NAME_MAX)
    name_en = models.CharField(_("name (English)"), max_length=SITE_NAME_MAX)
    address_zh = models.CharField(_("address (Chinese)"), max_length=ADDRESS_MAX)
    address_en = models.CharField(_("address (English)"), max_length=ADDRESS_MAX)
    weekdays = models.JSONField(_("days open"), default=list)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    hours_note_zh = models.CharField(_("note on the hours (Chinese)"), max_length=HOURS_NOTE_MAX, blank=True)
    hours_note_en = models.CharField(_("note on the hours (English)"), max_length=HOURS_NOTE_MAX, blank=True)
    services = models.JSONField(_("services"), default=list)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    review = models.CharField(_("review"), max_length=12, choices=Review.choices, default=Review.DRAFT)
    replaces = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("replaces"))
    created_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("drafted by"))
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("approved by"))

    class Meta:
        ordering = ["region_id", "name_zh", "-id"]
        verbose_name = _("testing site")
        verbose_name_plural = _("testing sites")

    def __str__(self) -> str:
        return f"{self.region_id} {self.name_zh} ({self.review})"

    def clean(self):
        errors = {}
        if problem := hours_problem(self.opens_at, self.closes_at):
            errors["closes_at"] = [problem]
        if not self.weekdays or not all(isinstance(d, int) and 1 <= d <= 7 for d in self.weekdays) \
                or len(set(self.weekdays)) != len(self.weekdays):
            errors["weekdays"] = [_("Choose the days of the week it is open.")]
        if not self.services or not set(self.services) <= set(self.Service.values):
            errors["services"] = [_("Choose its services.")]
        if errors:
            raise ValidationError(errors)
