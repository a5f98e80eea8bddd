"""App config of bulletins: the daily situation report, its review and approval, the public page."""

from django.apps import AppConfig


class BulletinsConfig(AppConfig):
    name = "fangkong.bulletins"
    label = "bulletins"
    verbose_name = "Bulletins"
