"""App config of the command dashboard (province → city → county drill-down, big screen).

The dashboard's cached figures are keyed on the data generation (``fangkong.data_generation``): every
service that writes a model the figures read (the ``figure_sources`` each module declares,
``fangkong.modules``) calls ``bump_data_generation`` in its transaction — explicitly, no model signal
does it behind the caller's back (``tests/test_explicit_generation.py`` checks both).
"""

from django.utils.translation import gettext_lazy as _

from fangkong import modules


class DashboardConfig(modules.ModuleConfig):
    name = "fangkong.dashboard"
    label = "dashboard"
    verbose_name = "Command dashboard"

    navigation = (modules.NavEntry("dashboard", _("Command dashboard"), _("Situation of the province, its cities and counties."),
                                   "dashboard:home"),)
    page_urls = ("dashboard/", "fangkong.dashboard.urls")
    api_urls = "fangkong.dashboard.api_urls"
