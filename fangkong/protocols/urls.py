"""Pages of the protocols app."""

app_name = "protocols"
urlpatterns: list = []
