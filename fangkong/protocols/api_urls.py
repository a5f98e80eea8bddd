"""API routes of the protocols app (mounted under /api/v1/)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from fangkong.protocols import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("protocols", api.ProtocolViewSet, basename="protocol")

app_name = "protocols-api"
urlpatterns = [path("", include(router.urls))]
