"""API routes of the key-populations module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("keypopulation-groups", api.GroupViewSet, basename="group")
router.register("keypopulation-tests", api.ResultViewSet, basename="test")
router.register("keypopulation-overdue", api.OverdueViewSet, basename="overdue")
router.register("keypopulation-employer-staff", api.EmployerStaffViewSet, basename="employer-staff")

app_name = "keypopulations-api"
urlpatterns = [path("", include(router.urls))]
