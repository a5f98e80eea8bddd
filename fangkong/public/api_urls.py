"""API routes of the public module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("public-notices", api.NoticeViewSet, basename="notice")
router.register("public-testing-sites", api.TestingSiteViewSet, basename="testing-site")
router.register("public-editions", api.PublicationViewSet, basename="edition")

app_name = "public-api"
urlpatterns = [path("", include(router.urls))]
