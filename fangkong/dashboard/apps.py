"""App config of the command dashboard (province → city → county drill-down, big screen)."""

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "fangkong.dashboard"
    label = "dashboard"
    verbose_name = "Command dashboard"
