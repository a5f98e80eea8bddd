"""App config of the command dashboard (province → city → county drill-down, big screen).

``ready`` connects the data generation (``fangkong.data_generation``) to single-row saves and deletes of
every model the dashboard's figures read — the ``figure_sources`` each module declares
(``fangkong.modules``) —, so a cached ``situation`` is never used after such a write commits. Bulk
writes (``bulk_create``, ``update()``, COPY) send no signal: their services call
``bump_data_generation`` themselves (the cases services through ``fangkong.cases.summaries``, the
surveillance services for imports, alert transitions and the detection run).
"""

from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from fangkong import modules


def _bump_on_write(sender, **kwargs) -> None:
    from fangkong.data_generation import bump_data_generation

    bump_data_generation()


class DashboardConfig(modules.ModuleConfig):
    name = "fangkong.dashboard"
    label = "dashboard"
    verbose_name = "Command dashboard"

    navigation = (modules.NavEntry("dashboard", _("Command dashboard"), _("Situation of the province, its cities and counties."),
                                   "dashboard:home"),)
    page_urls = ("dashboard/", "fangkong.dashboard.urls")
    api_urls = "fangkong.dashboard.api_urls"

    def ready(self) -> None:
        for model in modules.figure_source_models():
            label = model._meta.label
            post_save.connect(_bump_on_write, sender=model, dispatch_uid=f"data-generation-save-{label}")
            post_delete.connect(_bump_on_write, sender=model, dispatch_uid=f"data-generation-delete-{label}")
