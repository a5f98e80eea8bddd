"""API routes of the cases app (mounted under /api/v1/)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from fangkong.cases import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("cases", api.CaseViewSet, basename="case")
router.register("contacts", api.ContactViewSet, basename="contact")
router.register("clusters", api.ClusterViewSet, basename="cluster")
router.register("risk-areas", api.RiskAreaViewSet, basename="risk-area")
router.register("exposures", api.ExposureViewSet, basename="exposure")
router.register("import-jobs", api.ImportJobViewSet, basename="import-job")

app_name = "cases-api"
urlpatterns = [
    path("tracing-timeliness/", api.TimelinessView.as_view(), name="tracing-timeliness"),
    path("", include(router.urls)),
]
