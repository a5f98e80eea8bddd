"""App config of sentinel surveillance: sites, daily reports, detection, signals and their response."""

from django.apps import AppConfig


class SurveillanceConfig(AppConfig):
    name = "fangkong.surveillance"
    label = "surveillance"
    verbose_name = "Sentinel surveillance"
