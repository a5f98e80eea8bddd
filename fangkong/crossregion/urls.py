"""Pages of the cross-region requests (mounted at /crossregion/ by the module's declaration)."""

from django.urls import path

from . import views

app_name = "crossregion"
urlpatterns = [
    path("", views.outgoing, name="outgoing"),
    path("inbox/", views.inbox, name="inbox"),
    path("overdue/", views.overdue, name="overdue"),
    path("new/", views.request_new, name="new"),
    path("<int:request_id>/", views.request_detail, name="detail"),
    path("<int:request_id>/acknowledge/", views.request_acknowledge, name="acknowledge"),
    path("<int:request_id>/persons/<int:person_id>/outcome/", views.person_outcome, name="outcome"),
]
