"""Pages of the inbound module (mounted at /inbound/ by its declaration)."""

from django.urls import path

from . import views

app_name = "inbound"
urlpatterns = [
    path("", views.arrivals, name="arrivals"),
    path("ports/<slug:slug>/", views.arrivals, name="port-arrivals"),
    path("manifests/import/", views.manifest_import_page, name="manifest-import"),
    path("arrive/", views.arrive, name="arrive"),
    path("handoffs/new/", views.handoff_new, name="handoff-new"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/answer/", views.answer, name="answer"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("travellers/<int:pk>/", views.traveller_detail, name="traveller-detail"),
    path("travellers/<int:pk>/step/", views.traveller_step_page, name="traveller-step"),
    path("breaks/", views.break_list, name="break-list"),
    path("breaks/<int:pk>/close/", views.break_close_page, name="break-close"),
]
