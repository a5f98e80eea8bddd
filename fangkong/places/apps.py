"""App config of the places module: key places and units under full-coverage supervision (``fangkong.modules``)."""

from django.utils.translation import gettext_lazy as _

from fangkong import modules
from fangkong.accounts.need_to_know import Category
from fangkong.accounts.roles import Role

PACKAGE = __name__.rpartition(".")[0]
REGISTER = "places.register"  # register and import places
INSPECT = "places.inspect"    # record inspections, act on rectification orders, close and reopen places
CHECKLIST = "places.checklist"  # publish checklist versions (province-wide)
SCAN_RECORD = "places.scan_record"  # record venue-code scans (person data: the roles that trace)
PROBLEM_SOURCE = "places"  # overdue rectification orders in the three lists (``problems.py``)
#: Every morning: orders past their deadline become overdue; the counts of overdue places.
OVERDUE_RUN = {"hour": 6, "minute": 10}


class PlacesConfig(modules.ModuleConfig):
    name = PACKAGE
    label = "places"
    verbose_name = "Places"

    navigation = (modules.NavEntry("places", _("Key places"),
                                   _("Key places and units: registry, inspections, rectification, coverage, venue codes."),
                                   "places:place-list"),)
    capabilities = (
        modules.CapabilityGrant(REGISTER, _("Register and import key places"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.INSPECTOR), category=Category.AGGREGATES),
        modules.CapabilityGrant(INSPECT, _("Inspect key places and verify rectification"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.INSPECTOR), category=Category.AGGREGATES),
        modules.CapabilityGrant(CHECKLIST, _("Publish checklist versions of key places"),
                                (Role.PROVINCIAL_COMMANDER,), category=Category.AGGREGATES),
        modules.CapabilityGrant(SCAN_RECORD, _("Record venue-code scans"),
                                (Role.PROVINCIAL_COMMANDER, Role.LOCAL_COMMANDER, Role.EPIDEMIOLOGIST), category=Category.NAMED),
    )
    page_urls = ("places/", f"{PACKAGE}.urls")
    api_urls = f"{PACKAGE}.api_urls"
    demo_loader = f"{PACKAGE}.demo.demo_load"
    demo_order = 50  # after cases (30): scans around its cases
    periodic_jobs = (modules.PeriodicJob("places-overdue", "fangkong.places.overdue_mark", OVERDUE_RUN),)
    dashboard_panels = (modules.DashboardPanel("places", _("Key places: inspection coverage"), "places/_panel.html",
                                               f"{PACKAGE}.selectors.panel_context"),)
    report_sections = (modules.ReportSection("places", f"{PACKAGE}.report.figures", f"{PACKAGE}.report.wording"),)
    figure_sources = ("Place", "Inspection", "Rectification")
    # the photos of findings (``photos.py``): in a temporary folder in tests
    isolated_paths = (("FANGKONG_PLACES_PHOTO_DIR", "places-photos"),)
    problem_sources = (modules.ProblemSource(PROBLEM_SOURCE, _("Overdue rectification"),
                                             f"{PACKAGE}.problems.feed"),)
    scoped_tables = ("Place", "Inspection", "Finding", "Rectification", "Scan", "CoVisitContact", "FindingPhoto")
    scope_records = f"{PACKAGE}.tests.scope.other_city_records"
