"""Pages of the follow-up module (mounted at /followup/ by its declaration)."""

from django.urls import path

from . import views

app_name = "followup"
urlpatterns = [
    path("", views.due, name="due"),
    path("overdue/", views.overdue, name="overdue"),
    path("sites/", views.sites, name="sites"),
    path("import/", views.checks_import, name="import"),
    path("subjects/<int:pk>/", views.subject_detail, name="subject"),
    path("subjects/<int:pk>/check/", views.check_new, name="check-new"),
    path("subjects/<int:pk>/suspected/", views.suspected, name="suspected"),
    path("tests/<int:pk>/sample/", views.sample_record, name="sample"),
    path("tests/<int:pk>/not-taken/", views.not_taken, name="not-taken"),
    path("r/<str:token>/", views.self_report, name="self-report"),  # the personal link: no sign-in
]
