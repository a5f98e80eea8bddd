"""API routes of the cross-region requests (mounted under /api/v1/ by the module's declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("crossregion-requests", api.RequestViewSet, basename="request")

app_name = "crossregion-api"
urlpatterns = [path("", include(router.urls)),
               path("crossregion-figures/", api.FiguresView.as_view(), name="figures")]
