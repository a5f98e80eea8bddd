"""App config of the REST API (/api/v1/): the regions, persons, audit-event and ``me`` routes."""

from fangkong import modules


class ApiConfig(modules.ModuleConfig):
    name = "fangkong.api"
    label = "api"
    verbose_name = "REST API"

    api_urls = "fangkong.api.urls"
