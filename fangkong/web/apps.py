"""App config of the web UI shell (server-rendered pages, htmx); the last installed app.

``ready`` gives Celery beat the periodic jobs the modules declare (``fangkong.jobs``), once every module
is loaded.
"""

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "fangkong.web"
    label = "web"
    verbose_name = "Web UI"

    def ready(self) -> None:
        from fangkong.jobs import schedule_declared_jobs

        schedule_declared_jobs()
