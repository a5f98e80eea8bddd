"""Pages of the cases app."""

from django.urls import path

from fangkong.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="case-list"),
    path("new/", views.case_new, name="case-new"),
    path("export/", views.case_export, name="case-export"),
    path("import/", views.import_page, name="import"),
    path("import/<int:job_id>/", views.import_job, name="import-job"),
    path("import/<int:job_id>/rerun/", views.import_job_rerun, name="import-job-rerun"),
    path("<int:case_id>/", views.case_detail, name="case-detail"),
    path("<int:case_id>/edit/", views.case_edit, name="case-edit"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/new/", views.contact_new, name="contact-new"),
    path("contacts/export/", views.contact_export, name="contact-export"),
    path("contacts/<int:contact_id>/", views.contact_detail, name="contact-detail"),
    path("contacts/<int:contact_id>/status/", views.contact_status, name="contact-status"),
    path("contacts/<int:contact_id>/convert/", views.contact_convert, name="contact-convert"),
    path("exposures/new/", views.exposure_new, name="exposure-new"),
    path("clusters/", views.cluster_list, name="cluster-list"),
    path("clusters/<int:cluster_id>/", views.cluster_detail, name="cluster-detail"),
    path("clusters/<int:cluster_id>/graph.json", views.cluster_graph, name="cluster-graph"),
    path("timeliness/", views.timeliness, name="timeliness"),
    path("risk-areas/", views.risk_area_list, name="risk-areas"),
    path("risk-areas/<int:area_id>/lift/", views.risk_area_lift, name="risk-area-lift"),
    path("risk-areas/<int:area_id>/infections/", views.risk_area_infections, name="risk-area-infections"),
]
