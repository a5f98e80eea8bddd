"""App config of the region tree: the module declaration, and the ``region`` URL converter."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules


class RegionsConfig(modules.ModuleConfig):
    name = "fangkong.regions"
    label = "regions"
    verbose_name = "Regions"

    navigation = (modules.NavEntry("regions", _("Regions"),
                                   _("The region tree: territorial responsibility of every city and county."),
                                   "web:region-home"),)
    figure_sources = ("Region",)
    scoped_tables = ("Region",)

    def ready(self):
        from django.urls import register_converter

        from fangkong.regions.codes import RegionCodeConverter

        register_converter(RegionCodeConverter, "region")
