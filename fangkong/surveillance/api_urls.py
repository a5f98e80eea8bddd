"""API routes of the surveillance app (mounted under /api/v1/)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from fangkong.surveillance import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("surveillance/indicators", api.IndicatorViewSet, basename="indicator")
router.register("surveillance/sites", api.SiteViewSet, basename="site")
router.register("surveillance/reports", api.ReportViewSet, basename="report")
router.register("surveillance/alerts", api.AlertViewSet, basename="alert")
router.register("surveillance/detection-configs", api.DetectionConfigViewSet, basename="detection-config")

app_name = "surveillance-api"
urlpatterns = [
    path("surveillance/timeliness/", api.TimelinessView.as_view(), name="timeliness"),
    path("surveillance/reporting/", api.ReportingView.as_view(), name="reporting"),
    path("surveillance/response-target/", api.ResponseTargetView.as_view(), name="response-target"),
    path("surveillance/earlies/", api.EarliesView.as_view(), name="earlies"),
    path("surveillance/earlies-target/", api.EarliesTargetView.as_view(), name="earlies-target"),
    path("", include(router.urls)),
]
