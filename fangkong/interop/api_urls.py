"""API routes of the interop module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("interop-messages", api.MessageViewSet, basename="message")

app_name = "interop-api"
urlpatterns = [
    path("", include(router.urls)),
    path("interop-fhir/Bundle/", api.FhirBundleImportView.as_view(), name="fhir-bundle"),
    path("interop-fhir/case-reports/", api.CaseReportsExportView.as_view(), name="fhir-case-reports"),
    path("interop-fhir/case-reports/import/", api.CaseReportsImportView.as_view(), name="fhir-case-reports-import"),
]
