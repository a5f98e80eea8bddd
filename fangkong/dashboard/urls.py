"""Pages of the dashboard app (mounted at /dashboard/)."""

from django.urls import path

from fangkong.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("<region:code>/", views.region_dashboard, name="region"),
    path("<region:code>/screen/panel/", views.screen_panel, name="screen-panel"),
    path("<region:code>/geo.json", views.region_geo, name="geo"),
]
