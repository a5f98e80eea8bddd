"""App config of the command dashboard (province → city → county drill-down, big screen).

``ready`` connects the data generation (``fangkong.data_generation``) to single-row saves and deletes of
every model the dashboard's figures read, so a cached ``situation`` is never used after such a write
commits. Bulk writes (``bulk_create``, ``update()``, COPY) send no signal: their services call
``bump_data_generation`` themselves (the cases services through ``fangkong.cases.summaries``, the
surveillance services for imports, alert transitions and the detection run).
"""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save

#: The models whose rows a dashboard figure is computed from ("app_label.ModelName").
FIGURE_SOURCES = (
    "cases.Case", "cases.Contact", "cases.DailyTracing",
    "surveillance.Alert", "surveillance.AlertTransition", "surveillance.ResponseTarget",
    "surveillance.SentinelReport", "surveillance.SentinelReportRevision",
    "regions.Region", "protocols.ProtocolVersion",
)


def _bump_on_write(sender, **kwargs) -> None:
    from fangkong.data_generation import bump_data_generation

    bump_data_generation()


class DashboardConfig(AppConfig):
    name = "fangkong.dashboard"
    label = "dashboard"
    verbose_name = "Command dashboard"

    def ready(self) -> None:
        from django.apps import apps

        for label in FIGURE_SOURCES:
            model = apps.get_model(label)
            post_save.connect(_bump_on_write, sender=model, dispatch_uid=f"data-generation-save-{label}")
            post_delete.connect(_bump_on_write, sender=model, dispatch_uid=f"data-generation-delete-{label}")
