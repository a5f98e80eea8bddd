"""Pages of the laboratory module (mounted at /laboratory/ by its declaration)."""

from django.urls import path

from . import views

app_name = "laboratory"
urlpatterns = [
    path("", views.entry_list, name="entry-list"),
    path("new/", views.entry_new, name="entry-new"),
    path("<int:entry_id>/", views.entry_detail, name="entry-detail"),
]
