"""Region: a node of the GB/T 2260 administrative tree (province → prefecture → county → township)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fangkong.regions.codes import subtree_prefix


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        PREFECTURE = "prefecture", _("Prefecture")
        COUNTY = "county", _("County")
        TOWNSHIP = "township", _("Township")

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children",
        verbose_name=_("parent"),
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    name_zh = models.CharField(_("Chinese name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=128)
    population = models.PositiveBigIntegerField(_("population"), default=0)
    population_estimated = models.BooleanField(
        _("population is an estimate"), default=False,
        help_text=_("True when the population was apportioned, not taken from an official count."),
    )
    geometry = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)
    geometry_synthetic = models.BooleanField(
        _("boundary is synthetic"), default=False,
        help_text=_("True when no official boundary was available and a schematic shape was generated."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        indexes = [
            models.Index(fields=["code"], name="region_code_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "code"], name="region_parent_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def prefix(self) -> str:
        return subtree_prefix(self.code)
