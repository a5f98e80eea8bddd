"""API routes of the dashboard app (mounted under /api/v1/)."""

app_name = "dashboard-api"
urlpatterns: list = []
