"""API routes of the worklists module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("worklists-tasks", api.TaskViewSet, basename="task")
router.register("worklists-problems", api.ProblemViewSet, basename="problem")

app_name = "worklists-api"
urlpatterns = [
    path("", include(router.urls)),
    path("worklists-responsibility/", api.ResponsibilityView.as_view(), name="responsibility"),
    path("worklists-calendar/", api.CalendarView.as_view(), name="calendar"),
]
