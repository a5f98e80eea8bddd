"""App config of cases, contacts, exposures, clusters, chains and risk areas."""

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "fangkong.cases"
    label = "cases"
    verbose_name = "Cases and contacts"
