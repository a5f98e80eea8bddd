"""API routes of the retention module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("retention-policies", api.PolicyViewSet, basename="policy")
router.register("retention-changes", api.ChangeViewSet, basename="change")
router.register("retention-holds", api.HoldViewSet, basename="hold")
router.register("retention-purges", api.PurgeViewSet, basename="purge")
router.register("retention-schedule", api.ScheduleViewSet, basename="schedule")

app_name = "retention-api"
urlpatterns = [path("", include(router.urls))]
