"""Pages of the interop module (mounted at /interop/ by its declaration)."""

from django.urls import path

from . import views

app_name = "interop"
urlpatterns = [
    path("", views.entry_list, name="entry-list"),
    path("new/", views.entry_new, name="entry-new"),
    path("<int:entry_id>/", views.entry_detail, name="entry-detail"),
]
