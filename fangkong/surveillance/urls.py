"""Pages of the surveillance app (mounted at /surveillance/)."""

from django.urls import path

from fangkong.surveillance import views

app_name = "surveillance"
urlpatterns = [
    path("", views.alert_list, name="alert-list"),
    path("report/", views.report_form, name="report"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert-detail"),
    path("alerts/<int:alert_id>/transition/", views.alert_transition_fragment, name="alert-transition"),
    path("alerts/<int:alert_id>/cluster/", views.alert_cluster, name="alert-cluster"),
    path("alerts/<int:alert_id>/case/", views.alert_case, name="alert-case"),
    path("alerts/<int:alert_id>/series.json", views.alert_series, name="alert-series"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("earlies/", views.earlies_page, name="earlies"),
    path("earlies/targets/", views.earlies_targets, name="earlies-targets"),
    path("timeliness/", views.timeliness, name="timeliness"),
    path("timeliness/targets/", views.response_targets, name="response-targets"),
    path("reporting/", views.reporting, name="reporting"),
    path("import/", views.import_reports, name="import"),
    path("detection/", views.detection_configs, name="detection"),
]
