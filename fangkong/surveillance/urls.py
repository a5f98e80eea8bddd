"""Pages of the surveillance app."""

app_name = "surveillance"
urlpatterns: list = []
