"""App config of the web UI shell (server-rendered pages, htmx)."""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fangkong.web"
    label = "web"
    verbose_name = "Web UI"
