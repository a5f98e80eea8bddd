"""API routes of the bulletins app (mounted under /api/v1/)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from fangkong.bulletins import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("bulletins", api.BulletinViewSet, basename="bulletin")

app_name = "bulletins-api"
urlpatterns = [path("", include(router.urls))]
