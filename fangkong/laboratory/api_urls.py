"""API routes of the laboratory module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("laboratory-entries", api.EntryViewSet, basename="entry")

app_name = "laboratory-api"
urlpatterns = [path("", include(router.urls))]
