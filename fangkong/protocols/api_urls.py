"""API routes of the protocols app (mounted under /api/v1/)."""

app_name = "protocols-api"
urlpatterns: list = []
