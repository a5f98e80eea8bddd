"""App config of the REST API (/api/v1/)."""

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "fangkong.api"
    label = "api"
    verbose_name = "REST API"
