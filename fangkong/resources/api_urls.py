"""API routes of the resources module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("resource-sites", api.SiteViewSet, basename="site")
router.register("resource-assignments", api.AssignmentViewSet, basename="assignment")
router.register("resource-teams", api.TeamViewSet, basename="team")
router.register("resource-stock", api.StockViewSet, basename="stock")
router.register("resource-requisitions", api.RequisitionViewSet, basename="requisition")
router.register("resource-forecast", api.ForecastViewSet, basename="forecast")

app_name = "resources-api"
urlpatterns = [path("", include(router.urls))]
