"""Pages of the bulletins app (mounted at /bulletins/)."""

from django.urls import path

from fangkong.bulletins import views

app_name = "bulletins"
urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("generate/", views.bulletin_generate, name="generate"),
    path("<int:bulletin_id>/", views.bulletin_detail, name="detail"),
    path("<int:bulletin_id>/transition/", views.bulletin_transition, name="transition"),
    path("<int:bulletin_id>/report/", views.bulletin_report, name="report"),
    path("<int:bulletin_id>/report.pdf", views.bulletin_pdf, name="pdf"),
]
