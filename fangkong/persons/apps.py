"""App config of the person registry."""

from django.apps import AppConfig


class PersonsConfig(AppConfig):
    name = "fangkong.persons"
    label = "persons"
    verbose_name = "Person registry"
