"""Pages of the laboratory module (mounted at /laboratory/ by its declaration)."""

from django.urls import path

from . import views

app_name = "laboratory"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("labs/new/", views.laboratory_new, name="laboratory-new"),
    path("labs/<int:laboratory_id>/results/new/", views.result_new, name="result-new"),
    path("labs/<int:laboratory_id>/results/import/", views.result_import, name="result-import"),
    path("rounds/new/", views.round_new, name="round-new"),
    path("rounds/<int:round_id>/", views.round_detail, name="round-detail"),
    path("rounds/<int:round_id>/close/", views.round_close, name="round-close"),
    path("pools/new/", views.pool_new, name="pool-new"),
    path("pools/<int:pool_id>/", views.pool_detail, name="pool-detail"),
    path("specimens/", views.specimen_list, name="specimen-list"),
    path("specimens/new/", views.specimen_new, name="specimen-new"),
    path("specimens/<int:specimen_id>/", views.specimen_detail, name="specimen-detail"),
    path("specimens/<int:specimen_id>/case/", views.case_from_result, name="case-from-result"),
    path("goods/", views.goods_lot_list, name="goods-lot-list"),
    path("goods/new/", views.goods_lot_new, name="goods-lot-new"),
    path("goods/<int:lot_id>/", views.goods_lot_detail, name="goods-lot-detail"),
    path("goods/<int:lot_id>/stops/new/", views.lot_stop_new, name="lot-stop-new"),
    path("investigations/", views.investigation_list, name="investigation-list"),
    path("investigations/<int:investigation_id>/", views.investigation_detail, name="investigation-detail"),
    path("investigations/<int:investigation_id>/close/", views.investigation_close, name="investigation-close"),
]
