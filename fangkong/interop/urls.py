"""Pages of the interop module (mounted at /interop/ by its declaration)."""

from django.urls import path

from . import views

app_name = "interop"
urlpatterns = [
    path("", views.message_list, name="message-list"),
    path("messages/<int:message_id>/", views.message_detail, name="message-detail"),
    path("messages/<int:message_id>/retry/", views.message_retry, name="message-retry"),
    path("destinations/", views.destination_list, name="destination-list"),
    path("destinations/new/", views.destination_new, name="destination-new"),
    path("destinations/<int:destination_id>/", views.destination_edit, name="destination-edit"),
    path("destinations/<int:destination_id>/dhis2/", views.dhis2_mapping, name="dhis2-mapping"),
    path("destinations/<int:destination_id>/dhis2/figure/", views.dhis2_figure_set, name="dhis2-figure"),
    path("destinations/<int:destination_id>/dhis2/org-unit/", views.dhis2_org_unit_set, name="dhis2-org-unit"),
    path("dhis2/export/", views.dhis2_export, name="dhis2-export"),
    path("case-report/", views.case_report_send, name="case-report-send"),
    path("case-reports/export/", views.case_reports_export, name="case-reports-export"),
    path("case-reports/import/", views.case_reports_import, name="case-reports-import"),
]
