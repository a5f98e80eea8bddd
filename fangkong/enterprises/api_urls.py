"""API routes of the enterprises module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("enterprises", api.EnterpriseViewSet, basename="enterprise")
router.register("enterprise-plans", api.PlanViewSet, basename="plan")
router.register("enterprise-tickets", api.TicketViewSet, basename="ticket")
router.register("enterprise-links", api.LinkViewSet, basename="link")
router.register("enterprise-status", api.StatusViewSet, basename="status")
router.register("enterprise-lockdown", api.LockdownViewSet, basename="lockdown")

app_name = "enterprises-api"
urlpatterns = [path("", include(router.urls))]
