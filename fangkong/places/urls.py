"""Pages of the places module (mounted at /places/ by its declaration)."""

from django.urls import path

from . import views

app_name = "places"
urlpatterns = [
    path("", views.place_list, name="place-list"),
    path("new/", views.place_new, name="place-new"),
    path("import/", views.place_import, name="place-import"),
    path("coverage/", views.coverage, name="coverage"),
    path("co-visits/", views.co_visits, name="co-visits"),
    path("checklists/", views.checklists, name="checklists"),
    path("<int:pk>/", views.place_detail, name="place-detail"),
    path("<int:pk>/inspect/", views.inspection_new, name="inspection-new"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection-detail"),
    path("rectifications/<int:pk>/", views.rectification_act, name="rectification-act"),
    path("findings/<int:pk>/annotate/", views.finding_annotate, name="finding-annotate"),
    path("photos/<int:pk>/", views.finding_photo, name="finding-photo"),
]
