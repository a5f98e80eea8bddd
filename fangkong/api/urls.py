"""Routes of /api/v1/."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from fangkong.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("regions", views.RegionViewSet, basename="region")
router.register("persons", views.PersonViewSet, basename="person")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")

app_name = "api"
urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("", include(router.urls)),
]
