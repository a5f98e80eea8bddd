"""API routes of the cases app (mounted under /api/v1/)."""

app_name = "cases-api"
urlpatterns: list = []
