"""API routes of the inbound module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("inbound-travellers", api.TravellerViewSet, basename="traveller")
router.register("inbound-manifests", api.ManifestViewSet, basename="manifest")
router.register("inbound-handoffs", api.HandoffViewSet, basename="handoff")
router.register("inbound-breaks", api.BreakViewSet, basename="break")

app_name = "inbound-api"
urlpatterns = [path("", include(router.urls))]
