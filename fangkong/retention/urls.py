"""Pages of the retention module (mounted at /retention/ by its declaration)."""

from django.urls import path

from . import views

app_name = "retention"
urlpatterns = [
    path("", views.home, name="home"),
    path("changes/new/", views.change_new, name="change-new"),
    path("changes/<int:change_id>/decide/", views.change_decide, name="change-decide"),
    path("holds/new/", views.hold_new, name="hold-new"),
    path("holds/<int:hold_id>/release/", views.hold_release, name="hold-release"),
    path("epidemic-ends/new/", views.epidemic_end_new, name="epidemic-end-new"),
    path("purges/new/", views.purge_new, name="purge-new"),
    path("purges/<int:purge_id>/", views.purge_detail, name="purge-detail"),
    path("purges/<int:purge_id>/certificate/", views.certificate, name="certificate"),
    path("purges/<int:purge_id>/certificate.pdf", views.certificate_pdf, name="certificate-pdf"),
]
