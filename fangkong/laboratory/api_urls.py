"""API routes of the laboratory module (mounted under /api/v1/ by its declaration)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("laboratories", api.LaboratoryViewSet, basename="laboratory")
router.register("screening-rounds", api.RoundViewSet, basename="round")
router.register("pools", api.PoolViewSet, basename="pool")
router.register("specimens", api.SpecimenViewSet, basename="specimen")
router.register("goods-lots", api.GoodsLotViewSet, basename="goods-lot")
router.register("investigations", api.InvestigationViewSet, basename="investigation")

app_name = "laboratory-api"
urlpatterns = [path("", include(router.urls))]
