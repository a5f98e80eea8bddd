"""API routes of the follow-up module (mounted under /api/v1/ by its declaration)."""

from django.urls import path

from . import api

app_name = "followup-api"
urlpatterns = [
    path("followup/due/", api.DueView.as_view(), name="due"),
    path("followup/checks/", api.CheckCreateView.as_view(), name="check-create"),
    path("followup/checks/import/", api.ChecksImportView.as_view(), name="checks-import"),
    path("followup/results/", api.ResultCreateView.as_view(), name="result-create"),
    path("followup/overdue/", api.OverdueView.as_view(), name="overdue"),
    path("followup/counts/", api.CountsView.as_view(), name="counts"),
    path("followup/sites/", api.SiteCountsView.as_view(), name="sites"),
]
