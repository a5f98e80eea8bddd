"""API routes of the places module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("places", api.PlaceViewSet, basename="place")
router.register("place-inspections", api.InspectionViewSet, basename="inspection")
router.register("place-rectifications", api.RectificationViewSet, basename="rectification")
router.register("place-scans", api.ScanViewSet, basename="scan")
router.register("place-checklists", api.ChecklistViewSet, basename="checklist")
router.register("place-findings", api.FindingViewSet, basename="finding")

app_name = "places-api"
urlpatterns = [
    path("places-coverage/", api.CoverageView.as_view(), name="coverage"),
    path("places-co-visits/", api.CoVisitView.as_view(), name="co-visits"),
    path("", include(router.urls)),
]
