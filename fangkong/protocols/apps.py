"""App config of protocols: the versioned, effective-dated rules of each protocol edition."""

from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "fangkong.protocols"
    label = "protocols"
    verbose_name = "Protocols"
