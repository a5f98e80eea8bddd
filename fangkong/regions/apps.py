"""App config of the region tree."""

from django.apps import AppConfig


class RegionsConfig(AppConfig):
    name = "fangkong.regions"
    label = "regions"
    verbose_name = "Regions"
