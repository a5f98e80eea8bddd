"""Pages of the key-populations module (mounted at /keypopulations/ by its declaration)."""

from django.urls import path

from . import views

app_name = "keypopulations"
urlpatterns = [
    path("", views.group_list, name="group-list"),
    path("new/", views.group_new, name="group-new"),
    path("overdue/", views.overdue, name="overdue"),
    path("import/", views.import_page, name="import"),
    path("employer/", views.employer, name="employer"),
    path("<int:group_id>/", views.group_detail, name="group-detail"),
]
