"""API routes of the dashboard app (mounted under /api/v1/)."""

from django.urls import path

from fangkong.dashboard import api

app_name = "dashboard-api"
urlpatterns = [
    path("dashboard/<region:code>/", api.SituationView.as_view(), name="situation"),
]
