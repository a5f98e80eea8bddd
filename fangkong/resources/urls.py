"""Pages of the resources module (mounted at /resources/ by its declaration)."""

from django.urls import path

from . import views

app_name = "resources"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("sites/new/", views.site_new, name="site-new"),
    path("sites/<int:site_id>/", views.site_detail, name="site"),
    path("sites/<int:site_id>/managers/", views.site_manager_add, name="site-manager-add"),
    path("sites/<int:site_id>/rooms/", views.rooms_add, name="rooms-add"),
    path("sites/<int:site_id>/room-list/", views.room_list, name="room-list"),
    path("sites/<int:site_id>/check-in/", views.check_in, name="check-in"),
    path("rooms/<int:room_id>/state/", views.room_state, name="room-state"),
    path("assignments/<int:assignment_id>/check-out/", views.check_out, name="check-out"),
    path("assignments/<int:assignment_id>/transfer/", views.transfer, name="transfer"),
    path("staff/", views.team_list, name="teams"),
    path("staff/<int:team_id>/", views.team_detail, name="team"),
    path("hospitals/new/", views.hospital_new, name="hospital-new"),
    path("hospitals/<int:hospital_id>/", views.hospital_detail, name="hospital"),
    path("stores/new/", views.store_new, name="store-new"),
    path("stores/<int:store_id>/", views.store_detail, name="store"),
    path("requisitions/new/", views.requisition_new, name="requisition-new"),
    path("requisitions/<int:requisition_id>/", views.requisition_detail, name="requisition"),
]
