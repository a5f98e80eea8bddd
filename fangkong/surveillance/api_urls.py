"""API routes of the surveillance app (mounted under /api/v1/)."""

app_name = "surveillance-api"
urlpatterns: list = []
