"""Pages of the bulletins app."""

app_name = "bulletins"
urlpatterns: list = []
