"""API routes of the bulletins app (mounted under /api/v1/)."""

app_name = "bulletins-api"
urlpatterns: list = []
